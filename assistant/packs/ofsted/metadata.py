"""What only Ofsted's reports and visit letters say of themselves: that Ofsted wrote them, which
local authority's children's services they are about, and when the inspection or visit took place.

A report is dated by its inspection, not its publication: one held in November 2018 and published in
January 2019 is "the November 2018 inspection" (the loader keeps the publication date as `published`).
"""

from __future__ import annotations

import re

from assistant.loaders.dates import MONTHS, iso_dates

# A place as Ofsted names it, whole: "Stoke-on-Trent", "Bournemouth, Christchurch and Poole",
# "St. Helens", "Hammersmith & Fulham", "Ynys Môn". One line at most: the head has a paragraph a line.
_NAME = r"([A-ZÀ-ÖØ-Þ][\w&'’ ,.-]{1,60}?)"
_SERVICES = r" (?:local authority )?children[’']s services"
# "Inspection of Croydon local authority children’s services" (2023 on), or the
# council's name above "Inspection of children’s social care services" (2013-2020).
ILACS_NAME = re.compile(rf"Inspection of (?:the )?{_NAME}{_SERVICES}")
COUNCIL_LINE = re.compile(rf"\A(?:\d+ )?{_NAME}\s(?:Re-)?[Ii]nspection of ")
VISIT = re.compile(rf"\b(Monitoring|Focused) visit (?:to|of) (?:the )?{_NAME}{_SERVICES}")
COUNCIL_WORDS = re.compile(r"^(?:the )?(?:(?:London|Royal) Borough of |City of |Borough of )|(?: City)? Council$", re.I)
LETTER = re.compile(r"^Dear\b", re.M)

# Ofsted wrote it: its inspectors sign the first page, or its back page and method
# statements are there. A council's paper about an inspection only names Ofsted.
OFSTED_MARKS = re.compile(r"H(?:is|er) Majesty[’']s Inspector|\bHMI\b|Ofsted (?:inspector|report)")
OFSTED_SIGNED = re.compile(r"\(Ofsted\) regulates|Ofsted produces this report|\(HMI\) from Ofsted|reports\.ofsted\.gov")

# When it took place: "Inspection dates: 12 to 23 November 2018", "19 November–30 November 2018",
# "12/09/2016 to 06/10/2016"; a letter's "the monitoring visit to ... on 3 and 4 October 2018".
_DAY = rf"\d{{1,2}}/\d{{1,2}}/\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?(?:\s+(?:{'|'.join(MONTHS)}))?(?:\s+\d{{4}})?"
_DAYS = rf"((?:{_DAY})(?:\s*(?:to|and|–|-)\s*(?:{_DAY}))*)"
INSPECTED = re.compile(rf"Inspection dates?:?\s*{_DAYS}", re.I)
VISITED = re.compile(rf"\bvisit (?:to|of) [^.\n]{{0,100}}? on {_DAYS}", re.I)


def read_metadata(head: str, text: str, path) -> dict:
    """Publisher, title and date of an Ofsted report or letter; {} for any other document."""
    if not (OFSTED_MARKS.search(head) or OFSTED_SIGNED.search(text)):
        return {}
    meta = {"publisher": "Ofsted", "date": _took_place(head)}
    # Without inspection or visit dates, the year of the first date on the first page (a letter's date line).
    year = (meta["date"] or next(iter(iso_dates(head)), ""))[:4]
    meta["title"] = _title(head, f" ({year})" if year else "")
    return {k: v for k, v in meta.items() if v}


def _took_place(head: str) -> str:
    """The last day of the inspection or visit: when what the document reports was found."""
    found = INSPECTED.search(head) or VISITED.search(head)
    days = iso_dates(found[1]) if found else []
    return days[-1] if days else ""


def _title(head: str, year: str) -> str:
    visit = VISIT.search(head)
    if visit:
        return f"Ofsted {visit[1].lower()} visit to {_place(visit[2])} children's services{year}"
    # A letter naming an inspection is not its report.
    name = None if LETTER.search(head) else ILACS_NAME.search(head) or COUNCIL_LINE.search(head)
    return f"Ofsted inspection of {_place(name[1])} local authority children's services{year}" if name else ""


def _place(name: str) -> str:
    """"London Borough of Barking and Dagenham", "Westminster City Council": the place alone."""
    return COUNCIL_WORDS.sub("", COUNCIL_WORDS.sub("", name.strip())).strip()
