"""An invented stream for the brief, watchlist and alert tests: a bridge collapse that bursts late,
a slow budget vote, and a festival that begins in the last day. Times are hours after T0."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import HOUR, T0

OUTLETS = ["Harbor Gazette", "Northern Ledger", "Daily Meridian", "River Times", "Coastal Courier",
           "Evening Herald", "Valley Post", "Morning Wire"]

_BRIDGE = [
    ("Orlin bridge collapses at Tarvik, cars fall into river", "Divers searched the river below the fallen span."),
    ("Rescuers search Orlin river after Tarvik bridge collapse", "Three drivers were pulled from the cold water."),
    ("Tarvik bridge collapse: divers work through the night", "Floodlights lit the broken deck until dawn."),
    ("Mayor Holmqvist orders checks of every Orlin bridge", "Engineers will inspect nine other crossings."),
    ("Missing drivers named after Tarvik bridge collapse", "Families gathered at the town hall for news."),
    ("Cracks reported on Tarvik bridge weeks before collapse", "Residents said they had warned the council."),
    ("Tarvik mourns as bridge collapse toll rises", "Churches opened their doors for vigils."),
    ("Orlin river ferry replaces collapsed Tarvik bridge", "Commuters queued for a boat across the river."),
]


def art(id: str, title: str, body: str, source: str, hours: float) -> dict:
    return {"id": id, "title": title, "text": body, "source": source, "published": T0 + int(hours * HOUR)}


def bridge(i: int, hours: float, source: str, extra: str = "") -> dict:
    title, lead = _BRIDGE[i % len(_BRIDGE)]
    return art(f"brg-{i}", title, f"{lead} The Orlin river bridge at Tarvik collapsed on Friday, Mayor Edda "
               f"Holmqvist said. {extra}", source, hours)


def vote(i: int, hours: float, source: str) -> dict:
    return art(f"vot-{i}", f"Salvern council budget vote delayed over school funding, round {i}",
               f"Round {i} of talks failed. The Salvern council delayed its budget vote over school funding, "
               "council leader Piet Anselm said.", source, hours)


def festival(i: int, hours: float, source: str) -> dict:
    return art(f"fst-{i}", ["Lanterns fill Corvane harbour as winter light festival opens",
                            "Corvane winter light festival draws crowds to the harbour"][i % 2],
               ["Thousands of lanterns filled Corvane harbour on the first night.",
                "Crowds walked the harbour wall to see the lanterns."][i % 2]
               + " The Corvane light festival runs for ten nights, organiser Mira Castellan said.", source, hours)


#: Bridge: two early articles, then six outlets in six hours (a burst); vote: slow; festival: new.
EARLY = [bridge(0, 0, OUTLETS[0]), vote(1, 5, OUTLETS[1]), bridge(1, 10, OUTLETS[1]), vote(2, 20, OUTLETS[1]),
         vote(3, 30, OUTLETS[2])]
BURST = [bridge(2 + k, 40 + k, OUTLETS[k]) for k in range(6)]
FESTIVAL = [festival(0, 44, OUTLETS[3]), festival(1, 45.5, OUTLETS[5])]
STREAM = EARLY + BURST + FESTIVAL
#: Later news: the bridge story from two new outlets, with a new name in it.
LATER = [art("brg-20", "Minister Oskar Lindqvist orders inquiry into Tarvik bridge collapse",
             "Transport minister Oskar Lindqvist ordered an inquiry into the Orlin bridge collapse at Tarvik. "
             "Oskar Lindqvist said the report on the Tarvik bridge would be public.", OUTLETS[6], 47),
         art("brg-21", "Lindqvist visits Tarvik bridge site",
             "Oskar Lindqvist visited the collapsed Orlin bridge at Tarvik and met divers.", OUTLETS[7], 47.5)]


def write(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path
