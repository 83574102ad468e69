"""Indexing throughput and incremental re-indexing, measured in one run.

    python -m evals.bench_index                          # the London corpus (102 files), full run
    python -m evals.bench_index --files 20 --workers process,thread,inline   # quicker; compares parsing modes
    python -m evals.bench_index --workers process,inline,process   # repeated builds, each between two raw runs
    python -m evals.bench_index --files 30 --workers process,process,process,process,process --skip-incremental

What it measures, each step in a fresh subprocess run one after the other (the machine is
shared: compare only figures of the same run):

1. parse: every file read by the loader, one after the other, in one process: seconds per
   page (pages counted with PyMuPDF) and per file.
2. raw encoding: `Embedder.encode(all texts)`: one call over the embedding texts of exactly the
   chunks the build makes (checked against each build's chunks), the model loaded and warmed
   up first. Run before the first build and after each build: a build is compared with the
   mean of the runs just before and after it.
3. full build: `build_collection` into an empty index, for each parsing mode asked for
   ("process": a worker process parses while the main thread encodes, the default;
   "thread": a worker thread; "inline": parse everything, then encode). Chunks per second of
   the whole build (model load, parsing, fitting, encoding, writing) against the raw encoding
   throughput; peak resident memory of the build process and of its parser process.
4. incremental: on a copy of the corpus, re-index after nothing changed, after touching one
   file (new mtime, same bytes), after editing one PDF's text (a line added to page 1 with
   PyMuPDF), after deleting one file and after adding one; each timed like the full build,
   as a fraction of it, with what was parsed, embedded and reused.

Writes evals/out/bench_index.json and prints a table.
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
DATA = ROOT.parent / "shared" / "data" / "ofsted-london"
OUT = Path(__file__).resolve().parent / "out" / "bench_index.json"


def _settings(index_dir: Path):
    from assistant.settings import load_settings

    return load_settings(index_dir=index_dir, uploads_dir=index_dir.parent / "uploads")


def _maxrss_mb(who) -> float:
    import resource

    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux


# --- steps, each run in its own process ------------------------------------------------------


def step_parse(corpus: Path) -> dict:
    import pymupdf

    from assistant.loaders import LoadError, discover, load_document

    rows = []
    for root, f in discover([corpus]):
        try:
            pages = pymupdf.open(f).page_count if f.suffix.lower() == ".pdf" else 0
        except Exception:
            pages = 0
        t0 = time.perf_counter()
        try:
            load_document(f, root)
            ok = True
        except LoadError:
            ok = False
        rows.append({"file": str(f.relative_to(corpus)), "pages": pages, "seconds": time.perf_counter() - t0, "ok": ok})
    good = [r for r in rows if r["ok"] and r["pages"]]
    total_s, total_p = sum(r["seconds"] for r in good), sum(r["pages"] for r in good)
    return {
        "files": len(rows), "pdf_files": len(good), "pages": total_p, "seconds": total_s,
        "ms_per_page": 1000 * total_s / total_p if total_p else None,
        "ms_per_page_median_file": statistics.median(1000 * r["seconds"] / r["pages"] for r in good) if good else None,
        "ms_per_file_median": statistics.median(1000 * r["seconds"] for r in good) if good else None,
    }


def step_build(corpus: Path, index_dir: Path, worker: str, force: bool) -> dict:
    import resource

    from assistant import indexing
    from assistant.embedding import Embedder

    indexing.PARSE_WORKER = worker
    s = _settings(index_dir)
    watcher = _ChildMemory()
    t0 = time.perf_counter()
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    report = indexing.build_collection("bench", [corpus], s, Embedder(s.model, s.embed_batch_size), force=force)
    seconds = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    watcher.stop()
    return {
        "seconds": seconds, "documents": report.documents, "chunks": report.chunks, "embedded": report.embedded,
        "reused": report.reused, "failed": len(report.failed), "skipped": report.skipped,
        "stages": report.seconds, "stats": dict(indexing.LAST_BUILD_STATS),
        "cpu_seconds": (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime),
        "parser_cpu_seconds": _children_cpu(),
        "peak_rss_mb": _maxrss_mb(resource.RUSAGE_SELF),
        "parser_peak_rss_mb": watcher.peak_mb,
    }


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)  # the parser process, once it has exited
    return r.ru_utime + r.ru_stime


class _ChildMemory:
    """Peak resident memory of this process's children (the parser process), sampled every 0.1 s.
    (getrusage's RUSAGE_CHILDREN would count the parent's pages the child shares before exec.)"""

    def __init__(self):
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.1):
            for child in me.children(recursive=True):
                try:
                    if child.cmdline()[:2] == [sys.executable, "-c"]:
                        self.peak_mb = max(self.peak_mb, child.memory_info().rss / 2**20)
                except (psutil.Error, IndexError):
                    pass

    def stop(self):
        self._stop.set()
        self._thread.join()


def step_texts(corpus: Path, out: Path) -> dict:
    """The embedding texts of the chunks a build makes, without encoding them (the build's own
    reading code: `_parse_file`, then `_fit` with the model's tokenizer)."""
    from assistant import indexing
    from assistant.embedding import Embedder
    from assistant.loaders import discover, read_catalogue

    s = _settings(out.parent)
    e = Embedder(s.model, s.embed_batch_size)
    texts = []
    for root, f in discover([corpus]):
        result, _ = indexing._parse_file(root, f, read_catalogue(root), None, s.chunk_tokens, s.merge_tokens)
        if result[0] == "ok":
            _, info, _, chunks = result
            chunks = indexing._fit(chunks, info.title, e.tokenizer, min(s.model_max_tokens, e.max_tokens))
            texts.extend(c.embedding_text(info.title) for c in chunks)
    out.write_text(json.dumps(texts), encoding="utf-8")
    return {"chunks": len(texts)}


def step_encode(texts_file: Path) -> dict:
    """Raw encoding: one `Embedder.encode` call over all the texts, the model loaded and warm."""
    from assistant.embedding import Embedder

    s = _settings(texts_file.parent)
    texts = json.loads(texts_file.read_text(encoding="utf-8"))
    e = Embedder(s.model, s.embed_batch_size)
    e.encode(texts[:64])  # load and warm up
    t0, cpu0 = time.perf_counter(), _cpu()
    e.encode(texts)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    return {"chunks": len(texts), "seconds": seconds, "chunks_per_s": len(texts) / seconds, "cpu_seconds": cpu,
            "chunks_per_cpu_s": len(texts) / cpu}


def _cpu() -> float:
    """CPU seconds of this process: less sensitive than wall time to other tenants of the machine."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def step_check(texts_file: Path, index_dir: Path) -> dict:
    """The build embedded exactly the texts the raw encoding ran on."""
    from assistant.store import collection_dir, current_build
    from assistant.types import Chunk

    build = current_build(collection_dir(index_dir, "bench"))
    docs = json.loads((build / "documents.json").read_text(encoding="utf-8"))
    chunks = [Chunk.from_dict(json.loads(line)) for line in (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines()]
    built = [c.embedding_text(docs[c.doc]["title"]) for c in chunks]
    return {"same_texts": built == json.loads(texts_file.read_text(encoding="utf-8"))}


def _run_step(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_DISABLE_PROGRESS_BARS": "1", "TQDM_DISABLE": "1"}
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "evals.bench_index", "_step", *args], cwd=ROOT, env=env,
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"step {args} failed:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["process_seconds"] = time.perf_counter() - t0
    return out


# --- the run -------------------------------------------------------------------------------


def _copy_corpus(src: Path, dest: Path, limit: int | None) -> Path:
    from assistant.loaders import discover

    files = discover([src])
    if limit:
        files = files[:limit]
    for _, f in files:
        target = dest / f.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, target)
    return dest


def _edit_pdf(path: Path) -> None:
    """Change a PDF's text the way an edit would: a sentence added at the top of page 1."""
    import pymupdf

    doc = pymupdf.open(path)
    doc[0].insert_text((72, 40), "Amended: this report was corrected after publication.", fontsize=9)
    data = doc.tobytes()
    doc.close()
    path.write_bytes(data)


def run(args) -> dict:
    results: dict = {"corpus": str(args.data), "files_limit": args.files, "cpus": os.cpu_count(),
                     "load_before": os.getloadavg()}
    work = Path(tempfile.mkdtemp(prefix="bench_index-"))
    try:
        corpus = _copy_corpus(args.data, work / "corpus", args.files)
        print(f"corpus copy: {corpus}", file=sys.stderr)
        results["parse"] = _run_step("parse", str(corpus))
        print(f"parse: {results['parse']['ms_per_page']:.1f} ms/page", file=sys.stderr)
        texts = work / "texts.json"
        _run_step("texts", str(corpus), str(texts))
        raw = []

        def encode_raw() -> None:
            raw.append(_run_step("encode", str(texts)))
            print(f"raw encode: {raw[-1]['chunks']} chunks, {raw[-1]['chunks_per_s']:.1f} chunks/s", file=sys.stderr)

        # Raw encoding before the first build and after each one; a build is compared with the
        # runs just before and after it (the machine is shared: its speed drifts).
        encode_raw()
        builds = {}
        workers = args.workers.split(",")
        for n, worker in enumerate(workers):
            name = worker if worker not in builds else f"{worker}#{n + 1}"
            index = work / f"index-{name}"
            b = _run_step("build", str(corpus), str(index), worker, "0")
            b.update(_run_step("check", str(texts), str(index)))
            print(f"build[{name}]: {b['chunks']} chunks in {b['seconds']:.1f}s (same texts: {b['same_texts']})",
                  file=sys.stderr)
            encode_raw()
            around = [raw[-2]["chunks_per_s"], raw[-1]["chunks_per_s"]]
            b["chunks_per_s"] = b["chunks"] / b["seconds"]
            b["raw_chunks_per_s_around"] = around
            b["ratio_to_raw"] = b["chunks_per_s"] / statistics.mean(around)
            if "chunks_per_cpu_s" in raw[-1] and "chunks_per_cpu_s" in raw[-2]:
                # CPU seconds of the build (its parser process included) against those of raw encoding
                b["chunks_per_cpu_s"] = b["chunks"] / (b["cpu_seconds"] + b.get("parser_cpu_seconds", 0.0))
                b["cpu_ratio_to_raw"] = b["chunks_per_cpu_s"] / statistics.mean(
                    [raw[-2]["chunks_per_cpu_s"], raw[-1]["chunks_per_cpu_s"]])
            builds[name] = b
        results["raw_encode"] = {"runs": raw, "chunks_per_s_median": statistics.median(r["chunks_per_s"] for r in raw)}
        results["builds"] = builds
        if not args.skip_incremental:
            # the reference: the median full build of this run (the machine's speed drifts)
            full = {"seconds": statistics.median(b["seconds"] for b in builds.values())}
            results["incremental"] = incremental(corpus, work / f"index-{workers[0]}", workers[0], full)
    finally:
        results["load_after"] = os.getloadavg()
        shutil.rmtree(work, ignore_errors=True)
    return results


def incremental(corpus: Path, index: Path, worker: str, full: dict) -> dict:
    from assistant.loaders import discover

    files = [f for _, f in discover([corpus]) if f.suffix == ".pdf"]
    target = files[len(files) // 2]
    out = {}

    def measure(label: str) -> None:
        r = _run_step("build", str(corpus), str(index), worker, "0")
        r["ratio_to_full"] = r["seconds"] / full["seconds"]
        out[label] = r
        print(f"{label}: {r['seconds']:.2f}s ({100 * r['ratio_to_full']:.2f}% of full); parsed "
              f"{r['stats'].get('parsed', 0)}, embedded {r['embedded']}, reused {r['reused']}", file=sys.stderr)

    measure("nothing changed")
    os.utime(target)  # new mtime, same bytes
    measure("one file touched")
    _edit_pdf(target)
    measure("one file edited")
    shutil.move(str(target), str(corpus.parent / "removed.pdf"))
    measure("one file deleted")
    shutil.move(str(corpus.parent / "removed.pdf"), str(target.with_name("re-added copy.pdf")))
    measure("one file added")
    out["file"] = str(target.relative_to(corpus))
    return out


def print_table(r: dict) -> None:
    p = r["parse"]
    print(f"\nParse: {p['pdf_files']} PDFs, {p['pages']} pages in {p['seconds']:.1f}s: "
          f"{p['ms_per_page']:.1f} ms/page (median file {p['ms_per_page_median_file']:.1f} ms/page, "
          f"{p['ms_per_file_median']:.0f} ms/file)")
    raw = r["raw_encode"]
    runs = ", ".join(f"{x['chunks_per_s']:.1f}" for x in raw["runs"])
    cpu_runs = ", ".join(f"{x['chunks_per_cpu_s']:.1f}" for x in raw["runs"] if "chunks_per_cpu_s" in x)
    print(f"Raw encoding: {runs} chunks/s "
          f"(median {raw['chunks_per_s_median']:.1f}) over {raw['runs'][0]['chunks']} chunks; per CPU second: {cpu_runs}")
    print(f"{'build':<11}{'chunks':>7}{'seconds':>9}{'chunks/s':>10}{'raw around':>14}{'vs raw':>8}{'encode s':>10}"
          f"{'parse s':>9}{'peak MB':>9}{'parser MB':>10}")
    for w, b in r["builds"].items():
        st = b["stats"]
        around = "/".join(f"{x:.1f}" for x in b["raw_chunks_per_s_around"])
        print(f"{w:<11}{b['chunks']:>7}{b['seconds']:>9.1f}{b['chunks_per_s']:>10.1f}{around:>14}"
              f"{100 * b['ratio_to_raw']:>7.1f}%{st.get('encode_seconds', 0):>10.1f}{st.get('parse_seconds', 0):>9.1f}"
              f"{b['peak_rss_mb']:>9.0f}{b['parser_peak_rss_mb']:>10.0f}")
        if "cpu_ratio_to_raw" in b:
            print(f"{'':<11}per CPU second (parser included): {b['chunks_per_cpu_s']:.1f} chunks, "
                  f"{100 * b['cpu_ratio_to_raw']:.1f}% of raw")
    by_mode: dict[str, list] = {}
    for w, b in r["builds"].items():
        by_mode.setdefault(w.split("#")[0], []).append(b)
    for mode, bs in by_mode.items():
        if len(bs) > 1:
            wall = statistics.median(b["ratio_to_raw"] for b in bs)
            cpu = [b["cpu_ratio_to_raw"] for b in bs if "cpu_ratio_to_raw" in b]
            print(f"{mode}: median of {len(bs)} builds: {100 * wall:.1f}% of raw (wall)"
                  + (f", {100 * statistics.median(cpu):.1f}% (CPU)" if cpu else ""))
    inc = r.get("incremental")
    if inc:
        print(f"Incremental (file: {inc['file']}), against the median full build of this run:")
        for label, x in inc.items():
            if label == "file":
                continue
            print(f"  {label:<18}{x['seconds']:>8.2f}s {100 * x['ratio_to_full']:>6.2f}% of full  "
                  f"(process {x['process_seconds']:.1f}s)  parsed {x['stats'].get('parsed', 0)}, "
                  f"embedded {x['embedded']}, reused {x['reused']}, skipped {x['skipped']}")
    print(f"load average before {tuple(round(x, 1) for x in r['load_before'])}, "
          f"after {tuple(round(x, 1) for x in r['load_after'])}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_step"]:
        name, rest = argv[1], argv[2:]
        if name == "parse":
            out = step_parse(Path(rest[0]))
        elif name == "build":
            out = step_build(Path(rest[0]), Path(rest[1]), rest[2], rest[3] == "1")
        elif name == "texts":
            out = step_texts(Path(rest[0]), Path(rest[1]))
        elif name == "check":
            out = step_check(Path(rest[0]), Path(rest[1]))
        else:
            out = step_encode(Path(rest[0]))
        print(json.dumps(out))
        return 0
    p = argparse.ArgumentParser(prog="python -m evals.bench_index", description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--files", type=int, default=None, help="only the first N files (quicker)")
    p.add_argument("--workers", default="process", help="parsing modes to build with: process,thread,inline")
    p.add_argument("--skip-incremental", action="store_true")
    p.add_argument("--out", type=Path, default=OUT)
    args = p.parse_args(argv)
    r = run(args)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(r, indent=2), encoding="utf-8")
    print_table(r)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
