"""Abbreviations a collection defines ("independent reviewing officers (IROs)") or whose long
form it uses ("the Children and Families Court Advisory and Support Service"), so that a
question in one form finds a passage in the other.

The definitions are found with the Schwartz–Hearst rule (Schwartz and Hearst, 2003): the
short form in brackets, the long form the shortest run of words before it whose letters
spell the short form in order, its first letter starting a word. (The PyPI package
`abbreviations` implements the same rule but configures the root logger on import.)
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from assistant.words import stem

# "independent reviewing officers (IROs)": a bracketed short form with two capitals, after words
SHORT = re.compile(r"\(([A-Za-z][A-Za-z&]{1,9})\)")
WORDS_BEFORE = re.compile(r"((?:[A-Za-z][\w'’-]*[ \t]+){1,10})$")


# "Children and Families Court Advisory and Support Service": capitalised words, joined by small ones
NAME_RUN = re.compile(r"\b[A-Z][\w'’-]*(?:[ \t]+(?:(?:and|of|for|the|in|&)[ \t]+)?[A-Z][\w'’-]*)+")
JOINING = frozenset({"and", "of", "for", "the", "in", "&"})
MIN_NAMED_WORDS = 3  # two initials spell too many things


def singular(short: str) -> str:
    """"IROs" -> "IRO": a short form's plural is a lower-case "s" after its capitals."""
    return short[:-1] if short.endswith("s") and short[:-1].isupper() else short


def long_form(short: str, before: str) -> str | None:
    """The words at the end of `before` that the short form abbreviates, or None."""
    letters = [c.lower() for c in short if c.isalpha()]
    text = before.lower().rstrip()
    s, i = len(letters) - 1, len(text) - 1
    while s >= 0:
        # the first letter must start a word; the others may fall anywhere in order
        while i >= 0 and (text[i] != letters[s] or (s == 0 and i > 0 and text[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i, s = i - 1, s - 1
    found = text[i + 1:]
    words = found.split()
    if len(words) > min(len(letters) + 5, 2 * len(letters)) or len(words) < 2:
        return None
    return found


def find_abbreviations(texts: Iterable[str]) -> dict[str, str]:
    """Short form (lower case, without a plural "s") -> long form, for each one defined in the texts."""
    out: dict[str, str] = {}
    for text in texts:
        for m in SHORT.finditer(text):
            short = m.group(1)
            if sum(c.isupper() for c in short) < 2:
                continue  # "(see)", "(Cafcass)": a word in brackets, not an initialism
            # only the words just before the bracket, on its line: a long form is never far
            words = WORDS_BEFORE.search(text[max(0, m.start() - 160):m.start()].rsplit("\n", 1)[-1])
            if not words:
                continue
            one = singular(short)
            found = long_form(one, words.group(1))
            if found:
                out.setdefault(one.lower(), found)
    return out


def initialisms(texts: Iterable[str]) -> dict[str, str]:
    """Short form (lower case) -> the name it stands for, for the long names the texts use
    ("Cafcass" -> "children and families court advisory and support service"), whether or not
    they ever write the short form. The small joining words may or may not give a letter, as
    in "Cafcass"; a short form that could stand for two names stands for neither ("Family"
    and "Families" are one name)."""
    found: dict[str, dict[tuple[str, ...], str]] = {}
    for text in texts:
        for m in NAME_RUN.finditer(text):
            words = m.group(0).split()
            while words and words[0].lower() in JOINING:
                words = words[1:]  # "The Children and…": the article is not part of the name
            if sum(w.lower() not in JOINING for w in words) < MIN_NAMED_WORDS:
                continue
            spellings = {""}
            for w in words:
                letter = w[0].lower()
                spellings = {s + letter for s in spellings} | (spellings if w.lower() in JOINING else set())
            for short in spellings:
                found.setdefault(short, {}).setdefault(tuple(stem(w) for w in words), " ".join(words).lower())
    return {short: next(iter(longs.values())) for short, longs in found.items() if len(longs) == 1}
