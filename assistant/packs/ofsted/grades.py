"""Ofsted's four grades as a kind of thing a sentence can hold and a question can ask for.

The core recognises numbers, dates, people and places with spaCy; a grade ("Overall effectiveness:
Good", "judged … as 'inadequate'") is Ofsted's own, so this pack marks sentences that state one with
the core's JUDGEMENT kind, and questions that ask how something was rated or graded, or which
inspector did something, with the kinds their answers hold.
"""

from __future__ import annotations

import re

from assistant import nlp

_GRADE = r"(?:outstanding|good|requires? improvement(?: to be good)?|inadequate)"
# A grade stated as a verdict, not the word in passing ("good quality", "must be good for")
STATES_GRADE = re.compile(
    rf"(?:[:–]\s*|\s-\s*)['‘’\"]?{_GRADE}\b|['‘’\"]{_GRADE}['‘’\"]"
    rf"|(?<!be )\b(?:judged|rated|graded|grade of)\s+(?:\w+\s+){{0,8}}?(?:as\s+)?(?<!than ){_GRADE}\b"
    rf"|\b(?:is|are|was|were|remains?)\s+(?:still\s+)?['‘]?{_GRADE}\b|\b{_GRADE}[- ]rated\b"
    rf"|\b(?:judgement|judgment|grade|rating|verdict)\s+(?:is|was)\s+that\s+(?:[\w'’-]+\s+){{0,4}}?{_GRADE}\b",
    re.I)
ASKS_GRADE = re.compile(r"\b(?:grade[sd]?|grading|rated|rating|ratings|judged|judgement|judgment|verdict|score[sd]?|"
                        r"overall effectiveness)\b", re.I)
ASKS_INSPECTOR = re.compile(r"\b(?:which|what)\s+(?:lead\s+)?(?:inspector|hmi)s?\b", re.I)


def entity_kinds(texts: list[str]) -> list[int]:
    return [nlp.JUDGEMENT if STATES_GRADE.search(t) else 0 for t in texts]


def wants(question: str) -> int:
    return (nlp.JUDGEMENT if ASKS_GRADE.search(question) else 0) | (nlp.PERSON if ASKS_INSPECTOR.search(question) else 0)


_GRADE_WORD = re.compile(r"\b(outstanding|inadequate|requir\w* improvement(?: to be good)?|good)\b", re.I)


def verdicts(text: str) -> set[str]:
    """The grades a text names: a written answer's claim must name the grades its passage names."""
    return {"requires improvement" if g.lower().startswith("requir") else g.lower() for g in _GRADE_WORD.findall(text)}
