"""Words of a collection nearest in meaning to a question word the collection never uses.

"What staffing problems…?" finds no "staffing" in the reports, which say "staff" and
"workforce"; "teenagers" finds "adolescents". The embedding model places single words too:
the collection's words are embedded when it is indexed (kept in its build, a re-index embeds
only words it has not seen), and a question word the collection lacks is matched to its nearest
neighbours.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

import numpy as np

from assistant.embedding import Embedder

WORD = re.compile(r"[a-z][a-z'-]{2,}")
FILE = "words.npz"


class WordNeighbours:
    """`fit(words)` once (or `load`), then `search(words)`: the collection's words nearest to each."""

    def __init__(self, embedder: Embedder, per_word: int = 2, floor: float = 0.7):
        self.embedder = embedder
        self.per_word = per_word
        self.floor = floor
        self.words: list[str] = []
        self.vectors = np.zeros((0, 1), dtype=np.float32)
        self._found: dict[str, list[tuple[str, float]]] = {}
        self._lock = threading.Lock()  # the answers found so far are shared by concurrent questions

    def fit(self, words, reuse: Path | None = None, progress: bool = False) -> "WordNeighbours":
        """Embed the collection's words, taking those a previous build (the folder `reuse`) already embedded."""
        self.words = sorted({w for w in words if WORD.fullmatch(w)})
        known = _read(reuse / FILE) if reuse is not None else {}
        todo = [w for w in self.words if w not in known]
        new = dict(zip(todo, self.embedder.encode(todo, progress))) if todo else {}
        dim = self.embedder.dimension
        self.vectors = (np.stack([new[w] if w in new else known[w] for w in self.words]) if self.words
                        else np.zeros((0, dim))).astype(np.float32)
        return self

    def save(self, folder: Path) -> None:
        with open(folder / FILE, "wb") as f:
            np.savez(f, words=np.array(self.words, dtype=str), vectors=self.vectors)

    def load(self, folder: Path) -> "WordNeighbours":
        with np.load(folder / FILE) as f:
            self.words, self.vectors = [str(w) for w in f["words"]], f["vectors"]
        return self

    def search(self, words: list[str]) -> dict[str, list[tuple[str, float]]]:
        """For each word, up to `per_word` collection words at cosine >= `floor`."""
        with self._lock:
            todo = [w for w in dict.fromkeys(words) if w not in self._found]
        found = {}
        if todo and len(self.words):
            sims = self.embedder.encode(todo) @ self.vectors.T
            for w, row in zip(todo, sims):
                top = np.argsort(-row)[: self.per_word]
                found[w] = [(self.words[i], float(row[i])) for i in top if row[i] >= self.floor]
        with self._lock:
            if len(self._found) > 10_000:
                self._found.clear()  # a long-running server meets many words: keep the memory flat
            self._found.update(found)
            return {w: found.get(w, self._found.get(w, [])) for w in words}


def _read(path: Path) -> dict[str, np.ndarray]:
    """The words a previous build embedded, by word (none when it has no readable file)."""
    try:
        with np.load(path) as f:
            return dict(zip((str(w) for w in f["words"]), f["vectors"]))
    except (OSError, ValueError, KeyError):
        return {}
