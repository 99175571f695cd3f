"""The public pages through Flask's test client: every page in every language, links, errors, feeds."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from html.parser import HTMLParser

import pytest

from api.i18n import LANGUAGES, MESSAGES

PAGES = [
    "/{lang}/",
    "/{lang}/indicators/feedback_response_time_median",
    "/{lang}/indicators/feedback_closed_share?service=171",
    "/{lang}/services/",
    "/{lang}/services/171",
    "/{lang}/feedback/",
    "/{lang}/feedback/?q=katuvalo&service=171",
    "/{lang}/feedback/fb-01",
    "/{lang}/initiatives/",
    "/{lang}/initiatives/?body=Kaupunginhallitus",
    "/{lang}/decisions/",
    "/{lang}/decisions/dec-1",
    "/{lang}/report",
    "/{lang}/report?body=Kaupunginhallitus&period=2026-03",
    "/{lang}/feeds/",
]
HEADINGS = {"fi": "Miten kaupunki palvelee?", "sv": "Hur betjänar staden?", "en": "How is the city doing?"}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if attrs.get("id"):
            self.ids.append(attrs["id"])


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_in_every_language(client, path, lang):
    response = client.get(path.format(lang=lang))
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html
    assert MESSAGES["skip"][lang] in html and MESSAGES["nav_overview"][lang] in html
    ids = parse(html).ids
    assert len(ids) == len(set(ids)), "duplicate ids"
    for other in LANGUAGES:  # the language switch keeps the page and its arguments
        assert f'hreflang="{other}"' in html


@pytest.mark.parametrize("lang", LANGUAGES)
def test_overview_shows_tiles_score_and_method(client, lang):
    html = client.get(f"/{lang}/").get_data(as_text=True)
    assert HEADINGS[lang] in html
    assert html.count('class="tile ') >= 7  # every built-in indicator
    assert MESSAGES["score_method_title"][lang] in html and "<svg" in html
    assert MESSAGES["worst_title"][lang] in html


def test_numbers_follow_the_language(client):
    fi = client.get("/fi/indicators/feedback_response_time_median").get_data(as_text=True)
    en = client.get("/en/indicators/feedback_response_time_median").get_data(as_text=True)
    assert re.search(r"\d,\d h", fi) and re.search(r"\d\.\d h", en)
    assert "maaliskuu 2026" in fi and "March 2026" in en


def test_every_page_kind_is_reachable_from_the_overview(client):
    seen: set[str] = set()
    queue = ["/fi/"]
    kinds = {
        r"^/fi/$",
        r"^/fi/indicators/\w+$",
        r"^/fi/services/$",
        r"^/fi/services/\w+$",
        r"^/fi/feedback/$",
        r"^/fi/feedback/[\w-]+$",
        r"^/fi/initiatives/$",
        r"^/fi/decisions/$",
        r"^/fi/decisions/[\w-]+$",
        r"^/fi/report$",
        r"^/fi/feeds/$",
        r"^/fi/feeds/\w+\.atom",
    }
    while queue and len(seen) < 200:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code == 200, path
        if response.mimetype != "text/html":
            continue
        for href in parse(response.get_data(as_text=True)).hrefs:
            href = href.split("#")[0]
            if href.startswith("/fi/") and href not in seen:
                queue.append(href)
    for kind in kinds:
        assert any(re.match(kind, path) for path in seen), kind


def test_bad_page_arguments_get_a_400_page_naming_the_parameter(client):
    for path, parameter in [
        ("/fi/feedback/?from=garbage", "from"),
        ("/fi/feedback/?status=lost", "status"),
        ("/fi/feedback/?size=1000", "size"),
        ("/fi/feedback/?size=x", "size"),
        ("/en/report?body=Kaupunginhallitus&period=13-2026", "period"),
        ("/en/report?body=Nobody", "body"),
        ("/sv/indicators/feedback_closed_share?service=999", "service"),
    ]:
        response = client.get(path)
        assert response.status_code == 400, path
        assert response.mimetype == "text/html"
        assert f"<code>{parameter}</code>" in response.get_data(as_text=True)


def test_unknown_things_get_a_404_page(client):
    for path in ["/fi/indicators/nope", "/fi/services/999", "/fi/feedback/nope", "/fi/decisions/nope", "/de/"]:
        assert client.get(path).status_code == 404, path


def test_feedback_item_shows_the_timeline_with_durations_and_the_response(client):
    html = unescape(client.get("/en/feedback/fb-03").get_data(as_text=True))
    for state in ("Received", "In process", "Response given", "Resolved"):
        assert state in html
    assert "took 4.5 h" in html  # in process → response: 5 h after receipt, 0.5 h in
    assert MESSAGES["city_response"]["en"] in html


def test_feedback_tracker_filters_and_pages(client):
    html = client.get("/fi/feedback/?service=210").get_data(as_text=True)
    assert "6 palautetta" in html
    first = client.get("/fi/feedback/?size=5").get_data(as_text=True)
    assert "13 palautetta" in first
    next_link = re.search(r'href="([^"]+)" rel="next"', first)
    assert next_link
    second = client.get(next_link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'href="/fi/feedback/fb-' in second and "Ensimmäiset" in second


def test_initiatives_by_committee(client):
    everything = client.get("/en/initiatives/").get_data(as_text=True)
    assert "Asukaslähtöisyys" in everything and "Katuvalot" in everything
    board = client.get("/en/initiatives/?body=Kaupunginhallitus").get_data(as_text=True)
    assert "Asukaslähtöisyys" in board and "Katuvalot" not in board
    assert "Submitted" in board


def test_decisions_link_services(client):
    html = client.get("/fi/decisions/").get_data(as_text=True)
    assert 'href="/fi/decisions/dec-1"' in html and 'href="/fi/services/171"' in html


ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.mark.parametrize("feed", ["decisions", "initiatives", "indicators"])
def test_feeds_are_atom(client, feed):
    response = client.get(f"/sv/feeds/{feed}.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    assert root.find(f"{ATOM}id").text.startswith("http://mittari.test/sv/feeds/")
    assert root.find(f"{ATOM}updated").text
    for entry in root.findall(f"{ATOM}entry"):
        assert entry.find(f"{ATOM}id").text and entry.find(f"{ATOM}updated").text
        assert entry.find(f"{ATOM}link").get("href").startswith("http://mittari.test/sv/")


def test_decision_feed_entries_and_filters(client):
    root = ET.fromstring(client.get("/fi/feeds/decisions.atom").data)
    titles = [e.find(f"{ATOM}title").text for e in root.findall(f"{ATOM}entry")]
    assert titles == ["Kaupunginhallitus: Katuvalaistus"]
    other = ET.fromstring(client.get("/fi/feeds/decisions.atom?body=Tekninen+lautakunta").data)
    assert other.findall(f"{ATOM}entry") == []
    answered = ET.fromstring(client.get("/fi/feeds/initiatives.atom").data)
    assert [e.find(f"{ATOM}title").text for e in answered.findall(f"{ATOM}entry")] == ["Katuvalot"]


def test_small_counts_are_withheld_on_the_service_pages(client):
    html = client.get("/en/services/").get_data(as_text=True)
    row = re.search(r'href="/en/services/410">.*?</tr>', html, re.S).group(0)  # one feedback item
    assert "withheld (under 5)" in row and ">1<" not in row
    assert re.search(r'href="/en/services/171">.*?>6<', html, re.S)  # six items are shown
