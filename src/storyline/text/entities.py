"""Named entities by their shape: runs of capitalised words, typed by small cue lists.

A statistical tagger (spaCy) runs at a few hundred snippets a second; the engine must keep up with
thousands of articles a second, so clustering uses this shape-based extractor. It finds names well
enough to tell one town's shooting from another's; typing is best effort and only used for display.
"""

from __future__ import annotations

import re

from .tokens import STOPWORDS

# A capitalised word (or an acronym), optionally joined by short lower-case particles inside a name.
_SPAN = re.compile(
    r"(?:[A-Z][\w'’.-]*[\w])(?:\s+(?:(?:of|de|del|la|van|von|al|bin|da|do|dos|el|le)\s+)?(?:[A-Z][\w'’.-]*[\w]))*"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”()\n]\s*|\s[-–—]\s)$")

_HONORIFICS = frozenset(
    """mr mrs ms dr president minister senator sen rep governor gov mayor judge chancellor king queen prince
    princess pope general gen sgt officer detective chief ceo secretary sheriff deputy lt capt captain
    professor prof coach""".split()
)
_ORG_WORDS = frozenset(
    """inc corp corporation co ltd llc plc group bank university college school ministry department police
    agency council committee party union association institute commission court congress parliament senate
    army navy force forces office board fund authority company airlines motors press times post news
    network service services organisation organization federation league club hospital""".split()
)
_PLACE_WORDS = frozenset(
    """city county state province republic island islands river valley street avenue road bay mountain
    mountains lake coast region district village town oblast prefecture township borough""".split()
)
_PLACES = frozenset(
    """afghanistan albania algeria argentina armenia australia austria azerbaijan bangladesh belarus belgium
    bolivia bosnia brazil bulgaria cambodia cameroon canada chile china colombia congo croatia cuba cyprus
    czechia denmark ecuador egypt england estonia ethiopia europe africa asia america finland france georgia
    germany ghana greece guatemala haiti honduras hungary iceland india indonesia iran iraq ireland israel
    italy jamaica japan jordan kazakhstan kenya korea kosovo kuwait laos latvia lebanon libya lithuania
    malaysia mali mexico moldova mongolia morocco myanmar nepal netherlands nicaragua niger nigeria norway
    pakistan palestine panama paraguay peru philippines poland portugal qatar romania russia rwanda serbia
    singapore slovakia slovenia somalia spain sudan sweden switzerland syria taiwan tanzania thailand tunisia
    turkey uganda ukraine uruguay uzbekistan venezuela vietnam yemen zambia zimbabwe scotland wales britain
    london paris berlin moscow kyiv kiev beijing tokyo washington brussels rome madrid tehran pyongyang seoul
    delhi cairo baghdad kabul jerusalem gaza ankara istanbul warsaw vienna geneva ottawa sydney
    alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
    indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
    wisconsin wyoming chicago houston philadelphia phoenix dallas detroit boston atlanta miami seattle
    denver baltimore milwaukee memphis cleveland""".split()
)


def is_title_case(text: str) -> bool:
    """True when most words of ``text`` are capitalised (a headline style), so case says nothing.

    >>> is_title_case("Man Killed, 3 Wounded At New Year Party")
    True
    >>> is_title_case("Man killed at party in Hawthorne")
    False
    """
    ws = [w for w in text.split() if w[:1].isalpha()]
    if len(ws) < 4:
        return False
    caps = sum(1 for w in ws if w[0].isupper())
    return caps >= 0.7 * len(ws)


def spans(text: str) -> list[str]:
    """Names in ``text``: capitalised runs that are not just a capitalised sentence opener.

    >>> spans("Defence Minister Ilse Varkonen met NATO officials in Riga on Friday. The talks went well.")
    ['Defence Minister Ilse Varkonen', 'NATO', 'Riga', 'Friday']
    """
    found = []
    for m in _SPAN.finditer(text):
        name = m.group(0)
        parts = name.split()
        at_start = bool(_SENTENCE_START.search(text[: m.start()]))
        # A sentence opener is capitalised anyway: drop a leading function word ("The talks").
        while parts and parts[0].lower() in STOPWORDS:
            parts = parts[1:]
            at_start = False
        if not parts:
            continue
        if at_start and len(parts) == 1 and parts[0].lower() in STOPWORDS:
            continue
        found.append(" ".join(parts))
    return found


def entity_type(name: str) -> str:
    """Best-effort type of a name: ``person``, ``place``, ``org`` or ``other``.

    >>> [entity_type(n) for n in ["Defence Minister Ilse Varkonen", "Kursk Oblast", "Bank of Japan", "Ukraine"]]
    ['person', 'place', 'org', 'place']
    """
    parts = [p.strip(".").lower() for p in name.split()]
    if not parts:
        return "other"
    if any(p in _HONORIFICS for p in parts[:-1]):
        return "person"
    if any(p in _ORG_WORDS for p in parts) or (len(parts) == 1 and name.isupper() and len(name) > 1):
        return "org"
    if " ".join(parts) in _PLACES or parts[-1] in _PLACE_WORDS or (len(parts) == 1 and parts[0] in _PLACES):
        return "place"
    if len(parts) in (2, 3) and all(p.isalpha() for p in parts):
        return "person"
    return "other"
