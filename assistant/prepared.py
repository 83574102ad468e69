"""What a collection needs to answer besides its passages, computed when it is indexed.

Its vocabulary (how rare each word is, the short forms it defines), the embeddings of its words
(for question words it never uses), its BM25 index and its sentence table are written into the
build they belong to, before the build is published, and checksummed with it: they are replaced
with the index and can never be older or newer than it. Loading a collection reads them and never
computes them, so the first question after `index` is answered at once. A re-index embeds only
the words and sentences the previous build had not seen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from assistant import neighbours, packs, sentences
from assistant.embedding import Embedder
from assistant.neighbours import WordNeighbours
from assistant.retrieval import LexicalRetriever, lexical_texts
from assistant.types import Chunk, DocumentInfo
from assistant.vocabulary import Vocabulary

VERSION = "1"  # bump when what is prepared, or how, changes: every collection is then re-indexed
VOCABULARY = "vocabulary.json"
BM25 = "bm25"


def signature() -> str:
    """What the prepared files were computed with: a build made with another is stale."""
    return f"{VERSION}/{sentences.VERSION}/{packs.signature()}"


@dataclass
class Prepared:
    vocab: Vocabulary  # with its word neighbours
    sentences: sentences.SentenceTable
    lexical: LexicalRetriever


def write(folder: Path, chunks: list[Chunk], documents: dict[str, DocumentInfo], reuse: Path | None,
          embedder: Embedder, progress: bool = False) -> list[str]:
    """Compute everything into `folder` (a build not yet published); returns the files written.
    Its first four arguments are those a store's `prepare` is called with."""
    vocab = Vocabulary.of(chunks, {d: info.title for d, info in documents.items()})
    (folder / VOCABULARY).write_text(json.dumps(vocab.to_dict(), ensure_ascii=False), encoding="utf-8")
    WordNeighbours(embedder).fit(vocab.words, reuse, progress).save(folder)
    sentences.build(chunks, embedder, folder, reuse, progress)
    (folder / BM25).mkdir()
    LexicalRetriever().fit(lexical_texts(chunks, documents)).save(folder / BM25)
    files = [VOCABULARY, neighbours.FILE, sentences.FILE]
    return files + sorted(str(p.relative_to(folder)) for p in (folder / BM25).iterdir())


def load(folder: Path, chunks: list[Chunk], embedder: Embedder, per_word: int, floor: float) -> Prepared:
    """Read what `write` computed (the build's checksums were verified by the store)."""
    vocab = Vocabulary.from_dict(json.loads((folder / VOCABULARY).read_text(encoding="utf-8")))
    if per_word > 0:
        vocab.neighbours = WordNeighbours(embedder, per_word, floor).load(folder)
    table = sentences.load(chunks, embedder.model_name, folder)
    if table is None:  # the build's checksums matched: only a bug can get here
        raise ValueError(f"{folder / sentences.FILE} does not match the passages of its build")
    return Prepared(vocab, table, LexicalRetriever.load(folder / BM25))
