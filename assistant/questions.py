"""What a question asks, read with general English and a named-entity model, never a corpus's words.

A `Question` is plain data: its content words (weighted: a follow-up's words carried from the
conversation weigh less than its own), the years and names it gives, and the kinds of thing an
answer to it holds ("how many": a number; "when": a date; "who": a person or an organisation).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant import nlp
from assistant.packs import hooks
from assistant.words import YEAR, content_words, stem

# The interrogative frame of English questions, after a leading "and", "so", "but": general, not any corpus's.
LEAD = r"^\W*(?:(?:and|so|but|also|ok|okay|then|now)\b\W*)*"
# "what was the agency rate", "what is the total cost": a figure named within the first words
FIGURES = r"(?:percentage|proportion|share|number|fraction|amount|size|rate|ratio|score|figure|total|count|cost|price|average)s?"
WANTS = [
    (re.compile(LEAD + r"(?:how (?:many|much|often|far|large|big|high|low|old)|how long|"
                       rf"(?:what|which)\s+(?:(?:is|are|was|were)\s+)?(?:the\s+)?(?:[\w'’-]+\s+){{0,3}}?{FIGURES})\b", re.I), nlp.NUMBER),
    (re.compile(LEAD + r"(?:how long)\b", re.I), nlp.DATE),
    (re.compile(LEAD + r"(?:when|what (?:year|date|month|day|time)|which (?:year|date|month|day)|since when|"
                       r"by when|until when)\b", re.I), nlp.DATE),
    (re.compile(LEAD + r"(?:who(?:m)?|which (?:person|people))\b", re.I), nlp.PERSON),
    (re.compile(LEAD + r"(?:whose|which (?:organi[sz]ation|body|company|team|council|department))\b", re.I),
     nlp.PERSON | nlp.ORG),
    (re.compile(LEAD + r"(?:where|in which (?:place|city|country|area))\b", re.I), nlp.PLACE | nlp.ORG),
]
POLAR = re.compile(LEAD + r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must|"
                          r"isn't|aren't|wasn't|weren't|don't|doesn't|didn't|hasn't|haven't)\b", re.I)
# a follow-up that, without its names and years, is only a frame: "What about ...?", "And in ...?"
ONLY_NAMES = re.compile(LEAD + r"(?:(?:what|how) about|same for)?\W*(?:(?:in|for|at|of|the|then)\b\W*)*", re.I)
POSSESSIVE = re.compile(r"['’]s$")
CARRIED = 0.5  # weight of a word carried from earlier in the conversation


@dataclass
class Question:
    text: str  # as searched: the question, with what a follow-up carries from the conversation
    asked: str  # as the person asked it
    terms: dict[str, float]  # stem -> weight
    years: list[int] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # named entities and capitalised words of the question
    wants: int = 0  # nlp bits: the kinds of thing an answer holds; 0 when any
    polar: bool = False  # a yes/no question


def _trimmed(name: str) -> str:
    """An entity without the lower-case words at its edges ("Harrow children's": Harrow; "the BBC": BBC);
    those inside it stay ("Bournemouth, Christchurch and Poole")."""
    words = name.split()
    capital = [i for i, w in enumerate(words) if w[:1].isupper() or w[:1].isdigit()]
    return POSSESSIVE.sub("", " ".join(words[capital[0]: capital[-1] + 1])) if capital else name


def _names(text: str, found: list[tuple[str, int]]) -> list[str]:
    names = [_trimmed(t) for t, bit in found if bit & (nlp.PERSON | nlp.ORG | nlp.PLACE | nlp.THING)]
    dates = [t for t, bit in found if bit & nlp.DATE]  # a month is capitalised, and part of a date, not a name
    # a capitalised word inside the sentence that the model did not tag ("Ofsted", "PostgreSQL"), once
    # whatever its possessive ("Ofsted's")
    words = text.split()
    for w in words[1:]:
        w = POSSESSIVE.sub("", w.strip("?.,;:!()\"'’“”"))
        if w[:1].isupper() and w.lower() not in {"i"} and not any(w in n for n in dates + names):
            names.append(w)
    return names


def _displaced(asked: str, carried: str, names: list[str], years: set[int], carried_names) -> str:
    """What a follow-up carries, less what it replaces: its own years stand instead of the turn
    before's ("And who led the 2020 one?"), and its names instead of the turn's when they are all it
    says ("What about Lambeth?"); one that says more ("And what did Ofsted say?") keeps the turn's subject."""
    if years:
        carried = YEAR.sub(" ", carried)
    rest = YEAR.sub(" ", asked)
    for name in names:
        rest = rest.replace(name, " ")
    if names and ONLY_NAMES.fullmatch(rest):
        for name in carried_names:
            carried = re.sub(rf"\b{re.escape(name)}(?:['’]s)?\b", " ", carried)
    return " ".join(carried.split())


def analyse(asked: str, carried: str = "", carried_names=(), carried_years=()) -> Question:
    """A question's parts; `carried` holds what a follow-up takes from the conversation (words,
    names and years of the turn it follows)."""
    own = [stem(w) for w in content_words(asked)]
    [found] = nlp.entities([asked])
    own_years = {int(y) for y in YEAR.findall(asked)}
    own_names = _names(asked, found)
    carried = _displaced(asked, carried, own_names, own_years, carried_names)
    terms = {s: CARRIED for s in (stem(w) for w in content_words(carried))}
    terms.update({s: 1.0 for s in own})
    years = sorted(own_years or set(carried_years))
    names = own_names or list(carried_names)
    wants = 0
    for pattern, bit in WANTS:
        if pattern.search(asked):
            wants |= bit
    for hook in hooks("wants"):  # a domain's own kinds: "How was Barnet rated?" wants a grade
        wants |= hook(asked)
    text = f"{asked} {carried}".strip()
    return Question(text, asked, terms, years, names, wants, bool(POLAR.search(asked)))
