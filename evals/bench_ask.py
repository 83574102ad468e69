"""Latency of ask(): a fresh process loads the persisted index (no rebuild), then warm questions.

    python -m evals.bench_ask [--rounds 3]

Each measuring process starts from nothing: it must find the index that an earlier process
built and load it rather than index again (it would say so on stderr). Then every question of
the Croydon dev set is asked `--rounds` times; the median and p95 of the warm calls are printed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_SET = ROOT / "evals" / "croydon_dev.jsonl"

CHILD = r"""
import json, statistics, sys, time
t0 = time.perf_counter()
from assistant import ask
from assistant.pipeline import load_engine
load_engine()
t1 = time.perf_counter()
first = ask("Who led the 2024 inspection?")
t2 = time.perf_counter()
rows = [json.loads(line) for line in open(sys.argv[1], encoding="utf-8")]
warm = []
for _ in range(int(sys.argv[2])):
    for r in rows:
        s = time.perf_counter()
        ask(r["question"], history=r["history"] or None)
        warm.append(time.perf_counter() - s)
print(json.dumps({"load_s": t1 - t0, "first_ask_s": t2 - t1, "warm": warm}))
"""


def run_child(rounds: int, env: dict) -> tuple[dict, str]:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(DEV_SET), str(rounds)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    if proc.returncode:
        raise SystemExit(f"benchmark process failed: {proc.stderr.strip().splitlines()[-1:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc.stderr


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3, help="times each dev question is asked (default 3)")
    args = p.parse_args(argv)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    # A first process makes sure the index exists and is current (it may build it).
    subprocess.run([sys.executable, "-m", "assistant", "index"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    started = time.time()
    result, stderr = run_child(args.rounds, env)
    rebuilt = "Indexing collection" in stderr or "Rebuilding collection" in stderr
    warm = sorted(result["warm"])
    p95 = warm[min(len(warm) - 1, int(0.95 * len(warm)))]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"ask() latency, default corpus ({len(warm)} warm calls, load average {load:.1f}, "
          f"{time.time() - started:.0f} s in all)")
    print(f"  second process rebuilt the index:   {'YES' if rebuilt else 'no (loaded the persisted index)'}")
    print(f"  process start to index loaded:      {result['load_s'] * 1000:8.0f} ms")
    print(f"  first ask() after loading:          {result['first_ask_s'] * 1000:8.1f} ms")
    print(f"  warm ask() median:                  {statistics.median(warm) * 1000:8.1f} ms")
    print(f"  warm ask() p95:                     {p95 * 1000:8.1f} ms")
    return 1 if rebuilt else 0


if __name__ == "__main__":
    sys.exit(main())
