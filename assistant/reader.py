"""The reader: the embedding model with its top layers tuned here to tell the sentence that answers a
question from the near misses around it.

all-MiniLM-L6-v2 places a question near sentences on its topic; among a report's sentences on care
leavers' housing it does not know which one says what the question asks. `python -m evals fit` tunes
its top layers (a few MB, `reader.safetensors`) on the train questions of every eval collection: for
each, the sentences the answer model ranks highest, the gold ones pulled towards the question and the
others pushed away. The answer stage reads only those few likeliest sentences again with it, so the
index and the retrieval stay the embedding model's own. The tuned layers fit one base model: with
any other embedding model (or without the file) there is no reader and answers are the answer
model's alone.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from assistant.settings import PACKAGE_DATA

READER_FILE = PACKAGE_DATA / "reader.safetensors"


def fingerprint(weights: dict, names) -> str:
    """What identifies the base model a set of tuned layers was tuned from: its own weights of them."""
    h = hashlib.sha256()
    for name in sorted(names):
        h.update(name.encode())
        h.update(weights[name].float().contiguous().numpy().tobytes())
    return h.hexdigest()


class Reader:
    """Cosine similarity of a question and sentences through the base encoder with the tuned layers in place."""

    def __init__(self, encoder, tuned: dict):
        self.encoder = encoder
        self.weights = {**encoder.weights, **{k: v.float() for k, v in tuned.items()}}

    @classmethod
    def load(cls, model: str, path: Path = READER_FILE) -> "Reader | None":
        """The reader for embedding model `model`, or None: no file, or layers tuned from another model."""
        from assistant.embedding import Embedder
        from assistant.encoder import BertEncoder

        if not Path(path).is_file():
            return None
        encoder = Embedder(model).model
        if not isinstance(encoder, BertEncoder):
            return None
        from safetensors import safe_open

        with safe_open(str(path), framework="pt") as f:
            base = (f.metadata() or {}).get("base")
            tuned = {k: f.get_tensor(k) for k in f.keys()}
        if not set(tuned) <= set(encoder.weights) or base != fingerprint(encoder.weights, tuned):
            return None
        return cls(encoder, tuned)

    def similarities(self, question: str, sentences: list[str]) -> np.ndarray:
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        # small batches of like lengths: a long sentence pads few others (a third faster than one batch)
        v = self.encoder.encode([question, *sentences], batch_size=4, normalize_embeddings=True, weights=self.weights)
        return v[1:] @ v[0]
