"""Alerts end to end: watchlists fire after `ingest`, a real local webhook receives them (a failing one
is retried with back-off), a command gets them on stdin, and nothing repeats after a restart."""

from __future__ import annotations

import json
import re
import sqlite3
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from brief_fixtures import BURST, EARLY, FESTIVAL, LATER, STREAM, write
from conftest import query


class Receiver:
    """A webhook receiver on 127.0.0.1 that answers 500 to its first ``fail`` requests."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.received: list[tuple[int, dict, str]] = []  # (status answered, body, X-Storyline-Alert)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = 500 if outer.fail > 0 else 200
                outer.fail -= 1
                outer.received.append((status, body, self.headers.get("X-Storyline-Alert", "")))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def delivered(self) -> list[dict]:
        return [body for status, body, _ in self.received if status == 200]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver(fail=2)
    yield r
    r.close()


def test_alerts_fire_once_are_retried_and_survive_restarts(run_cli, tmp_path, receiver):
    db = tmp_path / "a.db"
    env = {"STORYLINE_ALERT_RETRY": "0.2", "STORYLINE_PUBLIC_URL": "https://news.example.org/"}
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    out = tmp_path / "command-alerts.jsonl"
    for args in (("bridge", "--query", "Tarvik", "--webhook", receiver.url),
                 ("festival", "--entity", "Mira Castellan", "--webhook", receiver.url,
                  "--command", f"cat >> '{out}'; echo >> '{out}'")):
        proc = run_cli("watchlist", "add", *args, "--db", db)
        assert proc.returncode == 0, proc.stderr
    # the bridge story matched already (no alert); now it bursts, and a festival story appears
    proc = run_cli("ingest", write(tmp_path / "more.jsonl", BURST + FESTIVAL), "--db", db, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "alert [bridge] burst:" in proc.stderr and "coverage" in proc.stderr
    assert "alert [festival] match:" in proc.stderr and "Corvane" in proc.stderr
    assert "retrying later" in proc.stderr  # the receiver answered 500 twice
    assert [s for s, _, _ in receiver.received] == [500, 500]
    lines = [json.loads(x) for x in out.read_text().splitlines() if x.strip()]
    assert [(a["watchlist"], a["condition"]) for a in lines] == [("festival", "match")]

    listed = json.loads(run_cli("alerts", "--json", "--db", db).stdout)
    assert sorted((a["watchlist"], a["condition"]) for a in listed) == [("bridge", "burst"), ("festival", "match")]
    assert all(a["pending_deliveries"] == 1 and "HTTP 500" in a["last_error"] for a in listed)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", a["fired_at"]) for a in listed)
    due = query(db, "SELECT attempts, next_try > 0 FROM alert_deliveries WHERE delivered_at IS NULL")
    assert due == [(1, 1), (1, 1)]  # rescheduled, with back-off

    proc = run_cli("alerts", "--deliver", "--wait", "10", "--db", db, env=env)
    assert proc.returncode == 0 and "storyline: 2 deliveries made\n" in proc.stderr
    got = receiver.delivered()
    assert sorted((b["watchlist"], b["condition"]) for b in got) == [("bridge", "burst"), ("festival", "match")]
    bridge = next(b for b in got if b["watchlist"] == "bridge")
    assert "Tarvik" in bridge["headline"] and bridge["articles"] == 8 and "in 6 h" in bridge["reason"]
    # A chat message can link to the story's page, and times read as everywhere else in storyline's JSON.
    assert bridge["page"] == f"https://news.example.org/story/{bridge['story']}"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", bridge["last_seen"])
    assert {h for _, _, h in receiver.received} == {str(b["alert"]) for b in got}  # same id on each retry

    # restarts: new articles for both stories, and the same files again, in new processes
    for name, records in (("later.jsonl", LATER), ("again.jsonl", STREAM)):
        proc = run_cli("ingest", write(tmp_path / name, records), "--db", db, env=env)
        assert proc.returncode == 0 and "alert [" not in proc.stderr, proc.stderr
    assert len(receiver.received) == 4
    assert len(json.loads(run_cli("alerts", "--json", "--db", db).stdout)) == 2
    assert len([x for x in out.read_text().splitlines() if x.strip()]) == 1


def test_a_watchlist_added_after_one_was_removed_starts_with_no_alerts(run_cli, tmp_path):
    """SQLite handed the freed id to the next watchlist, which then listed the removed one's alerts as
    its own and stayed silent on the stories they named."""
    db = tmp_path / "r.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    assert run_cli("watchlist", "add", "lights", "--query", "lanterns", "--db", db).returncode == 0
    proc = run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db)
    assert proc.returncode == 0 and "alert [lights] match:" in proc.stderr, proc.stderr
    assert run_cli("watchlist", "remove", "lights", "--db", db).returncode == 0
    assert json.loads(run_cli("alerts", "--json", "--db", db).stdout) == []
    assert run_cli("watchlist", "add", "lanterns", "--query", "lanterns", "--db", db).returncode == 0
    listed = json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout)
    assert [(w["name"], w["alerts"]) for w in listed] == [("lanterns", 0)]
    assert json.loads(run_cli("alerts", "--json", "--db", db).stdout) == []


def test_a_new_story_matching_fires_and_an_unreachable_webhook_never_fails_ingest(run_cli, tmp_path):
    db = tmp_path / "b.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    proc = run_cli("watchlist", "add", "lights", "--query", "lanterns", "--webhook", "http://127.0.0.1:9/none",
                   "--db", db)
    assert proc.returncode == 0 and "0 stories match now" in proc.stdout
    proc = run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["new"] == 1  # stdout stays one JSON summary
    assert "alert [lights] match:" in proc.stderr and "failed" in proc.stderr
    assert query(db, "SELECT count(*) FROM articles")[0][0] == len(EARLY) + len(FESTIVAL)
    (alert,) = json.loads(run_cli("alerts", "--json", "--db", db).stdout)
    assert alert["pending_deliveries"] == 1 and alert["condition"] == "match"
    # removing the watchlist drops its pending deliveries
    assert run_cli("watchlist", "remove", "lights", "--db", db).returncode == 0
    assert query(db, "SELECT count(*) FROM alert_deliveries WHERE delivered_at IS NULL")[0][0] == 0


def test_the_log_line_is_not_counted_as_a_delivery(run_cli, tmp_path):
    """Every watchlist also writes its alerts to stderr: that "delivery" cannot fail, and counting it
    made `alerts --deliver` report success (exit 0) when every webhook was down."""
    db = tmp_path / "l.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    assert run_cli("watchlist", "add", "lights", "--query", "lanterns", "--webhook", "http://127.0.0.1:9/none",
                   "--db", db).returncode == 0
    assert run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db).returncode == 0
    with sqlite3.connect(db) as conn:  # as when a pass ran out of time before the log line's turn
        conn.execute("UPDATE alert_deliveries SET delivered_at = NULL, attempts = 0, next_try = 0")
        conn.execute("UPDATE alert_deliveries SET last_error = NULL")
    listed = run_cli("alerts", "--db", db).stdout
    assert "; 1 delivery pending" in listed and "(None)" not in listed, listed  # the webhook, not the log
    proc = run_cli("alerts", "--deliver", "--db", db)
    assert proc.returncode == 1, proc.stderr  # the only real delivery failed
    assert "0 deliveries made" in proc.stderr and "1 pending" in proc.stderr
    assert "alert [lights] match:" in proc.stderr  # the log line itself still appears


class Trickler:
    """A webhook receiver on 127.0.0.1 that answers 200 at once, then sends its promised body a byte a
    second (as a stuck proxy or a streaming endpoint does)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                outer.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "100000")
                self.end_headers()
                while not outer.stop.is_set():
                    try:
                        self.wfile.write(b"x")
                        self.wfile.flush()
                    except OSError:
                        return
                    outer.stop.wait(1.0)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_webhook_that_trickles_its_answer_never_holds_up_ingest(run_cli, tmp_path):
    trickler = Trickler()
    try:
        db = tmp_path / "t.db"
        assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
        assert run_cli("watchlist", "add", "lights", "--query", "lanterns", "--webhook", trickler.url,
                       "--db", db).returncode == 0
        start = time.monotonic()
        proc = run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db, timeout=40)
        elapsed = time.monotonic() - start
    finally:
        trickler.close()
    assert proc.returncode == 0 and "alert [lights] match:" in proc.stderr, proc.stderr
    assert elapsed < 15, f"ingest waited {elapsed:.0f} s for a webhook's body"  # it waited for ever before
    assert [a["watchlist"] for a in trickler.received] == ["lights"]
    # its status said it was received: delivered, not retried
    assert query(db, "SELECT count(*) FROM alert_deliveries WHERE target LIKE 'webhook:%' "
                     "AND delivered_at IS NOT NULL")[0][0] == 1


def test_a_webhook_that_never_answers_costs_one_timeout_per_run_not_one_per_alert(run_cli, tmp_path):
    silent = socket.socket()  # accepts connections (the kernel does) and never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/hook"
    try:
        db = tmp_path / "s.db"
        assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
        for name, words in (("lights", "lanterns"), ("harbour", "Corvane"), ("fest", "festival")):
            assert run_cli("watchlist", "add", name, "--query", words, "--webhook", url, "--db", db).returncode == 0
        start = time.monotonic()
        proc = run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db, "--json")
        elapsed = time.monotonic() - start
    finally:
        silent.close()
    assert proc.returncode == 0 and json.loads(proc.stdout)["new"] == 1, proc.stderr
    assert proc.stderr.count("storyline: alert [") == 3  # all three alerts are logged
    (failure,) = [line for line in proc.stderr.splitlines() if "failed (" in line]  # one delivery tried
    assert f"alert delivery to webhook:{url} failed ({url}: timed out)" in failure
    assert f"alert delivery to webhook:{url}: 2 more alerts wait for its next try" in proc.stderr
    assert elapsed < 10, f"ingest took {elapsed:.0f} s: a timeout per alert"  # 3 x 5 s before
    pending = query(db, "SELECT attempts, next_try > 0, last_error LIKE '%timed out%' FROM alert_deliveries "
                        "WHERE target LIKE 'webhook:%' ORDER BY id")
    assert pending == [(1, 1, 1), (0, 1, 1), (0, 1, 1)]  # one attempt counted; all wait for the next try


@pytest.mark.parametrize("wait", ["nan", "inf", "-1"])
def test_alerts_wait_must_be_a_finite_number_of_seconds(run_cli, tmp_path, wait):
    proc = run_cli("alerts", "--deliver", "--wait", wait, "--db", tmp_path / "none.db")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("storyline alerts: error: argument --wait: must be 0 or more")


def test_a_delivery_given_up_is_said_so_and_can_be_tried_again(run_cli, tmp_path):
    receiver = Receiver(fail=8)  # answers 500 to every attempt, then, "fixed", 200
    env = {"STORYLINE_ALERT_RETRY": "0"}
    try:
        db = tmp_path / "g.db"
        assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
        assert run_cli("watchlist", "add", "lights", "--query", "lanterns", "--webhook", receiver.url,
                       "--db", db).returncode == 0
        assert run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db, env=env).returncode == 0
        proc = run_cli("alerts", "--deliver", "--wait", "30", "--db", db, env=env)
        assert len(receiver.received) == 8
        assert proc.returncode == 1, proc.stderr  # every delivery it tried failed
        assert "given up after 8 attempts" in proc.stderr and "storyline alerts --retry" in proc.stderr
        (alert,) = json.loads(run_cli("alerts", "--json", "--db", db).stdout)
        assert (alert["pending_deliveries"], alert["given_up_deliveries"]) == (0, 1)  # not "pending" for ever
        listed = run_cli("alerts", "--db", db).stdout
        assert "1 delivery given up (HTTP 500" in listed and "pending" not in listed

        proc = run_cli("alerts", "--retry", "--db", db, env=env)
        assert proc.returncode == 0 and "1 delivery given up before is due again" in proc.stderr, proc.stderr
        assert "1 delivery made" in proc.stderr
        assert [b["watchlist"] for b in receiver.delivered()] == ["lights"]
        (alert,) = json.loads(run_cli("alerts", "--json", "--db", db).stdout)
        assert (alert["pending_deliveries"], alert["given_up_deliveries"]) == (0, 0)
    finally:
        receiver.close()
    wait = run_cli("alerts", "--wait", "5", "--db", db)
    assert wait.returncode == 1 and "--wait is for --deliver" in wait.stderr


def test_a_watchlist_may_be_called_baseline_and_may_come_before_the_news(run_cli, tmp_path):
    db = tmp_path / "new.db"  # no store yet: adding a watchlist makes it
    proc = run_cli("watchlist", "add", "Baseline", "--query", "lanterns", "--db", db)
    assert proc.returncode == 0 and "0 stories match now" in proc.stdout, proc.stderr
    proc = run_cli("ingest", write(tmp_path / "all.jsonl", STREAM), "--db", db)
    assert proc.returncode == 0 and "alert [Baseline] match:" in proc.stderr, proc.stderr
    # Its alerts are its own: the silent rows of stories that matched at the start are told apart
    # by their exact payload, not by the word "baseline" anywhere in it.
    (alert,) = json.loads(run_cli("alerts", "--json", "--db", db).stdout)
    assert alert["watchlist"] == "Baseline" and "Corvane" in alert["headline"]
    listed = json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout)
    assert [(w["name"], w["alerts"]) for w in listed] == [("Baseline", 1)]


def test_a_query_sqlite_cannot_read_is_refused_and_plain_words_are_not(run_cli, tmp_path):
    db = tmp_path / "q.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    proc = run_cli("watchlist", "add", "half", "--query", "bridge AND", "--db", db)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "not a full-text query SQLite can read" in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout) == []
    proc = run_cli("watchlist", "add", "punctuated", "--query", "U.S. bridge", "--db", db)
    assert proc.returncode == 0, proc.stderr
    proc = run_cli("watchlist", "add", "nohost", "--query", "bridge", "--webhook", "http://", "--db", db)
    assert proc.returncode == 1 and "with a host" in proc.stderr
    search = run_cli("search", '"Tarvik bridge', "--db", db)
    assert search.returncode == 0 and "searching for its words as written" in search.stderr
    assert "Tarvik" in search.stdout  # and it still finds them


def test_a_command_that_hangs_is_stopped_with_all_it_started(tmp_path, monkeypatch):
    import os

    from storyline.alerts import delivery

    monkeypatch.setattr(delivery, "COMMAND_TIMEOUT", 1.0)
    pid_file = tmp_path / "child.pid"
    start = time.monotonic()
    with pytest.raises(delivery.DeliveryError, match="timed out after 1 s") as caught:
        delivery.send(f"command:sleep 60 & echo $! > '{pid_file}'; wait", {"alert": 1}, print)
    assert caught.value.unreachable  # its other alerts wait for the next run, not a timeout each
    assert time.monotonic() - start < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the command's child {child} outlived it")


def test_slow_targets_get_a_pass_of_ten_seconds_at_most(tmp_path, monkeypatch):
    from storyline.alerts import delivery
    from storyline.store.sqlite import SQLiteStore

    monkeypatch.setattr(delivery, "COMMAND_TIMEOUT", 1.0)
    store = SQLiteStore(str(tmp_path / "p.db"))
    db = store.db
    db.execute("INSERT INTO alerts (watchlist, story, condition, fired_at, payload) VALUES (1, 1, 'match', 0, '{}')")
    for n in range(4):  # four different commands (each would time out), due now
        db.execute("INSERT INTO alert_deliveries (alert, target, attempts, next_try) VALUES (1, ?, 0, 0)",
                   (f"command:sleep 5; echo {n}",))
    lines: list[str] = []
    start = time.monotonic()
    report = delivery.deliver_due(db, log=lines.append, budget=1.5)
    assert time.monotonic() - start < 3.5  # two commands tried, not four
    assert report.failed == 2 and report.pending == 4
    assert any("2 more wait for the next run" in line for line in lines), lines
    tried = [a for (a,) in db.execute("SELECT attempts FROM alert_deliveries ORDER BY id")]
    assert tried == [1, 1, 0, 0]  # the two left over lost no attempt
    store.close()


def test_a_webhooks_token_never_reaches_the_log(run_cli, tmp_path):
    db = tmp_path / "t.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    hook = "http://user:PASSW@127.0.0.1:9/hook?token=WEBHOOKSECRET"
    assert run_cli("watchlist", "add", "lights", "--query", "lanterns", "--webhook", hook, "--db", db).returncode == 0
    proc = run_cli("ingest", write(tmp_path / "fest.jsonl", FESTIVAL), "--db", db)
    assert "alert delivery to webhook:http://127.0.0.1:9/hook?… failed" in proc.stderr, proc.stderr
    proc = run_cli("alerts", "--deliver", "--db", db, env={"STORYLINE_ALERT_RETRY": "0"})
    listed = run_cli("alerts", "--db", db).stdout + run_cli("alerts", "--json", "--db", db).stdout
    for text in (proc.stderr, listed):
        assert "WEBHOOKSECRET" not in text and "PASSW" not in text
