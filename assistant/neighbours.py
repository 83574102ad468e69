"""Words of a collection nearest in meaning to a question word the collection never uses.

"What staffing problems…?" finds no "staffing" in the reports, which say "staff" and
"workforce"; "teenagers" finds "adolescents". The embedding model places single words too:
the collection's words are embedded once (cached beside the index, keyed by the word list and
the model), and a question word the collection lacks is matched to its nearest neighbours.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np

from assistant.embedding import Embedder

WORD = re.compile(r"[a-z][a-z'-]{2,}")


class WordNeighbours:
    """`fit(words)` once, then `search(word)`: the collection's words nearest to it."""

    def __init__(self, embedder: Embedder, cache_dir: Path | None = None, per_word: int = 2, floor: float = 0.7,
                 threads: int = 1):
        self.embedder = embedder
        self.threads = threads  # like a question: a word or two, on one thread
        self.cache_dir = cache_dir
        self.per_word = per_word
        self.floor = floor
        self._found: dict[str, list[tuple[str, float]]] = {}

    def fit(self, words) -> "WordNeighbours":
        self.words = sorted({w for w in words if WORD.fullmatch(w)})
        self.vectors = self._cached() if self.words else np.zeros((0, 1), dtype=np.float32)
        return self

    def _cached(self) -> np.ndarray:
        key = hashlib.sha256("\n".join([self.embedder.model_name, *self.words]).encode("utf-8")).hexdigest()[:24]
        path = self.cache_dir / f"{key}.npy" if self.cache_dir else None
        if path is not None and path.exists():
            try:
                vectors = np.load(path)
                if vectors.shape[0] == len(self.words):
                    return vectors
            except (OSError, ValueError):
                pass  # damaged: embedded again below
        vectors = self.embedder.encode(self.words)
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(f".{os.getpid()}.tmp")
                with open(tmp, "wb") as f:
                    np.save(f, vectors)
                os.replace(tmp, path)
                for old in path.parent.glob("*.npy"):
                    if old != path:
                        old.unlink(missing_ok=True)
            except OSError:
                pass  # a read-only index still answers; the words are embedded again next time
        return vectors

    def search(self, words: list[str]) -> dict[str, list[tuple[str, float]]]:
        """For each word, up to `per_word` collection words at cosine >= `floor`."""
        todo = [w for w in dict.fromkeys(words) if w not in self._found]
        if len(self._found) > 10_000:
            self._found.clear()  # a long-running server meets many words: keep the memory flat
        if todo and len(self.words):
            sims = np.stack([self.embedder.encode_query(w, self.threads) for w in todo]) @ self.vectors.T
            for w, row in zip(todo, sims):
                top = np.argsort(-row)[: self.per_word]
                self._found[w] = [(self.words[i], float(row[i])) for i in top if row[i] >= self.floor]
        return {w: self._found.get(w, []) for w in words}
