"""``mittari forget`` end to end on the embedded backends, as an operator runs it.

Several feedback items, one with a reporter's name, e-mail and phone in ``raw``;
import, ingest, publish; forget that one; publish again. The item is gone from
the API, search, the status counters and the published CSV counts, and its
personal data from every file; a replay of the source file, a worker restarted
from offset 0 and a reindex do not bring it back.
"""

import csv
import io
import json

from tests.builders import T0, feedback_item
from tests.conftest import read_json

PERSONAL = {"name": "Maija Meikäläinen", "email": "maija.m@example.fi", "phone": "+358 40 765 4321"}
GONE = "fb-forget-me"


def invoke(runner, tmp_path, *args):
    from mittari import cli

    return runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args], catch_exceptions=False)


def city_n(published, code, period="2026-03"):
    rows = csv.DictReader(io.StringIO((published / f"{code}.csv").read_text()))
    return {r["period"]: int(r["n"]) for r in rows if r["breakdown"] == "city"}.get(period)


def secrets_in(folder):
    found = []
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}:{v}" for v in PERSONAL.values() if v.encode() in data]
    return found


def test_forget_on_the_embedded_backends(runner, tmp_path, app_for):
    events = []
    for i in range(7):
        events += feedback_item(f"fb-{i}", T0, respond_hours=2 + i, service="171", text=f"Katuvalo {i} rikki")
    mine = feedback_item(GONE, T0, respond_hours=4, service="171", text="Portaiden kaide heiluu pahasti")
    events += [{**e, "raw": PERSONAL} for e in mine]
    source = tmp_path / "events.jsonl"
    source.write_text("\n".join(json.dumps(e, ensure_ascii=False) for e in events) + "\n")
    assert invoke(runner, tmp_path, "import", "events", str(source)).exit_code == 0
    assert invoke(runner, tmp_path, "ingest", "--once").exit_code == 0
    assert invoke(runner, tmp_path, "publish").exit_code == 0
    data = tmp_path / "data"
    published = data / "published"
    assert city_n(published, "feedback_closed_share") == 8
    client = app_for().test_client()
    assert client.get(f"/v1/feedback/{GONE}").status_code == 200
    assert read_json(client.get("/v1/search?q=kaide"))["total"] == 1
    assert secrets_in(data)  # the raw record is in the log before

    result = invoke(runner, tmp_path, "forget", GONE, "--reason", "erasure request 2026-17")
    assert result.exit_code == 0, result.output
    assert "1 document(s) removed" in result.output and "4 event(s)" in result.output
    assert "tombstone written" in result.output and "next `mittari publish`" in result.output
    assert invoke(runner, tmp_path, "publish").exit_code == 0

    client = app_for().test_client()
    assert client.get(f"/v1/feedback/{GONE}").status_code == 404
    assert read_json(client.get("/v1/search?q=kaide"))["total"] == 0
    status = read_json(client.get("/v1/status"))
    assert status["documents"]["feedback"] == 7 and status["counters"]["erasures"] == 1
    assert sum(status["redaction_versions"].values()) == 7
    assert city_n(published, "feedback_closed_share") == 7
    assert secrets_in(data) == []  # log, dead letters, index and published files, WAL included

    again = invoke(runner, tmp_path, "forget", GONE)
    assert again.exit_code == 0 and "already on the deny-list" in again.output
    blank = invoke(runner, tmp_path, "forget", " ")
    assert blank.exit_code == 2 and "SUBJECT_ID" in blank.output
    unknown = invoke(runner, tmp_path, "forget", "fb-no-such-item")
    assert unknown.exit_code == 3 and "nothing was stored about fb-no-such-item" in unknown.output

    # a replay of the source, then a restart from offset 0 with the index deleted, then a reindex
    replay = invoke(runner, tmp_path, "import", "events", str(source))
    assert replay.exit_code == 0 and "0 new" in replay.output
    (data / "index.sqlite").unlink()
    for leftover in data.glob("index.sqlite-*"):
        leftover.unlink()
    restart = invoke(runner, tmp_path, "ingest", "--once")
    assert "replaying the whole log" in restart.output
    assert invoke(runner, tmp_path, "reindex").exit_code == 0
    assert invoke(runner, tmp_path, "publish").exit_code == 0
    client = app_for().test_client()
    assert client.get(f"/v1/feedback/{GONE}").status_code == 404
    assert client.get("/v1/feedback/fb-3").status_code == 200
    assert read_json(client.get("/v1/status"))["documents"]["feedback"] == 7
    assert city_n(published, "feedback_closed_share") == 7
    assert secrets_in(data) == []
    retention = invoke(runner, tmp_path, "retention")
    assert retention.exit_code == 0 and "raw dropped from 0 event(s)" in retention.output  # all newer than 90 days
