"""`ask()`: from a question to a cited answer, every step in order."""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from assistant.answer import Composed, Vocabulary, compose, compose_interval, compose_overview, doc_year
from assistant.conversation import (asks_more, before_last_question, follow_up_words, last_answer, last_user_question,
                                    listed_item, may_skip_back, new_subject, resolve, said_before)
from assistant.embedding import Embedder
from assistant.generate import stream_generate
from assistant.indexing import build_collection, is_stale
from assistant.llm import client_from_settings
from assistant.neighbours import WordNeighbours
from assistant.questions import (DOCUMENT_NOUNS, GRADE_SEARCH_WORDS, LIST_SEARCH_WORDS, YEAR, Question, analyse, direct_question,
                                 asks_polar_list, expand_query, stem)
from assistant.retrieval import HybridRetriever
from assistant.settings import DEFAULT_COLLECTION, Settings, load_settings
from assistant.spelling import Speller
from assistant.store import IndexProblem, collection_dir, load_build, read_manifest, read_sources
from assistant.types import Answer, Hit


class UnknownCollection(ValueError):
    pass


@dataclass
class Engine:
    """A loaded collection: its index, retriever and vocabulary, ready to answer."""

    collection: str
    retriever: HybridRetriever
    vocab: Vocabulary
    settings: Settings
    speller: Speller

    @property
    def documents(self):
        return self.retriever.documents



_engines: dict[tuple, Engine] = {}
_engines_lock = threading.Lock()


def sources_of(collection: str, settings: Settings) -> list[Path]:
    if collection == DEFAULT_COLLECTION:
        sources = [settings.corpus_dir]
    else:
        sources = read_sources(collection_dir(settings.index_dir, collection))
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
    """Load a collection, building or rebuilding its index when missing, stale or damaged."""
    settings = settings or load_settings()
    collection = collection or DEFAULT_COLLECTION
    key = (collection, settings, mode)
    with _engines_lock:
        if key in _engines:
            return _engines[key]
        embedder = Embedder(settings.model, settings.embed_batch_size)
        cdir = collection_dir(settings.index_dir, collection)
        sources = sources_of(collection, settings)
        try:
            reason, verb = is_stale(read_manifest(cdir), sources, settings), "Indexing"
        except IndexProblem as problem:
            reason, verb = str(problem), "Rebuilding"
        if reason:
            log(f"{verb} collection {collection!r}: {reason}.")
            build_collection(collection, sources, settings, embedder, force=verb == "Rebuilding")
        try:
            stored = load_build(cdir, collection, settings.model, embedder.dimension)
        except IndexProblem as problem:
            log(f"Rebuilding collection {collection!r}: {problem}.")
            build_collection(collection, sources, settings, embedder, force=True)
            stored = load_build(cdir, collection, settings.model, embedder.dimension)
        retriever = HybridRetriever(embedder, mode, settings.candidates, settings.rrf_k,
                                    settings.duplicate_overlap, settings.query_threads, settings.fusion).fit(stored)
        titles = {d: info.title for d, info in stored.documents.items()}
        vocab = Vocabulary(stored.chunks, titles)
        if settings.neighbours_per_word > 0:
            vocab.neighbours = WordNeighbours(embedder, cdir / "words", settings.neighbours_per_word, settings.neighbour_floor,
                                              settings.query_threads).fit(w for w in vocab.words if vocab.df.get(stem(w), 0))
        engine = Engine(collection, retriever, vocab, settings, Speller().fit(vocab.words))
        _engines[key] = engine
        return engine


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
    """Gradio's messages format, with each turn cut like a question; anything else is ignored."""
    turns = []
    for turn in history if isinstance(history, list) else []:
        if isinstance(turn, dict) and turn.get("role") in {"user", "assistant"} and isinstance(turn.get("content"), str):
            turns.append({"role": turn["role"], "content": turn["content"][: settings.max_question_chars]})
    return turns


def search(retriever: HybridRetriever, q: Question, k: int, vocab: Vocabulary | None = None) -> list[Hit]:
    """Retrieve for a question. A question naming years also searches the documents of each
    of those years on their own, so that other years' passages cannot crowd them out (nor,
    in a comparison, one year crowd out the other); a question about now, the newest year's."""
    if vocab is not None:
        vocab.spell_out(q.names)  # "NHS" where the documents write "national health service"
    query = expand_query(q.text)
    near = vocab.neighbours_of_unknown(q.terms) if vocab is not None else set()
    if near:  # "teenagers": the passages say "adolescents"
        query = f"{query} {' '.join(sorted(near))}"
    if q.kind == "grade":  # answer-type words: the passages that state a grade are written in them
        query = f"{query} {GRADE_SEARCH_WORDS}"
    if asks_polar_list(q):  # "What went wrong?": the report's own list of faults
        query = f"{query} {LIST_SEARCH_WORDS[q.polarity]}"
    forms = vocab.other_forms(q.text) if vocab is not None else []
    if forms:  # "IROs": some passages say "independent reviewing officers"
        query = f"{query} {' '.join(forms)}"
    years = sorted(set(q.years))
    named = len(years)
    # "is it still inadequate?", "has it changed since 2018?": the newest sources must be heard (about
    # what the question names: Hackney's latest report, not the collection's newest on another borough)
    if q.latest and not years or q.kind == "compare" and len(years) == 1:
        about = (vocab.named_in_title(q, retriever.documents) if vocab is not None else []) or retriever.documents
        newest = max((y for y in (doc_year(retriever.documents[d]) for d in about) if y), default=None)
        years = sorted(set(years) | {newest}) if newest else years
    runs = []
    for year in years:
        docs = {d for d, info in retriever.documents.items() if doc_year(info) == year}
        if docs:
            own = YEAR.sub(lambda m, y=year: m.group(0) if int(m.group(0)) == y else "", query)
            runs.append(retriever.search(own, k, docs=docs))
    if named < 2 or not runs:
        runs.append(retriever.search(query, k))
    merged: dict[str, Hit] = {}
    for rank in range(k):  # interleave the runs, best first
        for run in runs:
            if rank < len(run) and run[rank].chunk.id not in merged:
                merged[run[rank].chunk.id] = run[rank]
    return list(merged.values())[:k]


def documents_about(q: Question, documents: dict, vocab: Vocabulary, years=()) -> list[str]:
    """The documents (of `years`, if any) mentioning every name the question gives, those titled with them
    where some are (Barnet's own reports, not Enfield's naming Barnet's partnership), less rewrites of the others."""
    docs = [d for d, info in documents.items()
            if (not years or doc_year(info) in years) and q.name_stems <= vocab.doc_stems.get(d, set())]
    docs = vocab.named_in_title(q, docs) or docs
    return [d for d in docs if documents[d].derived_from not in docs]  # a rewrite of one of them tells it again


def _words(text: str) -> set[str]:
    """All the words of a text, in lower case ("letter" and "report" too, which are no content words)."""
    return set(re.findall(r"[a-z]+", text.lower()))


def overview_documents(q: Question, documents: dict, vocab: Vocabulary, limit: int) -> list[str]:
    """The documents a "What happened in 2017?" question asks about: of the years it names and about what
    it names, the newest `limit` of them."""
    docs = documents_about(q, documents, vocab, q.years)
    kinds = _words(q.text) & DOCUMENT_NOUNS  # "the 2018 letter": of that year's documents, the letter
    named = [d for d in docs if kinds & {documents[d].kind, *_words(documents[d].title)}]
    return sorted(named or docs, key=lambda d: documents[d].date, reverse=True)[:limit]


def search_grades(retriever: HybridRetriever, q: Question, docs: list[str], k: int) -> list[tuple[Question, list[Hit]]]:
    """Each document searched for the overall grade it gives, asked of what the question names."""
    subject = " ".join(q.names) or "children's services"
    out = []
    for doc in docs:
        asked = analyse(f"What overall grade did {subject} get in {doc_year(retriever.documents[doc])}?")
        out.append((asked, retriever.search(f"{asked.text} {GRADE_SEARCH_WORDS}", k, docs={doc})))
    return out


def search_overview(retriever: HybridRetriever, docs: list[str], k: int) -> list[tuple[Question, list[Hit]]]:
    """Each document searched for its own title: its passages that say what it is about."""
    out = []
    for doc in docs:
        title = re.sub(r"\s*\(.*?\)", "", retriever.documents[doc].title)  # "(with the Ofsted report as Appendix A)": an aside
        asked = analyse(title)
        asked.summary = True  # its own summing-up ("In summary, progress has been made…") tells it best
        out.append((asked, retriever.search(expand_query(title), k, docs={doc})))
    return out


def ask(question: str, history: list[dict] | None = None, collection: str | None = None,
        settings: Settings | None = None, mode: str = "hybrid", client=None) -> Answer:
    """Answer `question` from `collection` (None: the default corpus), with citations.

    With a language model configured (settings.llm_*, or `client`), the answer is written
    by it from the same passages and verified; otherwise it is extractive."""
    final = None
    for item in ask_stream(question, history, collection, settings, mode, client):
        final = item
    return final


def answer_from(text: str, turns: list[dict], engine: Engine, settings: Settings) -> tuple[str, list[Hit], Composed, float]:
    """The extractive answer to `text` in the conversation `turns`: the query searched, the passages
    found, the composed answer and the seconds the search took."""
    t0 = time.perf_counter()
    query = resolve(text, turns)
    item = listed_item(text, turns)  # "the first one": the item stands in the query, whose words are its own
    q = analyse(query, follow_up_words(text) if query != text and not item else "")
    if query != text:
        q.item = item
        q.answered = item or last_answer(turns)  # the item is said already
        q.about = new_subject(text)
        q.told = said_before(turns) if asks_more(text) else []
    own = None  # the question's own passages, searched once
    if q.interval:  # "How long did it take to go from inadequate to good?": when each grade was first given
        own = search(engine.retriever, q, settings.top_k, engine.vocab)
        per_doc = search_grades(engine.retriever, q, documents_about(q, engine.documents, engine.vocab), settings.top_k)
        composed = compose_interval(q, own, per_doc, engine.vocab, engine.documents)
        if composed is not None:
            return query, own + [h for _, found in per_doc for h in found], composed, time.perf_counter() - t0
    timeline = documents_about(q, engine.documents, engine.vocab) if q.timeline else []
    if timeline:  # "How has Croydon's grade changed over time?": the grade each report gives
        per_doc = search_grades(engine.retriever, q, timeline, settings.top_k)
        hits = [h for _, found in per_doc for h in found]
        searched = time.perf_counter() - t0
        return query, hits, compose_overview(per_doc, engine.vocab, engine.documents, told=q.told), searched
    overview = overview_documents(q, engine.documents, engine.vocab, settings.max_sentences) if q.overview else []
    if overview:  # "What happened in 2017?": what each of that year's documents is about
        per_doc = search_overview(engine.retriever, overview, settings.top_k)
        hits = [h for _, found in per_doc for h in found]
        searched = time.perf_counter() - t0
        # "Summarise the 2018 Ofsted letter": one document, told in a few sentences; "What happened with
        # Camden?" is told by the one sentence of it about Camden
        named_by_title = engine.vocab.specific_names(q) <= engine.vocab.title_stems.get(overview[0], set())
        per_document = settings.max_sentences if len(overview) == 1 and named_by_title else 1
        return query, hits, compose_overview(per_doc, engine.vocab, engine.documents, per_document, q.told), searched
    hits = own if own is not None else search(engine.retriever, q, settings.top_k, engine.vocab)
    searched = time.perf_counter() - t0
    composed = compose(q, hits, engine.vocab, engine.documents, settings.abstain_threshold,
                       settings.max_answer_words, settings.max_list_words, settings.max_sentences)
    return query, hits, composed, searched


def ask_stream(question: str, history: list[dict] | None = None, collection: str | None = None,
               settings: Settings | None = None, mode: str = "hybrid", client=None):
    """Like ask(), but yields the verified answer text as a language model writes it, then the Answer."""
    settings = settings or load_settings()
    asked = clean_question(question, settings)
    engine = load_engine(collection, settings, mode)
    t0 = time.perf_counter()
    # "Can you tell me who led it?", "abotu care leavers": what was meant is searched (and shown as the query),
    # as is what was meant before
    def meant(words: str) -> str:
        return direct_question(engine.speller.correct(words))

    text = meant(asked)
    turns = [{**t, "content": meant(t["content"])} if t["role"] == "user" else t for t in clean_history(history, settings)]
    query, hits, composed, searched = answer_from(text, turns, engine, settings)
    earlier = before_last_question(turns)
    if query != text and (composed.abstained or new_subject(text)) and may_skip_back(text) and last_user_question(earlier):
        # "Who was the lead inspector?" then "And help and protection?": the new subject may be asked
        # as the question before was; of the two readings, the one the collection answers better
        retry = answer_from(text, earlier, engine, settings)
        searched += retry[3]
        if not retry[2].abstained and (composed.abstained or retry[2].confidence > composed.confidence):
            query, hits, composed = retry[:3]
    if composed.abstained and new_subject(text) and last_answer(turns):
        # "What about the sexual exploitation panel?": no reading in the conversation is answered, so
        # the subject may be a new one, asked as it stands (but after a refusal, "And care leavers?"
        # asks what was refused of them)
        alone = answer_from(text, [], engine, settings)
        searched += alone[3]
        if not alone[2].abstained:
            query, hits, composed = alone[:3]
    t2 = time.perf_counter()
    timings = {"retrieve": searched, "compose": t2 - t0 - searched}
    client = client or client_from_settings(settings)
    if client is not None:
        for item in stream_generate(query, hits, engine.documents, settings, client, composed):
            if isinstance(item, str):
                yield item
            else:
                composed = item
        timings["generate"] = time.perf_counter() - t2
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
    )
