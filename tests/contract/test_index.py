"""The Index contract (see search/index.py), on every backend."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import BadQuery
from core.times import iso
from ingest.events import validate_event
from ingest.fold import fold
from search.index import Document
from search.query import TOTAL_EXACT_UP_TO, SearchQuery
from tests.builders import T0, at, ev, feedback_item, received, response, state

pytestmark = pytest.mark.contract


def doc_of(events):
    return fold(events[0]["subject_id"], [validate_event(e) for e in events])


@pytest.fixture
def filled(any_index):
    docs = [
        doc_of(
            [received("fb-1", at(days=0), text="Katuvalot ovat pimeänä Tapiolassa", service="171", area="Suur-Tapiola")]
        ),
        doc_of([received("fb-2", at(days=1), text="Päiväkodin piha on rikki", service="210", area="Suur-Leppävaara")]),
        doc_of(
            [
                received(
                    "fb-3", at(days=2), text="Gatlyktan är trasig vid stranden", service="171", area="Suur-Leppävaara"
                )
            ]
        ),
        doc_of(
            [
                received(
                    "fb-4",
                    at(days=3),
                    text="The streetlight near the library is broken",
                    service="320",
                    area="Suur-Tapiola",
                )
            ]
        ),
        doc_of(
            feedback_item(
                "fb-5",
                at(days=4),
                respond_hours=3,
                final="resolved",
                service="171",
                area="Vanha-Espoo",
                text="Kuoppa kadulla",
            )
        ),
        doc_of(
            [
                ev(
                    "governance.decision_made",
                    "dec-1",
                    at(days=5),
                    body="Kaupunginhallitus",
                    title="Katuvalaistuksen parantaminen",
                    text="Päätettiin katuvalojen uusimisesta.",
                )
            ]
        ),
        doc_of([ev("governance.meeting_held", "m-1", at(days=6), body="Tekninen lautakunta", title="Kokous")]),
        doc_of([ev("service.case_opened", "case-1", at(days=1), service_code="210")]),
    ]
    any_index.write(docs)
    return any_index


def test_versioned_writes_never_go_backwards(any_index):
    newer = doc_of(feedback_item("fb-1", T0, respond_hours=3))
    older = doc_of(feedback_item("fb-1", T0, respond_hours=3)[:2])
    assert any_index.write([newer]).written == 1
    result = any_index.write([older])
    assert (result.written, result.ignored_older) == (0, 1)
    assert any_index.get("fb-1").status == "resolved"
    assert any_index.stats()["counters"]["stale_writes_ignored"] == 1


def test_get_many_and_missing_ids(filled):
    found = filled.get_many(["fb-1", "fb-2", "nope"])
    assert set(found) == {"fb-1", "fb-2"}
    assert isinstance(found["fb-1"], Document)
    assert found["fb-1"].events[0]["type"] == "feedback.received"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("katuvalo", {"fb-1", "dec-1"}),  # Finnish stem: katuvalot, katuvalojen
        ("katuv", {"fb-1", "dec-1"}),  # prefix
        ("paivakodin", {"fb-2"}),  # without diacritics
        ("Päiväkoti", {"fb-2"}),  # another inflection
        ("gatlykta", {"fb-3"}),  # Swedish
        ("streetlights", {"fb-4"}),  # English plural
        ("katuvalo tapiola", {"fb-1"}),  # every word must match
        ("zzzz", set()),
        ("*** OR NOT", set()),  # query syntax is never passed through
    ],
)
def test_full_text_in_three_languages(filled, q, expected):
    result = filled.search(SearchQuery(q=q, size=50))
    assert {i["id"] for i in result.items} == expected
    assert result.total == len(expected)


def test_fact_types_are_not_searchable(filled):
    assert all(i["type"] != "case" for i in filled.search(SearchQuery(size=50)).items)
    with pytest.raises(BadQuery) as caught:
        SearchQuery(types=("case",))
    assert caught.value.parameter == "type"


def test_filters_and_facets(filled):
    result = filled.search(SearchQuery(service="171", size=50))
    assert {i["id"] for i in result.items} == {"fb-1", "fb-3", "fb-5"}
    facets = {f: {b["value"]: b["count"] for b in buckets} for f, buckets in result.facets.items()}
    assert facets["area"] == {"Suur-Tapiola": 1, "Suur-Leppävaara": 1, "Vanha-Espoo": 1}
    assert facets["status"] == {"received": 2, "resolved": 1}
    assert filled.search(SearchQuery(status="resolved")).total == 1
    assert filled.search(SearchQuery(area="Suur-Tapiola", types=("feedback",))).total == 2


def test_date_range_is_inclusive_exclusive(filled):
    result = filled.search(SearchQuery(date_from=at(days=1), date_to=at(days=3), size=50))
    assert {i["id"] for i in result.items} == {"fb-2", "fb-3"}


@pytest.mark.parametrize("sort", ["newest", "oldest", "relevance"])
def test_cursor_pages_cover_everything_once(filled, sort):
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = filled.search(SearchQuery(q="a" if sort == "relevance" else "", sort=sort, size=2, cursor=cursor))
        seen += [i["id"] for i in page.items]
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    total = filled.search(SearchQuery(q="a" if sort == "relevance" else "", sort=sort)).total
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 2)
    if sort == "newest":
        assert seen == ["m-1", "dec-1", "fb-5", "fb-4", "fb-3", "fb-2", "fb-1"]
    if sort == "oldest":
        assert seen[0] == "fb-1"


def _many(count: int) -> list[Document]:
    """``count`` plain feedback documents, every one matching ``katu``."""
    docs = []
    for i in range(count):
        date = iso(T0 + timedelta(minutes=i))
        status = ("received", "in_process", "resolved")[i % 3]
        words = "katu valo" if i % 7 else "katu katu kuoppa"
        body = {"id": f"fb-{i:05d}", "type": "feedback", "status": status, "received_at": date}
        docs.append(Document(f"fb-{i:05d}", "feedback", 1, date, body, text=words, status=status, area=f"a{i % 4}"))
    return docs


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_cursors_page_past_the_exact_total_bound_in_every_sort(any_index, sort):
    """More matches than TOTAL_EXACT_UP_TO (Elasticsearch's result window): cursors still reach every one, once."""
    count = TOTAL_EXACT_UP_TO + 50
    any_index.write(_many(count))
    seen: list[str] = []
    cursor = None
    while True:
        page = any_index.search(SearchQuery(q="katu", sort=sort, size=1000, cursor=cursor, facets=False))
        seen += [i["id"] for i in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
        assert len(seen) <= count  # a cursor that does not move on would loop
    assert len(seen) == len(set(seen)) == count
    if sort == "newest":
        assert seen[0] == f"fb-{count - 1:05d}" and seen[-1] == "fb-00000"


def test_totals_are_exact_up_to_the_bound_and_a_lower_bound_above_it(any_index):
    count = TOTAL_EXACT_UP_TO + 50
    any_index.write(_many(count))
    broad = any_index.search(SearchQuery(size=1, facets=False))
    assert (broad.total, broad.total_relation) == (TOTAL_EXACT_UP_TO, "gte")
    narrow = any_index.search(SearchQuery(status="resolved", size=1, facets=False))
    assert (narrow.total, narrow.total_relation) == (count // 3, "eq")
    words = any_index.search(SearchQuery(q="kuoppa", size=1, facets=False))
    assert (words.total, words.total_relation) == (len(range(0, count, 7)), "eq")
    # with facets every match is counted (the type facet), so the total is exact however many there are
    faceted = any_index.search(SearchQuery(q="katu", size=1))
    assert (faceted.total, faceted.total_relation) == (count, "eq")
    assert {b["value"]: b["count"] for b in faceted.facets["area"]} == {
        f"a{k}": len(range(k, count, 4)) for k in range(4)
    }
    assert {b["value"]: b["count"] for b in faceted.facets["status"]} == {
        s: len(range(k, count, 3)) for k, s in enumerate(("received", "in_process", "resolved"))
    }


def test_cursor_from_another_query_is_refused(filled):
    page = filled.search(SearchQuery(size=2))
    with pytest.raises(BadQuery) as caught:
        filled.search(SearchQuery(size=2, service="171", cursor=page.next_cursor))
    assert caught.value.parameter == "cursor"
    with pytest.raises(BadQuery):
        filled.search(SearchQuery(cursor="garbage!"))


def test_scan_gives_flat_fact_rows(filled):
    rows = {r["id"]: r for r in filled.scan("feedback")}
    assert set(rows) == {"fb-1", "fb-2", "fb-3", "fb-4", "fb-5"}
    assert rows["fb-5"]["first_response_hours"] == 3.0
    assert rows["fb-5"]["service_code"] == "171"
    assert rows["fb-5"]["date"] == "2026-03-06T08:00:00Z"


def test_generation_changes_with_content(any_index):
    g0 = any_index.generation()
    doc = doc_of([received("fb-9", T0)])
    any_index.write([doc])
    g1 = any_index.generation()
    assert g0 != g1
    newer = doc_of([received("fb-9", T0), ev("feedback.status_changed", "fb-9", at(hours=1), 1, state="in_process")])
    any_index.write([newer])
    assert any_index.generation() != g1


def test_ping(any_index):
    assert any_index.ping() is True


def test_stored_dates_sort_as_times(any_index):
    doc = doc_of([received("fb-x", datetime(2026, 1, 1, 0, 0, 0, 500, tzinfo=UTC))])
    any_index.write([doc])
    assert any_index.search(SearchQuery(date_from=datetime(2026, 1, 1, tzinfo=UTC))).total == 1


# -- forgetting (the right to be forgotten) and the redaction version -------------------------------


def test_forget_removes_the_document_everywhere_and_changes_the_generation(filled):
    before = filled.generation()
    counts = filled.stats()["documents"]
    assert filled.get("fb-1") is not None
    assert filled.search(SearchQuery(q="tapiolassa")).total == 1
    assert filled.forget(["fb-1", "never-stored"]) == 1
    assert filled.get("fb-1") is None
    assert "fb-1" not in filled.get_many(["fb-1", "fb-2"])
    assert "fb-1" not in {row["id"] for row in filled.scan("feedback")}
    assert "fb-1" not in {i["id"] for i in filled.search(SearchQuery(q="katuvalot", size=50)).items}
    assert filled.search(SearchQuery(q="tapiolassa")).total == 0
    stats = filled.stats()
    assert stats["documents"]["feedback"] == counts["feedback"] - 1
    assert stats["counters"]["erasures"] == 1
    assert filled.generation() != before
    assert filled.forget(["fb-1"]) == 0  # twice is harmless


def test_a_forgotten_document_is_not_written_back(filled):
    """A batch prepared before the erasure must not bring the document back (ES: while it keeps the tombstone)."""
    old = filled.get("fb-2")
    filled.forget(["fb-2"])
    comeback = doc_of([received("fb-2", at(days=1), text="Päiväkodin piha on rikki"), received("fb-2", at(days=2))])
    comeback.version = old.version + 5
    result = filled.write([comeback])
    assert result.written == 0
    assert filled.get("fb-2") is None
    assert filled.search(SearchQuery(q="paivakoti")).total == 0


def test_documents_are_counted_per_redaction_version(any_index):
    a = doc_of([received("r-1", at(days=0), text="vanha")])
    b = doc_of([received("r-2", at(days=0), text="uusi")])
    c = doc_of([received("r-3", at(days=0), text="uusi")])
    a.redaction_version, b.redaction_version, c.redaction_version = 1, 2, 2
    any_index.write([a, b, c])
    assert any_index.stats()["redaction_versions"] == {1: 1, 2: 2}
    assert any_index.get("r-1").redaction_version == 1


# -- cells: atom summaries kept with the documents (search/cells.py) -------------------------------------------


def _cells(index, doc_type="feedback"):
    return dict(index.cells(doc_type))


def _atoms_from_scan(index, doc_type="feedback"):
    """What the contract says the cells are: search.cells.summarise over the scanned rows of each atom."""
    from search.cells import from_rows

    return from_rows(doc_type, index.scan(doc_type), "Europe/Helsinki")


def test_cells_are_the_summaries_of_the_stored_items(filled):
    cells = _cells(filled)
    assert cells == _atoms_from_scan(filled)
    assert set(cells) == {
        ("2026-03", "171", "Suur-Tapiola", ""),
        ("2026-03", "210", "Suur-Leppävaara", ""),
        ("2026-03", "171", "Suur-Leppävaara", ""),
        ("2026-03", "320", "Suur-Tapiola", ""),
        ("2026-03", "171", "Vanha-Espoo", ""),
    }
    answered = cells[("2026-03", "171", "Vanha-Espoo", "")]
    assert answered["items"] == answered["received"] == answered["closed"] == 1
    assert answered["hours"] == [3.0] and answered["unanswered"] == []
    assert cells[("2026-03", "171", "Suur-Tapiola", "")]["unanswered"] == [iso(at(days=0))]
    assert list(cells) == sorted(cells)  # in atom order
    (case_atom,) = _cells(filled, "case").items()
    stored_case = filled.get("case-1")
    assert case_atom[0] == ("2026-03", "210", "", "")
    assert case_atom[1]["items"] == 1 and case_atom[1]["waiting_days"] == []
    assert case_atom[1]["events"] == stored_case.version  # the events folded into the atom's items
    assert _cells(filled, "decision") == {}  # only the types indicators read have cells


def test_an_atom_digest_moves_with_any_change_of_its_items_and_only_then(filled):
    """The digest behind a published cell's inputs_sha256: a new version of one item changes its atom's
    digest and events, and no other atom's; writing the same documents again changes nothing."""
    from dataclasses import replace

    before = _cells(filled)
    (stored,) = filled.get_many(["fb-1"]).values()
    atom = next(a for a in before if a[1] == stored.service_code and a[2] == stored.area)
    filled.write([replace(stored, version=stored.version + 1, facts={**stored.facts, "closed": True})])
    after = _cells(filled)
    assert after[atom]["digest"] != before[atom]["digest"]
    assert after[atom]["events"] == before[atom]["events"] + 1
    assert {a: s["digest"] for a, s in after.items() if a != atom} == {
        a: s["digest"] for a, s in before.items() if a != atom
    }
    (again,) = filled.get_many(["fb-1"]).values()
    filled.write([again])  # equal version: ignored as older, the atom recomputed to the same digest
    assert _cells(filled)[atom]["digest"] == after[atom]["digest"]


def test_an_item_moved_to_another_atom_leaves_the_old_one(filled):
    from dataclasses import replace

    (stored,) = filled.get_many(["fb-2"]).values()
    filled.write([replace(stored, service_code="171", version=stored.version + 1)])
    cells = _cells(filled)
    assert ("2026-03", "210", "Suur-Leppävaara", "") not in cells  # its only item left
    assert cells[("2026-03", "171", "Suur-Leppävaara", "")]["items"] == 2
    assert cells == _atoms_from_scan(filled)


def test_an_ignored_older_write_changes_no_cell(filled):
    from dataclasses import replace

    before = _cells(filled)
    (stored,) = filled.get_many(["fb-2"]).values()
    result = filled.write([replace(stored, service_code="999", facts={**stored.facts, "closed": True})])
    assert result.ignored_older == 1
    assert _cells(filled) == before


def test_forget_recomputes_the_atoms_of_the_removed_items(filled):
    before = _cells(filled)
    filled.forget(["fb-1", "fb-5"])
    cells = _cells(filled)
    assert ("2026-03", "171", "Suur-Tapiola", "") not in cells
    assert ("2026-03", "171", "Vanha-Espoo", "") not in cells
    assert {
        k: v for k, v in before.items() if k[2] != "Vanha-Espoo" and k[:3] != ("2026-03", "171", "Suur-Tapiola")
    } == cells


def test_a_late_event_changes_only_its_atom(filled):
    before = _cells(filled)
    stored = filled.stored_cells("feedback")
    late = doc_of(feedback_item("fb-old", at(days=-40), respond_hours=7, service="171", area="Suur-Tapiola"))
    filled.write([late])
    cells = _cells(filled)
    assert cells[("2026-01", "171", "Suur-Tapiola", "")]["hours"] == [7.0]
    assert {k: v for k, v in cells.items() if k[0] != "2026-01"} == before
    after = filled.stored_cells("feedback")
    assert {k: v for k, v in after.items() if k[0] != "2026-01"} == stored  # byte for byte
    assert set(after) - set(stored) == {("2026-01", "171", "Suur-Tapiola", "")}


def test_changed_cells_reads_only_the_atoms_that_moved(filled):
    """Markers for every atom; a summary only where the marker is not the caller's, each with its own marker;
    a late event, a rewrite and an erasure move exactly the markers of the atoms they touch."""
    from dataclasses import replace

    found = filled.changed_cells("feedback", {})
    assert found is not None
    markers, changed = found
    assert changed == _cells(filled)  # nothing known: every summary, as ``cells`` gives it
    assert set(markers) >= set(changed)
    assert filled.changed_cells("feedback", markers) == (markers, {})  # all known: no summary read

    late = doc_of(feedback_item("fb-old", at(days=-40), respond_hours=7, service="171", area="Suur-Tapiola"))
    filled.write([late])
    (stored,) = filled.get_many(["fb-2"]).values()
    filled.write([replace(stored, version=stored.version + 1, facts={**stored.facts, "closed": True})])
    filled.forget(["fb-5"])
    found = filled.changed_cells("feedback", markers)
    assert found is not None
    after, moved = found
    cells = _cells(filled)
    assert set(moved) == {("2026-01", "171", "Suur-Tapiola", ""), ("2026-03", "210", "Suur-Leppävaara", "")}
    assert moved == {atom: cells[atom] for atom in moved}
    untouched = set(cells) - set(moved)
    assert {atom: after[atom] for atom in untouched} == {atom: markers[atom] for atom in untouched}
    assert ("2026-03", "171", "Vanha-Espoo", "") not in cells  # erased: no summary, whatever its marker
    assert ("2026-03", "171", "Vanha-Espoo", "") not in moved
    assert all(after[atom] != markers.get(atom) for atom in moved)
    assert filled.changed_cells("feedback", after) == (after, {})


def test_a_reader_keeps_no_summary_of_an_atom_emptied_since(filled, settings, clock):
    """An atom whose items were erased or moved away: its summary leaves the reader's next snapshot too
    (Elasticsearch keeps the emptied cell, with a new marker and no summary)."""
    from dataclasses import replace

    from figures.indicators import Indicators

    reader = Indicators(filled, settings, clock)
    before = reader.snapshot()
    assert {("2026-03", "171", "Vanha-Espoo", ""), ("2026-03", "210", "Suur-Leppävaara", "")} <= set(
        before.cells["feedback"]
    )
    filled.forget(["fb-5"])  # the only item of its atom
    (moved,) = filled.get_many(["fb-2"]).values()
    filled.write([replace(moved, service_code="171", version=moved.version + 1)])  # the only item of its atom
    after = reader.snapshot()
    assert after.generation != before.generation
    assert after.cells == Indicators(filled, settings, clock).snapshot().cells
    assert ("2026-03", "171", "Vanha-Espoo", "") not in after.cells["feedback"]
    assert ("2026-03", "210", "Suur-Leppävaara", "") not in after.cells["feedback"]


def test_the_month_is_the_citys(any_index):
    # 23:30 UTC on 31 March is already April in Helsinki (UTC+3 in summer time)
    any_index.write([doc_of([received("fb-tz", datetime(2026, 3, 31, 23, 30, tzinfo=UTC))])])
    assert list(_cells(any_index)) == [("2026-04", "171", "Suur-Tapiola", "")]


# -- log position (recorded with the documents) ---------------------------------------------------------


def test_log_position_is_recorded_with_the_write_and_merged(any_index):
    from search.index import StreamPosition

    assert any_index.log_position() == {}
    first = doc_of(feedback_item("fb-lp", T0, respond_hours=3))
    any_index.write(
        [first],
        {"events_indexed": 4},
        {
            "feedback": StreamPosition(4, ((0, 10), (1, 2)), "2026-03-02T12:00:00Z"),
            "governance": StreamPosition(0, ((0, 3),), None),
        },
    )
    assert any_index.log_position() == {
        "feedback": StreamPosition(4, ((0, 10), (1, 2)), "2026-03-02T12:00:00Z"),
        "governance": StreamPosition(0, ((0, 3),), None),
    }
    assert any_index.log_position()["feedback"].offset == 12  # records consumed over the partitions
    # a later batch adds its events; the offset and the newest time never move backwards
    any_index.write(
        [doc_of([received("fb-lp2", at(days=1))])],
        None,
        {
            "feedback": StreamPosition(1, ((0, 8), (2, 1)), "2026-03-01T00:00:00Z"),
            "service": StreamPosition(2, ((0, 5),), "2026-03-03T00:00:00Z"),
        },
    )
    assert any_index.log_position() == {
        "feedback": StreamPosition(5, ((0, 10), (1, 2), (2, 1)), "2026-03-02T12:00:00Z"),
        "governance": StreamPosition(0, ((0, 3),), None),
        "service": StreamPosition(2, ((0, 5),), "2026-03-03T00:00:00Z"),
    }
    # a batch with no document (all dead-lettered) still advances the offset
    any_index.write([], None, {"governance": StreamPosition(0, ((0, 7),), None)})
    assert any_index.log_position()["governance"] == StreamPosition(0, ((0, 7),), None)


# -- the ids behind atoms ------------------------------------------------------------------------------


def test_atom_ids_pages_the_items_of_the_atoms_in_id_order(filled):
    atoms = [a for a in _cells(filled) if a[1] == "171"]
    expected = ["fb-1", "fb-3", "fb-5"]  # service 171, in three atoms
    assert filled.atom_ids("feedback", atoms, None, 100) == expected
    assert filled.atom_ids("feedback", atoms, None, 2) == ["fb-1", "fb-3"]
    assert filled.atom_ids("feedback", atoms, "fb-3", 2) == ["fb-5"]
    assert filled.atom_ids("feedback", atoms, "fb-5", 2) == []
    assert filled.atom_ids("case", atoms, None, 100) == []  # another type's items are not in these atoms
    assert filled.atom_ids("feedback", [("2031-01", "171", "x", "")], None, 100) == []
    filled.forget(["fb-3"])
    assert filled.atom_ids("feedback", atoms, None, 100) == ["fb-1", "fb-5"]


def test_a_replaced_document_is_found_by_its_new_words_and_only_by_its_own(any_index):
    """A status change keeps the text (the embedded index then leaves its terms alone); a response adds words."""

    def found(q):
        return {i["id"] for i in any_index.search(SearchQuery(q=q, size=50)).items}

    first = [received("fb-1", at(days=0), text="Katuvalot pimeänä")]
    any_index.write([doc_of(first), doc_of([received("fb-2", at(days=0), text="Puisto roskainen")])])
    status_only = [*first, state("fb-1", at(days=1), "in_process")]
    any_index.write([doc_of(status_only)])
    assert any_index.get("fb-1").status == "in_process"
    assert (found("katuvalo"), found("lamppu")) == ({"fb-1"}, set())
    answered = [*status_only, response("fb-1", at(days=2), text="Vaihdettu lamppu", seq=3)]
    any_index.write([doc_of(answered)])
    assert any_index.get("fb-1").version == 3
    assert (found("katuvalo"), found("lamppu"), found("puisto")) == ({"fb-1"}, {"fb-1"}, {"fb-2"})
