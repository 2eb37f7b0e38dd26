"""Send queued alerts: to the log (stderr), to a webhook (HTTP POST of the JSON payload) or to a
command (the JSON on its stdin). A failed delivery is retried later with exponential back-off
(``STORYLINE_ALERT_RETRY`` seconds, doubling, at most an hour apart, :data:`MAX_ATTEMPTS` times);
the queue lives in the store, so a retry survives a restart.

>>> backoff(0, base=30.0), backoff(3, base=30.0), backoff(20, base=30.0)
(30.0, 240.0, 3600.0)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_ATTEMPTS = 8
TIMEOUT = 5.0
#: Seconds a watchlist's command may run before it is stopped (with whatever it started).
COMMAND_TIMEOUT = 10.0
#: Seconds the deliveries after an ``ingest`` or a ``watch`` round may take in all; what is left waits
#: for the next run, uncounted, so slow targets never hold up the news for long.
PASS_BUDGET = 10.0
#: Seconds spent reading a webhook's answer after its status (which is what says it was received).
BODY_SECONDS = 1.0
#: Seconds a delivery being sent stays claimed by its sender (longer than any attempt can take).
LEASE = 120.0


class DeliveryError(RuntimeError):
    """One delivery attempt failed; the message says why in one line. ``unreachable``: the target
    gave no answer at all (refused, timed out), so it would fail the same way for any alert."""

    def __init__(self, message: str, unreachable: bool = False) -> None:
        super().__init__(message)
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    """What one pass over the queue did."""

    delivered: int
    failed: int
    pending: int
    #: Deliveries that failed :data:`MAX_ATTEMPTS` times and are no longer tried (``requeue`` revives them).
    given_up: int = 0
    #: Alerts written to the log (stderr) in this pass: not counted as deliveries, since every
    #: watchlist has this target and it cannot fail (a report of "delivered" hid dead webhooks).
    logged: int = 0


def shown(target: str) -> str:
    """A delivery target fit for a log: a webhook's address without its query, fragment or user
    (where its token usually is), a command as ``command``.

    >>> shown("webhook:https://hooks.example/in?token=s3cret"), shown("webhook:https://u:pw@hooks.example/x")
    ('webhook:https://hooks.example/in?…', 'webhook:https://hooks.example/x')
    >>> shown("command:mail -s alert me@example.org"), shown("log")
    ('command', 'log')
    """
    from urllib.parse import urlsplit

    kind, _, rest = target.partition(":")
    if kind == "webhook":
        try:
            parts = urlsplit(rest)
            host = parts.hostname or ""
            port = f":{parts.port}" if parts.port else ""
        except ValueError:
            return "webhook"
        return f"webhook:{parts.scheme}://{host}{port}{parts.path}{'?…' if parts.query or parts.fragment else ''}"
    return kind


def retry_base() -> float:
    """Seconds before the first retry (``$STORYLINE_ALERT_RETRY``, default 30)."""
    try:
        return max(0.0, float(os.environ.get("STORYLINE_ALERT_RETRY", "30")))
    except ValueError:
        return 30.0


def backoff(attempts: int, base: float) -> float:
    """Seconds to wait after ``attempts + 1`` failures: ``base`` doubling, at most an hour."""
    return min(base * 2 ** attempts, 3600.0)


def _log_line(payload: dict) -> str:
    return (f"alert [{payload.get('watchlist')}] {payload.get('condition')}: {payload.get('headline')} "
            f"(story {payload.get('story')}; {payload.get('reason')})")


def send(target: str, payload: dict, log: Callable[[str], None]) -> None:
    """Deliver one payload to a target (``log``, ``webhook:URL``, ``command:CMD``) or raise DeliveryError."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    if target == "log":
        log(_log_line(payload))
        return
    if target.startswith("webhook:"):
        import urllib.error
        import urllib.request

        url = target[len("webhook:"):]
        request = urllib.request.Request(url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "storyline-alerts",
            "X-Storyline-Alert": str(payload.get("alert", ""))})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
                _drain(response, time.monotonic() + BODY_SECONDS)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"HTTP {exc.code} from {shown(target)[len('webhook:'):]}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(f"{shown(target)[len('webhook:'):]}: {reason}", unreachable=True) from None
        return
    if target.startswith("command:"):
        command = target[len("command:"):]
        returncode, stderr = _run(command, body)
        if returncode != 0:
            err = stderr.decode("utf-8", "replace").strip().splitlines()
            raise DeliveryError(f"command exited {returncode}" + (f": {err[-1]}" if err else ""))
        return
    raise DeliveryError(f"unknown alert target {shown(target)!r}")


def _run(command: str, body: bytes) -> tuple[int, bytes]:
    """Run a shell command with ``body`` on its stdin; its exit status and stderr. One that outlives
    :data:`COMMAND_TIMEOUT` is stopped with all it started (its own process group): a ``sleep`` left
    behind would hold the pipes, and the next alert, for ever."""
    proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, stderr = proc.communicate(body, timeout=COMMAND_TIMEOUT)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        proc.communicate()
        raise DeliveryError(f"command timed out after {COMMAND_TIMEOUT:.0f} s: {command}",
                            unreachable=True) from None
    return proc.returncode, stderr


def _drain(response, deadline: float, limit: int = 65536) -> None:
    """Read a little of a webhook's answer, and stop at ``deadline``: its status already said that the
    alert was received, and a server that trickles its body (or promises more than it sends) must not
    hold up the ingest that fired the alert."""
    seen = 0
    try:
        while seen < limit and time.monotonic() < deadline:
            chunk = response.read1(8192)
            if not chunk:
                return
            seen += len(chunk)
    except OSError:  # a timeout or a broken connection after the status: the alert was delivered
        return


def deliver_due(db, log: Callable[[str], None] | None = None, now: float | None = None,
                budget: float | None = None) -> DeliveryReport:
    """One pass: try every due delivery once; failures are rescheduled with back-off. With ``budget``
    (seconds), the pass stops trying once it has spent that long; the rest stay due."""
    log = log or (lambda line: print(f"storyline: {line}", file=sys.stderr))
    now = time.time() if now is None else now
    stop_at = None if budget is None else time.monotonic() + budget
    left_over = 0
    base = retry_base()
    due = db.execute(
        "SELECT d.id, d.target, d.attempts, a.payload, d.next_try FROM alert_deliveries d JOIN alerts a "
        "ON a.id = d.alert WHERE d.delivered_at IS NULL AND d.attempts < ? AND d.next_try <= ? ORDER BY d.id",
        (MAX_ATTEMPTS, now)).fetchall()
    delivered = failed = logged = 0
    down: dict[str, tuple[float, str]] = {}  # targets that failed in this pass: when to try again, and why
    put_off: dict[str, int] = {}
    for delivery_id, target, attempts, payload, next_try in due:
        if stop_at is not None and time.monotonic() > stop_at:
            left_over += 1
            continue
        if target in down:
            # A webhook that gave no answer (refused, timed out) will give none for the next alert either:
            # the others wait for its next try (no attempt counted), so a dead server costs one timeout
            # per pass, not one per alert.
            retry_at, error = down[target]
            put_off[target] = put_off.get(target, 0) + db.execute(
                "UPDATE alert_deliveries SET next_try = ?, last_error = ? WHERE id = ? AND next_try = ? "
                "AND delivered_at IS NULL", (retry_at, error, delivery_id, next_try)).rowcount
            continue
        # Claim it first: a server and a CLI run may drain the same queue, and only one may send. A
        # process that dies while sending leaves the claim to expire, and the delivery is tried again.
        claimed = db.execute("UPDATE alert_deliveries SET next_try = ? WHERE id = ? AND next_try = ? "
                             "AND delivered_at IS NULL", (time.time() + LEASE, delivery_id, next_try)).rowcount
        if claimed != 1:
            continue
        try:
            send(target, json.loads(payload), log)
        except DeliveryError as exc:
            failed += 1
            retry_at = time.time() + backoff(attempts, base)
            if exc.unreachable:
                down[target] = (retry_at, str(exc))
            db.execute("UPDATE alert_deliveries SET attempts = ?, next_try = ?, last_error = ? WHERE id = ?",
                       (attempts + 1, retry_at, str(exc), delivery_id))
            if attempts + 1 >= MAX_ATTEMPTS:
                log(f"alert delivery to {shown(target)} given up after {MAX_ATTEMPTS} attempts: {exc}")
            else:
                log(f"alert delivery to {shown(target)} failed ({exc}); retrying later")
            continue
        if target == "log":
            logged += 1
        else:
            delivered += 1
        db.execute("UPDATE alert_deliveries SET attempts = ?, delivered_at = ?, last_error = NULL WHERE id = ?",
                   (attempts + 1, time.time(), delivery_id))
    for target, count in put_off.items():
        if count:
            log(f"alert delivery to {shown(target)}: {count} more {'alert waits' if count == 1 else 'alerts wait'} "
                "for its next try")
    if left_over:
        log(f"alert deliveries: {left_over} more {'waits' if left_over == 1 else 'wait'} for the next run "
            f"(this one spent its {budget:.0f} s on slow targets)")
    pending, given_up = db.execute(
        "SELECT coalesce(sum(CASE WHEN attempts < ? THEN 1 ELSE 0 END), 0), "
        "coalesce(sum(CASE WHEN attempts >= ? THEN 1 ELSE 0 END), 0) FROM alert_deliveries "
        "WHERE delivered_at IS NULL AND target != 'log'", (MAX_ATTEMPTS, MAX_ATTEMPTS)).fetchone()
    return DeliveryReport(delivered, failed, int(pending), int(given_up), logged)


def requeue(db) -> int:
    """Try again the deliveries that were given up (the webhook is fixed): due now, with their
    attempts counted afresh. Returns how many."""
    return db.execute("UPDATE alert_deliveries SET attempts = 0, next_try = ? WHERE delivered_at IS NULL "
                      "AND attempts >= ?", (time.time(), MAX_ATTEMPTS)).rowcount


def next_due(db) -> float | None:
    """When the next pending delivery is due, if any."""
    row = db.execute("SELECT min(next_try) FROM alert_deliveries WHERE delivered_at IS NULL AND attempts < ?",
                     (MAX_ATTEMPTS,)).fetchone()
    return None if row is None or row[0] is None else float(row[0])


def drain(db, wait: float, log: Callable[[str], None] | None = None) -> DeliveryReport:
    """Deliver until the queue is empty or ``wait`` seconds have passed, sleeping until retries are due."""
    deadline = time.monotonic() + wait
    delivered = failed = logged = 0
    while True:
        report = deliver_due(db, log)
        delivered += report.delivered
        failed += report.failed
        logged += report.logged
        due = next_due(db)
        if not report.pending or due is None or time.monotonic() + max(0.0, due - time.time()) > deadline:
            return DeliveryReport(delivered, failed, report.pending, report.given_up, logged)
        pause = max(0.0, due - time.time())
        time.sleep(pause)
