"""A collection's words: how rare each stem is, the words it uses, and the short forms it defines,
so that a question is weighed and searched in the collection's own terms."""

from __future__ import annotations

import math
import re
from collections import Counter

from assistant.abbreviations import find_abbreviations
from assistant.types import Chunk
from assistant.words import content_words, stem


class Vocabulary:
    def __init__(self, df: dict[str, int], words, n: int, short_forms: dict[str, str]):
        self.df = Counter(df)
        self.words = set(words)
        self.n = max(1, n)
        self.short_forms = short_forms
        self.neighbours = None  # WordNeighbours, when enabled

    @classmethod
    def of(cls, chunks: list[Chunk], titles: dict[str, str]) -> "Vocabulary":
        df: Counter[str] = Counter()
        words: set[str] = set()
        for c in chunks:
            found = content_words(f"{c.heading} {c.text}")
            words.update(found)
            df.update({stem(w) for w in found})
        for title in titles.values():
            words.update(content_words(title))
        # "independent reviewing officers (IROs)": either form finds the other
        return cls(df, words, len(chunks), find_abbreviations(c.text for c in chunks))

    def to_dict(self) -> dict:
        return {"df": dict(self.df), "words": sorted(self.words), "n": self.n, "short_forms": self.short_forms}

    @classmethod
    def from_dict(cls, data: dict) -> "Vocabulary":
        return cls(data["df"], data["words"], data["n"], data["short_forms"])

    def idf(self, term_stem: str) -> float:
        return math.log(1 + self.n / (1 + self.df.get(term_stem, 0)))

    def other_forms(self, text: str) -> list[str]:
        """The long form of each short form the question uses, and the short form of each long one."""
        lowered = text.lower()
        out = []
        for short, long in self.short_forms.items():
            if re.search(rf"\b{re.escape(short)}s?\b", lowered):
                out.append(long)
            elif long.lower() in lowered:
                out.append(short)
        return out

    def unknown(self, terms: list[str]) -> list[str]:
        """Question words the collection never uses."""
        return [w for w in terms if not self.df.get(stem(w))]

    def says_none_of(self, words: list[str]) -> bool:
        """True when the collection uses none of these words, nor any word near in meaning to them: no
        passage can answer a question asked in words it never uses."""
        return bool(words) and len(self.unknown(words)) == len(words) and not self.neighbours_of_unknown(words)

    def neighbours_of_unknown(self, terms: list[str]) -> set[str]:
        """The collection's words nearest in meaning to question words it never uses ("teenagers": "adolescents")."""
        missing = [w for w in self.unknown(terms) if w.isalpha()]
        if not missing or self.neighbours is None:
            return set()
        return {w for near in self.neighbours.search(missing).values() for w, _ in near}
