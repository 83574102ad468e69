"""The persisted index of a collection: chunks, vectors, FAISS, and a manifest.

Layout under index/<collection>/:
    collection.json     the collection's source folders (survives a corrupt build)
    CURRENT             name of the build that serves queries, swapped atomically
    builds/<id>/        manifest.json, chunks.jsonl, vectors.npy, keys.json, index.faiss
                        and what answering needs besides (assistant/prepared.py), all checksummed
    .lock               held while building, so two indexers cannot interleave

A build is written into a fresh folder and published by replacing CURRENT, so a
build killed at any point leaves the previous one serving. Publishing keeps the
build it replaces (a reader may be loading it) and removes anything older,
including the builds/.<id>.tmp folders of killed builds.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.types import Chunk, DocumentInfo

MANIFEST_VERSION = 1
HNSW_M = 32
# Every file of a build; the manifest must hold a checksum for each (a manifest
# without them would otherwise be trusted blindly).
INDEX_FILES = ("chunks.jsonl", "documents.json", "vectors.npy", "keys.json", "index.faiss")


class IndexProblem(Exception):
    """The persisted index cannot be trusted; the message says why, in one line."""


@dataclass
class StoredIndex:
    collection: str
    path: Path
    manifest: dict
    chunks: list[Chunk]
    documents: dict[str, DocumentInfo]
    vectors: np.ndarray
    keys: list[str]
    faiss_index: object = None
    extra: dict = field(default_factory=dict)  # retrievers attach their structures here
    store: object = None  # the store it was loaded from, which publishes changes to it


def collection_dir(index_dir: Path, collection: str) -> Path:
    if not collection or "/" in collection or "\\" in collection or collection.startswith("."):
        raise ValueError(f"invalid collection name {collection!r}")
    return index_dir / collection


def read_sources(cdir: Path) -> list[Path]:
    path = cdir / "collection.json"
    if not path.exists():
        return []
    return [Path(p) for p in json.loads(path.read_text(encoding="utf-8"))["sources"]]


def write_sources(cdir: Path, sources: list[Path]) -> None:
    cdir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cdir / "collection.json", json.dumps({"sources": [str(p) for p in sources]}, indent=2))


def list_collections(index_dir: Path) -> list[str]:
    if not index_dir.exists():
        return []
    return sorted(p.name for p in index_dir.iterdir() if (p / "collection.json").exists())


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    """Make a rename in `path` durable: without it a crash can undo the rename after CURRENT names it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on a directory; the rename is still atomic
        pass
    finally:
        os.close(fd)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# Inverted lists searched per query above the exact-search limit: recall@10 against exact
# search >= 0.995 on the structured synthetic sets of evals/bench_faiss.py from 100k to 1M vectors.
IVF_PROBE = 64


def ivf_lists(n: int) -> int:
    """About 4·√n k-means lists (4,000 for a million vectors), each trained on at least 39 vectors."""
    return max(1, min(int(4 * n**0.5), n // 39))


def make_faiss(vectors: np.ndarray, exact_limit: int):
    """Exact inner product up to `exact_limit` vectors; an inverted file (IVF) index above it.

    Measured with `python -m evals.bench_faiss` (2 cores): exact search costs about 0.13 µs
    per vector and query (12 ms at 100k, 145 ms at 1M); IVF with `IVF_PROBE` lists answers in
    0.6 ms at 100k and 3 ms at 1M with recall@10 >= 0.995. HNSW (M=32) answers a little
    faster but builds 5x slower (170 s against 35 s at 1M) and lost recall on one data set
    (0.95 at ef=64); as every build makes its index anew, the build time decides.
    The index is deterministic (faiss' k-means seed is fixed) and saves its `nprobe`.
    """
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    n = len(vectors)
    if n <= exact_limit or ivf_lists(n) < 2:  # one list would be exact search with extra steps
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = ivf_lists(n)
        quantizer = faiss.IndexFlatIP(dim)
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(vectors)  # faiss trains on a sample of at most 256 vectors per list
        index.nprobe = min(IVF_PROBE, nlist)
    if n:
        index.add(vectors)
    return index


def index_kind(index) -> str:
    """The manifest's name for a FAISS index type."""
    import faiss

    if isinstance(index, faiss.IndexFlat):
        return "flat"
    if isinstance(index, faiss.IndexIVF):
        return "ivf"
    return "hnsw" if isinstance(index, faiss.IndexHNSW) else type(index).__name__


def write_build(
    cdir: Path,
    manifest: dict,
    chunks: list[Chunk],
    documents: dict[str, DocumentInfo],
    vectors: np.ndarray,
    keys: list[str],
    exact_limit: int,
    prepare=None,
) -> Path:
    """Write a complete build beside the current one, then publish it atomically.

    `prepare(folder, chunks, documents, previous)` writes what answering needs besides the index
    into the build (`previous` is the build it replaces, or None) and returns the files it wrote:
    they are checksummed and published with the rest."""
    builds = cdir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = builds / f".{build_id}.tmp"
    tmp.mkdir()
    try:
        final = _write_and_publish(cdir, builds, tmp, build_id, manifest, chunks, documents, vectors, keys, exact_limit,
                                   prepare)
    except BaseException:
        # A failed build (disk full, a bug) leaves no half-written folder behind; a SIGKILL can't
        # get here, and its leftover .tmp folder is removed by the next publish.
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _write_and_publish(cdir, builds, tmp, build_id, manifest, chunks, documents, vectors, keys, exact_limit,
                       prepare) -> Path:
    import faiss

    with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as f:
        for c in chunks:
            f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
    (tmp / "documents.json").write_text(
        json.dumps({k: v.__dict__ for k, v in documents.items()}, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    np.save(tmp / "vectors.npy", vectors)
    (tmp / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
    index = make_faiss(vectors, exact_limit)
    faiss.write_index(index, str(tmp / "index.faiss"))
    previous = current_build(cdir)
    files = list(INDEX_FILES) + (prepare(tmp, chunks, documents, previous) if prepare else [])
    manifest = {
        **manifest,
        "manifest_version": MANIFEST_VERSION,
        "index_type": index_kind(index),
        "checksums": {name: sha256_file(tmp / name) for name in files},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    for name in files + ["manifest.json"]:
        with open(tmp / name, "rb") as f:
            os.fsync(f.fileno())
    _fsync_dir(tmp)
    final = builds / build_id
    os.replace(tmp, final)
    _fsync_dir(builds)  # the folder's new name is on disk before CURRENT names it
    atomic_write_text(cdir / "CURRENT", build_id)
    # Keep the build that served until now: a reader in another process may have read
    # CURRENT a moment ago and still be loading it. Older builds and leftovers go.
    _remove_old_builds(builds, keep={build_id, previous.name if previous else build_id})
    return final


def _remove_old_builds(builds: Path, keep: set[str]) -> None:
    """Remove superseded builds and `.tmp` folders that killed builds left (called under the lock)."""
    for p in builds.iterdir():
        if p.name not in keep:
            shutil.rmtree(p, ignore_errors=True)
    # atomic_write_text's temporary files (".CURRENT.<hex>.tmp") left by a killed process
    for p in builds.parent.glob(".*.tmp"):
        if p.is_file():
            p.unlink(missing_ok=True)


def current_build(cdir: Path) -> Path | None:
    pointer = cdir / "CURRENT"
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8", errors="replace").strip()
    # An empty or damaged CURRENT must not resolve to builds/ itself, a .tmp folder or a path outside.
    if not name or name.startswith(".") or "/" in name or "\\" in name:
        return None
    build = cdir / "builds" / name
    return build if build.is_dir() else None


def read_manifest(cdir: Path) -> dict | None:
    build = current_build(cdir)
    if build is None:
        return None
    return _manifest_of(build)


def _manifest_of(build: Path) -> dict:
    try:
        manifest = json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexProblem(f"index manifest {build / 'manifest.json'} is unreadable ({e.__class__.__name__})") from None
    if not isinstance(manifest, dict):
        raise IndexProblem(f"index manifest {build / 'manifest.json'} is unreadable (not a JSON object)")
    return manifest


def _verify_files(build: Path, manifest: dict, names=INDEX_FILES) -> None:
    """Raise IndexProblem unless each file is present and matches the manifest's checksum."""
    checksums = manifest.get("checksums")
    if not isinstance(checksums, dict):
        checksums = {}
    for name in names:
        path = build / name
        expected = checksums.get(name)
        if not expected:
            raise IndexProblem(f"index manifest {build / 'manifest.json'} has no checksum for {name}")
        if not path.exists():
            raise IndexProblem(f"index file {path} is missing")
        if sha256_file(path) != expected:
            raise IndexProblem(f"index file {path} is corrupt or truncated (checksum mismatch)")


def _files_of(manifest: dict) -> list[str]:
    """Every file of a build: the index's own, and whatever else the manifest checksums."""
    checksums = manifest.get("checksums") if isinstance(manifest.get("checksums"), dict) else {}
    return list(dict.fromkeys([*INDEX_FILES, *checksums]))


def load_build(cdir: Path, collection: str, model: str, dimension: int) -> StoredIndex:
    """Load and verify the current build; raise IndexProblem instead of serving wrong results."""
    import faiss

    build = current_build(cdir)
    if build is None:
        raise IndexProblem(f"collection {collection!r} has no index yet")
    # The manifest of *this* build: reading CURRENT a second time could pair another
    # process's newly published manifest with these files and report false corruption.
    manifest = _manifest_of(build)
    if manifest.get("model") != model:
        raise IndexProblem(f"index of {collection!r} was built with model {manifest.get('model')!r}, not {model!r}")
    _verify_files(build, manifest, _files_of(manifest))
    try:
        chunks = [Chunk.from_dict(json.loads(line)) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
        docs = json.loads((build / "documents.json").read_text(encoding="utf-8"))
        documents = {k: DocumentInfo(**v) for k, v in docs.items()}
        vectors = np.load(build / "vectors.npy")
        keys = json.loads((build / "keys.json").read_text(encoding="utf-8"))
        index = faiss.read_index(str(build / "index.faiss"))
    except Exception as e:
        raise IndexProblem(f"index of {collection!r} cannot be read ({e.__class__.__name__}: {str(e)[:80]})") from None
    if not (len(chunks) == len(keys) == vectors.shape[0] == index.ntotal == manifest.get("chunks")):
        raise IndexProblem(f"index of {collection!r} is inconsistent: counts differ between manifest, chunks and vectors")
    if len(chunks) and (vectors.shape[1] != dimension or index.d != dimension):
        raise IndexProblem(f"index of {collection!r} has {index.d}-dimension vectors; the model makes {dimension}")
    return StoredIndex(collection, build, manifest, chunks, documents, vectors, keys, index)


def previous_embeddings(cdir: Path) -> dict[str, np.ndarray]:
    """Vectors of the current build by content key, to reuse when re-indexing (best effort)."""
    build = current_build(cdir)
    if build is None:
        return {}
    try:
        # Only verified vectors are reused: a rebuild after corruption would otherwise copy
        # the damaged vectors into the new build and seal them with fresh checksums.
        _verify_files(build, _manifest_of(build), ("keys.json", "vectors.npy"))
        keys = json.loads((build / "keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / "vectors.npy", mmap_mode="r")
        if len(keys) != vectors.shape[0]:
            return {}
        return {k: vectors[i] for i, k in enumerate(keys)}
    except Exception:
        return {}


DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")
FILTER_KEYS = ("doc", "date_from", "date_to")


@dataclass(frozen=True)
class Where:
    """A search's filter, given as data like minsearch's filter_dict:
    {"doc": ["a.txt", ...], "date_from": "2019-01-01", "date_to": "2020-12-31"}, any of them.
    Dates are YYYY, YYYY-MM or YYYY-MM-DD; the range includes both ends."""

    docs: frozenset[str] | None = None
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def of(cls, where: dict | None) -> "Where":
        """Check a filter given as data; bad input is a one-line ValueError."""
        if where is None:
            return cls()
        if not isinstance(where, dict):
            raise ValueError(f"a filter must be a dict with keys {', '.join(FILTER_KEYS)}, not {type(where).__name__}")
        unknown = [k for k in where if k not in FILTER_KEYS]
        if unknown:
            raise ValueError(f"unknown filter key {unknown[0]!r}: a filter takes {', '.join(FILTER_KEYS)}")
        docs = where.get("doc")
        if isinstance(docs, str):
            docs = [docs]
        if docs is not None and not (isinstance(docs, (list, tuple, set, frozenset))
                                     and all(isinstance(d, str) for d in docs)):
            raise ValueError("filter doc must be a document name or a list of them")
        lo, hi = _date(where, "date_from"), _date(where, "date_to")
        if lo and hi and _before(hi, lo):
            raise ValueError(f"filter date_from {lo} is after date_to {hi}")
        return cls(None if docs is None else frozenset(docs), lo, hi)

    def documents(self, documents: dict[str, DocumentInfo]) -> set[str] | None:
        """The documents it admits, None when it admits every one. Both stores filter by this set,
        so they agree on what a filter means; a document without a date is outside any date range."""
        if self.docs is None and not (self.date_from or self.date_to):
            return None
        names = documents.keys() if self.docs is None else self.docs & documents.keys()
        return {d for d in names if self._in_range(documents[d].date)}

    def _in_range(self, date: str) -> bool:
        # dates are prefixes of ISO dates ("2018-11"): a month is in the range when any of its days is
        if not (self.date_from or self.date_to):
            return True
        return bool(date) and not _before(date, self.date_from) and not _before(self.date_to, date)


def _date(where: dict, key: str) -> str:
    value = where.get(key) or ""
    try:
        if not (isinstance(value, str) and (not value or DATE.fullmatch(value))):
            raise ValueError
        if value:  # a real day, month and year: "2019-13" and "2019-02-30" are typing errors
            datetime.date.fromisoformat((value + "-01-01")[:10])
    except ValueError:
        raise ValueError(f"filter {key} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {value!r}") from None
    return value


def _before(a: str, b: str) -> bool:
    """Whether date prefix `a` ends before `b` begins (compared over the length both give; "" is open)."""
    n = min(len(a), len(b))
    return a[:n] < b[:n]


class Index(ABC):
    """What retrieval needs of one collection's index, the same on either store: `retrieval.FileSearch`
    (FAISS and bm25s) and `pgstore.PgSearch` (PostgreSQL) implement it.

    Searches give (row, score) pairs, best first, a row being a passage's position in the loaded
    build's chunks; `where` is a filter as data (`Where`). Fusion is the application's, so both stores
    rank alike. A loaded index keeps searching its build; `add` and `delete` publish a new build of
    the collection through the store's atomic write, to be loaded again."""

    store: "FileStore"  # or pgstore.PgStore: the same seam
    collection: str
    documents: dict[str, DocumentInfo]

    @abstractmethod
    def dense(self, qvec: np.ndarray, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        """The k passages whose vectors have the largest inner product with `qvec` (cosine)."""

    @abstractmethod
    def lexical(self, query: str, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        """The k passages with the highest BM25 scores for `query`; none that scores 0."""

    @abstractmethod
    def get(self, ids: list[str]) -> list[Chunk]:
        """The chunks with these ids, in that order; an id the build lacks is left out."""

    @abstractmethod
    def count(self, where: dict | None = None) -> int:
        """How many chunks the build holds (that the filter admits)."""

    def _docs(self, where: dict | None) -> set[str] | None:
        return Where.of(where).documents(self.documents)

    def add(self, chunks: list[Chunk], documents: dict[str, DocumentInfo], vectors: np.ndarray, keys: list[str],
            exact_limit: int, prepare) -> None:
        """Publish the collection with these documents' chunks, replacing any it holds of them.
        Every other document keeps its chunks and vectors; `prepare` is as for `write`."""
        self._publish({c.doc for c in chunks} | set(documents), chunks, documents, vectors, keys, exact_limit, prepare)

    def delete(self, docs: set[str], exact_limit: int, prepare) -> None:
        """Publish the collection without these documents' chunks."""
        self._publish(set(docs), [], {}, None, [], exact_limit, prepare)

    def _publish(self, drop, chunks, documents, vectors, keys, exact_limit, prepare) -> None:
        """The current build (not necessarily the one this index searches) with `drop`'s documents
        replaced, written whole: BM25's statistics and what answering needs change with any document.
        Under the indexer's lock, so an indexer and this cannot lose each other's change."""
        from filelock import FileLock

        cdir = collection_dir(self.store.index_dir, self.collection)
        cdir.mkdir(parents=True, exist_ok=True)
        with FileLock(str(cdir / ".lock")):
            manifest = self.store.manifest(self.collection)
            now = self.store.load(self.collection, manifest["model"], manifest["dimension"])
            keep = [i for i, c in enumerate(now.chunks) if c.doc not in drop]
            docs = {d: info for d, info in now.documents.items() if d not in drop} | documents
            all_chunks = [now.chunks[i] for i in keep] + list(chunks)
            all_vectors = np.concatenate([now.vectors[keep], vectors]) if chunks else now.vectors[keep]
            manifest = {**manifest, "documents": len(docs), "chunks": len(all_chunks)}
            self.store.write(self.collection, manifest, all_chunks, docs, all_vectors,
                             [now.keys[i] for i in keep] + list(keys), exact_limit, prepare)


class FileStore:
    """The embedded store: each collection's builds as files under `index_dir` (the default).

    The seam every store has (`pgstore.PgStore` is the other): the manifest of the current build,
    write-and-publish a build, load it, the vectors it holds by content key, the collection's
    sources, and a generation a process compares to notice a newer build (None here: a process
    that re-indexes reloads itself, as the app does after an upload). A loaded build's searches
    are an `Index`."""

    shared = False  # only this machine's processes read it: a reader may rebuild a stale index

    def __init__(self, index_dir: Path):
        self.index_dir = index_dir

    def dir(self, collection: str) -> Path:
        return collection_dir(self.index_dir, collection)

    def manifest(self, collection: str) -> dict | None:
        return read_manifest(self.dir(collection))

    def write(self, collection: str, manifest: dict, chunks: list[Chunk], documents: dict[str, DocumentInfo],
              vectors: np.ndarray, keys: list[str], exact_limit: int, prepare) -> Path:
        return write_build(self.dir(collection), manifest, chunks, documents, vectors, keys, exact_limit, prepare)

    def load(self, collection: str, model: str, dimension: int) -> StoredIndex:
        stored = load_build(self.dir(collection), collection, model, dimension)
        stored.store = self
        return stored

    def previous_embeddings(self, collection: str) -> dict[str, np.ndarray]:
        return previous_embeddings(self.dir(collection))

    def generation(self, collection: str) -> object:
        return None

    def sources(self, collection: str) -> list[Path]:
        return read_sources(self.dir(collection))

    def set_sources(self, collection: str, sources: list[Path]) -> None:
        write_sources(self.dir(collection), sources)

    def collections(self) -> list[str]:
        return list_collections(self.index_dir)


_stores: dict[tuple, object] = {}


def open_store(settings) -> "FileStore":
    """The store `settings.store` names: a postgresql:// URI selects PostgreSQL, nothing the files."""
    key = (settings.store, settings.index_dir)
    if key not in _stores:
        if settings.store.startswith(("postgresql://", "postgres://")):
            from assistant.pgstore import PgStore

            _stores[key] = PgStore(settings.store, settings.index_dir)
        elif settings.store:
            raise ValueError(f"store must be a postgresql:// URI or empty (the index files), not {settings.store!r}")
        else:
            _stores[key] = FileStore(settings.index_dir)
    return _stores[key]
