"""The persisted index of a collection: chunks, vectors, FAISS, and a manifest.

Layout under index/<collection>/:
    collection.json     the collection's source folders (survives a corrupt build)
    CURRENT             name of the build that serves queries, swapped atomically
    builds/<id>/        manifest.json, chunks.jsonl, vectors.npy, keys.json, index.faiss
    .lock               held while building, so two indexers cannot interleave

A build is written into a fresh folder and published by replacing CURRENT, so a
build killed at any point leaves the previous one serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.types import Chunk, DocumentInfo

MANIFEST_VERSION = 1
HNSW_M = 32


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


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_faiss(vectors: np.ndarray, exact_limit: int):
    """Exact inner product below the limit; HNSW above it, where exact search gets slow."""
    import faiss

    dim = vectors.shape[1] if vectors.ndim == 2 and vectors.shape[0] else 384
    if len(vectors) <= exact_limit:
        index = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    if len(vectors):
        index.add(vectors)
    return index


def write_build(
    cdir: Path,
    manifest: dict,
    chunks: list[Chunk],
    documents: dict[str, DocumentInfo],
    vectors: np.ndarray,
    keys: list[str],
    exact_limit: int,
) -> Path:
    """Write a complete build beside the current one, then publish it atomically."""
    import faiss

    builds = cdir / "builds"
    builds.mkdir(parents=True, exist_ok=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    tmp = builds / f".{build_id}.tmp"
    tmp.mkdir()
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
    files = ["chunks.jsonl", "documents.json", "vectors.npy", "keys.json", "index.faiss"]
    manifest = {
        **manifest,
        "manifest_version": MANIFEST_VERSION,
        "index_type": "flat" if isinstance(index, faiss.IndexFlat) else "hnsw",
        "checksums": {name: _sha256(tmp / name) for name in files},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    for name in files + ["manifest.json"]:
        with open(tmp / name, "rb") as f:
            os.fsync(f.fileno())
    final = builds / build_id
    os.replace(tmp, final)
    atomic_write_text(cdir / "CURRENT", build_id)
    _remove_old_builds(builds, keep=build_id)
    return final


def _remove_old_builds(builds: Path, keep: str) -> None:
    for p in builds.iterdir():
        if p.name != keep:
            shutil.rmtree(p, ignore_errors=True)


def current_build(cdir: Path) -> Path | None:
    pointer = cdir / "CURRENT"
    if not pointer.exists():
        return None
    build = cdir / "builds" / pointer.read_text(encoding="utf-8").strip()
    return build if build.is_dir() else None


def read_manifest(cdir: Path) -> dict | None:
    build = current_build(cdir)
    if build is None:
        return None
    try:
        return json.loads((build / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise IndexProblem(f"index manifest {build / 'manifest.json'} is unreadable ({e.__class__.__name__})") from None


def load_build(cdir: Path, collection: str, model: str, dimension: int) -> StoredIndex:
    """Load and verify the current build; raise IndexProblem instead of serving wrong results."""
    import faiss

    build = current_build(cdir)
    if build is None:
        raise IndexProblem(f"collection {collection!r} has no index yet")
    manifest = read_manifest(cdir)
    if manifest.get("model") != model:
        raise IndexProblem(f"index of {collection!r} was built with model {manifest.get('model')!r}, not {model!r}")
    for name, expected in manifest.get("checksums", {}).items():
        path = build / name
        if not path.exists():
            raise IndexProblem(f"index file {path} is missing")
        if _sha256(path) != expected:
            raise IndexProblem(f"index file {path} is corrupt or truncated (checksum mismatch)")
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
        keys = json.loads((build / "keys.json").read_text(encoding="utf-8"))
        vectors = np.load(build / "vectors.npy", mmap_mode="r")
        if len(keys) != vectors.shape[0]:
            return {}
        return {k: vectors[i] for i, k in enumerate(keys)}
    except Exception:
        return {}
