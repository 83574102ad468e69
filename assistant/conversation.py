"""Resolve a follow-up question against the conversation before searching.

"What grade did Croydon get in 2024?" then "And for care leavers?" is searched as
"What grade did Croydon get in 2024, for care leavers?". Rules over words, no
language model: ellipsis ("and for…", "what about…", "the same for…"), pronouns
("who led it?"), and comparisons ("how does that compare with 2017?").
"""

from __future__ import annotations

import re

from assistant.questions import YEAR, content_words

ELLIPSIS = re.compile(
    r"^\s*(?:and|but|also|so|then|ok(?:ay)?|what about|how about|and what about|and how about|"
    r"(?:and )?(?:the )?same (?:for|in|about)|(?:and )?what of)\b[\s,]*",
    re.I,
)
PRONOUN = re.compile(r"\b(it|its|that|this|they|them|their|those|these|he|she|his|her|there|then|the same)\b", re.I)
WH_FRAME = re.compile(
    r"^\s*(?:who|whom|whose|what|which|when|where|why|how(?: many| much| long| often)?)\b"
    r"(?:\s+(?:is|are|was|were|did|do|does|has|have|had|will|would|can|could))?\s*",
    re.I,
)
COMPARE = re.compile(r"\b(compare|comparison|differ|difference|change[ds]?|versus|vs)\b", re.I)


def last_user_question(history: list[dict] | None) -> str:
    for turn in reversed(history or []):
        if isinstance(turn, dict) and turn.get("role") == "user":
            content = turn.get("content")
            if isinstance(content, str) and content.strip():
                return content.strip()
    return ""


def is_follow_up(question: str) -> bool:
    if ELLIPSIS.match(question):
        return True
    words = content_words(question)
    if len(words) <= 2:
        return True
    return bool(PRONOUN.search(question)) and len(words) <= 5


def topic(question: str) -> str:
    """The subject of a question without its wh-frame: "When was the 2024 inspection?" -> "the 2024 inspection"."""
    return WH_FRAME.sub("", question).rstrip(" ?.!")


def resolve(question: str, history: list[dict] | None) -> str:
    """The question as it should be searched, self-contained."""
    previous = last_user_question(history)
    question = question.strip()
    if not previous or not is_follow_up(question):
        return question
    # The previous question may itself have been a follow-up.
    earlier = [t for t in (history or []) if isinstance(t, dict)]
    idx = max(i for i, t in enumerate(earlier) if t.get("role") == "user" and t.get("content", "").strip() == previous)
    previous = resolve(previous, earlier[:idx])
    prev = previous.rstrip(" ?.!")
    m = ELLIPSIS.match(question)
    rest = question[m.end():] if m else question
    rest = rest.rstrip(" ?.!")
    if COMPARE.search(question):
        new_years = YEAR.findall(question)
        return f"{prev}, compared with {' and '.join(new_years) if new_years else rest}?"
    if m and rest:
        return f"{prev}, {rest}?"
    if PRONOUN.search(question):
        return f"{question.rstrip(' ?.!')} ({topic(previous)})?"
    return f"{prev}, {question.rstrip(' ?.!')}?"
