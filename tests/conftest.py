"""Shared helpers for the storyline test suite.

Everything here is real: SQLite files in tmp_path, the CLI run as a subprocess, fixtures written as
files. The news text is invented for these tests.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

import pytest
from stores import pg_server, store_target  # noqa: F401 - fixtures: a test server, a store per backend

#: 2026-11-20T07:42:00Z, the clock of the handcrafted stream.
T0 = 1795160520
HOUR = 3600


def rec(id: str, title: str, body: str, source: str, hours: float, event: str, **extra: object) -> dict:
    r = {"id": id, "title": title, "text": body, "source": source, "published": T0 + int(hours * HOUR),
         "story": event}
    r.update(extra)
    return r


#: Three events, four to six articles each from different outlets, and one unrelated singleton.
#: ``story`` is the gold label (ignored by ``ingest``, read by ``eval``).
STREAM: list[dict] = [
    rec("dep-1", "Kestrelia sends 3,000 troops to Varnholm Province border",
        "Kestrelia has ordered 3,000 troops to the border of Varnholm Province, Defence Minister Tomas "
        "Aldervik said on Friday. The deployment follows weeks of skirmishes near the frontier town of Olsk. "
        "Armoured units left barracks in the capital before dawn.", "Harbor Gazette", 0, "deploy"),
    rec("trt-1", "Marevia and Tessaly sign river water treaty in Geneva",
        "Marevia and Tessaly signed a treaty in Geneva on Friday that splits the water of the Ostrava River "
        "between them. Foreign Minister Anya Pellegrin called the river water treaty a turning point after a "
        "decade of drought disputes. The treaty must still be ratified by both parliaments.",
        "Northern Ledger", 0.5, "treaty"),
    rec("dep-2", "Aldervik defends Varnholm troop deployment as skirmishes continue",
        "Defence Minister Tomas Aldervik defended the deployment of troops to Varnholm Province, saying the "
        "border must be secured. Opposition leaders asked why 3,000 troops were needed near Olsk. "
        "Kestrelia has not said how long the soldiers will stay.", "Daily Meridian", 1, "deploy"),
    rec("fld-1", "Flood closes ports along the Seline River",
        "Floodwater closed three ports along the Seline River on Friday after days of heavy rain, Mayor Jonas "
        "Ekwueme said. Barges were stranded at the port of Dunmere and cargo crews were sent home. "
        "Forecasters expect the Seline River to crest on Sunday.", "River Times", 1.5, "flood"),
    rec("trt-2", "Tessaly parliament to vote on Geneva water treaty with Marevia",
        "The parliament of Tessaly will vote next month on the water treaty signed with Marevia in Geneva. "
        "Foreign Minister Anya Pellegrin urged lawmakers to back the deal on the Ostrava River. "
        "Farmers' groups welcomed the treaty but want guarantees for dry summers.", "Coastal Courier", 2,
        "treaty"),
    rec("dep-3", "Armoured columns reach Varnholm border as Kestrelia troops dig in",
        "Armoured columns from Kestrelia reached the border of Varnholm Province overnight, witnesses said. "
        "Troops began digging trenches outside Olsk as the deployment of 3,000 soldiers neared completion. "
        "Defence Minister Tomas Aldervik is due to visit the troops on Saturday.", "Evening Herald", 2.5,
        "deploy"),
    rec("fld-2", "Dunmere barges stranded as Seline River flood worsens",
        "Dozens of barges are stranded at Dunmere as the Seline River flood worsens, port officials said. "
        "Mayor Jonas Ekwueme asked residents near the river ports to move to higher ground. "
        "The flood has closed ports along a stretch of the river for a second day.", "Harbor Gazette", 3,
        "flood"),
    rec("tax-1", "Finance office floats levy on sugary drinks",
        "The finance office published a proposal for a levy on sugary drinks sold in shops and cafes. "
        "The levy would raise money for school sports programmes, officials said. "
        "Drinks makers said they would study the proposal before commenting.", "Daily Meridian", 3.5, "tax"),
    rec("trt-3", "Marevia hails Ostrava River treaty signed with Tessaly",
        "Officials in Marevia hailed the Ostrava River treaty signed with Tessaly in Geneva as a fair share of "
        "scarce water. Under the treaty each country may draw half of the river flow in summer. "
        "Foreign Minister Anya Pellegrin will present the treaty text to parliament.", "Evening Herald", 4,
        "treaty"),
    rec("dep-4", "Varnholm families flee as Kestrelia troops mass on border",
        "Families fled toward the interior of Varnholm Province as Kestrelia troops massed on the border "
        "near Olsk. Defence Minister Tomas Aldervik said the 3,000 troops would not cross the frontier. "
        "Aid groups set up shelters for families leaving the border area.", "Northern Ledger", 4.5, "deploy"),
    rec("fld-3", "Seline River flood: ports stay shut, crest expected Sunday",
        "Ports on the Seline River stayed shut on Saturday as floodwater kept rising near Dunmere. "
        "Mayor Jonas Ekwueme said the flood defences were holding but warned of a crest on Sunday. "
        "River traffic has been halted until the water falls.", "Coastal Courier", 5, "flood"),
    rec("trt-4", "Geneva treaty ends Marevia-Tessaly water dispute over Ostrava River",
        "A treaty signed in Geneva ends the long dispute between Marevia and Tessaly over the Ostrava River "
        "water. Foreign Minister Anya Pellegrin and her Tessaly counterpart shook hands after the signing. "
        "Diplomats said the water treaty could serve as a model for the region.", "Daily Meridian", 5.5,
        "treaty"),
    rec("fld-4", "Seline River crest nears as Dunmere flood barriers hold",
        "The Seline River flood neared its crest at Dunmere as barriers held along the port district. "
        "Mayor Jonas Ekwueme thanked volunteers who filled sandbags through the night near the river ports. "
        "Shipping companies said ports would reopen once the flood recedes.", "Northern Ledger", 6, "flood"),
    rec("fld-5", "Seline River flood recedes and Dunmere ports prepare to reopen",
        "The Seline River flood began to recede at Dunmere on Sunday evening and port crews returned. "
        "Mayor Jonas Ekwueme said the river ports could reopen within days once barges are checked. "
        "Volunteers started clearing mud from the flooded quays.", "River Times", 6.25, "flood"),
    rec("dep-5", "Kestrelia completes Varnholm border troop deployment",
        "Kestrelia completed the deployment of 3,000 troops along the Varnholm Province border, the defence "
        "ministry said. Defence Minister Tomas Aldervik inspected the troops near Olsk. "
        "Neighbouring governments called for talks to calm the border.", "Coastal Courier", 6.5, "deploy"),
]

EVENTS = sorted({r["story"] for r in STREAM})


def by_event(records: Iterable[dict] = STREAM) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in records:
        out.setdefault(r["story"], []).append(r)
    return out


def write_jsonl(path: Path, records: Iterable[object], labels: bool = True) -> Path:
    """Write records as JSON Lines (dropping the gold ``story`` label unless ``labels``)."""
    with open(path, "w", encoding="utf-8") as out:
        for r in records:
            if isinstance(r, dict) and not labels:
                r = {k: v for k, v in r.items() if k != "story"}
            out.write((r if isinstance(r, str) else json.dumps(r)) + "\n")
    return path


def query(db: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from a storyline SQLite file, opened read-only (never through storyline)."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any STORYLINE_* settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra or {})
    return env


@pytest.fixture
def run_cli(tmp_path: Path):
    """Run ``python -m storyline ARGS`` in tmp_path; returns the CompletedProcess (text mode)."""

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "storyline", *map(str, args)], input=input,
                              capture_output=True, text=True, encoding="utf-8", env=clean_env(env),
                              cwd=cwd or tmp_path, timeout=timeout)

    return run


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("storyline: error:")]


@pytest.fixture(scope="session")
def stream_db(tmp_path_factory) -> Path:
    """A store holding STREAM, ingested once by the CLI; tests must only read it."""
    folder = tmp_path_factory.mktemp("stream")
    src = write_jsonl(folder / "stream.jsonl", STREAM, labels=False)
    db = folder / "stream.db"
    proc = subprocess.run([sys.executable, "-m", "storyline", "ingest", str(src), "--db", str(db)],
                          capture_output=True, text=True, env=clean_env(), cwd=folder, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return db


def story_of(db: Path, article_id: str) -> int:
    """The live story of a stored article, following merges in the stories table."""
    (story,), = query(db, "SELECT story FROM articles WHERE id = ?", (article_id,))
    seen = set()
    while story not in seen:
        seen.add(story)
        row = query(db, "SELECT merged_into FROM stories WHERE id = ?", (story,))
        if not row or row[0][0] is None:
            return story
        story = row[0][0]
    return story
