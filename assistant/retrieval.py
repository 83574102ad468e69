"""Hybrid retrieval: dense and lexical (BM25) search, fused here whatever store searched.

Every retriever has the same two verbs: `fit(index)` once, `search(query, k)` per question.
A store's searches (`FileSearch` over FAISS and bm25s, or `pgstore.PgSearch` in PostgreSQL) give
(row, score) lists; fusion, near-duplicate collapse and the primary source are decided here, so
both stores rank alike for the same scores.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from assistant.embedding import Embedder
from assistant.words import snowball
from assistant.store import Index, StoredIndex
from assistant.types import Chunk, DocumentInfo, Hit

KIND_PRIORITY = {"report": 0, "letter": 0, "": 1, "news": 2}
QUOTE_COSINE = 0.5


def _tokenizer():
    from bm25s.tokenization import Tokenizer

    return Tokenizer(stemmer=snowball, stopwords="en")


def lexical_texts(chunks: list[Chunk], documents: dict[str, DocumentInfo]) -> list[str]:
    """What BM25 indexes of each passage: its text with its document's title and its heading."""
    return [c.embedding_text(documents[c.doc].title if c.doc in documents else "") for c in chunks]


class LexicalRetriever:
    """BM25 (bm25s) over each chunk's text with its title and heading."""

    def fit(self, texts: list[str]) -> "LexicalRetriever":
        import bm25s

        self.tokenizer = _tokenizer()
        # as ids with the tokenizer's vocabulary (words as keys), so that the index can be saved
        tokens = self.tokenizer.tokenize(texts, return_as="tuple", show_progress=False)
        self.bm25 = bm25s.BM25()
        self.bm25.index(tokens, show_progress=False)
        self.size = len(texts)
        return self

    def save(self, folder: Path) -> None:
        self.tokenizer.save_vocab(str(folder))
        self.bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, scores: bool = True) -> "LexicalRetriever":
        """The saved index; with `scores=False` only its vocabulary, to turn queries into `term_ids`
        for a store that keeps the scores itself (pgstore's postings)."""
        import bm25s

        self = cls()
        self.tokenizer = _tokenizer()
        self.tokenizer.load_vocab(str(folder))
        if scores:
            self.bm25 = bm25s.BM25.load(str(folder), show_progress=False)
            self.size = int(self.bm25.scores["num_docs"])
        return self

    def term_ids(self, query: str) -> list[int]:
        """The query's terms as the index's term numbers (repeats kept: each one scores again)."""
        ids = self.tokenizer.tokenize([query], update_vocab=False, show_progress=False)[0]
        return [i for i in ids if i != 0] or [0]

    def scores(self, query: str) -> np.ndarray:
        return np.asarray(self.bm25.get_scores(self.term_ids(query)), dtype=np.float32)

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


class FileSearch(Index):
    """The embedded store's `Index`: FAISS and bm25s over the whole collection, exact search and
    BM25 scores of a subset's passages when a filter admits some documents."""

    def __init__(self, index: StoredIndex, lexical: LexicalRetriever):
        self.store, self.collection, self.documents = index.store, index.collection, index.documents
        self.chunks = index.chunks
        self.vectors = index.vectors
        self.lexical_index = lexical
        self.dense_index = DenseRetriever().fit(index)
        self.rows = {c.id: i for i, c in enumerate(self.chunks)}

    def _subset(self, docs: set[str]) -> np.ndarray:
        return np.array([i for i, c in enumerate(self.chunks) if c.doc in docs], dtype=np.int64)

    def dense(self, qvec: np.ndarray, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        docs = self._docs(where)
        if docs is None:
            return self.dense_index.search(qvec, k)
        subset = self._subset(docs)
        d = self.vectors[subset] @ qvec
        top = np.argsort(-d)[:k]
        return [(int(subset[j]), float(d[j])) for j in top]

    def lexical(self, query: str, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        docs = self._docs(where)
        if docs is None:
            return self.lexical_index.search(query, k)
        subset = self._subset(docs)
        sc = self.lexical_index.scores(query)[subset]
        top = np.argsort(-sc, kind="stable")[:k]
        return [(int(subset[j]), float(sc[j])) for j in top if sc[j] > 0]

    def get(self, ids: list[str]) -> list[Chunk]:
        return [self.chunks[self.rows[i]] for i in ids if i in self.rows]

    def count(self, where: dict | None = None) -> int:
        docs = self._docs(where)
        return len(self.chunks) if docs is None else len(self._subset(docs))


def rrf(rankings: list[list[int]], k: int = 60, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack et al., 2009): robust to incomparable score scales."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for w, ranking in zip(weights, rankings):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + w / (k + rank)
    return fused


def normalise(pairs: list[tuple[int, float]], how: str = "minmax") -> dict[int, float]:
    if not pairs:
        return {}
    s = np.array([v for _, v in pairs], dtype=np.float64)
    if how == "minmax":
        lo, hi = s.min(), s.max()
        z = (s - lo) / (hi - lo) if hi > lo else np.ones_like(s)
    else:  # z-score
        sd = s.std()
        z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
    return {i: float(v) for (i, _), v in zip(pairs, z)}


def score_fusion(dense: list[tuple[int, float]], lexical: list[tuple[int, float]], alpha: float = 0.5,
                 how: str = "minmax") -> dict[int, float]:
    """alpha * dense + (1 - alpha) * BM25 over per-query normalised scores; a passage missing
    from one list gets that list's lowest score. Chosen over RRF on SciFact's train split
    (nDCG@10 0.729 against 0.718; see evals/README.md)."""
    d, lex = normalise(dense, how), normalise(lexical, how)
    floor_d, floor_l = min(d.values(), default=0.0), min(lex.values(), default=0.0)
    return {i: alpha * d.get(i, floor_d) + (1 - alpha) * lex.get(i, floor_l) for i in set(d) | set(lex)}


class HybridRetriever:
    """mode: "hybrid" (default), "dense" or "bm25" — the last two are the eval baselines."""

    def __init__(self, embedder: Embedder, mode: str = "hybrid", candidates: int = 40, rrf_k: int = 60,
                 duplicate_overlap: float = 0.8, fusion: str = "minmax"):
        if mode not in {"hybrid", "dense", "bm25"}:
            raise ValueError(f"unknown retrieval mode {mode!r}")
        if fusion not in {"minmax", "rrf"}:
            raise ValueError(f"unknown fusion {fusion!r}")
        self.fusion = fusion
        self.embedder = embedder
        self.mode = mode
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.duplicate_overlap = duplicate_overlap

    def fit(self, index: StoredIndex) -> "HybridRetriever":
        self.index = index
        self.chunks: list[Chunk] = index.chunks
        self.documents: dict[str, DocumentInfo] = index.documents
        self.vectors = index.vectors
        self.store = index.extra.get("search")  # a shared store's searches (pgstore.PgSearch)
        if self.store is None:
            lexical = index.extra.get("lexical")
            if lexical is None:
                lexical = index.extra["lexical"] = LexicalRetriever().fit(lexical_texts(self.chunks, self.documents))
            self.store = FileSearch(index, lexical)
        self._shingle_cache: dict[int, frozenset] = {}
        return self

    def search(self, query: str, k: int = 8, qvec: np.ndarray | None = None, where: dict | None = None) -> list[Hit]:
        """The k best passages for `query`; with `where` (store.Where), only passages it admits."""
        if not self.chunks:
            return []
        if qvec is None:
            qvec = self.embedder.encode_query(query)
        dense = self.store.dense(qvec, self.candidates, where) if self.mode != "bm25" else []
        lexical = self.store.lexical(query, self.candidates, where) if self.mode != "dense" else []
        if self.fusion == "rrf":
            fused = rrf([[i for i, _ in dense], [i for i, _ in lexical]], self.rrf_k)
        else:
            fused = score_fusion(dense, lexical)
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

    def _quotes(self, a: int, b: int) -> bool:
        """One passage quotes the other: most of the shorter one's word triples are in the longer."""
        sa, sb = self._shingles(a), self._shingles(b)
        small = min(len(sa), len(sb))
        return small >= 4 and len(sa & sb) >= self.duplicate_overlap * small

    def collapse_duplicates(self, hits: list[Hit], order: list[int]) -> list[Hit]:
        """A passage quoted in another document (a news story quoting a letter) appears once, from the primary source.

        Twins share their words: one quotes the other. Meaning alone is not enough, since two
        reports' judgement tables read alike and say different things; a quote shares much of its
        meaning too, so word triples are compared only above QUOTE_COSINE."""
        if not hits:
            return hits
        sims = self.vectors[order] @ self.vectors[order].T
        kept: list[int] = []  # positions in hits
        for pos in range(len(hits)):
            twin = next((j for j, k in enumerate(kept)
                         if hits[pos].chunk.doc != hits[k].chunk.doc  # a report's summary may repeat its body
                         and sims[pos, k] >= QUOTE_COSINE and self._quotes(order[pos], order[k])), None)
            if twin is None:
                kept.append(pos)
            elif self._primary_rank(hits[pos].chunk.doc, hits[kept[twin]].chunk.doc) < 0:
                hit, old = hits[pos], hits[kept[twin]]
                hit.score, hit.dense, hit.lexical = (max(hit.score, old.score), max(hit.dense, old.dense),
                                                     max(hit.lexical, old.lexical))
                kept[twin] = pos
        return [hits[p] for p in kept]

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
