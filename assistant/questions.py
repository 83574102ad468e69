"""What a question asks for: its type, the years it names, whether it wants the latest facts.

Plain rules over the words: no language model is needed in the default mode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

YEAR = re.compile(r"\b(19[5-9]\d|20[0-4]\d)\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'’\-]+|\d+(?:[.,]\d+)*%?")

STOPWORDS = frozenset(
    """a an the of to in on for and or but is are was were be been being by with at from as that this these those
    it its their there they them he she his her we our you your i me my what which who whom whose when where why how
    did do does done doing has have had having not no nor so than then too very can could should would will shall may
    might must about into over under again further once any all each few more most other some such only own same just
    also both up down out off if because while until against between through during before after above below
    many much tell say said give given get got ever yet still now latest current currently recent recently
    please according report reports document documents""".split()
)

LATEST_WORDS = re.compile(r"\b(now|latest|current(?:ly)?|most recent|recent|today|present|newest|last)\b", re.I)
COMPARE_WORDS = re.compile(r"\b(compare[sd]?|comparison|versus|vs\.?|differ(?:ence|ent)?|change[sd]?|improve[sd]? since|between \d{4} and \d{4})\b", re.I)
LIST_WORDS = re.compile(r"\b(list|what (?:are|were) the|which (?:areas|groups|services|recommendations)|recommendations|areas for improvement|needs? to improve|what needs|strengths|priorities|who (?:was|were) given)\b", re.I)

GRADE_WORDS = re.compile(
    r"\b(outstanding|good|requires improvement(?: to be good)?|inadequate)\b", re.I
)
NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?%?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|thousand|half|double[sd]?)\b", re.I)
MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
DATE = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:(?:and|to|-|–)\s+\d{{1,2}}(?:st|nd|rd|th)?\s+)?{MONTHS}(?:\s+\d{{4}})?|{MONTHS}\s+\d{{4}}|(?:19|20)\d\d|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})\b")
NAME = re.compile(r"\b[A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|[A-Z]\.))+\b")
MONEY = re.compile(r"£\s?\d|\$\s?\d|\b\d+(?:\.\d+)?\s?(?:million|billion|bn|m)\b|\bpounds\b", re.I)


@dataclass
class Question:
    text: str
    kind: str  # who / when / number / money / grade / list / compare / why / yesno / what
    years: list[int] = field(default_factory=list)
    latest: bool = False
    terms: list[str] = field(default_factory=list)  # content words, lower case
    names: list[str] = field(default_factory=list)  # capitalised words that are not sentence-initial


def content_words(text: str) -> list[str]:
    return [w.lower().strip("'’") for w in WORD.findall(text) if w.lower() not in STOPWORDS and len(w) > 1]


@lru_cache(maxsize=4096)
def stem(word: str) -> str:
    return _stemmer().stemWord(word.lower())


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def analyse(text: str) -> Question:
    t = text.strip()
    low = t.lower()
    years = [int(y) for y in YEAR.findall(t)]
    if re.match(r"^\s*(who|whom|whose)\b", low) or re.search(r"\b(who|which inspector|name of)\b", low):
        kind = "who"
    elif re.search(r"\bhow much\b|\bbudget\b|\bcost\b|\bspen[dt]\b|\bfunding\b|£", low):
        kind = "money"
    elif re.search(r"\bhow many\b|\bnumber of\b|\bwhat (?:percentage|proportion|share|rate)\b|\bhow (?:high|large|big)\b|\bcaseloads?\b|\bwhat percentage\b", low):
        kind = "number"
    elif re.search(r"^\s*when\b|\bwhat date\b|\bwhich (?:year|month|date)\b|\bwhat year\b|\bhow long\b|\bdates?\b", low):
        kind = "when"
    elif COMPARE_WORDS.search(low) or len(set(years)) >= 2:
        kind = "compare"
    elif re.search(r"\b(grade|graded|rated|rating|judge(?:d|ment)|verdict|outcome|effectiveness)\b", low):
        kind = "grade"
    elif LIST_WORDS.search(low):
        kind = "list"
    elif re.match(r"^\s*(why|how come)\b", low):
        kind = "why"
    elif re.match(r"^\s*(is|are|was|were|did|does|do|has|have|had|can|could|will)\b", low):
        kind = "yesno"
    else:
        kind = "what"
    tokens = t.split()
    names = [w.strip("?,.!;:'’\"()") for i, w in enumerate(tokens) if i > 0 and w[:1].isupper()]
    return Question(
        text=t,
        kind=kind,
        years=years,
        latest=bool(LATEST_WORDS.search(low)),
        terms=content_words(t),
        names=[n for n in names if n and n.lower() not in STOPWORDS],
    )


def answer_type_score(q: Question, sentence: str) -> float:
    """1.0 when the sentence holds the kind of thing asked for, 0.0 when it plainly does not."""
    if q.kind == "who":
        return 1.0 if NAME.search(sentence) else 0.0
    if q.kind == "when":
        return 1.0 if DATE.search(sentence) else 0.0
    if q.kind == "number":
        return 1.0 if NUMBER.search(_without_years(sentence)) else 0.0
    if q.kind == "money":
        return 1.0 if MONEY.search(sentence) else 0.0
    if q.kind == "grade":
        return 1.0 if GRADE_WORDS.search(sentence) else 0.0
    if q.kind == "compare":
        return 1.0 if (YEAR.search(sentence) or GRADE_WORDS.search(sentence)) else 0.3
    return 0.5


def _without_years(text: str) -> str:
    return DATE.sub(" ", text)
