"""A conversation as structured turns: what each question was taken to mean, and what it named.

A follow-up ("Who led it?", "And care leavers?", "What about 2019?") is read with the turn before it:
that turn's resolved question lends its words (at a lower weight than the follow-up's own), and its
names and years stand wherever the follow-up gives none, so "And how did children in care do?" after
a question about Barnet stays on Barnet. Nothing is re-parsed from a rendered answer: each turn keeps
its data; plain chat history (role/content messages) is read by analysing its user questions in order.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from assistant.questions import LEAD, Question, analyse
from assistant.words import content_words

# Words that point back, and openings that leave their subject unsaid: general English
POINTS_BACK = re.compile(r"\b(?:it|its|they|them|their|that|this|these|those|there|then|he|him|his|she|her|"
                         r"the same|such|one|ones|former|latter)\b", re.I)
ELLIPTIC = re.compile(LEAD + r"(?:what|how) about\b|^\W*(?:and|also|same)\b|^\W*(?:why|how come|really|anything else)\W*$", re.I)
SHORT = 2  # content words: a question with no more than this says too little to stand alone


@dataclass
class Turn:
    question: str  # as asked
    resolved: str  # as searched: with what it carried from the turn before
    names: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    answer: str = ""
    cited: list[str] = field(default_factory=list)  # chunk ids of its citations

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Turn":
        return cls(**{k: d[k] for k in ("question", "resolved", "names", "years", "answer", "cited") if k in d})


def follows_up(text: str) -> bool:
    return bool(POINTS_BACK.search(text) or ELLIPTIC.search(text) or len(content_words(text)) <= SHORT)


def read(text: str, turns: list[Turn]) -> Question:
    """The question as meant in the conversation so far."""
    if not turns or not follows_up(text):
        return analyse(text)
    last = turns[-1]
    return analyse(text, last.resolved, last.names, last.years)


def turns_of(history: list[dict]) -> list[Turn]:
    """Structured turns from chat messages: each user question read in order; an assistant message
    may carry its exchange's turn as data ("turn": Turn.to_dict()), which then stands as it was."""
    turns: list[Turn] = []
    for message in history:
        if message["role"] == "user":
            q = read(message["content"], turns)
            turns.append(Turn(message["content"], q.text, q.names, q.years))
        elif turns and isinstance(message.get("turn"), dict):
            turns[-1] = Turn.from_dict(message["turn"])
        elif turns and not turns[-1].answer:
            turns[-1].answer = message["content"]
    return turns
