"""Words as the answer stage compares them: content words and their stems, in any language's letters.

Stop words are spaCy's English list (plus the verbs that frame a request: "tell me", "say"); stems
are Snowball's (PyStemmer), also used by BM25, so that a question word and a passage word meet
whenever either side would find the other.
"""

from __future__ import annotations

import re
from functools import cache

from spacy.lang.en.stop_words import STOP_WORDS

# letters of any alphabet ("Máire", "Stoke-on-Trent"), or a number ("41%", "1,200", "3.5")
WORD = re.compile(r"[^\W\d_](?:[\w'’-]*[^\W_])?|\d+(?:[.,]\d+)*%?")
STOPWORDS = frozenset(STOP_WORDS) | {"tell", "say", "said", "says", "explain", "describe", "know", "give", "gave"}
YEAR = re.compile(r"\b(?:19|20)\d{2}\b")
_UNDOUBLE = re.compile(r"([bdfgmnprt])\1$")


@cache
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def snowball(word: str) -> str:
    """The Snowball stem, made consistent: Snowball undoubles the consonant left by "-ing"/"-ed"
    ("staffing" -> "staf") but not the bare word ("staff"); both are undoubled here."""
    return _UNDOUBLE.sub(r"\1", _stemmer().stemWord(word.lower()))


def stem(word: str) -> str:
    return snowball(word.lower().replace("’", "'").strip("'"))


def content_words(text: str) -> list[str]:
    """The words that carry meaning, lower case, in order."""
    return [w.lower().strip("'’") for w in WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 1]


def stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}
