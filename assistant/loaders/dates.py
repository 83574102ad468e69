"""Dates as documents write them ("4 September 2017", "25/11/2016", "2024-12-03"), read as ISO dates.

Shared by the loaders (publication dates, a letter's date line) and the domain packs (the dates a
document is about), so that every part reads a date the same way.
"""

from __future__ import annotations

import re

MONTHS = "january february march april may june july august september october november december".split()
_MONTH = "|".join(MONTHS)
WORD_DATE = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+({_MONTH})\s+(\d{{4}})\b", re.IGNORECASE)
NUM_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A line that is nothing but a date: a letter's date line, never a heading.
DATE_LINE = re.compile(rf"^(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})\s+\d{{4}}|\d{{1,2}}/\d{{1,2}}/\d{{4}})$", re.I)


def iso_dates(text: str) -> list[str]:
    """Full dates (day, month and year) in the order they appear."""
    found = [(m.start(), f"{m[3]}-{MONTHS.index(m[2].lower()) + 1:02d}-{m[1]:0>2}") for m in WORD_DATE.finditer(text)]
    found += [(m.start(), f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}") for m in NUM_DATE.finditer(text)]
    found += [(m.start(), m[0]) for m in ISO_DATE.finditer(text)]
    return [d for _, d in sorted(found)]


def is_date_line(text: str) -> bool:
    return bool(DATE_LINE.match(text.strip().rstrip(".")))
