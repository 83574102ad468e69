"""Dense search at scale: exact FAISS search against HNSW and IVF, on synthetic vectors.

    python -m evals.bench_faiss                       # 10k and 100k vectors (a few minutes)
    python -m evals.bench_faiss --sizes 10000,100000,1000000    # with 1M (HNSW build: tens of minutes)
    python -m evals.bench_faiss --sizes 1000000 --no-hnsw       # 1M, exact and IVF only
    python -m evals.bench_faiss --data clustered,seeded,uniform  # three kinds of data

For each size: normalised 384-dimension vectors (the embedding model's), clustered like
sentence embeddings (--data uniform for the structureless worst case), and held-out queries
drawn the same way. The exact top 10 (IndexFlatIP) is the ground truth. Each index is timed
one query at a time, as the assistant searches (p50 and p95 latency), with recall@10 against
exact search, build time and memory. Also prints what `assistant.store.make_faiss` picks at
that size under the current settings, and that index's own recall and latency.

Writes evals/out/bench_faiss.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent / "out" / "bench_faiss.json"
DIM = 384
K = 10
SEED_VECTORS = Path()


def make_vectors(n: int, n_queries: int, kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """clustered: points scattered around random centres (cosine ~0.75 to their centre, like
    passages on one topic); seeded: points scattered around the real chunk vectors of an
    index (cosine ~0.85 to their seed), so they keep the real embeddings' anisotropy, which
    makes approximate search harder than isotropic clusters; uniform: random directions (no
    structure at all: the worst case, where no approximate index works). Queries are drawn
    the same way and are not in the data."""
    rng = np.random.default_rng(seed)
    total = n + n_queries
    if kind == "uniform":
        x = rng.standard_normal((total, DIM), dtype=np.float32)
    else:
        if kind == "seeded":
            centres, noise = np.array(np.load(SEED_VECTORS), dtype=np.float32), 0.032
        else:
            centres, noise = rng.standard_normal((max(100, total // 1000), DIM), dtype=np.float32), 0.045
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        x = np.empty((total, DIM), dtype=np.float32)
        step = 100_000
        for start in range(0, total, step):
            stop = min(total, start + step)
            which = rng.integers(0, len(centres), stop - start)
            x[start:stop] = centres[which] + rng.standard_normal((stop - start, DIM), dtype=np.float32) * noise
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return np.ascontiguousarray(x[:n]), np.ascontiguousarray(x[n:])


def _seed_vectors() -> Path:
    """The vectors of the London collection's current build (python -m assistant index ... --collection ofsted-london)."""
    from assistant.settings import load_settings
    from assistant.store import collection_dir, current_build

    build = current_build(collection_dir(load_settings().index_dir, "ofsted-london"))
    return build / "vectors.npy" if build else Path("missing: index the ofsted-london collection first")


def latencies(index, queries: np.ndarray) -> tuple[np.ndarray, list[float]]:
    ids = np.empty((len(queries), K), dtype=np.int64)
    times = []
    for i, q in enumerate(queries):
        t0 = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), K)
        times.append(time.perf_counter() - t0)
        ids[i] = found[0]
    return ids, times


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(t)) / K for f, t in zip(found, truth)]))


def row(name: str, index, queries, truth, build_s: float, params: str = "") -> dict:
    found, times = latencies(index, queries)
    ms = np.array(times) * 1000
    r = {"index": name, "params": params, "build_s": round(build_s, 2), "p50_ms": round(float(np.median(ms)), 3),
         "p95_ms": round(float(np.percentile(ms, 95)), 3), "recall@10": round(recall(found, truth), 4)}
    print(f"  {name:<10}{params:<22}build {r['build_s']:>8.1f}s  p50 {r['p50_ms']:>8.3f} ms  p95 {r['p95_ms']:>8.3f} ms"
          f"  recall@10 {r['recall@10']:.4f}", file=sys.stderr, flush=True)
    return r


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def bench_size(n: int, n_queries: int, kind: str, hnsw: bool, ivf: bool) -> dict:
    import faiss

    from assistant.settings import load_settings
    from assistant.store import make_faiss

    print(f"{n:,} vectors ({kind})", file=sys.stderr, flush=True)
    data, queries = make_vectors(n, n_queries, kind)
    rows = []
    t0 = time.perf_counter()
    flat = faiss.IndexFlatIP(DIM)
    flat.add(data)
    build = time.perf_counter() - t0
    truth = flat.search(queries, K)[1]  # batched: the ground truth
    rows.append(row("exact", flat, queries, truth, build))
    del flat
    if hnsw:
        t0 = time.perf_counter()
        index = faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.add(data)
        build = time.perf_counter() - t0
        for ef in (32, 64, 128, 256):
            index.hnsw.efSearch = ef
            rows.append(row("hnsw", index, queries, truth, build, f"M=32 efC=80 ef={ef}"))
        del index
    if ivf:
        nlist = _nlist(n)
        t0 = time.perf_counter()
        quantizer = faiss.IndexFlatIP(DIM)
        index = faiss.IndexIVFFlat(quantizer, DIM, nlist, faiss.METRIC_INNER_PRODUCT)
        index.train(_sample(data, nlist))
        index.add(data)
        build = time.perf_counter() - t0
        for nprobe in (8, 16, 32, 64, 128):
            index.nprobe = nprobe
            rows.append(row("ivf", index, queries, truth, build, f"nlist={nlist} nprobe={nprobe}"))
        del index, quantizer
    settings = load_settings()
    t0 = time.perf_counter()
    chosen = make_faiss(data, settings.exact_search_limit)
    build = time.perf_counter() - t0
    rows.append(row("make_faiss", chosen, queries, truth, build,
                    f"{type(chosen).__name__} (limit {settings.exact_search_limit:,})"))
    del chosen
    return {"n": n, "kind": kind, "queries": n_queries, "rss_mb": round(rss_mb()), "rows": rows}


def _nlist(n: int) -> int:
    return int(max(64, min(4096, 4 * np.sqrt(n))))


def _sample(data: np.ndarray, nlist: int) -> np.ndarray:
    limit = min(len(data), 64 * nlist)
    if limit == len(data):
        return data
    rng = np.random.default_rng(1)
    return data[np.sort(rng.choice(len(data), limit, replace=False))]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_faiss", description=__doc__.split("\n")[0])
    p.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of vectors")
    p.add_argument("--queries", type=int, default=200)
    p.add_argument("--data", default="clustered",
                   help="comma-separated: clustered, seeded (around the London index's real vectors), uniform")
    p.add_argument("--no-hnsw", action="store_true", help="skip HNSW (its build is slow at 1M)")
    p.add_argument("--no-ivf", action="store_true")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    import faiss

    results = {"faiss": faiss.__version__, "threads": faiss.omp_get_max_threads(), "cpus": os.cpu_count(),
               "load_before": os.getloadavg(), "sizes": []}
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    global SEED_VECTORS
    SEED_VECTORS = _seed_vectors()
    for kind in args.data.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            results["sizes"].append(bench_size(n, args.queries, kind, not args.no_hnsw, not args.no_ivf))
    results["load_after"] = os.getloadavg()
    # keep what an earlier run measured and this one did not (the 1M runs are done on their own):
    # other sizes, and at the same size the indexes skipped this time (marked "earlier run")
    current = {(s["n"], s["kind"]): s for s in results["sizes"]}
    for old in previous.get("sizes", []):
        new = current.get((old["n"], old["kind"]))
        if new is None:
            results["sizes"].append(old)
            continue
        measured = {(r["index"], r["params"].split(" (")[0]) for r in new["rows"]}
        for r in old["rows"]:
            if (r["index"], r["params"].split(" (")[0]) not in measured and r["index"] != "make_faiss":
                new["rows"].append({**r, "earlier_run": r.get("earlier_run", True)})
    order = {"exact": 0, "hnsw": 1, "ivf": 2, "make_faiss": 3}
    for s in results["sizes"]:
        s["rows"].sort(key=lambda r: order.get(r["index"], 9))
    results["sizes"].sort(key=lambda s: (s["kind"], s["n"]))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(f"\n{'data':<10}{'vectors':>10} {'index':<11}{'params':<34}{'build s':>9}{'p50 ms':>9}{'p95 ms':>9}{'recall@10':>11}")
    for s in results["sizes"]:
        for r in s["rows"]:
            print(f"{s['kind']:<10}{s['n']:>10,} {r['index']:<11}{r['params']:<34}{r['build_s']:>9.1f}{r['p50_ms']:>9.3f}"
                  f"{r['p95_ms']:>9.3f}{r['recall@10']:>11.4f}{'  (earlier run)' if r.get('earlier_run') else ''}")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
