"""Build or refresh a collection's index: load, chunk, embed what changed, publish atomically."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from assistant.chunking import CHUNKER_VERSION, chunk_document, fit_to_model
from assistant.embedding import Embedder, content_key
from assistant.loaders import LoadError, discover, load_document, read_catalogue
from assistant.settings import Settings
from assistant.store import (
    collection_dir,
    previous_embeddings,
    read_manifest,
    write_build,
    write_sources,
)
from assistant.types import Chunk, DocumentInfo


class IndexBusy(RuntimeError):
    pass


@dataclass
class BuildReport:
    collection: str
    documents: int = 0
    chunks: int = 0
    embedded: int = 0  # chunks whose vectors were computed in this build
    reused: int = 0  # chunks whose vectors came from the previous build
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seconds: dict[str, float] = field(default_factory=dict)
    skipped: bool = False  # nothing had changed

    @property
    def ok(self) -> bool:
        return not self.failed


def source_fingerprint(sources: list[Path]) -> dict[str, dict]:
    """size and mtime of every source file: a cheap staleness test before any hashing."""
    out = {}
    for root, f in discover(sources):
        st = f.stat()
        out[str(f.resolve())] = {"size": st.st_size, "mtime": st.st_mtime_ns}
    return out


def is_stale(manifest: dict | None, sources: list[Path], settings: Settings) -> str:
    """Why the index must be rebuilt, or "" when it is current."""
    if manifest is None:
        return "no index yet"
    if manifest.get("model") != settings.model:
        return "the embedding model changed"
    if manifest.get("chunker") != CHUNKER_VERSION or manifest.get("chunk_tokens") != settings.chunk_tokens:
        return "the chunker changed"
    try:
        current = source_fingerprint(sources)
    except LoadError as e:
        return str(e)
    if current != manifest.get("fingerprint"):
        return "source files changed"
    return ""


def build_collection(
    collection: str,
    sources: list[Path],
    settings: Settings,
    embedder: Embedder,
    progress: bool = False,
    force: bool = False,
    lock_timeout: float = 600.0,
) -> BuildReport:
    """Index `sources` as `collection`; embeds only chunks whose content is new."""
    cdir = collection_dir(settings.index_dir, collection)
    cdir.mkdir(parents=True, exist_ok=True)
    report = BuildReport(collection)
    try:
        lock = FileLock(str(cdir / ".lock"), timeout=lock_timeout)
        lock.acquire()
    except Timeout:
        raise IndexBusy(f"another process is indexing collection {collection!r}; try again when it finishes") from None
    try:
        write_sources(cdir, sources)
        if not force and not is_stale(read_manifest_safe(cdir), sources, settings):
            report.skipped = True
            return report
        t0 = time.perf_counter()
        documents, chunks = _load_and_chunk(sources, settings, embedder, report, progress)
        t1 = time.perf_counter()
        vectors, keys = _embed(chunks, documents, embedder, cdir, report, progress)
        t2 = time.perf_counter()
        manifest = {
            "collection": collection,
            "model": settings.model,
            "chunker": CHUNKER_VERSION,
            "chunk_tokens": settings.chunk_tokens,
            "sources": [str(s) for s in sources],
            "files": {d: info_hash for d, info_hash in report_hashes(documents).items()},
            "fingerprint": source_fingerprint(sources),
            "failed": [{"file": f, "reason": r} for f, r in report.failed],
            "documents": len(documents),
            "chunks": len(chunks),
            "dimension": int(vectors.shape[1]) if len(vectors) else embedder.dimension,
        }
        write_build(cdir, manifest, chunks, {k: v[0] for k, v in documents.items()}, vectors, keys,
                    settings.exact_search_limit)
        t3 = time.perf_counter()
        report.seconds = {"load_chunk": t1 - t0, "embed": t2 - t1, "write": t3 - t2, "total": t3 - t0}
        report.documents, report.chunks = len(documents), len(chunks)
        return report
    finally:
        lock.release()


def read_manifest_safe(cdir: Path) -> dict | None:
    try:
        return read_manifest(cdir)
    except Exception:
        return None


def report_hashes(documents: dict[str, tuple[DocumentInfo, str]]) -> dict[str, str]:
    return {doc: sha for doc, (_, sha) in documents.items()}


def _load_and_chunk(sources, settings, embedder, report, progress):
    files = discover(sources)
    catalogues: dict[Path, dict] = {}
    documents: dict[str, tuple[DocumentInfo, str]] = {}
    chunks: list[Chunk] = []
    multi_root = len({root for root, _ in files}) > 1
    for root, f in tqdm(files, desc="Reading", unit="file", disable=not progress):
        if root not in catalogues:
            catalogues[root] = read_catalogue(root)
        try:
            doc = load_document(f, root, catalogues[root])
        except LoadError as e:
            report.failed.append((str(f), e.reason))
            continue
        except Exception as e:  # a library choking on a malformed file must not stop the build
            report.failed.append((str(f), f"unreadable ({e.__class__.__name__}: {str(e)[:80]})"))
            continue
        if multi_root:  # keep doc names unique when several folders make one collection
            doc = _prefixed(doc, root.name)
        documents[doc.info.doc] = (doc.info, doc.sha256)
        chunks.extend(chunk_document(doc, settings.chunk_tokens, settings.merge_tokens))
    titles = {d: info.title for d, (info, _) in documents.items()}
    chunks = fit_to_model(chunks, embedder.tokenizer, min(settings.model_max_tokens, embedder.max_tokens), titles)
    return documents, chunks


def _prefixed(doc, prefix: str):
    from dataclasses import replace

    name = f"{prefix}/{doc.info.doc}"
    paragraphs = [replace(p, doc=name, id=f"{name}#{p.ordinal}") for p in doc.paragraphs]
    return replace(doc, info=replace(doc.info, doc=name), paragraphs=paragraphs)


def _embed(chunks, documents, embedder: Embedder, cdir: Path, report: BuildReport, progress: bool):
    titles = {d: info.title for d, (info, _) in documents.items()}
    texts = [c.embedding_text(titles.get(c.doc, "")) for c in chunks]
    keys = [content_key(embedder.model_name, t) for t in texts]
    cached = previous_embeddings(cdir)
    todo = [i for i, k in enumerate(keys) if k not in cached]
    vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in cached:
            vectors[i] = cached[k]
    if todo:
        vectors[todo] = embedder.encode([texts[i] for i in todo], progress=progress)
    report.embedded, report.reused = len(todo), len(chunks) - len(todo)
    return vectors, keys
