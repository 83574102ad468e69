"""Sentence embeddings, loaded once per process, with a cache keyed by content hash.

The cache is what makes re-indexing cheap: a chunk whose text (and model) did not
change is never embedded again.
"""

from __future__ import annotations

import hashlib
import threading
from functools import lru_cache

import numpy as np

_lock = threading.Lock()


class EmbeddingModelError(RuntimeError):
    pass


@lru_cache(maxsize=4)
def _load(model: str):
    """A BERT model with mean pooling (all-MiniLM-L6-v2) runs in assistant.encoder, without importing
    sentence-transformers (seconds of a fresh process's start); any other model in sentence-transformers."""
    from assistant.encoder import BertEncoder, Unsupported

    try:
        try:
            return BertEncoder(model)
        except Unsupported:
            from sentence_transformers import SentenceTransformer

            return SentenceTransformer(model, device="cpu")
    except Exception as e:  # a wrong path, an unreachable hub id, damaged weights
        raise EmbeddingModelError(f"cannot load embedding model {model!r}: {e.__class__.__name__}: {e}".splitlines()[0]) from None


def content_key(model_name: str, text: str) -> str:
    return hashlib.sha256(f"{model_name}\x00{text}".encode("utf-8")).hexdigest()


class Embedder:
    """`encode` texts to normalised float32 vectors; the model's tokenizer is exposed for limits."""

    def __init__(self, model: str, batch_size: int = 64):
        self.model_name = model
        self.batch_size = batch_size

    @property
    def model(self):
        with _lock:
            return _load(self.model_name)

    @property
    def tokenizer(self):
        return self.model.tokenizer

    @property
    def dimension(self) -> int:
        m = self.model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def encode(self, texts: list[str], progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # both models sort by length inside encode, so batches are tight; both give numpy arrays.
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


def answer_with_threads(threads: int) -> None:
    """Torch's threads for a process that answers questions (0: torch's default, every core).

    A question is a few tokens: splitting it across threads costs more than it saves, and a
    server answers several questions at once, one per core. Set once per process, not per call:
    torch's thread count is process-wide, and switching it around each call would make concurrent
    questions wait for one another."""
    if threads > 0:
        import torch

        torch.set_num_threads(threads)
