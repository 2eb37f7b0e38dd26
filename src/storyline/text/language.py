"""The language of an article: as its source declares it, else detected from its words.

Detection uses ``py3langid`` (a 97-language model that ships inside the package; it loads in about a
second, so only on the first article that arrives without a language). Very short texts, and texts
the model is unsure of, are left undetermined rather than guessed: on a few words a guess is often
wrong (on uci-aggregator's English headlines, one in ten came out as Nigerian Pidgin, Luxembourgish,
German...), and a story page would list a language none of its articles is in.

>>> normalise_lang("en-US"), normalise_lang("DE"), normalise_lang("deu"), normalise_lang("")
('en', 'de', 'deu', None)
>>> detect("Nordkorea schickt weitere Soldaten nach Russland, meldet Seoul")
'de'
>>> detect("Ok") is None
True
>>> detect("上海今朝落雨，交关冷，市民出门要带伞。")  # Wu, to the model
'zh'
>>> detect("Pyongyang readies a new troop deployment") is None  # guessed as Tagalog, at 0.38
True
"""

from __future__ import annotations

import re
import threading

_MIN_WORDS = 3
#: The probability a detected language needs: below it, 96% of the wrong guesses on those English
#: headlines (and 41% of the right ones, which then stay undetermined: words judge them as usual).
_MIN_CONFIDENCE = 0.5
_WORD = re.compile(r"\w+")
#: Varieties the model tells apart that news is written in as one language (a short Chinese text came
#: out as Wu; Egyptian and Moroccan Arabic for standard Arabic), and its "no language" class.
_WRITTEN_AS: dict[str, str | None] = {"wuu": "zh", "yue": "zh", "arz": "ar", "ary": "ar", "hbo": "he",
                                      "grc": "el", "zxx": None}
_lock = threading.Lock()
_model = None


#: Languages named rather than coded ("English" in a CSV's lang column), as their ISO 639-1 codes.
_NAMES = {"english": "en", "german": "de", "deutsch": "de", "spanish": "es", "español": "es", "espanol": "es",
          "french": "fr", "français": "fr", "francais": "fr", "italian": "it", "italiano": "it",
          "portuguese": "pt", "português": "pt", "dutch": "nl", "nederlands": "nl", "russian": "ru",
          "chinese": "zh", "japanese": "ja", "arabic": "ar", "polish": "pl", "ukrainian": "uk", "turkish": "tr",
          "swedish": "sv", "norwegian": "no", "danish": "da", "finnish": "fi", "greek": "el", "korean": "ko"}


def normalise_lang(code: str | None) -> str | None:
    """A declared language tag as its primary subtag in lower case; a language's name as its code.

    >>> normalise_lang("en-US"), normalise_lang("English"), normalise_lang("pt_BR"), normalise_lang(" ")
    ('en', 'en', 'pt', None)
    """
    if not code:
        return None
    primary = re.split(r"[-_]", code.strip(), maxsplit=1)[0].lower()
    return _NAMES.get(primary, primary) or None


def _identifier():
    global _model
    with _lock:
        if _model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        return _model


def detect(text: str) -> str | None:
    """The language of ``text`` as an ISO 639-1 code, or ``None`` when it is too short or too
    ambiguous to tell."""
    if len(_WORD.findall(text[:2000])) < _MIN_WORDS:
        return None
    lang, probability = _identifier().classify(text[:2000])
    if probability < _MIN_CONFIDENCE:
        return None
    return _WRITTEN_AS.get(lang, lang)


def language_of(declared: str | None, title: str, body: str) -> str | None:
    """The declared language if there is one, else the detected one."""
    return normalise_lang(declared) or detect(f"{title}. {body[:1000]}")
