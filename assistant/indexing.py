"""Build or refresh a collection's index: load, chunk, embed what changed, publish atomically."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout
from tqdm import tqdm

from assistant import packs, prepared
from assistant.chunking import CHUNKER_VERSION, chunk_document, fit_to_model
from assistant.embedding import Embedder, content_key
from assistant.loaders import CATALOGUE_NAME, LoadError, discover, load_document, read_catalogue
from assistant.settings import Settings
from assistant.store import collection_dir, open_store, sha256_file
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
    roots = []
    for root, f in discover(sources):
        st = f.stat()
        out[str(f.resolve())] = {"size": st.st_size, "mtime": st.st_mtime_ns}
        if root not in roots:
            roots.append(root)
    # A root's catalogue.json gives titles, dates and derived_from, which go into the
    # build (and the embedded text); editing it must make the index stale too.
    for root in roots:
        cat = root / CATALOGUE_NAME
        if cat.is_file():
            st = cat.stat()
            out[str(cat.resolve())] = {"size": st.st_size, "mtime": st.st_mtime_ns}
    return out


def is_stale(manifest: dict | None, sources: list[Path], settings: Settings, files: bool = True) -> str:
    """Why the index must be rebuilt, or "" when it is current (`files=False`: whatever the source
    files say, for a reader of a shared store, which may not see them)."""
    if manifest is None:
        return "no index yet"
    if manifest.get("model") != settings.model:
        # Name both, so the one line logged says which index was replaced by which model.
        return f"the embedding model changed (index built with {manifest.get('model')!r}, now {settings.model!r})"
    if manifest.get("chunker") != CHUNKER_VERSION or manifest.get("chunk_tokens") != settings.chunk_tokens:
        return "the chunker changed"
    # merge_tokens and model_max_tokens shape the chunks too (older manifests lack them: one
    # rebuild, every embedding reused)
    if (manifest.get("merge_tokens") != settings.merge_tokens
            or manifest.get("model_max_tokens") != settings.model_max_tokens):
        return "the chunker settings changed"
    if manifest.get("prepared") != prepared.signature():
        return "what answering needs is computed differently now"
    if not files:
        return ""
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
    client=None,
) -> BuildReport:
    """Index `sources` as `collection` into the store `settings` names; embeds only chunks whose
    content is new. With a Dask `client` (assistant/cluster.py), its workers read and embed the files."""
    store = open_store(settings)
    cdir = collection_dir(settings.index_dir, collection)  # the lock and the parse cache are local
    cdir.mkdir(parents=True, exist_ok=True)
    report = BuildReport(collection)
    try:
        lock = FileLock(str(cdir / ".lock"), timeout=lock_timeout)
        lock.acquire()
    except Timeout:
        raise IndexBusy(f"another process is indexing collection {collection!r}; try again when it finishes") from None
    try:
        store.set_sources(collection, sources)
        if not force and not is_stale(read_manifest_safe(store, collection), sources, settings):
            report.skipped = True
            return report
        t0 = time.perf_counter()
        # Fingerprint before reading: a file edited while this build runs then looks stale
        # next time, instead of its old text being recorded under its new size and mtime.
        fingerprint = source_fingerprint(sources)
        previous = store.previous_embeddings(collection)
        documents, chunks = _load_and_chunk(sources, settings, embedder, report, progress, previous, client)
        t1 = time.perf_counter()
        vectors, keys = _embed(chunks, documents, embedder, previous, report, progress)
        t2 = time.perf_counter()
        manifest = {
            "collection": collection,
            "model": settings.model,
            "chunker": CHUNKER_VERSION,
            "chunk_tokens": settings.chunk_tokens,
            "merge_tokens": settings.merge_tokens,
            "model_max_tokens": settings.model_max_tokens,
            "sources": [str(s) for s in sources],
            "files": {d: info_hash for d, info_hash in report_hashes(documents).items()},
            "fingerprint": fingerprint,
            "failed": [{"file": f, "reason": r} for f, r in report.failed],
            "documents": len(documents),
            "chunks": len(chunks),
            "dimension": int(vectors.shape[1]) if len(vectors) else embedder.dimension,
            "prepared": prepared.signature(),
        }
        infos = {k: v[0] for k, v in documents.items()}
        # what answering needs is computed now, into the build, not on the first question
        store.write(collection, manifest, chunks, infos, vectors, keys, settings.exact_search_limit,
                    prepare=partial(prepared.write, embedder=embedder, progress=progress))
        t3 = time.perf_counter()
        report.seconds = {"load_chunk": t1 - t0, "embed": t2 - t1, "write": t3 - t2, "total": t3 - t0}
        report.documents, report.chunks = len(documents), len(chunks)
        return report
    finally:
        lock.release()


def read_manifest_safe(store, collection: str) -> dict | None:
    try:
        return store.manifest(collection)
    except Exception:
        return None


def report_hashes(documents: dict[str, tuple[DocumentInfo, str]]) -> dict[str, str]:
    return {doc: sha for doc, (_, sha) in documents.items()}


def _load_and_chunk(sources, settings, embedder, report, progress, previous, client=None):
    """Every source file to its DocumentInfo and chunks, in discovery order.

    A file whose bytes (and the loader and chunker code, and their settings) are unchanged
    since it was last read is not read again: its chunks come from the parse cache
    (index/<collection>/parsed/), keyed by the file's sha256. The rest are parsed in a worker
    process while this thread embeds the chunks already read, in length-sorted blocks; the
    returned list carries those vectors to `_embed`. With a Dask client, the cluster's workers
    read, fit and embed the files instead, all at once.
    """
    files = discover(sources)
    cdir = collection_dir(settings.index_dir, report.collection)
    multi_root = len({root for root, _ in files}) > 1
    signature = _parser_signature(settings.chunk_tokens, settings.merge_tokens, settings.model_max_tokens,
                                  embedder.model_name)
    cache = _ParseCache(cdir, signature)
    encoder = _Encoder(embedder, previous, progress)
    catalogues: dict[Path, dict] = {}
    slots: list = [None] * len(files)  # per file: ("ok", info, sha, chunks) or ("failed", reason)
    todo: list[tuple[int, str, str]] = []  # (file number, cache key, sha256) of the files to parse
    stats = {"files": len(files), "cached": 0, "parsed": 0, "parse_seconds": 0.0}
    t0 = time.perf_counter()
    for i, (root, f) in enumerate(files):
        if root not in catalogues:
            catalogues[root] = read_catalogue(root)
        rel = f.relative_to(root).as_posix()
        name = f"{root.name}/{rel}" if multi_root else rel
        try:
            sha = sha256_file(f)
        except OSError as e:
            slots[i] = ("failed", f"unreadable ({e.__class__.__name__}: {str(e)[:80]})")
            continue
        key = cache.key(name, sha, catalogues[root].get(rel, {}))
        slots[i] = cache.get(key)
        if slots[i] is None:
            todo.append((i, key, sha))
        else:
            stats["cached"] += 1
            if slots[i][0] == "ok":
                encoder.add_chunks(slots[i])
    max_tokens = None  # the model loads once the parser has started, while it works
    parse = partial(_parse_on_cluster, client=client) if client is not None else _parse_files
    for (i, key, hashed), (result, seconds) in parse(todo, files, catalogues, multi_root, settings, encoder, progress):
        stats["parse_seconds"] += seconds
        stats["parsed"] += 1
        if result[0] == "ok":
            _, info, sha, chunks = result
            if max_tokens is None:
                max_tokens = min(settings.model_max_tokens, embedder.max_tokens)
            result = ("ok", info, sha, _fit(chunks, info.title, embedder.tokenizer, max_tokens))
            encoder.add_chunks(result)
        # A LoadError depends on the bytes alone: remembered too. A file that changed between
        # hashing and reading is not cached under the hash of its old bytes.
        if result[0] == "failed" or (result[0] == "ok" and result[2] == hashed):
            cache.put(key, result)
        slots[i] = result
    cache.prune()
    documents: dict[str, tuple[DocumentInfo, str]] = {}
    chunks: list[Chunk] = []
    for (root, f), slot in zip(files, slots):
        if slot[0] != "ok":
            report.failed.append((str(f), slot[1]))
            continue
        _, info, sha, doc_chunks = slot
        documents[info.doc] = (info, sha)
        chunks.extend(doc_chunks)
    stats["seconds"] = time.perf_counter() - t0
    LAST_BUILD_STATS.clear()
    LAST_BUILD_STATS.update(stats)
    return documents, _EncodedChunks(chunks, encoder)


def _prefixed(doc, prefix: str):
    from dataclasses import replace

    name = f"{prefix}/{doc.info.doc}"
    paragraphs = [replace(p, doc=name, id=f"{name}#{p.ordinal}") for p in doc.paragraphs]
    return replace(doc, info=replace(doc.info, doc=name), paragraphs=paragraphs)


def _embed(chunks, documents, embedder: Embedder, previous: dict, report: BuildReport, progress: bool):
    """Vectors for the chunks: the previous build's for unchanged content, the rest encoded
    (most of them already, while files were being read: see `_load_and_chunk`)."""
    titles = {d: info.title for d, (info, _) in documents.items()}
    texts = [c.embedding_text(titles.get(c.doc, "")) for c in chunks]
    keys = [content_key(embedder.model_name, t) for t in texts]
    encoder = getattr(chunks, "encoder", None) or _Encoder(embedder, previous, progress)
    encoder.add(keys, texts)
    vectors = encoder.vectors(keys)
    reused = sum(1 for k in keys if k in encoder.previous)
    report.embedded, report.reused = len(keys) - reused, reused
    LAST_BUILD_STATS.update(encode_seconds=encoder.seconds, encoded=encoder.encoded, blocks=encoder.blocks)
    return vectors, keys


# --- reading: a parse cache by file content, parsing overlapped with encoding ----------------

PARSE_CACHE_DIR = "parsed"  # index/<collection>/parsed/<key>.json: one file's chunks, or why it failed
PARSE_WORKER = "process"  # "process" (a worker process parses), "thread", or "inline" (no overlap)
PARSE_INLINE_BELOW = 4  # fewer files to parse than this: parse inline, no worker to start
ENCODE_BLOCK = 1024  # encode once this many chunks wait and the parser has nothing new to hand over
LAST_BUILD_STATS: dict = {}  # what the last build in this process did (for benchmarks and tests)


_signatures: dict[tuple, str] = {}


def _parser_signature(chunk_tokens: int, merge_tokens: int, model_max_tokens: int, model: str) -> str:
    """What a file's chunks depend on besides its bytes: the code that reads and chunks it
    (this module, the loaders, the chunker), the libraries they call, their settings and the
    model whose tokenizer fits the chunks. Changing any of them re-reads every file."""
    import hashlib
    import importlib.metadata
    import json

    key = (chunk_tokens, merge_tokens, model_max_tokens, model)
    if key not in _signatures:
        pkg = Path(__file__).resolve().parent
        h = hashlib.sha256(json.dumps([CHUNKER_VERSION, *key]).encode())
        for f in sorted([*(pkg / "loaders").glob("*.py"), pkg / "chunking.py", pkg / "types.py", Path(__file__)]):
            h.update(f.name.encode() + b"\0" + f.read_bytes())
        h.update(packs.signature().encode())  # the packs read metadata too
        for dist in ("pymupdf", "python-docx", "trafilatura", "lxml", "tiktoken", "tokenizers", "transformers"):
            try:
                h.update(f"{dist}={importlib.metadata.version(dist)}".encode())
            except importlib.metadata.PackageNotFoundError:
                pass
        _signatures[key] = h.hexdigest()
    return _signatures[key]


class _ParseCache:
    """One JSON file per source file read, named by a hash of (parser signature, document name,
    file sha256, catalogue entry), holding its DocumentInfo and fitted chunks (or its LoadError
    reason) and a checksum: a damaged entry is a miss, never wrong chunks. Only the indexer,
    under the collection's lock, reads or writes it; entries the build did not use are pruned."""

    def __init__(self, cdir: Path, signature: str):
        self.dir = cdir / PARSE_CACHE_DIR
        self.signature = signature
        self.used: set[str] = set()

    def key(self, name: str, sha: str, meta: dict) -> str:
        import hashlib
        import json

        blob = json.dumps([self.signature, name, sha, meta], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]

    def get(self, key: str):
        import hashlib
        import json

        try:
            raw = (self.dir / f"{key}.json").read_bytes()
            body, _, check = raw.rpartition(b"\n")
            if hashlib.sha256(body).hexdigest().encode() != check:
                return None
            entry = json.loads(body)
            if entry.get("failed") is not None:
                slot = ("failed", entry["failed"])
            else:
                info = DocumentInfo(**entry["info"])
                slot = ("ok", info, entry["sha256"], [Chunk.from_dict(c) for c in entry["chunks"]])
        except (OSError, ValueError, TypeError, KeyError):
            return None
        self.used.add(key)
        return slot

    def put(self, key: str, slot) -> None:
        import hashlib
        import json
        import os
        import uuid

        if slot[0] == "ok":
            _, info, sha, chunks = slot
            entry = {"info": info.__dict__, "sha256": sha, "chunks": [c.to_dict() for c in chunks]}
        else:
            entry = {"failed": slot[1]}
        body = json.dumps(entry, ensure_ascii=False).encode("utf-8")
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            tmp = self.dir / f".{key}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(body + b"\n" + hashlib.sha256(body).hexdigest().encode())
            os.replace(tmp, self.dir / f"{key}.json")  # no fsync: a torn entry fails its checksum
        except OSError:
            return  # a cache that cannot be written costs the next build a re-read, nothing else
        self.used.add(key)

    def prune(self) -> None:
        """Drop entries of files deleted or changed since, and leftovers of killed builds."""
        if not self.dir.is_dir():
            return
        keep = {f"{k}.json" for k in self.used}
        for p in self.dir.iterdir():
            if p.name not in keep:
                try:
                    p.unlink()
                except OSError:
                    pass


def _parse_file(root: Path, f: Path, catalogue: dict, prefix: str | None, chunk_tokens: int, merge_tokens: int):
    """One file to ("ok", info, sha256, chunks before fitting) or ("failed"|"error", reason), and
    the seconds it took. Runs in a worker: it returns reasons rather than raising them."""
    t0 = time.perf_counter()
    try:
        doc = load_document(f, root, catalogue)
    except LoadError as e:
        return ("failed", e.reason), time.perf_counter() - t0
    except Exception as e:  # a library choking on a malformed file must not stop the build
        return ("error", f"unreadable ({e.__class__.__name__}: {str(e)[:80]})"), time.perf_counter() - t0
    if prefix:  # keep doc names unique when several folders make one collection
        doc = _prefixed(doc, prefix)
    chunks = chunk_document(doc, chunk_tokens, merge_tokens)
    return ("ok", doc.info, doc.sha256, chunks), time.perf_counter() - t0


def _job(files, catalogues, multi_root, settings, i):
    """`_parse_file`'s arguments for file number i."""
    root, f = files[i]
    rel = f.relative_to(root).as_posix()
    catalogue = {rel: catalogues[root][rel]} if rel in catalogues[root] else {}
    return root, f, catalogue, root.name if multi_root else None, settings.chunk_tokens, settings.merge_tokens


def _parse_files(todo, files, catalogues, multi_root, settings, encoder, progress):
    """Yield (todo entry, (result, seconds)) for each file to parse, in order.

    With a worker, files are parsed while this thread encodes: before waiting for a file
    that is not ready yet, the chunks waiting to be embedded are encoded if there are
    enough of them for a well-filled, length-sorted block."""
    job = partial(_job, files, catalogues, multi_root, settings)
    bar = tqdm(total=len(todo), desc="Reading", unit="file", disable=not progress or not todo)
    mode = PARSE_WORKER if len(todo) >= PARSE_INLINE_BELOW else "inline"
    if mode == "inline":
        for entry in todo:
            outcome = _parse_file(*job(entry[0]))
            bar.update()
            yield entry, outcome
        bar.close()
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = _ParserProcess() if mode == "process" else ThreadPoolExecutor(max_workers=1)
    try:
        futures = [(entry, pool.submit(_parse_file, *job(entry[0]))) for entry in todo]
        for entry, fut in futures:
            if not fut.done() and encoder.ready():
                encoder.flush()
            outcome = fut.result()
            bar.update()
            yield entry, outcome
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        bar.close()


def _parse_on_cluster(todo, files, catalogues, multi_root, settings, encoder, progress, client):
    """`_parse_files` on a Dask cluster: every file read, fitted to the model and embedded by a
    worker, all at once; the vectors of content the encoder does not have yet join it."""
    from distributed import as_completed

    futures = {client.submit(_parse_and_embed, *_job(files, catalogues, multi_root, settings, entry[0]),
                             settings.model, settings.embed_batch_size, settings.model_max_tokens, pure=False): entry
               for entry in todo}
    outcomes = {}
    with tqdm(total=len(todo), desc="Reading and embedding", unit="file", disable=not progress or not todo) as bar:
        for future in as_completed(futures):
            outcome, keys, vectors = future.result()
            encoder.add_vectors(keys, vectors)
            outcomes[futures[future][0]] = outcome
            future.release()
            bar.update()
    for entry in todo:
        yield entry, outcomes[entry[0]]


_worker_embedders: dict[tuple, Embedder] = {}


def _parse_and_embed(root, f, catalogue, prefix, chunk_tokens, merge_tokens, model, batch_size, model_max_tokens):
    """A Dask task: one file read, its chunks fitted to the model and embedded (the model loads
    once per worker process). Returns `_parse_file`'s outcome and the chunks' keys and vectors."""
    (result, seconds) = _parse_file(root, f, catalogue, prefix, chunk_tokens, merge_tokens)
    if result[0] != "ok":
        return (result, seconds), [], None
    embedder = _worker_embedders.setdefault((model, batch_size), Embedder(model, batch_size))
    _, info, sha, chunks = result
    chunks = _fit(chunks, info.title, embedder.tokenizer, min(model_max_tokens, embedder.max_tokens))
    texts = [c.embedding_text(info.title) for c in chunks]
    return (("ok", info, sha, chunks), seconds), [content_key(embedder.model_name, t) for t in texts], embedder.encode(texts)


class _ParserProcess:
    """A worker process that parses files, with the `submit`/`shutdown` of an executor.

    Not multiprocessing: its spawn start re-runs the parent's main script in the child, which
    breaks (or repeats the side effects of) any script that builds an index without an
    `if __name__ == "__main__"` guard, and fork is unsafe once torch has started threads. This
    is a plain `python -c` child fed pickled jobs on stdin; one thread sends a job, reads its
    result and resolves its future, so the child runs while this process encodes. If the child
    dies on a file (a crash in the PDF library), that file is reported and a new child takes
    the rest.
    """

    def __init__(self):
        import queue
        import threading

        self.jobs: queue.Queue = queue.Queue()
        self.child = None
        self.unavailable = False
        self.thread = threading.Thread(target=self._run, name="parser-process", daemon=True)
        self.thread.start()

    def submit(self, fn, *args):
        from concurrent.futures import Future

        fut: Future = Future()
        self.jobs.put((fut, args))
        return fut

    def _start(self):
        import os
        import subprocess
        import sys

        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        # The results go out on a copy of stdout; stdout itself (fd 1) becomes stderr before any
        # import, so that nothing a library prints can corrupt the result stream.
        code = ("import os; out = os.fdopen(os.dup(1), 'wb'); os.dup2(2, 1); "
                "from assistant.indexing import _parser_main; _parser_main(out)")
        return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def _run(self):
        import pickle

        while True:
            item = self.jobs.get()
            if item is None:
                break
            fut, args = item
            if not fut.set_running_or_notify_cancel():
                continue
            if self.unavailable:  # no worker can be started here: parse in this thread
                fut.set_result(_parse_file(*args))
                continue
            try:
                if self.child is None or self.child.poll() is not None:
                    try:
                        self.child = self._start()
                    except OSError:
                        self.unavailable = True
                        fut.set_result(_parse_file(*args))
                        continue
                pickle.dump(args, self.child.stdin, protocol=pickle.HIGHEST_PROTOCOL)
                self.child.stdin.flush()
                fut.set_result(pickle.load(self.child.stdout))
            except Exception as e:  # the child died on this file (or could not start)
                self._stop_child()
                fut.set_result((("error", f"unreadable (the parser process failed: {e.__class__.__name__})"), 0.0))
        self._stop_child()

    def _stop_child(self):
        child, self.child = self.child, None
        if child is None:
            return
        try:
            child.stdin.close()
            child.wait(timeout=10)
        except Exception:
            child.kill()
            child.wait()

    def shutdown(self, wait: bool = True, cancel_futures: bool = False):
        if cancel_futures:
            while not self.jobs.empty():
                item = self.jobs.get_nowait()
                if item is not None:
                    item[0].cancel()
        self.jobs.put(None)
        if wait:
            self.thread.join()


def _parser_main(stdout) -> None:
    """The parser process: pickled `_parse_file` arguments in on stdin, pickled results out."""
    import pickle
    import sys

    stdin = sys.stdin.buffer
    while True:
        try:
            args = pickle.load(stdin)
        except EOFError:
            return
        pickle.dump(_parse_file(*args), stdout, protocol=pickle.HIGHEST_PROTOCOL)
        stdout.flush()


def _fit(chunks: list[Chunk], title: str, tokenizer, max_tokens: int) -> list[Chunk]:
    """`fit_to_model` for one document, with one batched tokenizer call for the common case
    of chunks that already fit; only those that do not are split, one by one."""
    if not chunks:
        return chunks
    texts = [c.embedding_text(title) for c in chunks]
    lengths = [len(ids) for ids in tokenizer(texts, add_special_tokens=True)["input_ids"]]
    if all(n <= max_tokens for n in lengths):
        return chunks
    out: list[Chunk] = []
    for c, n in zip(chunks, lengths):
        out.extend([c] if n <= max_tokens else fit_to_model([c], tokenizer, max_tokens, {c.doc: title}))
    return out


class _EncodedChunks(list):
    """The chunks of a build, with the encoder that already embedded (most of) them."""

    def __init__(self, chunks, encoder):
        super().__init__(chunks)
        self.encoder = encoder


class _Encoder:
    """Vectors by content key: the previous build's when the key is known, else encoded in
    blocks, each one `Embedder.encode` call (which sorts its texts by length, so batches
    carry little padding); identical texts are encoded once."""

    def __init__(self, embedder: Embedder, previous: dict[str, np.ndarray], progress: bool, block: int = ENCODE_BLOCK):
        self.embedder = embedder
        self.progress = progress
        self.block = block
        self.previous = previous  # the current build's vectors by content key (store.previous_embeddings)
        self.fresh: dict[str, np.ndarray] = {}
        self.pending: dict[str, str] = {}
        self.seconds = 0.0
        self.encoded = 0
        self.blocks = 0

    def add(self, keys, texts) -> None:
        for k, t in zip(keys, texts):
            if k not in self.previous and k not in self.fresh:
                self.pending.setdefault(k, t)

    def add_chunks(self, slot) -> None:
        _, info, _, chunks = slot
        texts = [c.embedding_text(info.title) for c in chunks]
        self.add([content_key(self.embedder.model_name, t) for t in texts], texts)

    def add_vectors(self, keys, vectors) -> None:
        """Vectors computed elsewhere (a Dask worker); a reused key keeps the previous build's."""
        for k, v in zip(keys, vectors if vectors is not None else []):
            if k not in self.previous and k not in self.fresh:
                self.fresh[k] = v
                self.encoded += 1

    def ready(self) -> bool:
        return len(self.pending) >= self.block

    def flush(self) -> None:
        if not self.pending:
            return
        keys = list(self.pending)
        t0 = time.perf_counter()
        vectors = self.embedder.encode([self.pending[k] for k in keys], progress=self.progress)
        self.seconds += time.perf_counter() - t0
        self.encoded += len(keys)
        self.blocks += 1
        self.fresh.update(zip(keys, vectors))
        self.pending.clear()

    def vectors(self, keys: list[str]) -> np.ndarray:
        self.flush()
        if self.fresh or not keys:
            dim = self.embedder.dimension
        else:  # all reused: no need to load the model just to learn its dimension
            dim = len(self.previous[keys[0]])
        out = np.zeros((len(keys), dim), dtype=np.float32)
        for i, k in enumerate(keys):
            out[i] = self.fresh[k] if k in self.fresh else self.previous[k]
        return out
