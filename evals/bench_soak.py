"""Soak: many ask() calls in one process, memory must stay flat.

    .venv/bin/python -m evals.bench_soak                     10,000 calls (the issue's soak)
    .venv/bin/python -m evals.bench_soak --calls 2000 --every 200
    .venv/bin/python -m evals.bench_soak --torch-threads 1   one intra-op thread (see below)

Cycles over the questions of evals/croydon_dev.jsonl, each with its conversation
history, calling ask() exactly as the app does (no settings argument: the
settings come from the environment on every call). The index lives in a
temporary folder (or --index-dir), never in the project's index/.

Reports RSS (psutil) after warm-up, every --every calls and at the end, and the
median / p95 latency of each window; exits 1 if RSS grew more than
--max-growth-mb. --tracemalloc also lists the Python allocations that grew most,
to find a leak when there is one.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "evals" / "croydon_dev.jsonl"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))]


def load_questions(path: Path) -> list[tuple[str, list[dict]]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            item = json.loads(line)
            out.append((item["question"], item.get("history") or []))
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_soak", description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=10_000, help="ask() calls after warm-up (default 10,000)")
    p.add_argument("--every", type=int, default=1_000, help="report RSS and latency every N calls")
    p.add_argument("--warmup", type=int, default=None, help="calls before the start RSS (default: one pass over the set)")
    p.add_argument("--set", type=Path, default=DEV_SET, help="JSONL with question and history")
    p.add_argument("--index-dir", type=Path, default=None, help="index folder (default: a temporary one, built once)")
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads(N) first (0: torch's default)")
    p.add_argument("--max-growth-mb", type=float, default=50.0, help="exit 1 if RSS grows more than this")
    p.add_argument("--tracemalloc", action="store_true", help="show the Python allocations that grew most (slower)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)

    tmp = None
    if args.index_dir is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-soak-"))
        args.index_dir = tmp / "index"
    # Before importing the assistant: ask() reads its settings from the environment on every call.
    os.environ["ASSISTANT_INDEX_DIR"] = str(args.index_dir)
    os.environ.setdefault("ASSISTANT_UPLOADS_DIR", str((tmp or args.index_dir.parent) / "uploads"))

    import psutil

    from assistant.pipeline import ask

    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)

    proc = psutil.Process()
    mb = lambda: proc.memory_info().rss / 2**20  # noqa: E731
    questions = load_questions(args.set)
    warmup = len(questions) if args.warmup is None else args.warmup
    print(f"soak: {args.calls} ask() calls over {len(questions)} questions of {args.set.name}; "
          f"torch threads {torch.get_num_threads()}; index {args.index_dir}", flush=True)

    t0 = time.perf_counter()
    errors: dict[str, int] = {}

    def call(i: int) -> float:
        question, history = questions[i % len(questions)]
        s = time.perf_counter()
        try:
            answer = ask(question, history=history)
            assert answer.answer
        except Exception as e:  # counted, not fatal: the soak reports them
            key = f"{e.__class__.__name__}: {str(e)[:80]}"
            errors[key] = errors.get(key, 0) + 1
        return time.perf_counter() - s

    call(0)  # loads (or builds) the index
    load_s = time.perf_counter() - t0
    for i in range(1, warmup):
        call(i)
    gc.collect()
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(10)
        snap0 = tracemalloc.take_snapshot()
    rss_start = mb()
    print(f"load {load_s:.1f}s, warm-up {warmup} calls; RSS at start {rss_start:.1f} MB\n", flush=True)
    print(f"{'calls':>7} {'RSS MB':>8} {'growth':>8} {'p50 ms':>8} {'p95 ms':>8} {'calls/s':>8}")
    print(f"{0:>7} {rss_start:>8.1f} {0.0:>+8.1f} {'':>8} {'':>8} {'':>8}", flush=True)

    rows = [{"calls": 0, "rss_mb": round(rss_start, 1)}]
    latencies: list[float] = []
    window: list[float] = []
    w0 = time.perf_counter()
    soak0 = w0
    for n in range(1, args.calls + 1):
        lat = call(warmup + n - 1)
        latencies.append(lat)
        window.append(lat)
        if n % args.every == 0 or n == args.calls:
            rss = mb()
            now = time.perf_counter()
            row = {"calls": n, "rss_mb": round(rss, 1), "growth_mb": round(rss - rss_start, 1),
                   "p50_ms": round(1000 * statistics.median(window), 1),
                   "p95_ms": round(1000 * percentile(window, 95), 1),
                   "calls_per_s": round(len(window) / (now - w0), 1)}
            rows.append(row)
            print(f"{n:>7} {rss:>8.1f} {rss - rss_start:>+8.1f} {row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} "
                  f"{row['calls_per_s']:>8.1f}", flush=True)
            window, w0 = [], now
    elapsed = time.perf_counter() - soak0
    gc.collect()
    rss_end = mb()
    growth = rss_end - rss_start
    summary = {
        "calls": args.calls, "errors": sum(errors.values()), "error_kinds": errors,
        "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1), "growth_mb": round(growth, 1),
        "p50_ms": round(1000 * statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(1000 * percentile(latencies, 95), 1) if latencies else None,
        "seconds": round(elapsed, 1), "calls_per_s": round(args.calls / elapsed, 1) if elapsed else None,
        "torch_threads": torch.get_num_threads(), "rows": rows,
    }
    print(f"\n{args.calls} calls in {elapsed:.0f}s ({summary['calls_per_s']}/s), {summary['errors']} errors; "
          f"latency p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms; "
          f"RSS {rss_start:.1f} MB at start, {rss_end:.1f} MB at the end ({growth:+.1f} MB)")
    for kind, count in errors.items():
        print(f"  error x{count}: {kind}")
    if args.tracemalloc:
        snap1 = tracemalloc.take_snapshot()
        print("\nPython allocations that grew most:")
        for stat in snap1.compare_to(snap0, "traceback")[:8]:
            print(f"  {stat.size_diff / 1024:+.1f} KiB in {stat.count_diff:+d} blocks at {stat.traceback.format()[-1].strip()}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=2))
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    ok = growth <= args.max_growth_mb and not errors
    if growth > args.max_growth_mb:
        print(f"FAIL: RSS grew {growth:.1f} MB (limit {args.max_growth_mb} MB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
