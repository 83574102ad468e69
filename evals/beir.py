"""Public retrieval benchmarks in BEIR format, ranked by the project's own retriever.

A BEIR folder holds corpus.jsonl ({_id, title, text}), queries.jsonl ({_id, text}) and
qrels/<split>.tsv (query-id, corpus-id, score, with a header line). Each document becomes
one chunk (its title is the document title, so embedding and BM25 both see "title\\ntext"),
embedded with the project's Embedder and stored with assistant.store, then searched by
assistant.retrieval.HybridRetriever in each mode. The model reads at most 256 word pieces:
longer abstracts are truncated by it, as they would be in the assistant.

The built index is cached under evals/out/index/beir-<name>/, keyed by a hash of the corpus
file and the model: the second run on the same folder embeds nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from assistant.retrieval import rrf, score_fusion
from evals import metrics as M

INDEX_FORMAT = "beir-1"
RUN_DEPTH = 100
PUBLISHED = {  # nDCG@10 on the test split, from the BEIR and MTEB leaderboards
    "scifact": {"BM25 (Anserini, BEIR paper)": 0.665, "BM25 (flat, commonly cited)": 0.679,
                "all-MiniLM-L6-v2 (MTEB)": 0.645, "bge-small-en-v1.5 (MTEB)": 0.713},
}


@dataclass
class Benchmark:
    name: str
    corpus: dict[str, dict]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]  # only queries of the split, only judged documents
    split: str


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (n == 0 and not parts[2].lstrip("-").isdigit()):
                continue  # the header, or a blank line
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def load_benchmark(folder: Path, split: str = "test") -> Benchmark:
    folder = Path(folder)
    for need in ("corpus.jsonl", "queries.jsonl", f"qrels/{split}.tsv"):
        if not (folder / need).exists():
            raise FileNotFoundError(f"{folder} is not a BEIR folder for split {split!r}: {need} is missing")
    corpus = {str(d["_id"]): d for d in read_jsonl(folder / "corpus.jsonl")}
    qrels = read_qrels(folder / "qrels" / f"{split}.tsv")
    queries = {str(q["_id"]): q["text"] for q in read_jsonl(folder / "queries.jsonl")}
    qrels = {q: rel for q, rel in qrels.items() if q in queries and any(g > 0 for g in rel.values())}
    return Benchmark(folder.name, corpus, {q: queries[q] for q in qrels}, qrels, split)


# ---------------------------------------------------------------- index


def _corpus_hash(folder: Path, model: str) -> str:
    h = hashlib.sha256(f"{INDEX_FORMAT}\x00{model}\x00".encode())
    with open(Path(folder) / "corpus.jsonl", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def build_index(folder: Path, settings, embedder, index_root: Path, progress: bool = True, log=print):
    """The StoredIndex of a BEIR corpus, one chunk per document, built once and cached."""
    from assistant.embedding import content_key
    from assistant.store import IndexProblem, load_build, previous_embeddings, read_manifest, write_build
    from assistant.types import Chunk, DocumentInfo

    folder = Path(folder)
    name = f"beir-{folder.name}"
    cdir = Path(index_root) / name
    digest = _corpus_hash(folder, settings.model)
    try:
        manifest = read_manifest(cdir)
        if manifest and manifest.get("content_hash") == digest:
            return load_build(cdir, name, settings.model, embedder.dimension)
    except IndexProblem as problem:
        log(f"Rebuilding the {folder.name} index: {problem}")
    docs = read_jsonl(folder / "corpus.jsonl")
    chunks, documents = [], {}
    for d in docs:
        doc_id, title = str(d["_id"]), (d.get("title") or "").strip()
        text = (d.get("text") or "").strip() or title
        documents[doc_id] = DocumentInfo(doc=doc_id, title=title)
        chunks.append(Chunk(id=doc_id, doc=doc_id, ref="", text=text, paragraph_ids=(doc_id,)))
    texts = [c.embedding_text(documents[c.doc].title) for c in chunks]
    keys = [content_key(embedder.model_name, t) for t in texts]
    cached = previous_embeddings(cdir)
    todo = [i for i, k in enumerate(keys) if k not in cached]
    vectors = np.zeros((len(chunks), embedder.dimension), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in cached:
            vectors[i] = cached[k]
    if todo:
        log(f"Embedding {len(todo)} documents of {folder.name} (cached for later runs; this is the slow part)...")
        t0 = time.perf_counter()
        vectors[todo] = embedder.encode([texts[i] for i in todo], progress=progress)
        log(f"Embedded in {time.perf_counter() - t0:.0f}s.")
    manifest = {
        "collection": name, "model": settings.model, "content_hash": digest, "source": str(folder),
        "documents": len(documents), "chunks": len(chunks), "dimension": int(vectors.shape[1]),
    }
    cdir.mkdir(parents=True, exist_ok=True)
    write_build(cdir, manifest, chunks, documents, vectors, keys, settings.exact_search_limit)
    return load_build(cdir, name, settings.model, embedder.dimension)


# ---------------------------------------------------------------- ranking and scoring


@dataclass
class SystemRun:
    system: str
    rankings: dict[str, list[tuple[str, float]]]  # qid -> [(docid, score)], best first
    seconds_per_query: list[float] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    per_query: dict[str, dict[str, float]] = field(default_factory=dict)


def strictly_decreasing(scores: list[float]) -> list[float]:
    """Scores as single-precision floats, nudged down one step where they tie, best first.

    trec_eval (and pytrec_eval, which wraps it) stores scores as 32-bit floats, re-sorts a run
    by score and breaks ties by document id. RRF produces exact ties (1/(k+3) from either list)
    and near-ties that only float32 merges, so without this a standard scorer would read a
    different ranking from the one the retriever returned. Every value returned is exactly
    representable in float32 and strictly below the one before it.
    """
    out: list[np.float32] = []
    for s in scores:
        v = np.float32(s)
        if out and v >= out[-1]:
            v = np.nextafter(out[-1], np.float32(-np.inf))
        out.append(v)
    return [float(v) for v in out]


def format_score(score: float) -> str:
    """The shortest decimal that reads back as the same float32 (no exponent)."""
    return np.format_float_positional(np.float32(score), unique=True, trim="-")


def score_run(rankings: dict[str, list[tuple[str, float]]], qrels: dict[str, dict[str, int]]):
    """Per-query and mean nDCG@10, Recall@100 and MRR@10; a query with no ranking scores 0."""
    per_query = {}
    for qid, rel in qrels.items():
        docs = [d for d, _ in rankings.get(qid, [])]
        relevant = [d for d, g in rel.items() if g > 0]
        per_query[qid] = {
            "ndcg@10": M.ndcg_at_k(docs, rel, 10),
            "recall@100": M.recall_at_k(docs, relevant, 100),
            "mrr@10": M.mrr_at_k(docs, relevant, 10),
        }
    names = ["ndcg@10", "recall@100", "mrr@10"]
    means = {n: float(np.mean([p[n] for p in per_query.values()])) if per_query else 0.0 for n in names}
    return means, per_query


def write_trec_run(path: Path, rankings: dict[str, list[tuple[str, float]]], tag: str, depth: int = RUN_DEPTH) -> None:
    """A standard TREC run file: `qid Q0 docid rank score tag`, at most `depth` lines per query."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for qid in sorted(rankings):
            ranked = rankings[qid][:depth]
            scores = strictly_decreasing([s for _, s in ranked])
            for rank, ((doc, _), score) in enumerate(zip(ranked, scores), start=1):
                f.write(f"{qid} Q0 {doc} {rank} {format_score(score)} {tag}\n")


def read_trec_run(path: Path) -> dict[str, list[tuple[str, float]]]:
    """A run file back into rankings, ordered by score as a standard scorer orders them."""
    run: dict[str, list[tuple[str, float]]] = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            qid, _, doc, _, score, _ = line.split()
            run.setdefault(qid, []).append((doc, float(score)))
    return {q: sorted(r, key=lambda x: -x[1]) for q, r in run.items()}


def make_retriever(stored, embedder, settings, mode: str, candidates: int, rrf_k: int):
    from assistant.retrieval import HybridRetriever

    return HybridRetriever(embedder, mode, candidates, rrf_k, settings.duplicate_overlap,
                           fusion=settings.fusion).fit(stored)


def run_benchmark(folder: Path, split: str = "test", systems=("bm25", "dense", "hybrid"), settings=None,
                  index_root: Path | None = None, candidates: int = RUN_DEPTH, rrf_k: int | None = None,
                  limit: int | None = None, progress: bool = True, log=print) -> dict:
    """Rank every query of the split with each system; return metrics, rankings and timings."""
    from assistant.embedding import Embedder
    from assistant.settings import load_settings

    from evals.harness import OUT_DIR

    settings = settings or load_settings()
    rrf_k = settings.rrf_k if rrf_k is None else rrf_k
    bench = load_benchmark(folder, split)
    qids = sorted(bench.qrels)
    if limit:
        qids = qids[:limit]
    embedder = Embedder(settings.model, settings.embed_batch_size)
    t0 = time.perf_counter()
    stored = build_index(folder, settings, embedder, index_root or OUT_DIR / "index", progress, log)
    index_seconds = time.perf_counter() - t0
    qvecs = embedder.encode([bench.queries[q] for q in qids])
    depth = max(candidates, RUN_DEPTH)
    runs = {}
    for system in systems:
        retriever = make_retriever(stored, embedder, settings, system, candidates, rrf_k)
        run = SystemRun(system, {})
        for qid, qvec in tqdm(list(zip(qids, qvecs)), desc=f"{bench.name} {split} {system}", unit="q",
                              disable=not progress, leave=False):
            t = time.perf_counter()
            hits = retriever.search(bench.queries[qid], depth, qvec=qvec)
            run.seconds_per_query.append(time.perf_counter() - t)
            run.rankings[qid] = [(h.chunk.doc, float(h.score)) for h in hits][:RUN_DEPTH]
        run.metrics, run.per_query = score_run(run.rankings, {q: bench.qrels[q] for q in qids})
        runs[system] = run
    return {
        "benchmark": bench.name, "split": split, "queries": len(qids), "documents": len(bench.corpus),
        "candidates": candidates, "rrf_k": rrf_k, "fusion": settings.fusion, "index_seconds": index_seconds, "runs": runs,
        "qrels": {q: bench.qrels[q] for q in qids}, "query_text": {q: bench.queries[q] for q in qids},
        "published": PUBLISHED.get(bench.name.lower(), {}) if split == "test" else {},
    }


def beir_rows(result: dict) -> list[dict]:
    """One row per (system, query): what was retrieved and how it scored, for rows.jsonl."""
    rows = []
    for system, run in result["runs"].items():
        for qid, ranking in run.rankings.items():
            rel = result["qrels"][qid]
            rows.append({
                "set": f"{result['benchmark']}-{result['split']}", "system": system, "id": qid,
                "question": result["query_text"][qid], "relevant": sorted(d for d, g in rel.items() if g > 0),
                "retrieved": [{"rank": r, "doc": d, "score": round(s, 6), "relevant": rel.get(d, 0) > 0}
                              for r, (d, s) in enumerate(ranking[:10], start=1)],
                **{k: round(v, 4) for k, v in run.per_query[qid].items()},
                "seconds": round(run.seconds_per_query[list(run.rankings).index(qid)], 4),
            })
    return rows


# ---------------------------------------------------------------- fusion sweep (train split only)


def _fuse_rrf(dense: list[int], lexical: list[int], k: int, w_dense: float = 0.5) -> list[int]:
    fused = rrf([dense, lexical], k, [2 * w_dense, 2 * (1.0 - w_dense)])
    return sorted(fused, key=lambda i: (-fused[i], i))


def _fuse_scores(dense: list[tuple[int, float]], lexical: list[tuple[int, float]], alpha: float, how: str) -> list[int]:
    fused = score_fusion(dense, lexical, alpha, how)
    return sorted(fused, key=lambda i: (-fused[i], i))


def fusion_sweep(folder: Path, split: str = "train", settings=None, index_root: Path | None = None,
                 progress: bool = True, log=print) -> list[dict]:
    """nDCG@10 / Recall@100 of fusion settings on one split, from the raw dense and BM25 lists.

    This ranks without the near-duplicate collapsing of the real retriever (it is a sweep of
    the fusion step alone); the chosen setting is then checked with the real retriever.
    Use it on a training split only: choosing on the test split would overstate the result.
    """
    from assistant.embedding import Embedder
    from assistant.retrieval import DenseRetriever, LexicalRetriever
    from assistant.settings import load_settings

    from evals.harness import OUT_DIR

    if split == "test":
        raise ValueError("never tune on the test split: sweep --split train (or dev)")
    settings = settings or load_settings()
    bench = load_benchmark(folder, split)
    embedder = Embedder(settings.model, settings.embed_batch_size)
    stored = build_index(folder, settings, embedder, index_root or OUT_DIR / "index", progress, log)
    titles = {d: i.title for d, i in stored.documents.items()}
    lexical = LexicalRetriever().fit([c.embedding_text(titles.get(c.doc, "")) for c in stored.chunks])
    dense = DenseRetriever().fit(stored)
    qids = sorted(bench.qrels)
    qvecs = embedder.encode([bench.queries[q] for q in qids], progress=progress)
    doc_of = [c.doc for c in stored.chunks]
    depth = 200
    lists = {}
    for qid, v in tqdm(list(zip(qids, qvecs)), desc="raw lists", disable=not progress, leave=False):
        lists[qid] = (dense.search(v, depth), lexical.search(bench.queries[qid], depth))

    def evaluate(rank_fn) -> dict:
        rankings = {q: [(doc_of[i], 0.0) for i in rank_fn(*lists[q])][:RUN_DEPTH] for q in qids}
        means, _ = score_run(rankings, bench.qrels)
        return means

    configs = [("bm25", {}, lambda d, l: [i for i, _ in l]), ("dense", {}, lambda d, l: [i for i, _ in d])]
    for cand in (20, 40, 100, 200):
        for k in (1, 10, 20, 40, 60, 100):
            configs.append(("rrf", {"candidates": cand, "rrf_k": k},
                            lambda d, l, c=cand, k=k: _fuse_rrf([i for i, _ in d[:c]], [i for i, _ in l[:c]], k)))
    for w in (0.3, 0.4, 0.6, 0.7):
        configs.append(("weighted rrf", {"candidates": 100, "rrf_k": 60, "w_dense": w},
                        lambda d, l, w=w: _fuse_rrf([i for i, _ in d[:100]], [i for i, _ in l[:100]], 60, w)))
    for how in ("minmax", "zscore"):
        for cand in (40, 100):
            for a in (0.3, 0.4, 0.5, 0.6, 0.7):
                configs.append((f"score fusion ({how})", {"candidates": cand, "alpha_dense": a},
                                lambda d, l, a=a, how=how, c=cand: _fuse_scores(d[:c], l[:c], a, how)))
    out = []
    for method, params, fn in tqdm(configs, desc="fusion settings", disable=not progress, leave=False):
        out.append({"method": method, **params, **evaluate(fn)})
    return out


def as_report(result: dict, run_files: list[str] | None = None) -> dict:
    """A benchmark result in the form evals.report writes (kind "retrieval")."""
    name = result["benchmark"]
    summary = {}
    for system, run in result["runs"].items():
        secs = run.seconds_per_query
        summary[system] = {**run.metrics,
                           "search_p50_ms": 1000 * M.percentile(secs, 50) if secs else None,
                           "search_p95_ms": 1000 * M.percentile(secs, 95) if secs else None}
    rows: dict[str, list[dict]] = {}
    for row in beir_rows(result):
        rows.setdefault(row["system"], []).append(row)
    title = {"scifact": "SciFact"}.get(name.lower(), name)
    return {
        "set": f"{name}-{result['split']}", "title": f"{title} ({result['split']} split): retrieval", "kind": "retrieval",
        "summary": summary, "rows": rows,
        "meta": {k: result[k] for k in ("benchmark", "split", "queries", "documents", "candidates", "fusion", "rrf_k", "published")}
                | {"index_seconds": result["index_seconds"], "run_files": run_files or []},
    }
