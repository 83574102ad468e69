"""Every sentence of a collection, embedded and tagged once, so that answering only looks them up.

The answer stage scores sentences, not passages: each needs its own embedding and the kinds of
named entity it holds (a number, a date, a person...). Both are computed when the collection is
indexed and kept beside the index in `sentences.npz`, keyed by the chunks' content; a re-index
embeds only sentences it has not seen. A missing or damaged file is rebuilt on load.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant import nlp
from assistant.chunking import split_sentences
from assistant.embedding import Embedder
from assistant.packs import signature
from assistant.types import Chunk

VERSION = "2"  # bump when what is stored per sentence changes
FILE = "sentences.npz"


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little") >> 1


@dataclass
class SentenceTable:
    texts: list[str]
    position: np.ndarray  # its index inside its chunk
    vectors: np.ndarray  # normalised embeddings
    kinds: np.ndarray  # nlp entity bits
    starts: np.ndarray  # chunk i's sentences are rows starts[i]:starts[i+1]

    def rows(self, chunk_index: int) -> range:
        return range(int(self.starts[chunk_index]), int(self.starts[chunk_index + 1]))


def split(chunks: list[Chunk]) -> tuple[list[str], np.ndarray, np.ndarray]:
    texts, position, starts = [], [], [0]
    for c in chunks:
        # a line is a sentence too: a list's items, a table's rows, "Lead inspector: …" under a date line
        parts = [s for line in c.text.splitlines() for s in split_sentences(line)] or [c.text]
        texts += parts
        position += range(len(parts))
        starts.append(len(texts))
    return texts, np.array(position, dtype=np.int32), np.array(starts, dtype=np.int64)


def _key(model_name: str, texts: list[str]) -> str:
    h = hashlib.sha256(f"{VERSION}\n{model_name}\n{signature()}\n".encode())
    for t in texts:
        h.update(t.encode("utf-8") + b"\x00")
    return h.hexdigest()[:24]


def _previous(path: Path) -> tuple[dict[int, tuple[np.ndarray, int]], str]:
    """The sentences a table already holds, by hash, and the pack signature their kinds were read with."""
    try:
        with np.load(path) as f:
            return {int(h): (v, int(k)) for h, v, k in zip(f["hashes"], f["vectors"], f["kinds"])}, str(f["packs"])
    except (OSError, ValueError, KeyError):
        return {}, ""


def load(chunks: list[Chunk], model_name: str, folder: Path) -> SentenceTable | None:
    """The table kept in `folder` for these chunks, or None when it is missing, stale or damaged."""
    texts, position, starts = split(chunks)
    try:
        with np.load(folder / FILE) as f:
            if str(f["key"]) == _key(model_name, texts):
                return SentenceTable(texts, position, f["vectors"].astype(np.float32), f["kinds"], starts)
    except (OSError, ValueError, KeyError):
        pass
    return None


def build(chunks: list[Chunk], embedder: Embedder, folder: Path, reuse: Path | None = None,
          progress: bool = False) -> SentenceTable:
    """The collection's sentence table: read from `folder` when current, else computed (reusing
    whatever sentences the table in `reuse`, or the one in `folder`, already had) and written atomically."""
    table = load(chunks, embedder.model_name, folder)
    if table is not None:
        return table
    texts, position, starts = split(chunks)
    key = _key(embedder.model_name, texts)
    path = folder / FILE
    known, packs = _previous((reuse if reuse is not None else folder) / FILE)
    hashes = np.array([_hash(t) for t in texts], dtype=np.int64)
    unseen = {int(h) for h in hashes} - set(known)
    embed = sorted({i for i, h in enumerate(hashes) if int(h) in unseen}, key=lambda i: texts[i])
    # changed packs recognise other kinds: every sentence's kinds are read again, its embedding kept
    tag = embed if packs == signature() else list(range(len(texts)))
    vectors_of = dict(zip(embed, embedder.encode([texts[i] for i in embed], progress))) if embed else {}
    kinds_of = dict(zip(tag, nlp.kinds([texts[i] for i in tag]))) if tag else {}
    rows = [(vectors_of[i] if i in vectors_of else known[int(h)][0], kinds_of[i] if i in kinds_of else known[int(h)][1])
            for i, h in enumerate(hashes)]
    vectors = (np.stack([v for v, _ in rows]) if rows else np.zeros((0, embedder.dimension))).astype(np.float32)
    vectors = vectors.astype(np.float16).astype(np.float32)  # as stored: a loaded table scores the same
    kinds = np.array([k for _, k in rows], dtype=np.uint8)
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, key=np.array(key), packs=np.array(signature()), hashes=hashes, vectors=vectors.astype(np.float16),
                 kinds=kinds)
    os.replace(tmp, path)
    return SentenceTable(texts, position, vectors, kinds, starts)
