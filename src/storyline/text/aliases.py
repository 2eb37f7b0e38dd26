"""Names that point at the same country: demonyms, capitals that stand for governments, and the
German, Spanish and French names of the countries most in the news.

"Russian troops" and "Russia's troops" name one actor, and so do "Pyongyang" and "North Korea" in
"Pyongyang readies new troop deployment", and "Russland" and "Russia". Name keys are single words, so a
demonym becomes its country's word ("korean" -> "korea": "North Korean" gives "north", "korea"), and
a capital used for its government keeps its own key and adds its country's. Only capitals that news
uses mostly as metonyms are listed (not Washington, London or Paris, which are as often a place or a
person).

>>> with_aliases(["pyongyang", "troop"])
['pyongyang', 'north', 'korea', 'troop']
>>> with_aliases(["russian", "iranian", "russland"])
['russia', 'iran', 'russia']
"""

from __future__ import annotations

from collections.abc import Iterable

from .tokens import stem

# Demonym -> the country's name words. Written as people write them; stemmed below, as names are.
_DEMONYMS = """
afghan:afghanistan albanian:albania algerian:algeria angolan:angola argentine:argentina
argentinian:argentina armenian:armenia australian:australia austrian:austria azerbaijani:azerbaijan
bahraini:bahrain bangladeshi:bangladesh belarusian:belarus belgian:belgium bolivian:bolivia
bosnian:bosnia brazilian:brazil british:britain bulgarian:bulgaria burmese:myanmar cambodian:cambodia
cameroonian:cameroon canadian:canada chilean:chile chinese:china colombian:colombia congolese:congo
croatian:croatia cuban:cuba cypriot:cyprus czech:czechia danish:denmark dutch:netherlands
ecuadorian:ecuador egyptian:egypt emirati:emirates english:england eritrean:eritrea estonian:estonia
ethiopian:ethiopia european:europe filipino:philippines finnish:finland french:france
georgian:georgia german:germany ghanaian:ghana greek:greece guatemalan:guatemala haitian:haiti
honduran:honduras hungarian:hungary icelandic:iceland indonesian:indonesia iranian:iran iraqi:iraq
irish:ireland israeli:israel italian:italy jamaican:jamaica japanese:japan jordanian:jordan
kazakh:kazakhstan kenyan:kenya korean:korea kosovar:kosovo kuwaiti:kuwait kyrgyz:kyrgyzstan
latvian:latvia lebanese:lebanon libyan:libya lithuanian:lithuania malaysian:malaysia malian:mali
mexican:mexico moldovan:moldova mongolian:mongolia moroccan:morocco mozambican:mozambique
nepalese:nepal nicaraguan:nicaragua nigerian:nigeria norwegian:norway pakistani:pakistan
palestinian:palestine panamanian:panama paraguayan:paraguay peruvian:peru polish:poland
portuguese:portugal qatari:qatar romanian:romania russian:russia rwandan:rwanda saudi:saudi
scottish:scotland senegalese:senegal serbian:serbia singaporean:singapore slovak:slovakia
slovenian:slovenia somali:somalia spanish:spain sudanese:sudan swedish:sweden swiss:switzerland
syrian:syria taiwanese:taiwan tajik:tajikistan tanzanian:tanzania thai:thailand tunisian:tunisia
turkish:turkey ugandan:uganda ukrainian:ukraine uruguayan:uruguay uzbek:uzbekistan
venezuelan:venezuela vietnamese:vietnam welsh:wales yemeni:yemen zambian:zambia zimbabwean:zimbabwe
"""

# Capitals (and seats) that stand for their governments in the news: they keep their own key and
# add their country's.
_SEATS = """
pyongyang:pyongyang,north,korea seoul:seoul,south,korea kremlin:kremlin,russia moscow:moscow,russia
beijing:beijing,china tehran:tehran,iran kyiv:kyiv,ukraine kiev:kyiv,ukraine damascus:damascus,syria
baghdad:baghdad,iraq kabul:kabul,afghanistan ankara:ankara,turkey riyadh:riyadh,saudi
caracas:caracas,venezuela havana:havana,cuba taipei:taipei,taiwan islamabad:islamabad,pakistan
minsk:minsk,belarus
"""

# German, Spanish and French names of the countries and capitals most in the news, so that reports in
# those languages share name keys with English ones (words do not carry over between languages;
# names mostly do, but not these).
_EXONYMS = """
russland:russia rusia:russia russie:russia moskau:moscow,russia moscú:moscow,russia
moscou:moscow,russia ucrania:ukraine kiew:kyiv,ukraine kyjiw:kyiv,ukraine chine:china
peking:beijing,china pekín:beijing,china pékin:beijing,china nordkorea:north,korea
südkorea:south,korea corea:korea corée:korea nord:north norte:north irán:iran teheran:tehran,iran
teherán:tehran,iran téhéran:tehran,iran deutschland:germany alemania:germany allemagne:germany
frankreich:france francia:france spanien:spain españa:spain espagne:spain italien:italy italia:italy
italie:italy großbritannien:britain grossbritannien:britain bretaña:britain bretagne:britain
usa:united,states syrien:syria siria:syria syrie:syria israël:israel türkei:turkey turquía:turkey
turquie:turkey polen:poland polonia:poland pologne:poland japón:japan japon:japan indien:india
inde:india ägypten:egypt egipto:egypt égypte:egypt irak:iraq afganistán:afghanistan
brasilien:brazil brasil:brazil brésil:brazil mexiko:mexico méxico:mexico mexique:mexico europa:europe
weißrussland:belarus bielorrusia:belarus biélorussie:belarus palästina:palestine palestina:palestine
libanon:lebanon líbano:lebanon liban:lebanon griechenland:greece grecia:greece grèce:greece
niederlande:netherlands schweiz:switzerland suiza:switzerland suisse:switzerland
österreich:austria autriche:austria schweden:sweden suecia:sweden suède:sweden norwegen:norway
noruega:norway norvège:norway dänemark:denmark dinamarca:denmark danemark:denmark ungarn:hungary
hungría:hungary hongrie:hungary
"""


def _table(text: str) -> dict[str, tuple[str, ...]]:
    table = {}
    for entry in text.split():
        name, words = entry.split(":")
        table[stem(name)] = tuple(stem(w) for w in words.split(","))
    return table


#: Stemmed name -> the name keys it stands for.
ALIASES: dict[str, tuple[str, ...]] = {**_table(_DEMONYMS), **_table(_SEATS), **_table(_EXONYMS)}


def with_aliases(names: Iterable[str]) -> list[str]:
    """``names`` (stemmed name words) with each alias replaced by the name keys it stands for."""
    out: list[str] = []
    get = ALIASES.get
    for name in names:
        alias = get(name)
        if alias is None:
            out.append(name)
        else:
            out += alias
    return out
