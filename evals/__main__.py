"""`python -m evals`: measure the assistant. See evals/README.md.

    python -m evals                       Croydon set, BM25 / dense / hybrid, report in evals/out/
    python -m evals --all                 the same plus ClapNQ and SciFact (slow the first time)
    python -m evals croydon               only the Croydon set
    python -m evals beir DIR --split test [--run-out FILE]
    python -m evals clapnq DIR [--limit N]
    python -m evals calibrate             the abstain_threshold that refuses best on the Croydon set
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
    p.add_argument("--all", action="store_true",
                   help=f"also run ClapNQ and SciFact from {SHARED_DATA} (indexes them once, then cached)")
    p.add_argument("--out", type=Path, default=None, help="output folder (default: evals/out, or evals/out/<command>)")
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: bm25,dense,hybrid")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    sub = p.add_subparsers(dest="command")

    c = sub.add_parser("croydon", help="the Croydon dev set through ask(), every system")
    c.add_argument("--set", type=Path, default=None, help="another JSONL set on the default corpus")
    c.add_argument("--update-thresholds", action="store_true",
                   help="rewrite evals/thresholds.json (the CI gate) from this run's default system")

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

    sub.add_parser("calibrate", help="sweep abstain_threshold over the Croydon set and print the best")
    return p


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


def _calibrate(progress: bool) -> int:
    from evals.harness import calibrate

    c = calibrate(progress=progress, log=_log)
    n, na, nu = c["of"], c["answerable"], c["unanswerable"]
    cur = c["current"]
    lo, hi = c["interval"]
    print(f"Calibrated on the Croydon set ({n} questions: {na} answerable, {nu} unanswerable), default system.")
    print("Score = answerable questions answered right (with evidence cited) + unanswerable questions refused.\n")
    print(f"{'threshold':>10}{'score':>8}{'false refusals':>16}{'unanswerable refused':>22}")
    sweep = c["sweep"]
    nearest = min(sweep, key=lambda x: abs(x[0] - c["current_threshold"]))
    shown = [x for x in sweep if x[0] == 0.0 or x is nearest or x[1] >= c["score"]][:12]
    for t, score, fa, ur in shown:
        mark = "  <- best" if t == c["threshold"] else ("  <- nearest to current" if (t, score, fa, ur) == nearest else "")
        print(f"{t:>10.3f}{score:>8}{fa:>16}{ur:>22}{mark}")
    print(f"({len(sweep)} intervals tried; shown: refusing none, the current one, and up to 12 that tie with the best)")
    print(f"\nBest threshold: {c['threshold']:.3f} (any value in ({lo:.3f}, {hi:.3f}] gives the same result)")
    print(f"  handled right: {c['score']}/{n}; false abstention rate {100 * c['false_abstention_rate']:.1f}% "
          f"({c['false_abstentions']}/{na}); abstention accuracy {100 * c['abstention_accuracy']:.1f}%")
    print(f"Current threshold {c['current_threshold']}: handled right {cur['score']}/{n}, "
          f"{cur['false_abstentions']}/{na} answerable refused, {cur['unanswerable_refused']}/{nu} unanswerable refused.")
    print("To use it: set abstain_threshold in assistant/settings.py (or ASSISTANT_ABSTAIN_THRESHOLD).")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.time()
    progress = not args.quiet
    systems = _systems(args.systems)
    command = "python -m evals" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()

    if args.command == "calibrate":
        return _calibrate(progress)
    if args.command == "beir" and args.sweep:
        return _sweep(args.dir, args.split, progress)

    from assistant.settings import load_settings

    from evals import harness
    from evals.report import run_meta, terminal_summary, write_outputs

    results = []
    if args.command is None:
        out_dir = args.out or OUT_DIR
        results.append(harness.run_croydon(systems, progress=progress, log=_log))
        if args.all:
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
        if args.update_thresholds and not args.set:  # the floors are the dev set's
            from evals.report import update_thresholds

            if "hybrid" not in results[-1]["summary"]:
                print("error: --update-thresholds needs the hybrid system", file=sys.stderr)
                return 2
            path = update_thresholds(results[-1]["summary"]["hybrid"])
            print(f"Thresholds rewritten: {path}")
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
