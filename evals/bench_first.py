"""First use: the first answer after `index`, and how long a fresh process takes to load a collection.

    .venv/bin/python -m evals.bench_first                            the default corpus and the London PDFs
    .venv/bin/python -m evals.bench_first --collections default

For each collection, into a new, empty index folder (nothing cached from earlier runs):
  1. `python -m assistant index PATH --collection NAME` (what a new user runs first), timed;
  2. a fresh process loads the collection and asks one question: seconds from its start to the
     collection loaded, and to the first answer (what the issue saw as a long first question);
  3. --loads more fresh processes do the same (the steady state: everything is on disk now);
     their median is the fresh-process load time.
The folder is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
COLLECTIONS = {  # name -> (collection, source folder, question)
    "default": ("default", ROOT / "corpus", "Who led the 2024 inspection?"),
    "london": ("ofsted-london", SHARED / "ofsted-london", "Who led the 2024 inspection of Barnet?"),
}

CHILD = r"""
import json, sys, time
t0 = time.perf_counter()
from assistant.pipeline import ask, load_engine
collection = sys.argv[1]
load_engine(collection)
t1 = time.perf_counter()
answer = ask(sys.argv[2], collection=collection)
t2 = time.perf_counter()
print(json.dumps({"load_s": t1 - t0, "first_answer_s": t2 - t0, "answer": answer.answer[:80]}))
"""


def fresh_process(collection: str, question: str, env: dict) -> dict:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, collection, question], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode:
        raise SystemExit(f"the answering process failed: {proc.stderr.strip().splitlines()[-1:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - started  # with the interpreter's own start
    out["log"] = proc.stderr.strip().splitlines()[-3:]
    return out


def measure(name: str, loads: int) -> dict:
    collection, source, question = COLLECTIONS[name]
    tmp = Path(tempfile.mkdtemp(prefix="bench-first-"))
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "ASSISTANT_INDEX_DIR": str(tmp / "index"),
           "ASSISTANT_UPLOADS_DIR": str(tmp / "uploads")}
    try:
        t0 = time.perf_counter()
        command = [sys.executable, "-m", "assistant", "index", str(source)]
        if collection != "default":
            command += ["--collection", collection]
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode not in (0, 1):  # 1: indexed, with files it could not read (listed on stderr)
            raise SystemExit(f"indexing failed: {proc.stderr.strip().splitlines()[-1:]}")
        index_s = time.perf_counter() - t0
        first = fresh_process(collection, question, env)
        later = [fresh_process(collection, question, env) for _ in range(loads)]
        return {"collection": name, "index_s": round(index_s, 1),
                "first_after_index_s": round(first["first_answer_s"], 2),
                "first_load_s": round(first["load_s"], 2),
                "fresh_load_median_s": round(statistics.median(r["load_s"] for r in later), 2),
                "fresh_first_answer_median_s": round(statistics.median(r["first_answer_s"] for r in later), 2),
                "fresh_wall_median_s": round(statistics.median(r["wall_s"] for r in later), 2),
                "answer": first["answer"], "first_log": first["log"]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.bench_first", description=__doc__.splitlines()[0])
    p.add_argument("--collections", default="default,london", help="comma-separated: default, london")
    p.add_argument("--loads", type=int, default=3, help="fresh processes after the first (default 3)")
    p.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = p.parse_args(argv)
    rows = []
    for name in [n.strip() for n in args.collections.split(",") if n.strip()]:
        if name not in COLLECTIONS:
            p.error(f"unknown collection {name!r}: one of {', '.join(COLLECTIONS)}")
        if not COLLECTIONS[name][1].is_dir():
            print(f"skipped {name}: {COLLECTIONS[name][1]} is missing", file=sys.stderr)
            continue
        rows.append(measure(name, args.loads))
        r = rows[-1]
        print(f"{name}: index {r['index_s']} s; first answer after index {r['first_after_index_s']} s "
              f"(loaded after {r['first_load_s']} s); fresh process: loaded after {r['fresh_load_median_s']} s, "
              f"first answer after {r['fresh_first_answer_median_s']} s (median of {args.loads}; "
              f"{r['fresh_wall_median_s']} s with the interpreter's start)", flush=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
