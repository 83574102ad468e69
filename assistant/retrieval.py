"""Hybrid retrieval: dense (FAISS) and lexical (BM25), fused by reciprocal rank.

Every retriever has the same two verbs: `fit(index)` once, `search(query, k)` per question.
"""

from __future__ import annotations

import re

import numpy as np

from assistant.embedding import Embedder
from assistant.store import StoredIndex
from assistant.types import Chunk, DocumentInfo, Hit

KIND_PRIORITY = {"report": 0, "letter": 0, "": 1, "news": 2}


def _tokenizer():
    import Stemmer
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stemmer=Stemmer.Stemmer("english"), stopwords="en")


class LexicalRetriever:
    """BM25 (bm25s) over each chunk's text with its title and heading."""

    def fit(self, texts: list[str]) -> "LexicalRetriever":
        import bm25s

        self.tokenizer = _tokenizer()
        ids = self.tokenizer.tokenize(texts, show_progress=False)
        self.bm25 = bm25s.BM25()
        self.bm25.index(ids, show_progress=False)
        self.size = len(texts)
        return self

    def scores(self, query: str) -> np.ndarray:
        ids = self.tokenizer.tokenize([query], update_vocab=False, show_progress=False)[0]
        ids = [i for i in ids if i != 0] or [0]
        return np.asarray(self.bm25.get_scores(ids), dtype=np.float32)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        s = self.scores(query)
        top = np.argsort(-s, kind="stable")[:k]
        return [(int(i), float(s[i])) for i in top if s[i] > 0]


class DenseRetriever:
    """Inner product over normalised vectors in FAISS: cosine similarity."""

    def fit(self, index: StoredIndex) -> "DenseRetriever":
        self.index = index.faiss_index
        return self

    def search(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        if self.index.ntotal == 0:
            return []
        scores, ids = self.index.search(qvec.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


def rrf(rankings: list[list[int]], k: int = 60) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., 2009): robust to incomparable score scales."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


class HybridRetriever:
    """mode: "hybrid" (default), "dense" or "bm25" — the last two are the eval baselines."""

    def __init__(self, embedder: Embedder, mode: str = "hybrid", candidates: int = 40, rrf_k: int = 60,
                 duplicate_threshold: float = 0.9, query_threads: int = 0):
        if mode not in {"hybrid", "dense", "bm25"}:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.duplicate_threshold = duplicate_threshold
        self.query_threads = query_threads

    def fit(self, index: StoredIndex) -> "HybridRetriever":
        self.index = index
        self.chunks: list[Chunk] = index.chunks
        self.documents: dict[str, DocumentInfo] = index.documents
        self.vectors = index.vectors
        lexical = index.extra.get("lexical")
        if lexical is None:
            texts = [c.embedding_text(self._title(c.doc)) for c in self.chunks]
            lexical = index.extra["lexical"] = LexicalRetriever().fit(texts)
        self.lexical = lexical
        self.dense = DenseRetriever().fit(index)
        self._shingle_cache: dict[int, frozenset] = {}
        return self

    def _title(self, doc: str) -> str:
        info = self.documents.get(doc)
        return info.title if info else ""

    def search(self, query: str, k: int = 8, qvec: np.ndarray | None = None) -> list[Hit]:
        if not self.chunks:
            return []
        if qvec is None:
            qvec = self.embedder.encode_query(query, self.query_threads)
        dense = self.dense.search(qvec, self.candidates) if self.mode != "bm25" else []
        lexical = self.lexical.search(query, self.candidates) if self.mode != "dense" else []
        fused = rrf([[i for i, _ in dense], [i for i, _ in lexical]], self.rrf_k)
        lex_scores = dict(lexical)
        rank_d = {i: r for r, (i, _) in enumerate(dense, start=1)}
        rank_l = {i: r for r, (i, _) in enumerate(lexical, start=1)}
        order = sorted(fused, key=lambda i: -fused[i])
        cosines = self.vectors[order] @ qvec if order else np.zeros(0)
        hits = [
            Hit(self.chunks[i], score=fused[i], dense=float(c), lexical=lex_scores.get(i, 0.0),
                rank_dense=rank_d.get(i), rank_lexical=rank_l.get(i))
            for i, c in zip(order, cosines)
        ]
        return self.collapse_duplicates(hits, order)[:k]

    def _shingles(self, idx: int) -> frozenset:
        cached = self._shingle_cache.get(idx)
        if cached is None:
            words = re.findall(r"[a-z0-9]+", self.chunks[idx].text.lower())
            cached = self._shingle_cache[idx] = frozenset(zip(words, words[1:], words[2:]))
        return cached

    def _twins(self, a: int, b: int) -> bool:
        """Same meaning (cosine), or one passage quotes the other (most of its word triples are in it)."""
        if float(self.vectors[a] @ self.vectors[b]) >= self.duplicate_threshold:
            return True
        sa, sb = self._shingles(a), self._shingles(b)
        small = min(len(sa), len(sb))
        return small >= 4 and len(sa & sb) >= 0.8 * small

    def collapse_duplicates(self, hits: list[Hit], order: list[int]) -> list[Hit]:
        """Near-identical passages (a news story quoting a letter) appear once, from the primary source."""
        kept: list[tuple[Hit, int]] = []
        for hit, idx in zip(hits, order):
            twin = next((j for j, (_, kidx) in enumerate(kept) if self._twins(idx, kidx)), None)
            if twin is None:
                kept.append((hit, idx))
            elif self._primary_rank(hit.chunk.doc, kept[twin][0].chunk.doc) < 0:
                old = kept[twin][0]
                hit.score = max(hit.score, old.score)
                hit.dense = max(hit.dense, old.dense)
                hit.lexical = max(hit.lexical, old.lexical)
                kept[twin] = (hit, idx)
        return [h for h, _ in kept]

    def _primary_rank(self, a: str, b: str) -> int:
        """Negative when doc a is the better source to cite than doc b."""
        da, db = self.documents.get(a), self.documents.get(b)
        if da is None or db is None or a == b:
            return 0
        if db.derived_from == a:
            return -1
        if da.derived_from == b:
            return 1
        return KIND_PRIORITY.get(da.kind, 1) - KIND_PRIORITY.get(db.kind, 1)
