"""Misspelt question words, corrected to the collection's own words.

"What did Ofsted say abotu care leavers?" or "improvment plans": a question word that is neither an
English word (pyspellchecker's dictionary) nor the collection's is one typing slip (a letter added, lost,
changed or two swapped) away from what was meant. It is corrected only to a word the collection uses, or
to a common little word ("abotu" -> "about"): a correction to anything else would find nothing either.
Capitalised words (names) and the collection's own words are never touched.
"""

from __future__ import annotations

import re
from functools import lru_cache

from assistant.words import STOPWORDS

# a lower-case word of four letters or more (shorter words have too many neighbours), not part of a
# hyphenated one ("year-olds") nor of a name, an address or a code ("cr0", "www.ofsted")
WORD = re.compile(r"(?<![\w'’.-])[a-z](?:[a-z]|['’](?=[a-z])){3,}(?![\w'’-]|\.\w)")


@lru_cache(maxsize=1)
def _dictionary():
    from spellchecker import SpellChecker

    return SpellChecker(distance=1)


class Speller:
    """`fit(words)` with the collection's words (lower case), then `correct(question)`."""

    def fit(self, words) -> "Speller":
        self.words = frozenset(w.lower() for w in words)
        return self

    def correct(self, text: str) -> str:
        return WORD.sub(lambda m: self._word(m.group(0)), text)

    def _word(self, word: str) -> str:
        if word in self.words or word in STOPWORDS:
            return word
        dictionary = _dictionary()
        if dictionary.known([word]):
            return word  # a real word the collection does not use ("dentist"): asked about, not misspelt
        near = [w for w in dictionary.edit_distance_1(word) if w in self.words or w in STOPWORDS]
        # of several, the commonest in English ("abotu": about)
        return max(near, key=lambda w: (dictionary.word_usage_frequency(w), w), default=word)
