"""Named entities by their shape: runs of capitalised words, typed by small cue lists.

A statistical tagger (spaCy) runs at a few hundred snippets a second; the engine must keep up with
thousands of articles a second, so clustering uses this shape-based extractor. It finds names well
enough to tell one town's shooting from another's; typing is best effort and only used for display.
"""

from __future__ import annotations

import re

from .tokens import STOPWORDS

#: The capital letters of the scripts that have them (Latin, Greek, Cyrillic, Armenian, and their
#: extensions): "Álvaro", "Öztürk" and "Сергей" start names too.
_UPPER = "".join(c for start, end in ((0x41, 0x590), (0x10A0, 0x10FF), (0x1E00, 0x2000))
                 for c in map(chr, range(start, end)) if c.isupper() and c.isalpha())
# A capitalised word (or an acronym), optionally joined by short lower-case particles inside a name.
_SPAN = re.compile(
    rf"(?:[{_UPPER}][\w'’.-]*[\w])(?:\s+(?:(?:of|for|de|del|la|van|von|al|bin|da|do|dos|el|le)\s+)?"
    rf"(?:[{_UPPER}][\w'’.-]*[\w]))*"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?:;\"“”()\n]\s*|\s[-–—]\s)$")

_HONORIFICS = frozenset(
    """mr mrs ms dr president minister senator sen rep governor gov mayor judge chancellor king queen prince
    princess pope general gen sgt officer detective chief ceo secretary sheriff deputy lt capt captain
    professor prof coach commissioner director spokesman spokeswoman spokesperson attorney pm mp cfo cto coo
    chairman chairwoman premier ambassador envoy bishop archbishop cardinal rabbi imam councillor councilor
    inspector constable sergeant colonel lieutenant admiral goaltender goalkeeper quarterback striker
    defenceman defenseman midfielder winger""".split()
)
_ORG_WORDS = frozenset(
    """inc corp corporation co ltd llc plc group bank university college school ministry department police
    agency council committee party union association institute commission court congress parliament senate
    army navy force forces office board fund authority company airlines motors press times post news
    network service services organisation organization federation league club hospital technologies
    technology systems labs partners holdings industries pharmaceuticals ventures media fc afc zoo museum
    foundation trust airways railways studios united center centre bio rescue logistics""".split()
)
_PLACE_WORDS = frozenset(
    """city county state province republic island islands river valley street avenue road bay mountain
    mountains lake coast region district village town oblast prefecture township borough lane square bridge
    harbour harbor airport station highway highlands hills heights beach gulf sea ocean strait peninsula
    forest desert canyon falls creek park quay pier dam fairgrounds vale dale heath moor glen cove ridge
    springs""".split()
)
#: Last words of the names of events and prizes: no person's, though made of words never written small.
_EVENT_WORDS = frozenset("""cup championship championships trophy tournament festival awards award prize olympics
    games summit conference forum expo open grand prix marathon derby series""".split())
#: First words of place names ("San Jose", "Fort Worth", "Mount Kenya"), and the words German, Spanish,
#: French and Italian put before a place's name ("Provinz Hokuren", "ciudad de Mendoza", "île de Ré"),
#: which made a person of "Stadt Sanmura".
_PLACE_FIRST = frozenset("""san santa santo saint st fort port puerto cerro mount mt lake cape provinz stadt
    bezirk landkreis kreis gemeinde insel region provincia ciudad región regione città ville département comune
    municipio isla île""".split())
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
    delhi cairo baghdad kabul jerusalem gaza ankara istanbul warsaw vienna geneva ottawa sydney lagos nairobi
    mumbai shanghai toronto montreal vancouver melbourne johannesburg lima bogota bogotá santiago caracas havana
    manila jakarta bangkok hanoi karachi lahore dhaka kathmandu riyadh dubai doha beirut damascus amman athens
    lisbon dublin edinburgh amsterdam stockholm oslo copenhagen helsinki prague budapest bucharest sofia
    belgrade zagreb minsk tbilisi yerevan baku almaty tashkent islamabad kolkata chennai osaka taipei
    auckland perth brisbane khartoum kinshasa accra dakar abuja algiers tunis tripoli rabat casablanca odesa
    kharkiv lviv donetsk luhansk crimea kursk belgorod munich hamburg frankfurt milan naples barcelona
    valencia seville marseille lyon zurich krakow
    alabama alaska arizona arkansas california colorado connecticut delaware florida hawaii idaho illinois
    indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi
    missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia
    wisconsin wyoming chicago houston philadelphia phoenix dallas detroit boston atlanta miami seattle
    denver baltimore milwaukee memphis cleveland""".split()
) | {"united states", "united kingdom", "united arab emirates", "new york", "new zealand", "south africa",
     "north korea", "south korea", "saudi arabia", "hong kong", "los angeles", "san francisco", "new delhi",
     "são paulo", "sao paulo", "rio de janeiro", "buenos aires", "mexico city", "cape town", "tel aviv",
     "kuala lumpur", "addis ababa", "st petersburg", "saint petersburg", "ho chi minh city", "abu dhabi"}


def is_event(name: str) -> bool:
    """True when ``name`` ends as events and prizes do ("Continental Cup"): no person, no place.

    >>> is_event("Valmont Film Festival"), is_event("Cup"), is_event("Kessling Port")
    (True, False, False)
    """
    parts = name.lower().split()
    return len(parts) > 1 and parts[-1] in _EVENT_WORDS


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


#: Days, months and their abbreviations, "today" and such: words of when, not of what.
CALENDAR = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april may june july
    august september october november december jan feb mar apr jun jul aug sep sept oct nov dec today
    tonight yesterday""".split()
)
_DATELINE = re.compile(r"(?m)^[A-Z][A-Z .,'’-]{2,40}(?:,[^\n(]{0,30})?\s*(?:\([^)]{1,20}\))?\s*[-–—]+\s*")


def strip_dateline(text: str) -> str:
    """Drop a wire dateline ("SYDNEY, Nov 21 (ANA) - ") from the start of each paragraph.

    >>> strip_dateline("AALHOLM, Nov 20 (CPW) - The bank cut rates.")
    'The bank cut rates.'
    """
    return _DATELINE.sub("", text)


#: "Fourteen-year-old", "52-year-old": a description before a name, not part of it.
_AGE = re.compile(r"^[\w]+-(?:year|month)s?-old$", re.IGNORECASE)


def _clean(parts: list[str], at_start: bool, common: set[str] | frozenset[str]) -> list[str]:
    # A sentence opener is capitalised anyway: drop leading function and ordinary words ("The talks",
    # "Residents of Yarrowdale"), then particles left at either end.
    # "New South Wales" keeps its "New": an ordinary word leads a name when a capital follows it.
    while parts and (parts[0].lower() in _ARTICLES or _AGE.match(parts[0]) or (
            parts[0].lower() in STOPWORDS and parts[0].lower() != "new") or (
            at_start and parts[0].lower() in common and (len(parts) == 1 or not parts[1][:1].isupper()))):
        parts = parts[1:]
        at_start = False
    while parts and parts[0].lower() in _PARTICLES:
        parts = parts[1:]
    while parts and parts[-1].lower() in _PARTICLES:
        parts = parts[:-1]
    return [p for p in parts if p.lower() not in CALENDAR] if len(parts) == 1 else parts


_PARTICLES = frozenset("of for de del la van von al bin da do dos el le".split())
_ARTICLES = frozenset("the a an this that these those".split())


def spans(text: str, common: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """Names in ``text``: capitalised runs, split at possessives, without openers or weekdays.

    ``common`` holds words known to be ordinary (seen in lower case): capitalised at a sentence start,
    they are not part of a name.

    >>> spans("Defence Minister Ilse Varkonen met NATO officials in Riga on Friday. The talks went well.")
    ['Defence Minister Ilse Varkonen', 'NATO', 'Riga']
    >>> spans("Residents of Yarrowdale heard Governor Lidia Brannholt's Bank of Estmark plan.", {"residents"})
    ['Yarrowdale', 'Governor Lidia Brannholt', 'Bank of Estmark']
    >>> spans("Fourteen-year-old Maya Okonkwo-Bell won.")
    ['Maya Okonkwo-Bell']
    >>> spans("El gol lo marcó Álvaro Núñez. Об этом сказал мэр Сергей Собянин.", {"об"})
    ['Álvaro Núñez', 'Сергей Собянин']

    "and" between two ordinary nouns stays inside an organisation's name; between names it parts them:

    >>> spans("Brackwell Fire and Rescue Service said Kaldoria and Veszmark Police agreed.", {"fire", "rescue"})
    ['Brackwell Fire and Rescue Service', 'Kaldoria', 'Veszmark Police']
    """
    found: list[str] = []
    joinable = -1  # index in found of a name that an "and" may continue, and where it ended
    joinable_end = -1
    for m in _SPAN.finditer(text):
        if (joinable >= 0 and text[joinable_end:m.start()] == " and "
                and found[joinable].split()[-1].lower() in common
                and m.group(0).split()[-1].lower().rstrip(".") in _ORG_WORDS):
            # "Fire and Rescue Service", "Department of Health and Human Services": an ordinary noun,
            # "and", and a run that ends as organisations do: one name, not "Brackwell Fire" and "Rescue".
            found[joinable] += " and " + m.group(0)
            joinable_end = m.end()
            continue
        at_start = bool(_SENTENCE_START.search(text[max(0, m.start() - 3) : m.start()]))
        piece: list[str] = []
        pieces = []
        for word in m.group(0).split():
            if word.endswith(("'s", "’s")):
                piece.append(word[:-2])
                pieces.append(piece)
                piece = []
            else:
                piece.append(word.rstrip("."))
        pieces.append(piece)
        joinable = -1
        for i, parts in enumerate(pieces):
            parts = _clean(parts, at_start and i == 0, common)
            if parts and not (len(parts) == 1 and parts[0].lower() in CALENDAR):
                found.append(" ".join(parts))
                joinable = len(found) - 1 if i == len(pieces) - 1 else -1
        joinable_end = m.end()
    return found


def person_core(name: str) -> str:
    """A person's name without the title before it ("Fire Commissioner Bryce Tallent" → "Bryce Tallent").

    Everything up to the last title word goes, as long as a first and last name remain, or a last
    name after a title that words before it qualify ("Belmara PM Voss": the country's premier).

    >>> person_core("Fire Commissioner Bryce Tallent"), person_core("Kaldorian Foreign Minister Anton Reszler")
    ('Bryce Tallent', 'Anton Reszler')
    >>> person_core("Bank of Estmark"), person_core("President Morvek"), person_core("Belmara PM Voss")
    ('Bank of Estmark', 'President Morvek', 'Voss')
    """
    parts = name.split()
    titles = [i for i, p in enumerate(parts[:-1]) if p.lower().strip(".") in _HONORIFICS]
    if not titles or (len(parts) - titles[-1] - 1 < 2 and titles[-1] == 0):
        return name
    return " ".join(parts[titles[-1] + 1:])


def entity_type(name: str, common: set[str] | frozenset[str] = frozenset()) -> str:
    """Best-effort type of a name: ``person``, ``place``, ``org`` or ``other``.

    A two- or three-word name made of words never seen in lower case (``common``) is taken for a
    person; "Regional Security" is not one.

    >>> [entity_type(n) for n in ["Defence Minister Ilse Varkonen", "Kursk Oblast", "Bank of Japan", "Ukraine"]]
    ['person', 'place', 'org', 'place']
    >>> entity_type("Regional Security", {"regional", "security"})
    'other'
    >>> entity_type("Continental Cup"), entity_type("São Paulo"), entity_type("Provinz Hokuren")
    ('other', 'place', 'place')
    """
    parts = [p.strip(".").lower() for p in name.split()]
    if not parts:
        return "other"
    if len(parts) == 1 and (parts[0] in _ORG_WORDS or parts[0] in _PLACE_WORDS):
        return "other"  # "Council", "Harbour": a kind of name, not one
    if " ".join(parts) in _PLACES:
        return "place"  # before the organisations' words: "United States"
    if any(p in _HONORIFICS for p in parts[:-1]):
        return "person"
    if any(p in _ORG_WORDS for p in parts) or (len(parts) == 1 and name.isupper() and len(name) > 1):
        return "org"
    if is_event(name):
        return "other"  # "Continental Cup", "Valmont Film Festival": an event, no person
    if " ".join(parts) in _PLACES or parts[-1] in _PLACE_WORDS or (len(parts) == 1 and parts[0] in _PLACES) \
            or (len(parts) > 1 and parts[0] in _PLACE_FIRST):
        return "place"
    if len(parts) in (2, 3) and all(p.replace("-", "").isalpha() and p not in common for p in parts):
        return "person"
    return "other"
