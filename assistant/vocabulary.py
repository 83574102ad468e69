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
    def __init__(self, chunks: list[Chunk], titles: dict[str, str]):
        self.df: Counter[str] = Counter()
        self.words: set[str] = set()
        for c in chunks:
            words = content_words(f"{c.heading} {c.text}")
            self.words.update(words)
            self.df.update({stem(w) for w in words})
        for title in titles.values():
            self.words.update(content_words(title))
        self.n = max(1, len(chunks))
        # "independent reviewing officers (IROs)": either form finds the other
        self.short_forms = find_abbreviations(c.text for c in chunks)
        self.neighbours = None  # WordNeighbours, when enabled

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
