"""Run a question set through the real `ask()` path, once per retrieval system, one row per question.

Every row records what was retrieved, cited and answered, and how each metric scored it, so
that any failure can be read without re-running anything (evals/out/.../rows.jsonl).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tqdm import tqdm

from evals import metrics as M
from evals.sets import Item, load_set, normalise

OUT_DIR = Path(__file__).resolve().parent / "out"
SYSTEMS = ("bm25", "dense", "hybrid")  # hybrid is the assistant's default
DEFAULT_SYSTEM = "hybrid"
# Fixed depths, so numbers stay comparable when settings.top_k changes; they are computed on the
# passages ask() retrieved (settings.top_k of them: 20 today).
RECALL_KS = (5, 10, 20)
CLAPNQ_RECALL_CUTOFF = 0.5  # a ClapNQ answer is right when it holds half of a reference's tokens


@dataclass
class Case:
    """One question, in the form every set is scored in."""

    id: str
    question: str
    history: list[dict]
    answerable: bool
    quotes: list[str]  # gold evidence: a passage containing one of these supports the answer
    patterns: list[str] = field(default_factory=list)  # Croydon: regexes that must all match
    references: list[str] = field(default_factory=list)  # ClapNQ: reference answers (token overlap)
    gold_docs: list[str] = field(default_factory=list)  # ClapNQ: relevant documents for retrieval
    tags: list[str] = field(default_factory=list)
    reference: str = ""
    twin_of: str = ""  # a follow-up asked on its own: scored apart, and only against that follow-up
    evidence: list[dict] = field(default_factory=list)  # [{doc, quote}]: the quotes with their documents
    source: str = ""  # the set file it comes from (its stem: "croydon_heldout")
    part: str = ""  # "train" or "blind" (evals/collections.py); blind rows are stored without text


def croydon_cases(items: list[Item], source: str = "") -> list[Case]:
    """The set's questions, then each follow-up's standalone form (id "<follow-up id>/alone")."""
    cases = [Case(it.id, it.question, it.history, it.answerable, it.quotes, it.answer_patterns, [],
                  [], it.tags, it.reference, evidence=it.evidence, source=source) for it in items]
    return cases + [Case(f"{it.id}/alone", it.standalone, [], it.answerable, it.quotes, it.answer_patterns, [],
                         [], it.tags, it.reference, twin_of=it.id, evidence=it.evidence, source=source)
                    for it in items if it.standalone]


def own_rows(rows: list[dict]) -> list[dict]:
    """The set's own questions, without the standalone forms of its follow-ups."""
    return [r for r in rows if not r.get("twin_of")]


@dataclass
class SetSpec:
    """A question set and how to reach its collection."""

    name: str
    cases: list[Case]
    collection: str | None  # None: the assistant's default corpus
    settings: object
    unit: str = "chunk"  # retrieval relevance per "chunk" (contains a gold quote) or per "doc" (gold_docs)
    answer_rule: str = "patterns"  # or "references"
    doc_id: object = None  # doc name -> benchmark id (ClapNQ: strip ".txt")
    # Where gold evidence counts: match_doc, only in the document the evidence names (London: the same
    # sentence, "Overall effectiveness: Good", is in many reports); heading, the passage's heading is
    # searched too (a London grade printed as the page-1 heading).
    match_doc: bool = False
    heading: bool = False


def passage_holds(case: Case, spec: SetSpec, doc: str, text: str, heading: str = "") -> bool:
    """Does this passage (of document `doc`) hold gold evidence for `case`? (evals/README.md)"""
    return _holds(case, spec, doc, _normalised(spec, heading, text))


def _normalised(spec: SetSpec, heading: str, text: str) -> str:
    return " " + normalise(heading + "\n" + text if spec.heading and heading else text) + " "


def _holds(case: Case, spec: SetSpec, doc: str, normalised_passage: str) -> bool:
    pairs = case.evidence if spec.match_doc and case.evidence else [{"doc": None, "quote": q} for q in case.quotes]
    for e in pairs:
        q = _quote(e["quote"])
        if q and (not spec.match_doc or e["doc"] is None or e["doc"] == doc) and f" {q} " in normalised_passage:
            return True
    return False


@lru_cache(maxsize=None)
def _quote(quote: str) -> str:
    return normalise(quote)


def relevant_chunks(case: Case, spec: SetSpec, chunks, normalised: dict[str, str] | None = None) -> set[str]:
    """Ids of the chunks that hold gold evidence for `case` (unit "chunk"), or the gold documents (unit "doc")."""
    if spec.unit == "doc":
        return set(case.gold_docs)
    if not case.quotes:
        return set()
    out = set()
    docs = {e["doc"] for e in case.evidence} if spec.match_doc and case.evidence else None
    for c in chunks:
        if docs is not None and c.doc not in docs:
            continue
        text = normalised[c.id] if normalised is not None else _normalised(spec, c.heading, c.text)
        if _holds(case, spec, c.doc, text):
            out.add(c.id)
    return out


def normalised_chunks(chunks, spec: SetSpec) -> dict[str, str]:
    """Every chunk's text as evidence is matched against, computed once per collection."""
    return {c.id: _normalised(spec, c.heading, c.text) for c in chunks}


# ---------------------------------------------------------------- scoring one answer


def outcome(row: dict) -> str:
    if not row["answerable"]:
        return "refused (right)" if row["abstained"] else "answered an unanswerable question"
    if row["abstained"]:
        return "refused an answerable question"
    if row["correct"]:
        return "right"
    if row["answer_ok"]:
        return "right answer, evidence not cited"
    return "wrong answer, evidence cited" if row["evidence_cited"] else "wrong answer"


def judge(case: Case, spec: SetSpec, text: str, abstained: bool, citations: list[dict]) -> dict:
    """How one answer scores against `case`: each citation's support, whether the answer is right
    and its evidence cited, citation precision and recall, and the set's own figures (token F1)."""
    cites = []
    for c in citations:
        cites.append({"n": c["n"], "doc": c["doc"], "ref": c["ref"], "page": c.get("page"), "chunk_id": c.get("chunk_id", ""),
                      "evidence": passage_holds(case, spec, c["doc"], c["text"], c.get("heading") or ""),
                      "text": c["text"]})
    supports = {c["n"]: c["evidence"] for c in cites}
    sentences = [] if abstained else M.cited_sentences(text)
    precision, recall = (None, None)
    if case.answerable and not abstained:
        precision, recall = M.citation_precision_recall(sentences, supports)
    grade = next((t[5:] for t in case.tags if t.startswith("gold:")), "") if "kind:grade" in case.tags else ""
    if spec.answer_rule == "patterns" and grade:
        # an inspection grade (London): the first grade the answer states decides, so that "requires
        # improvement to be good" is not read as "good" (evals/london.py)
        from evals.london import first_grade, norm_grade

        stated = None if abstained else first_grade(text)
        answer_ok = stated is not None and stated[0] == norm_grade(grade)
        extra = {}
    elif spec.answer_rule == "patterns":
        answer_ok = not abstained and M.patterns_match(case.patterns, text)
        extra = {}
    else:
        answer_text = M._MARKER.sub("", text) if not abstained else ""
        f1 = M.best_over(case.references, answer_text, M.token_f1) if case.answerable else None
        rec = M.best_over(case.references, answer_text, M.token_recall) if case.answerable else None
        answer_ok = bool(case.answerable and rec is not None and rec >= CLAPNQ_RECALL_CUTOFF)
        extra = {"token_f1": f1, "token_recall": rec}
    evidence_cited = any(c["evidence"] for c in cites)
    return {"answer_ok": bool(case.answerable and answer_ok), "evidence_cited": bool(case.answerable and evidence_cited),
            "correct": bool(case.answerable and answer_ok and evidence_cited) if case.answerable else bool(abstained),
            "citation_precision": precision, "citation_recall": recall, **extra,
            "sentences": [{"text": s, "cites": refs, "supported": any(supports.get(n, False) for n in refs)}
                          for s, refs in sentences],
            "citations": cites}


def score_case(case: Case, answer: dict, retrieved: list[dict], spec: SetSpec, relevant: set[str],
               total_seconds: float) -> dict:
    """The row of one question: the answer, its citations and retrieval, and every metric."""
    text, abstained = answer["answer"], answer["abstained"]
    judged = judge(case, spec, text, abstained, answer["citations"])
    ranking = [r["unit"] for r in retrieved]
    row = {
        "set": spec.name, **({"source": case.source} if case.source else {}),
        **({"part": case.part} if case.part else {}), "id": case.id, "question": case.question,
        "followup": bool(case.history),
        **({"history": case.history} if case.history else {}),
        **({"twin_of": case.twin_of} if case.twin_of else {}),
        "query": answer["query"], "answerable": case.answerable, "tags": case.tags,
        "reference": case.reference, "gold_evidence": case.quotes[:5],
        "answer": text, "abstained": abstained, "confidence": answer["confidence"],
        "mode": answer.get("mode", "extractive"), **judged,
        "retrieval": ({**{f"recall@{k}": M.recall_at_k(ranking, relevant, k) for k in RECALL_KS},
                       "mrr@10": M.mrr_at_k(ranking, relevant, 10),
                       "ndcg@10": M.ndcg_at_k(ranking, {r: 1 for r in relevant}, 10), "relevant": len(relevant)}
                      if case.answerable and relevant else None),
        "retrieved": [{key: v for key, v in r.items() if key != "unit"} for r in retrieved],
        "timings": {**{s: round(v, 5) for s, v in answer["timings"].items()}, "total": round(total_seconds, 5)},
    }
    row["outcome"] = outcome(row)
    return row


# ---------------------------------------------------------------- running a set


def run_set(spec: SetSpec, systems=SYSTEMS, progress: bool = True, log=print) -> dict[str, list[dict]]:
    """Ask every case with each system; return {system: rows}. The first call per system is a warm-up."""
    from assistant.pipeline import ask, load_engine

    settings = spec.settings
    out: dict[str, list[dict]] = {}
    for system in systems:
        engine = load_engine(spec.collection, settings, system, log=log)
        chunks = engine.retriever.chunks
        normalised = normalised_chunks(chunks, spec) if spec.unit == "chunk" else None
        relevant_of = {case.id: relevant_chunks(case, spec, chunks, normalised) for case in spec.cases}
        ask("What is this collection about?", collection=spec.collection, settings=settings, mode=system)  # warm-up
        rows = []
        for case in tqdm(spec.cases, desc=f"{spec.name} {system}", unit="q", disable=not progress, leave=False):
            t0 = time.perf_counter()
            result = ask(case.question, history=case.history or None, collection=spec.collection,
                         settings=settings, mode=system)
            total = time.perf_counter() - t0
            answer, hits = result.to_dict(), result.hits
            retrieved = []
            for rank, h in enumerate(hits, start=1):
                unit = spec.doc_id(h.chunk.doc) if spec.unit == "doc" else h.chunk.id
                retrieved.append({"rank": rank, "chunk_id": h.chunk.id, "doc": h.chunk.doc, "ref": h.chunk.ref,
                                  "score": round(h.score, 5), "dense": round(h.dense, 4),
                                  "lexical": round(h.lexical, 3), "relevant": unit in relevant_of[case.id],
                                  "text": h.chunk.text[:240], "unit": unit})
            if spec.unit == "doc":  # rank documents: a document's first chunk stands for it
                seen, deduped = set(), []
                for r in retrieved:
                    if r["unit"] not in seen:
                        seen.add(r["unit"])
                        deduped.append(r)
                ranking_rows = deduped
            else:
                ranking_rows = retrieved
            row = score_case(case, answer, ranking_rows, spec, relevant_of[case.id], total)
            row["retrieved"] = [{key: v for key, v in r.items() if key != "unit"} for r in retrieved]
            row["system"] = system
            rows.append(row)
        out[system] = rows
    return out


# ---------------------------------------------------------------- summarising


def summarise(rows: list[dict], top_k: int) -> dict:
    """The set-level metrics of one system's rows (definitions in evals/README.md)."""
    twins = [r for r in rows if r.get("twin_of")]
    rows = own_rows(rows)
    ans = [r for r in rows if r["answerable"]]
    unans = [r for r in rows if not r["answerable"]]
    answered = [r for r in ans if not r["abstained"]]
    with_retrieval = [r["retrieval"] for r in ans if r["retrieval"]]
    right = sum(1 for r in ans if r["correct"])
    s: dict = {
        "questions": len(rows), "answerable": len(ans), "unanswerable": len(unans), "top_k": top_k,
        **{f"recall@{k}": M.mean(x[f"recall@{k}"] for x in with_retrieval) for k in RECALL_KS},
        "mrr@10": M.mean(x["mrr@10"] for x in with_retrieval),
        "ndcg@10": M.mean(x["ndcg@10"] for x in with_retrieval),
        "answer_accuracy": M.rate(r["correct"] for r in ans),
        "answer_accuracy_ci95": M.wilson_interval(right, len(ans)) if ans else None,
        "answer_right": M.rate(r["answer_ok"] for r in ans),
        "evidence_cited": M.rate(r["evidence_cited"] for r in ans),
        "citation_precision": M.mean(r["citation_precision"] for r in answered),
        "citation_recall": M.mean(r["citation_recall"] for r in answered),
        "abstention_accuracy": M.rate(r["abstained"] for r in unans),
        "false_abstention_rate": M.rate(r["abstained"] for r in ans),
        # how well the answer stage's confidence tells answerable from unanswerable, whatever the threshold
        "refusal_auc": M.auc(*([r["confidence"] for r in rs if r.get("confidence") is not None] for rs in (ans, unans))),
        "overall_accuracy": M.rate(r["correct"] for r in rows),
    }
    if any("token_f1" in r for r in ans):
        s["token_f1"] = M.mean(r.get("token_f1") for r in ans)
        s["token_recall"] = M.mean(r.get("token_recall") for r in ans)
    stages = ["retrieve", "compose"] + sorted({k for r in rows for k in r["timings"]} - {"retrieve", "compose", "total"})
    for stage in stages + ["total"]:
        vals = [r["timings"][stage] for r in rows if stage in r["timings"]]
        s[f"{stage}_p50_ms"] = _ms(M.percentile(vals, 50))
        s[f"{stage}_p95_ms"] = _ms(M.percentile(vals, 95))
    s["answer_modes"] = sorted({r.get("mode", "extractive") for r in rows})
    follow = [r for r in rows if r.get("followup", bool(r.get("history")))]
    if follow:
        s["followup_questions"] = len(follow)
        s["followup_accuracy"] = M.rate(r["correct"] for r in follow)
        by_id = {r["id"]: r for r in rows}
        pairs = [(by_id[t["twin_of"]], t) for t in twins if t["twin_of"] in by_id]
        if pairs:
            s["twin_pairs"] = [{"followup": f["id"], "standalone": "" if t.get("part") == "blind" else t.get("question", ""),
                                "followup_correct": f["correct"], "standalone_correct": t["correct"]} for f, t in pairs]
            s["twin_followup_accuracy"] = M.rate(f["correct"] for f, _ in pairs)
            s["twin_standalone_accuracy"] = M.rate(t["correct"] for _, t in pairs)
    tags: dict[str, list[bool]] = {}
    for r in rows:
        for t in r.get("tags", []):
            tags.setdefault(t, []).append(r["correct"])
    s["by_tag"] = {t: {"n": len(v), "accuracy": M.rate(v)} for t, v in sorted(tags.items())}
    s["outcomes"] = {}
    for r in rows:
        s["outcomes"][r["outcome"]] = s["outcomes"].get(r["outcome"], 0) + 1
    return s


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


# ---------------------------------------------------------------- the sets


def croydon_spec(settings=None, path: Path | None = None) -> SetSpec:
    from assistant.settings import load_settings

    items = load_set(path) if path else load_set()
    cases = croydon_cases(items, Path(path).stem if path else "croydon_dev")
    if path:  # a held-out set's blind questions are stored and listed without their text
        from evals.collections import croydon_blind

        for c in cases:
            c.part = "blind" if croydon_blind(c.source, c.id) else "train"
    return SetSpec("croydon", cases, None, settings or load_settings())


def run_croydon(systems=SYSTEMS, settings=None, progress: bool = True, log=print, path: Path | None = None) -> dict:
    """The Croydon dev set, or another set in its format (`path`), through every system."""
    spec = croydon_spec(settings, path)
    rows = run_set(spec, systems, progress, log)
    name, title = (path.stem, path.stem) if path else ("croydon", "Croydon dev set")
    return {"set": name, "title": title, "kind": "answers", "rows": rows,
            "summary": {s: summarise(r, spec.settings.top_k) for s, r in rows.items()},
            "meta": {"questions": sum(not c.twin_of for c in spec.cases), "collection": "default (corpus/)"}}


def clapnq_cases(folder: Path, limit: int | None = None) -> list[Case]:
    """ClapNQ dev questions; with `limit`, the first limit/2 answerable and limit/2 unanswerable ones."""
    rows = [json.loads(line) for line in open(Path(folder) / "clapnq_dev_rag.jsonl", encoding="utf-8") if line.strip()]
    if limit:
        ans = [r for r in rows if r["answerable"]][: (limit + 1) // 2]
        unans = [r for r in rows if not r["answerable"]][: limit // 2]
        keep = {r["id"] for r in ans + unans}
        rows = [r for r in rows if r["id"] in keep]
    cases = []
    for r in rows:
        quotes = sorted({s for group in r.get("selected_sentences") or [] for s in group if s.strip()})
        refs = [a for a in r.get("answers") or [] if a.strip() and a.strip() != "NA"]
        cases.append(Case(str(r["id"]), r["question"], [], bool(r["answerable"]), quotes if r["answerable"] else [],
                          [], refs if r["answerable"] else [],
                          [r["gold_passage_id"]] if r["answerable"] and r.get("gold_passage_id") else [],
                          ["answerable" if r["answerable"] else "unanswerable"], refs[0] if refs else ""))
    return cases


def prepare_clapnq(folder: Path, work: Path, progress: bool = True, log=print):
    """Write ClapNQ's passages as text files (one per passage) and index them as collection "clapnq".

    Both go under `work` (evals/out/index/): the passages in clapnq-passages/, the index in clapnq/.

    Files are rewritten only when their content changed, so the index (keyed by file size and
    time) is reused between runs. Returns the settings that point ask() at this collection.
    """
    from assistant.embedding import Embedder
    from assistant.indexing import build_collection
    from assistant.settings import load_settings

    folder, work = Path(folder), Path(work)
    corpus_dir = work / "clapnq-passages"
    corpus_dir.mkdir(parents=True, exist_ok=True)
    catalogue = {}
    wanted = set()
    with open(folder / "corpus.jsonl", encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            d = json.loads(line)
            name = f"{d['_id']}.txt"
            wanted.add(name)
            catalogue[name] = {"title": d.get("title") or d["_id"]}
            path = corpus_dir / name
            text = d["text"].strip() + "\n"
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
    for p in corpus_dir.glob("*.txt"):
        if p.name not in wanted:
            p.unlink()
    cat = json.dumps({"documents": catalogue}, ensure_ascii=False, indent=0, sort_keys=True)
    cat_path = corpus_dir / "catalogue.json"
    if not cat_path.exists() or cat_path.read_text(encoding="utf-8") != cat:
        cat_path.write_text(cat, encoding="utf-8")
    settings = load_settings(index_dir=work, corpus_dir=corpus_dir, uploads_dir=work / "uploads")
    embedder = Embedder(settings.model, settings.embed_batch_size)
    t0 = time.perf_counter()
    report = build_collection("clapnq", [corpus_dir.resolve()], settings, embedder, progress=progress)
    if not report.skipped:
        log(f"Indexed ClapNQ: {report.documents} passages, {report.chunks} chunks in {time.perf_counter() - t0:.0f}s"
            + (f" ({len(report.failed)} files failed)" if report.failed else "") + ".")
    return settings


def run_clapnq(folder: Path, systems=SYSTEMS, limit: int | None = None, work: Path | None = None,
               progress: bool = True, log=print) -> dict:
    settings = prepare_clapnq(folder, work or OUT_DIR / "index", progress, log)
    cases = clapnq_cases(folder, limit)
    from evals.sets import hash_blind

    for c in cases:  # the blind part's rows are stored without text (evals/collections.py)
        c.part = "blind" if hash_blind(c.id) else "train"
    spec = SetSpec("clapnq", cases, "clapnq", settings, unit="doc", answer_rule="references",
                   doc_id=lambda doc: doc[:-4] if doc.endswith(".txt") else doc)
    rows = run_set(spec, systems, progress, log)
    return {"set": "clapnq", "title": "ClapNQ dev (answers)", "kind": "answers", "rows": rows,
            "summary": {s: summarise(r, settings.top_k) for s, r in rows.items()},
            "meta": {"questions": len(cases), "collection": f"clapnq ({folder})", "limit": limit}}
