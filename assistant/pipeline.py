"""`ask()`: from a question to a cited answer, every step in order."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from assistant import nlp, prepared, sentences
from assistant.answer import AnswerModel, compose
from assistant.conversation import Turn, read, turns_of
from assistant.embedding import Embedder, answer_with_threads
from assistant.features import Candidate, candidates, doc_years, focus_text
from assistant.generate import stream_generate
from assistant.indexing import build_collection, is_stale
from assistant.llm import client_from_settings
from assistant.questions import Question
from assistant.reader import Reader
from assistant.retrieval import HybridRetriever
from assistant.settings import DEFAULT_COLLECTION, Settings, load_settings
from assistant.spelling import Speller
from assistant.store import IndexProblem, open_store
from assistant.types import Answer, Hit
from assistant.vocabulary import Vocabulary
from assistant.words import content_words


class UnknownCollection(ValueError):
    pass


@dataclass
class Engine:
    """A loaded collection: its index, retriever, vocabulary and sentence table, ready to answer."""

    collection: str
    retriever: HybridRetriever
    vocab: Vocabulary
    settings: Settings
    speller: Speller
    sentences: sentences.SentenceTable
    index_of: dict[str, int]  # chunk id -> its row in the index
    model: AnswerModel
    generation: object = None  # the store's generation it was loaded at (None: the store has none)
    reader: Reader | None = None  # None: answers are the answer model's alone

    def read(self, question: str):
        """The reader's similarities of sentences to `question`, for answer.score (None: no reader)."""
        return None if self.reader is None else partial(self.reader.similarities, question)

    @property
    def documents(self):
        return self.retriever.documents


_engines: dict[tuple, Engine] = {}
_engines_lock = threading.Lock()
_loading: dict[tuple, threading.Lock] = {}


def sources_of(collection: str, settings: Settings) -> list[Path]:
    if collection == DEFAULT_COLLECTION:
        sources = [settings.corpus_dir]
    else:
        sources = open_store(settings).sources(collection)
        if not sources:
            raise UnknownCollection(
                f"unknown collection {collection!r}: index it first with `python -m assistant index PATH --collection {collection}`"
            )
    uploads = settings.uploads_dir / collection
    if uploads.is_dir() and any(uploads.iterdir()) and uploads not in sources:
        sources = [*sources, uploads]
    return sources


def _log(message: str) -> None:
    print(message, file=sys.stderr)  # stdout is for answers (`ask --json`)


def load_engine(collection: str | None = None, settings: Settings | None = None, mode: str = "hybrid",
                log=_log) -> Engine:
    """Load a collection, building or rebuilding its index when missing, stale or damaged.

    Loaded once per process and shared, read-only, by every question. Each collection loads under
    its own lock: questions to a loaded collection never wait for another one to load. With a
    shared store, its generation is checked per question (one indexed lookup): a build another
    process published is loaded without a restart, while questions already asked finish on the old."""
    settings = settings or load_settings()
    collection = collection or DEFAULT_COLLECTION
    key = (collection, settings, mode)
    store = open_store(settings)

    def current():
        with _engines_lock:
            engine = _engines.get(key)
        if engine is not None and (engine.generation is None or engine.generation == store.generation(collection)):
            return engine
        return None

    engine = current()
    if engine is not None:
        return engine
    with _engines_lock:
        loading = _loading.setdefault(key, threading.Lock())
    with loading:
        engine = current()  # loaded by the question this one waited for
        if engine is not None:
            return engine
        engine = _load(collection, settings, mode, log)
        with _engines_lock:
            _engines[key] = engine
        return engine


def is_loaded(collection: str | None = None, settings: Settings | None = None, mode: str = "hybrid") -> bool:
    """Whether a question to this collection is answered without loading it first."""
    with _engines_lock:
        return (collection or DEFAULT_COLLECTION, settings or load_settings(), mode) in _engines


def _load(collection: str, settings: Settings, mode: str, log) -> Engine:
    answer_with_threads(settings.query_threads)
    embedder = Embedder(settings.model, settings.embed_batch_size)
    store = open_store(settings)
    sources = sources_of(collection, settings)
    generation = store.generation(collection)
    try:
        # a shared store's readers may not see its source files: `index` decides when they changed
        reason, verb = is_stale(store.manifest(collection), sources, settings, files=not store.shared), "Indexing"
    except IndexProblem as problem:
        reason, verb = str(problem), "Rebuilding"
    if reason:
        log(f"{verb} collection {collection!r}: {reason}.")
        build_collection(collection, sources, settings, embedder, force=verb == "Rebuilding")
        generation = store.generation(collection)
    try:
        stored = store.load(collection, settings.model, embedder.dimension)
    except IndexProblem as problem:
        log(f"Rebuilding collection {collection!r}: {problem}.")
        build_collection(collection, sources, settings, embedder, force=True)
        generation = store.generation(collection)
        stored = store.load(collection, settings.model, embedder.dimension)
    # read, never computed: a build from another version of `prepared` was stale above
    ready = prepared.load(stored.path, stored.chunks, embedder, settings.neighbours_per_word, settings.neighbour_floor)
    stored.extra["lexical"] = ready.lexical
    retriever = HybridRetriever(embedder, mode, settings.candidates, settings.rrf_k,
                                settings.duplicate_overlap, settings.fusion).fit(stored)
    nlp.pipeline()  # loaded with the collection, not on the first question
    return Engine(collection, retriever, ready.vocab, settings, Speller().fit(ready.vocab.words), ready.sentences,
                  {c.id: i for i, c in enumerate(stored.chunks)}, AnswerModel.load(), generation,
                  Reader.load(settings.model))


def forget_engines() -> None:
    """Drop loaded collections (after re-indexing in the same process)."""
    with _engines_lock:
        _engines.clear()


def clean_question(question: object, settings: Settings) -> str:
    if not isinstance(question, str):
        raise ValueError("the question must be text")
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in question).strip()
    if not text:
        raise ValueError("the question is empty: type a question about the documents")
    # Models read a few hundred tokens; a 100 KB paste is cut at a word boundary, not choked on.
    if len(text) > settings.max_question_chars:
        cut = text[: settings.max_question_chars]
        text = cut[: cut.rfind(" ")] if " " in cut else cut
    return " ".join(text.split())


def clean_history(history: object, settings: Settings) -> list[dict]:
    """Gradio's messages format, with each turn cut like a question (and its structured turn, if it
    carries one); anything else is ignored."""
    turns = []
    for turn in history if isinstance(history, list) else []:
        if isinstance(turn, dict) and turn.get("role") in {"user", "assistant"} and isinstance(turn.get("content"), str):
            clean = {"role": turn["role"], "content": turn["content"][: settings.max_question_chars]}
            if isinstance(turn.get("turn"), dict):
                clean["turn"] = turn["turn"]
            turns.append(clean)
    return turns


def named_in_titles(q: Question, documents: dict) -> set[str]:
    """The documents whose titles name what the question names ("Barnet": Barnet's reports). A name
    every title holds ("Ofsted" of Ofsted's reports) says nothing of which, and is passed over."""
    titles = {d: info.title.lower() for d, info in documents.items()}
    named = set()
    for name in q.names:
        docs = {d for d, title in titles.items() if name.lower() in title}
        if len(docs) < len(titles):
            named |= docs
    return named


def search(retriever: HybridRetriever, q: Question, query: str, qvec: np.ndarray, k: int) -> list[Hit]:
    """Retrieve for a question. The documents whose titles name what it names, and those of each
    year it names, are also searched on their own, so that other documents cannot crowd them out."""
    named = named_in_titles(q, retriever.documents)
    runs = []
    for year in q.years:
        docs = {d for d in (named or retriever.documents) if year in doc_years(retriever.documents[d])}
        if docs:
            runs.append(retriever.search(query, k, qvec=qvec, where={"doc": docs}))
    if named and not runs:
        runs.append(retriever.search(query, k, qvec=qvec, where={"doc": named}))
    if len(runs) < 2:
        runs.append(retriever.search(query, k, qvec=qvec))
    merged: dict[str, Hit] = {}
    for rank in range(k):  # interleave the runs, best first
        for run in runs:
            if rank < len(run) and run[rank].chunk.id not in merged:
                merged[run[rank].chunk.id] = run[rank]
    return list(merged.values())[:k]


def query_of(q: Question, vocab: Vocabulary) -> str:
    """What is searched: the question, with the collection's other forms of its words ("IROs":
    "independent reviewing officers") and its nearest words for those it never uses ("teenagers")."""
    extra = vocab.other_forms(q.text) + sorted(vocab.neighbours_of_unknown(content_words(q.text)))
    return " ".join([q.text, *extra])


def ask(question: str, history: list[dict] | None = None, collection: str | None = None,
        settings: Settings | None = None, mode: str = "hybrid", client=None) -> Answer:
    """Answer `question` from `collection` (None: the default corpus), with citations.

    With a language model configured (settings.llm_*, or `client`), the answer is written
    by it from the same passages and verified; otherwise it is extractive."""
    final = None
    for item in ask_stream(question, history, collection, settings, mode, client):
        final = item
    return final


def understand(question: str, history: list[dict], engine: Engine, settings: Settings) -> Question:
    """The question as meant: misspellings corrected to the collection's words ("abotu care leavers"),
    read with the conversation's turns."""
    return read(engine.speller.correct(question), turns_of(clean_history(history, settings)))


def evidence(q: Question, engine: Engine, settings: Settings) -> tuple[str, list[Hit], list[Candidate], float]:
    """What the answer is chosen from: the query searched, the passages found, every sentence of the
    best of them with its signals (none when the question is asked in words the collection never
    uses: "What is the capital of France?" of inspection reports), and the seconds the search took."""
    t0 = time.perf_counter()
    query = query_of(q, engine.vocab)
    asked = focus_text(q)  # the question without the names and years every passage may hold
    # one pass of the model for both: most of a question's time is the model's
    vectors = engine.retriever.embedder.encode([query, asked] if asked and asked != q.text else [query])
    qvec, fvec = vectors[0], vectors[-1]
    hits = search(engine.retriever, q, query, qvec, settings.top_k)
    searched = time.perf_counter() - t0
    if engine.vocab.says_none_of(content_words(asked)):
        return query, hits, [], searched
    cands = candidates(q, qvec, fvec, hits[: settings.answer_passages], engine.sentences, engine.index_of, engine.vocab,
                       engine.documents)
    return query, hits, cands, searched


def ask_stream(question: str, history: list[dict] | None = None, collection: str | None = None,
               settings: Settings | None = None, mode: str = "hybrid", client=None):
    """Like ask(), but yields the verified answer text as a language model writes it, then the Answer."""
    settings = settings or load_settings()
    asked = clean_question(question, settings)
    engine = load_engine(collection, settings, mode)
    t0 = time.perf_counter()
    q = understand(asked, history, engine, settings)
    query, hits, cands, searched = evidence(q, engine, settings)
    composed = compose(cands, engine.model, engine.documents, settings.max_answer_words, settings.max_list_words,
                       settings.max_sentences, q.years, engine.read(q.text))
    t1 = time.perf_counter()
    timings = {"retrieve": searched, "compose": t1 - t0 - searched}
    client = client or client_from_settings(settings)
    if client is not None:
        # the model reads the passages whose sentences the answer model found likeliest first
        likeliest = {}
        for c in cands:
            likeliest[c.hit.chunk.id] = max(likeliest.get(c.hit.chunk.id, 0.0), c.p)
        ordered = sorted(hits, key=lambda h: -likeliest.get(h.chunk.id, -1.0))
        for item in stream_generate(query, ordered, engine.documents, settings, client, composed):
            if isinstance(item, str):
                yield item
            else:
                composed = item
        timings["generate"] = time.perf_counter() - t1
    turn = Turn(asked, q.text, q.names, q.years, composed.text, [c.chunk_id for c in composed.citations])
    yield Answer(
        question=asked,
        answer=composed.text,
        abstained=composed.abstained,
        citations=composed.citations,
        query=query,
        collection=engine.collection,
        mode=getattr(composed, "mode", "extractive"),
        timings=timings,
        confidence=composed.confidence,
        hits=hits,
        turn=turn.to_dict(),
    )
