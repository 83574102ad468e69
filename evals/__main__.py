"""`python -m evals`: measure the assistant. See evals/README.md.

    python -m evals                       every collection × {train, blind}, default system: one table,
                                          evals/out/report.md, summary.json, rows.jsonl
        [--collections croydon,generic] [--part train|blind|both] [--limit N] [--update-thresholds] [--quiet]
    python -m evals compare [--all]       Croydon dev set, BM25 / dense / hybrid side by side (+ ClapNQ, SciFact)
    python -m evals croydon [--set FILE]  one Croydon-style set, every system
    python -m evals beir DIR --split test [--run-out FILE]
    python -m evals clapnq DIR [--limit N]
    python -m evals london build|score    the London set (evals/london.py)
    python -m evals fit ...               evals/fit.py, fitting on the train parts (evals.collections.collect)
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no "Loading weights" bar among ours

from evals.harness import OUT_DIR, SYSTEMS  # noqa: E402

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals", description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Every metric is defined in evals/README.md.")
    p.add_argument("--collections", default=None,
                   help="comma-separated subset of: croydon,london,clapnq,generic (default: all whose data exists)")
    p.add_argument("--part", choices=["train", "blind", "both"], default="both",
                   help="which part of each collection to ask (default: both)")
    p.add_argument("--limit", type=int, default=None, help="only the first N questions of each part (a smoke test)")
    p.add_argument("--update-thresholds", action="store_true",
                   help="rewrite evals/thresholds.json (the CI gate) from this run's blind parts")
    p.add_argument("--all", action="store_true", help="same as `compare --all` (the old default report)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: evals/out, or evals/out/<command>)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="subcommands: comma-separated bm25,dense,hybrid")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command")

    cmp_ = sub.add_parser("compare", help="the Croydon dev set through every system, side by side (the old default)")
    cmp_.add_argument("--all", action="store_true", dest="compare_all",
                      help=f"also run ClapNQ and SciFact from {SHARED_DATA} (indexes them once, then cached)")

    c = sub.add_parser("croydon", help="the Croydon dev set through ask(), every system")
    c.add_argument("--set", type=Path, default=None, help="another JSONL set on the default corpus")

    b = sub.add_parser("beir", help="a BEIR-format folder: index it, rank every query, print nDCG@10 etc.")
    b.add_argument("dir", type=Path, help="folder with corpus.jsonl, queries.jsonl, qrels/<split>.tsv")
    b.add_argument("--split", default="test")
    b.add_argument("--run-out", type=Path, default=None,
                   help="write the default system's ranking as a TREC run file here (the other systems beside it)")
    b.add_argument("--candidates", type=int, default=100, help="depth of each list before fusion (default 100, "
                   "so that Recall@100 and a 100-deep run exist)")
    b.add_argument("--rrf-k", type=int, default=None, help="RRF constant (default: the assistant's setting)")
    b.add_argument("--limit", type=int, default=None, help="only the first N queries")
    b.add_argument("--sweep", action="store_true", help="compare fusion settings on this split (never on test)")

    q = sub.add_parser("clapnq", help="ClapNQ answers through ask(): accuracy, citations, refusals")
    q.add_argument("dir", type=Path, help="the ClapNQ folder (corpus.jsonl, clapnq_dev_rag.jsonl)")
    q.add_argument("--limit", type=int, default=None, help="only N questions, half answerable, half not")

    sub.add_parser("london", help="the London set: python -m evals london build|score ... (evals/london.py)", add_help=False)
    sub.add_parser("fit", help="evals/fit.py: fit on the train parts (its own options follow)", add_help=False)
    return p


def _delegate(argv: list[str]) -> int | None:
    """`london` and `fit` pass every following argument to their own module."""
    if not argv or argv[0] not in ("london", "fit"):
        return None
    if argv[0] == "london":
        from evals.london import main as london_main

        return london_main(argv[1:])
    import importlib.util

    if importlib.util.find_spec("evals.fit") is None:
        print("error: evals/fit.py does not exist yet (it provides main(argv); see evals.collections.collect)",
              file=sys.stderr)
        return 2
    from evals import fit

    return fit.main(argv[1:]) or 0


def _measure(args, command: str, started: float) -> int:
    """The default command: every collection × part, default system, one table."""
    from assistant.settings import load_settings

    from evals import collections
    from evals.report import collections_table, run_meta, update_thresholds, write_collection_outputs

    try:
        results = collections.run(args.collections, args.part, limit=args.limit, progress=not args.quiet, log=_log)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if not results:
        print("error: no collection to measure", file=sys.stderr)
        return 2
    out_dir = args.out or OUT_DIR
    meta = run_meta(command, load_settings(), started)
    meta["parts"] = args.part
    paths = write_collection_outputs(results, out_dir, meta)
    print()
    print(collections_table(results))
    print()
    train_bad = [(r["collection"], sum(1 for x in r["rows"]["hybrid"] if not x.get("twin_of") and not x["correct"]))
                 for r in results if r["part"] == "train"]
    if train_bad:
        print("Train failures are listed in the report: " + ", ".join(f"{c} {n}" for c, n in train_bad)
              + ". Blind failures are never listed.")
    print(f"Report: {paths['report']}")
    print(f"Summary: {paths['summary']}; rows: {paths['rows']} (blind rows: ids, outcome and metrics only)")
    if args.update_thresholds:
        if args.limit:
            print("error: --update-thresholds needs a full run (no --limit)", file=sys.stderr)
            return 2
        path, done = update_thresholds(results)
        print(f"Thresholds rewritten for {', '.join(done) or 'nothing (no blind part in this run)'}: {path}")
    return 0


def _systems(arg: str) -> tuple[str, ...]:
    systems = tuple(s.strip() for s in arg.split(",") if s.strip())
    bad = [s for s in systems if s not in SYSTEMS]
    if bad or not systems:
        raise SystemExit(f"error: unknown system(s) {bad}; choose from {', '.join(SYSTEMS)}")
    return systems


def _log(msg: str) -> None:
    print(msg, file=sys.stderr)


def _beir(folder: Path, split: str, systems, run_out: Path | None, out_dir: Path, candidates: int,
          rrf_k: int | None, limit: int | None, progress: bool) -> dict:
    from evals import beir

    result = beir.run_benchmark(folder, split, systems, candidates=candidates, rrf_k=rrf_k, limit=limit,
                                progress=progress, log=_log)
    files = []
    default = "hybrid" if "hybrid" in systems else systems[-1]
    for system, run in result["runs"].items():
        target = out_dir / f"{folder.name}-{split}.{system}.run"
        beir.write_trec_run(target, run.rankings, f"assistant-{system}")
        files.append(str(target))
        if run_out:
            path = run_out if system == default else run_out.with_name(f"{run_out.stem}.{system}{run_out.suffix or '.run'}")
            beir.write_trec_run(path, run.rankings, f"assistant-{system}")
            files.append(str(path))
    return beir.as_report(result, files)


def _sweep(folder: Path, split: str, progress: bool) -> int:
    from evals import beir

    try:
        rows = beir.fusion_sweep(folder, split, progress=progress, log=_log)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"Fusion settings on {folder.name} {split} ({'fusion alone, without duplicate collapsing'}):")
    print(f"{'method':<24}{'params':<40}{'nDCG@10':>9}{'R@100':>8}{'MRR@10':>8}")
    for r in sorted(rows, key=lambda r: -r["ndcg@10"]):
        params = ", ".join(f"{k}={v}" for k, v in r.items() if k not in {"method", "ndcg@10", "recall@100", "mrr@10"})
        print(f"{r['method']:<24}{params:<40}{r['ndcg@10']:>9.4f}{r['recall@100']:>8.4f}{r['mrr@10']:>8.4f}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    delegated = _delegate(argv)
    if delegated is not None:
        return delegated
    args = _parser().parse_args(argv)
    started = time.time()
    progress = not args.quiet
    systems = _systems(args.systems)
    command = "python -m evals" + (" " + " ".join(argv)).rstrip()
    if args.command is None and not args.all:
        return _measure(args, command, started)

    if args.command == "beir" and args.sweep:
        return _sweep(args.dir, args.split, progress)

    from assistant.settings import load_settings

    from evals import harness
    from evals.report import run_meta, terminal_summary, write_outputs

    results = []
    if args.command in (None, "compare"):
        out_dir = args.out or OUT_DIR / "compare"
        results.append(harness.run_croydon(systems, progress=progress, log=_log))
        if args.all or getattr(args, "compare_all", False):
            for name in ("clapnq", "scifact"):
                if not (SHARED_DATA / name).is_dir():
                    _log(f"skipping {name}: {SHARED_DATA / name} not found")
            if (SHARED_DATA / "clapnq").is_dir():
                results.append(harness.run_clapnq(SHARED_DATA / "clapnq", systems, progress=progress, log=_log))
            if (SHARED_DATA / "scifact").is_dir():
                results.append(_beir(SHARED_DATA / "scifact", "test", systems, None, out_dir, 100, None, None, progress))
    elif args.command == "croydon":
        out_dir = args.out or OUT_DIR / "croydon"
        results.append(harness.run_croydon(systems, progress=progress, log=_log, path=args.set))
    elif args.command == "beir":
        out_dir = args.out or OUT_DIR / f"beir-{args.dir.name}-{args.split}"
        try:
            results.append(_beir(args.dir, args.split, systems, args.run_out, out_dir, args.candidates,
                                 args.rrf_k, args.limit, progress))
        except FileNotFoundError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    elif args.command == "clapnq":
        out_dir = args.out or OUT_DIR / "clapnq"
        if not (args.dir / "clapnq_dev_rag.jsonl").exists():
            print(f"error: {args.dir} has no clapnq_dev_rag.jsonl", file=sys.stderr)
            return 2
        results.append(harness.run_clapnq(args.dir, systems, limit=args.limit, progress=progress, log=_log))
    else:  # pragma: no cover
        return 2

    meta = run_meta(command, load_settings(), started)
    paths = write_outputs(results, out_dir, meta)
    print()
    print(terminal_summary(results))
    print(f"Report: {paths['report']}")
    print(f"Rows (one per question and system): {paths['rows']}")
    print(f"Summary: {paths['summary']}; plots in {out_dir / 'plots'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
