"""A synthetic news stream of any size, with known gold stories, for scale tests without any download.

Every word is invented from templates: people, places and organisations are built from syllables (so
millions of articles never run out of distinct names), and each event type (a fire, a strike, a
trial, an election...) has its own headlines and sentences. An event happens at one place, involves one
or two people and an organisation, and is reported by a few to a few hundred articles from different
outlets over hours to weeks (sizes and lifetimes are heavy-tailed, as in real news; many events get a
single article). Some articles are wire copies republished by another outlet. Events of one type share
their vocabulary, so telling them apart takes the names, places and dates, as with real news.

Lines follow the shared corpus schema (``id``, ``title``, ``text``, ``published`` as ISO 8601,
``source``, ``url``, ``lang``, ``story``) in published order. The same seed gives the same stream.

Usage::

    python bench/synth.py 1000000 --seed 7 --out bench/.data/synth-1M.jsonl

>>> lines = list(stream(5, seed=1))
>>> len(lines), sorted(lines[0]) == sorted(FIELDS)
(5, True)
>>> lines == list(stream(5, seed=1))
True
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

FIELDS = ("id", "title", "text", "published", "source", "url", "lang", "story")

#: 2025-01-01T00:00:00Z: the stream starts here.
START = 1735689600.0

_ONSETS = ("b", "br", "d", "dr", "f", "g", "gr", "h", "k", "kr", "l", "m", "n", "p", "r", "s", "st", "t",
           "tr", "v", "z", "sh", "th", "ch", "w", "j")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ei", "ou", "ia", "y")
_CODAS = ("", "n", "r", "l", "s", "k", "m", "th", "nd", "rk", "st", "v", "sh")
_PLACE_ENDS = ("holm", "ford", "ville", "burg", "stad", "mouth", "field", "dale", "ria", "grad", "haven",
               "wick", "port", "mere", "ton")
_ORG_KINDS = ("Bank", "Energy", "Airlines", "Rail", "Holdings", "Motors", "Pharma", "Telecom", "Foods",
              "Steel", "Shipping", "Mining", "Insurance", "Union", "University", "Hospital")
_ROLES = ("Mayor", "Minister", "chief executive", "spokesperson", "police chief", "judge", "governor",
          "union leader", "fire chief", "senator")
_OUTLET_WORDS = (("Daily", "Evening", "Morning", "Northern", "Coastal", "Valley", "Capital", "National",
                  "Harbor", "Metro", "Frontier", "Lakeside"),
                 ("Herald", "Courier", "Ledger", "Gazette", "Times", "Bulletin", "Post", "Chronicle",
                  "Observer", "Tribune", "Dispatch", "Record"))

#: Event types: headline templates and body sentences. {p}/{q} people, {r} a role, {c} a place,
#: {o} an organisation, {n} a number, {d} a weekday; {s} a street and {k} a district of the place, used
#: in the detail sentences every event also gets.
EVENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "fire": (("Fire destroys warehouse in {c}", "Blaze in {c} forces hundreds from homes",
              "{c} fire: {r} {p} says cause under investigation", "Firefighters battle {c} blaze for a {n}th hour"),
             ("A fire broke out at a warehouse owned by {o} in {c} on {d}.",
              "Around {n}0 firefighters were sent to the scene, {r} {p} said.",
              "Residents of {c} were told to keep windows closed because of the smoke.",
              "{o} said it was cooperating with investigators.", "No injuries were reported by {d} evening.")),
    "strike": (("Workers at {o} walk out in {c}", "{o} strike enters day {n}", "{p} rejects {o} pay offer",
                "Talks fail as {c} strike spreads"),
               ("Workers at {o} in {c} stopped work on {d} in a dispute over pay.",
                "{r} {p} said members had rejected an offer of {n} percent.",
                "{o} said contingency plans were in place.",
                "The strike at {c} is the longest at {o} in a decade.", "Further talks are planned for {d}.")),
    "trial": (("{p} goes on trial in {c}", "Jury hears evidence against {p}", "{p} trial: witness describes night",
               "Verdict expected in {p} case"),
              ("The trial of {p} opened in {c} on {d}.", "Prosecutors say {p} defrauded {o} of {n} million.",
               "{r} {q} told the court the accounts had been altered.",
               "Lawyers for {p} deny all charges.", "The trial in {c} is expected to last {n} weeks.")),
    "election": (("{p} wins {c} mayoral race", "{c} votes: {p} leads early count", "{p} concedes in {c}",
                  "Turnout high as {c} elects mayor"),
                 ("Voters in {c} went to the polls on {d} to choose a new mayor.",
                  "{p} won {n} percent of the vote, according to the election office.",
                  "{q}, the incumbent, congratulated {p} in a short statement.",
                  "{p} promised to invest in transport and housing in {c}.",
                  "Observers said the count in {c} had gone smoothly.")),
    "storm": (("Storm cuts power to {n},000 homes in {c}", "{c} cleans up after storm", "Flood warning for {c}",
               "{o} races to restore power in {c}"),
              ("A storm brought winds of {n}0 km/h to {c} overnight on {d}.",
               "{o} said crews were working to restore power to homes in {c}.",
               "{r} {p} urged residents to stay indoors.", "Schools in {c} were closed on {d}.",
               "Forecasters expect the rain over {c} to ease by {d}.")),
    "merger": (("{o} agrees takeover by rival", "{o} shares jump on merger news", "{p} to lead merged {o}",
                "Regulator to review {o} deal"),
               ("{o}, based in {c}, agreed on {d} to be bought in a deal worth {n} billion.",
                "{r} {p} said the merger would create a stronger company.",
                "Shares in {o} rose {n} percent in early trading.",
                "The deal must be approved by regulators in {c}.", "{q}, an analyst, called the price fair.")),
    "crash": (("Bus crash near {c} injures {n}", "{c} crash: driver questioned", "{o} bus crash investigated",
               "Road reopens after {c} crash"),
              ("A bus operated by {o} left the road near {c} on {d}, injuring {n} passengers.",
               "{r} {p} said the driver had been taken to hospital.",
               "Investigators are examining the bus and the road near {c}.",
               "{o} said it was shocked and would help the inquiry.", "The road near {c} was closed until {d}.")),
    "protest": (("Thousands march in {c} against {o} plan", "{c} protest turns tense", "{p} addresses {c} rally",
                 "Police and protesters clash in {c}"),
                ("Thousands of people marched through {c} on {d} against plans by {o}.",
                 "{p}, who organised the protest, said {n},000 people took part.",
                 "{r} {q} appealed for calm.", "{o} said its plans for {c} would create jobs.",
                 "More protests in {c} are planned for {d}.")),
    "outbreak": (("Outbreak of illness in {c} school", "{n} cases confirmed in {c}", "{o} tests water in {c}",
                  "{c} outbreak: health officials act"),
                 ("Health officials confirmed {n} cases of a stomach illness in {c} on {d}.",
                  "{r} {p} said the source was not yet known.", "{o} began testing the water supply in {c}.",
                  "Parents in {c} were asked to keep sick children at home.",
                  "{q}, a doctor at {o}, said most patients recover quickly.")),
    "launch": (("{o} unveils new product in {c}", "{o} launch draws crowds", "{p} shows off {o} device",
                "{o} bets on new line"),
               ("{o} presented a new product at an event in {c} on {d}.",
                "{r} {p} said it would go on sale in {n} countries.", "Analysts expect {o} to sell {n} million units.",
                "{q}, a reviewer, praised the design.", "{o} shares rose after the launch in {c}.")),
}
_DETAILS = ("It happened near {s} in the {k} district of {c}.", "People on {s} said they had never seen anything like it.",
            "{q} of {k} told reporters: 'We want answers from {o}.'", "The {k} district council met late on {d}.",
            "Traffic on {s} was diverted for several hours.", "Neighbours in {k} described the mood as tense.",
            "{p} visited {s} on {d} afternoon.", "A community meeting in {k} is planned.")
_STREETS = ("Street", "Road", "Avenue", "Lane", "Square", "Bridge")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FILLER = ("Officials said more details would be released later.", "The situation is being monitored.",
           "Local media reported the news first.", "It was not immediately clear what would happen next.",
           "Reporters were at the scene throughout the day.", "Further updates are expected.")


class Names:
    """Invented names from syllables: people, places, organisations, outlets."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd

    def word(self, syllables: int) -> str:
        r = self.rnd
        return "".join(r.choice(_ONSETS) + r.choice(_VOWELS) + r.choice(_CODAS) for _ in range(syllables)).title()

    def person(self) -> str:
        return f"{self.word(self.rnd.choice((1, 2)))} {self.word(self.rnd.choice((2, 2, 3)))}"

    def place(self) -> str:
        return self.word(self.rnd.choice((1, 2))) + self.rnd.choice(_PLACE_ENDS)

    def org(self) -> str:
        return f"{self.word(2)} {self.rnd.choice(_ORG_KINDS)}"


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _size(rnd: random.Random) -> int:
    """Articles per event: many singletons, a long tail (Pareto-like, mean about 8)."""
    if rnd.random() < 0.35:
        return 1
    return min(400, int(2 + rnd.paretovariate(1.3) * 2.5))


def stream(n: int, seed: int = 7, per_day: float = 3000.0, outlets: int = 300) -> Iterator[dict]:
    """``n`` articles, in published order, about events starting at about ``per_day`` articles a day."""
    rnd = random.Random(seed)
    names = Names(rnd)
    outlet_names = sorted({f"{rnd.choice(_OUTLET_WORDS[0])} {rnd.choice(_OUTLET_WORDS[1])} of {names.place()}"
                           for _ in range(outlets)})
    event_rate = per_day / 8.0 / 86400.0  # events per second (about 8 articles per event)
    types = sorted(EVENTS)
    heap: list[tuple[float, int, int, int]] = []  # (time, event, article number, order)
    events: dict[int, dict] = {}
    remaining: dict[int, int] = {}
    t = START
    next_event = 0
    order = 0
    emitted = 0
    while emitted < n:
        t += rnd.expovariate(event_rate)
        while heap and heap[0][0] <= t and emitted < n:
            when, event, number, _ = heapq.heappop(heap)
            yield _article(rnd, emitted, events[event], number, when, outlet_names)
            emitted += 1
            remaining[event] -= 1
            if not remaining[event]:
                del remaining[event], events[event]
        if emitted >= n:
            break
        kind = rnd.choice(types)
        size = _size(rnd)
        life = rnd.choice((0.5, 1, 2, 3, 7, 14)) * 86400.0  # reporting spread: hours to two weeks
        e = {"id": next_event, "kind": kind, "p": names.person(), "q": names.person(), "r": rnd.choice(_ROLES),
             "c": names.place(), "o": names.org(), "n": rnd.randint(2, 95), "d": rnd.choice(_WEEKDAYS),
             "s": f"{names.word(2)} {rnd.choice(_STREETS)}", "k": names.word(2),
             "bodies": []}
        events[next_event] = e
        remaining[next_event] = size
        for number in range(size):
            offset = 0.0 if number == 0 else min(life, rnd.expovariate(3.0 / life))
            heapq.heappush(heap, (t + offset, next_event, number, order))
            order += 1
        next_event += 1


def _vary(rnd: random.Random, sentence: str) -> str:
    """Reporters' own wording: an event word or a weekday is moved into some of the sentence's gaps,
    so that no two events share long runs of words (only copies do)."""
    words = sentence.split()
    for _ in range(max(1, len(words) // 4)):
        words.insert(rnd.randrange(1, len(words) + 1), rnd.choice(("{c}", "{k}", "{d}", "{o}", "{s}", "{n}")))
    return " ".join(words)


def _article(rnd: random.Random, index: int, e: dict, number: int, when: float, outlets: list[str]) -> dict:
    titles, sentences = EVENTS[e["kind"]]
    slots = {k: e[k] for k in ("p", "q", "r", "c", "o", "n", "d", "s", "k")}
    source = rnd.choice(outlets)
    if e["bodies"] and rnd.random() < 0.08:  # a wire copy, republished by another outlet
        title, text = rnd.choice(e["bodies"])
    else:
        title = rnd.choice(titles).format(**slots)
        chosen = rnd.sample(sentences, rnd.randint(1, 3)) + rnd.sample(_DETAILS, rnd.randint(1, 3))
        rnd.shuffle(chosen)
        if rnd.random() < 0.2:
            chosen.append(rnd.choice(_FILLER))
        text = " ".join(_vary(rnd, c) for c in chosen).format(**slots)
        if len(e["bodies"]) < 4:
            e["bodies"].append((title, text))
    host = source.lower().replace(" ", "")
    return {"id": f"syn-{index}", "title": title, "text": text, "published": _iso(when), "source": source,
            "url": f"https://{host}.example/{e['kind']}/{index}", "lang": "en", "story": f"ev-{e['id']}"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("articles", type=int, help="how many articles")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--per-day", type=float, default=3000.0, help="articles a day (default 3000)")
    parser.add_argument("--out", type=Path, help="JSONL file to write (default: stdout)")
    args = parser.parse_args(argv)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for article in stream(args.articles, args.seed, args.per_day):
            out.write(json.dumps(article, ensure_ascii=False) + "\n")
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
