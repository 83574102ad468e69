"""The eval collections: what `python -m evals` measures, each split into a TRAIN and a BLIND part.

    croydon   the default corpus (corpus/); sets croydon_dev, croydon_heldout, croydon_paraphrase,
              croydon_conversations. BLIND = the held-out batches he- and hf- (their failures have
              never been read); everything else is train.
    london    collection "ofsted-london", 102 Ofsted reports in ../shared/data/ofsted-london; sets
              london_dev and london_content. Hash split.
    clapnq    ClapNQ's 600 dev questions on its 593 passages (../shared/data/clapnq), collection
              "clapnq" built in evals/out/index/. Hash split.
    generic   collection "generic": the documents of evals/corpora/generic/ (sources and licences in
              evals/corpora/generic.md), built in evals/out/index/; set generic.jsonl. Hash split.

The hash split is `evals.sets.hash_blind`: blind when int(sha256(id)[:8], 16) % 100 < 40.

BLIND parts are measured, never read: their failures are not listed anywhere and their rows are
stored without question, answer or citations. Nothing may be tuned on them. A fitter (a script
that sets weights or thresholds from data) takes its questions from `collect()`, which yields
TRAIN questions only:

    from evals.collections import collect

    for ready, case in collect(["croydon", "generic"], part="train"):
        engine = ready.engine()               # the loaded assistant.pipeline.Engine (cached), hybrid
        ready.collection                      # the name to pass to ask()/load_engine (None: the default corpus)
        ready.settings                        # the Settings to pass with it (ClapNQ/generic live in evals/out/index)
        ready.relevant(case)                  # ids of the chunks that hold the case's gold evidence
        case.question, case.history, case.answerable, case.patterns, case.quotes, case.source

A collection whose data folder (or every set file) is missing is skipped with one line on stderr.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from evals.harness import DEFAULT_SYSTEM, OUT_DIR, Case, SetSpec, croydon_cases, own_rows, relevant_chunks, summarise
from evals.sets import hash_blind, load_set

EVALS = Path(__file__).resolve().parent
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
GENERIC_DIR = EVALS / "corpora" / "generic"  # its sources and licences: evals/corpora/generic.md
PARTS = ("train", "blind")
CROYDON_BLIND_BATCHES = ("he-", "hf-")  # held-out batches whose failures have never been read


def _note(message: str) -> None:
    print(message, file=sys.stderr)


@dataclass(frozen=True)
class EvalCollection:
    """One entry of the registry: where its documents and questions are, and how it is split and scored."""

    name: str
    title: str
    collection: str | None  # the assistant's collection name; None = the default corpus
    sets: tuple[Path, ...] = ()  # Croydon-style JSONL sets (evals/sets.py)
    data: Path | None = None  # a folder that must exist, or the collection is skipped
    split: str = "hash"  # "hash" (evals.sets.hash_blind) or "heldout" (Croydon: he-/hf- batches)
    kind: str = "sets"  # "sets", or "clapnq" (questions from clapnq_dev_rag.jsonl)
    unit: str = "chunk"  # retrieval relevance per chunk (gold quote) or per doc (ClapNQ's gold passage)
    answer_rule: str = "patterns"  # or "references" (ClapNQ)
    match_doc: bool = False  # evidence counts only in the document it names
    heading: bool = False  # a passage's heading is searched for evidence too


REGISTRY: dict[str, EvalCollection] = {c.name: c for c in (
    EvalCollection("croydon", "Croydon (default corpus)", None,
                   tuple(EVALS / f"croydon_{s}.jsonl" for s in ("dev", "heldout", "paraphrase", "conversations")),
                   split="heldout"),
    EvalCollection("london", "London Ofsted reports", "ofsted-london",
                   (EVALS / "london_dev.jsonl", EVALS / "london_content.jsonl"), data=SHARED / "ofsted-london",
                   match_doc=True, heading=True),
    EvalCollection("clapnq", "ClapNQ dev", "clapnq", data=SHARED / "clapnq", kind="clapnq", unit="doc",
                   answer_rule="references"),
    EvalCollection("generic", "Generic documents", "generic", (EVALS / "generic.jsonl",), data=GENERIC_DIR),
)}


def croydon_blind(source: str, case_id: str) -> bool:
    """Croydon's blind part: the held-out set's he- and hf- questions (and their standalone twins)."""
    return Path(source).stem == "croydon_heldout" and case_id.startswith(CROYDON_BLIND_BATCHES)


def part_of(spec: EvalCollection, case: Case) -> str:
    blind = croydon_blind(case.source, case.id) if spec.split == "heldout" else hash_blind(case.id)
    return "blind" if blind else "train"


def select(names=None, log=_note) -> list[EvalCollection]:
    """The registry entries named (all by default, in registry order; an EvalCollection is taken as
    given); unknown names are an error, a collection whose data folder or every set file is missing is
    skipped with a note."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    names = list(names) if names else list(REGISTRY)
    unknown = [n for n in names if not isinstance(n, EvalCollection) and n not in REGISTRY]
    if unknown:
        raise ValueError(f"unknown collection(s) {', '.join(unknown)}; choose from {', '.join(REGISTRY)}")
    out = []
    for name in names:
        spec = name if isinstance(name, EvalCollection) else REGISTRY[name]
        name = spec.name
        if spec.data is not None and not spec.data.is_dir():
            log(f"skipping collection {name}: {spec.data} not found")
            continue
        if spec.kind == "sets" and not any(p.exists() for p in spec.sets):
            log(f"skipping collection {name}: no set file ({', '.join(p.name for p in spec.sets)})")
            continue
        out.append(spec)
    return out


@dataclass
class Ready:
    """A collection indexed and its questions loaded, each case's `part` set."""

    spec: EvalCollection
    settings: object  # assistant.settings.Settings: pass it with `collection` to ask() / load_engine()
    cases: list[Case] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def collection(self) -> str | None:
        return self.spec.collection

    def engine(self, mode: str = DEFAULT_SYSTEM, log=_note):
        """The loaded engine (assistant.pipeline.load_engine caches it per collection, settings and mode)."""
        from assistant.pipeline import load_engine

        return load_engine(self.collection, self.settings, mode, log=log)

    def set_spec(self, cases: list[Case] | None = None) -> SetSpec:
        """The harness's view of this collection (evals.harness.run_set)."""
        s = self.spec
        return SetSpec(s.name, self.cases if cases is None else cases, s.collection, self.settings, unit=s.unit,
                       answer_rule=s.answer_rule, doc_id=_strip_txt if s.kind == "clapnq" else None,
                       match_doc=s.match_doc, heading=s.heading)

    def relevant(self, case: Case) -> set[str]:
        """Ids of the chunks holding `case`'s gold evidence (for ClapNQ: the chunks of its gold passage)."""
        chunks = self.engine().retriever.chunks
        if self.spec.unit == "doc":
            gold = set(case.gold_docs)
            return {c.id for c in chunks if _strip_txt(c.doc) in gold}
        return relevant_chunks(case, self.set_spec(), chunks)

    def part(self, part: str) -> list[Case]:
        """The cases of one part ("train", "blind") or of both ("both"), twins after their follow-ups' set."""
        return [c for c in self.cases if part == "both" or c.part == part]


def _strip_txt(doc: str) -> str:
    return doc[:-4] if doc.endswith(".txt") else doc


def prepare(spec: EvalCollection, progress: bool = False, log=_note) -> Ready | None:
    """Index the collection if needed (cached: only changed files are embedded) and load its questions.

    Returns None (after a note) when nothing is left to ask."""
    from assistant.settings import load_settings

    if spec.kind == "clapnq":
        from evals.harness import clapnq_cases, prepare_clapnq

        settings = prepare_clapnq(spec.data, OUT_DIR / "index", progress, log)
        cases = clapnq_cases(spec.data)
        for c in cases:
            c.source = "clapnq_dev_rag"
    else:
        if spec.name == "generic":
            settings = load_settings(index_dir=OUT_DIR / "index", corpus_dir=spec.data,
                                     uploads_dir=OUT_DIR / "index" / "uploads")
            _build(spec, settings, progress, log, spec.data)
        else:
            settings = load_settings()
            if spec.collection is not None:
                from assistant.store import open_store

                if not open_store(settings).sources(spec.collection):
                    _build(spec, settings, progress, log)
        cases = []
        for path in spec.sets:
            if not path.exists():
                log(f"{spec.name}: skipping set {path.name} (not found)")
                continue
            cases += croydon_cases(load_set(path), path.stem)
    for c in cases:
        c.part = part_of(spec, c)
    if not cases:
        log(f"skipping collection {spec.name}: no questions")
        return None
    return Ready(spec, settings, cases)


def _build(spec: EvalCollection, settings, progress: bool, log, source: Path | None = None) -> None:
    from assistant.embedding import Embedder
    from assistant.indexing import build_collection

    t0 = time.perf_counter()
    report = build_collection(spec.collection, [(source or spec.data).resolve()], settings,
                              Embedder(settings.model, settings.embed_batch_size), progress=progress)
    if not report.skipped:
        log(f"Indexed {spec.name}: {report.documents} documents, {report.chunks} chunks in "
            f"{time.perf_counter() - t0:.0f}s" + (f" ({len(report.failed)} files failed)" if report.failed else "") + ".")


def collect(collections=None, part: str = "train", progress: bool = False, log=_note) -> Iterator[tuple[Ready, Case]]:
    """Every TRAIN question of the named collections (default: all available), with its prepared collection.

    Yields (ready, case): `ready.engine()` is the loaded engine, `ready.collection` and `ready.settings`
    what to pass to ask(); see the module docstring. Only part="train" is accepted: the blind parts are
    for measuring, and a fitter that saw them would make them useless.
    """
    if part != "train":
        raise ValueError("collect() yields train questions only: blind parts are measured by `python -m evals`, never fitted")
    for spec in select(collections, log):
        ready = prepare(spec, progress, log)
        if ready is None:
            continue
        for case in ready.part("train"):
            yield ready, case


# ---------------------------------------------------------------- the measurement


def run(collections=None, part: str = "both", systems=(DEFAULT_SYSTEM,), limit: int | None = None,
        progress: bool = True, log=_note) -> list[dict]:
    """Ask every question of each collection's parts; one result per collection and part.

    A result: {"collection", "title", "part", "rows": {system: rows}, "summary": {system: summary},
    "by_set": {source: summary of the default system}, "meta"}. `limit` keeps the first N questions of each
    part (a smoke test). Blind rows still hold their text here, in memory; evals.report redacts them.
    """
    from evals.harness import run_set

    if part not in ("train", "blind", "both"):
        raise ValueError(f"part must be train, blind or both, not {part!r}")
    parts = PARTS if part == "both" else (part,)
    results = []
    for spec in select(collections, log):
        ready = prepare(spec, progress, log)
        if ready is None:
            continue
        chosen: list[Case] = []
        for p in parts:
            cases = ready.part(p)
            if limit:
                own = [c for c in cases if not c.twin_of][:limit]
                keep = {c.id for c in own}
                cases = own + [c for c in cases if c.twin_of in keep]
            chosen += cases
        t0 = time.perf_counter()
        rows = run_set(ready.set_spec(chosen), systems, progress, log)
        seconds = time.perf_counter() - t0
        for p in parts:
            by_system = {s: [r for r in rs if r["part"] == p] for s, rs in rows.items()}
            default = by_system.get(DEFAULT_SYSTEM) or next(iter(by_system.values()))
            sources = sorted({r["source"] for r in default if r.get("source")})
            results.append({
                "collection": spec.name, "title": spec.title, "part": p, "kind": "answers",
                "set": f"{spec.name}-{p}", "rows": by_system,
                "summary": {s: summarise(rs, ready.settings.top_k) for s, rs in by_system.items()},
                "by_set": {src: summarise([r for r in default if r.get("source") == src], ready.settings.top_k)
                           for src in sources} if len(sources) > 1 else {},
                "meta": {"collection": spec.collection or "default (corpus/)",
                         "questions": len(own_rows(default)), "seconds": round(seconds, 1),
                         "sets": sources, "limit": limit},
            })
    return results
