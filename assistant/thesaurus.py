"""Everyday words and the words inspection reports use for the same thing.

People ask "did kids' files say what they wanted?" or "did the council say sorry?"; the reports say
"children's records" and "apologise". Each group is a set of words that stand for one another in questions
about children's services: a sentence holding one of them holds the question's word, as a sentence
holding "IROs" holds "independent reviewing officers". Words with a second meaning that would
mislead ("judge" a service, "placements" of children for a care leaver's "accommodation") are left out.
A word the collection never uses is matched by `neighbours` instead ("teenagers" finds "adolescents").
"""

from __future__ import annotations

from assistant.questions import stem

GROUPS = [
    "kids kid children child",
    "temps temp temporary agency locum locums interim",
    # "staffing problems" are turnover, vacancies, workloads…; a question about caseloads is not about turnover
    "staffing workforce > recruitment retention vacancies turnover workloads caseloads",
    "workloads workload caseloads caseload",
    "recruitment vacancies",
    "retention turnover",
    "bosses boss management managers leaders leadership",
    "files file records paperwork documentation recording",
    "homes housing accommodation tenancy",
    "school schools schooling education educational",
    "sorry apologise apologize apology apologised apologized regret",
    "abuse harm neglect",
    "gangs gang exploitation exploited",
    "delays delay delayed drift waiting timeliness",
    "courts court judiciary proceedings",
    "money funding budget financial finances investment",
    "relatives kinship family",
    "checks vetting",
    "caseworkers caseworker practitioners practitioner",
    "runaways runaway missing",
    "wellbeing emotional mental",
    "councillors councillor members member",
    "breakdown breakdowns disruption disruptions disrupted",
    "often frequently frequent frequency regularly regular rarely rare",
    "talk talked talking spoke spoken speak language terminology wording",
    "helped helping assistance assist assisted",
    "morale demoralised demoralized",
    "realise realised realize realized identified identify",
    "danger dangers dangerous endangered > risk risks harm unsafe",
]


def _index(groups: list[str]) -> dict[str, frozenset[str]]:
    """Each stem -> the stems that stand for it. In "a b > c d", a and b stand for each other and bring
    c and d (kinds of what they name), but c and d bring neither them nor each other."""
    out: dict[str, set[str]] = {}
    for line in groups:
        broad, _, narrow = line.partition(">")
        stems, kinds = {stem(w) for w in broad.split()}, {stem(w) for w in narrow.split()}
        for s in stems:
            out.setdefault(s, set()).update((stems | kinds) - {s})
    return {s: frozenset(v) for s, v in out.items()}


RELATED = _index(GROUPS)


def related(stems) -> dict[str, str]:
    """Each stem the groups relate to the given ones -> the given stem that brought it (of two, the
    first in sorted order: the same every run, whatever order a set of stems comes in)."""
    out: dict[str, str] = {}
    for s in sorted(stems):
        for r in RELATED.get(s, ()):
            out.setdefault(r, s)
    return out
