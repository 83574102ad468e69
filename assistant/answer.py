"""Extractive answers: the sentences that answer the question, each cited, or a refusal.

No language model: sentences are taken verbatim from the retrieved passages,
scored for how well they answer (query terms, the kind of fact asked for, the
passage's own relevance, the year asked about), and the best few are kept.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

from assistant.chunking import split_sentences
from assistant.questions import YEAR, Question, answer_type_score, content_words, stem
from assistant.types import Chunk, Citation, DocumentInfo, Hit

PASSAGES_CONSIDERED = 6


@dataclass
class Candidate:
    text: str
    hit: Hit
    rank: int  # of the passage in retrieval order
    score: float = 0.0
    lexical: float = 0.0


class Vocabulary:
    """Document frequencies of stemmed words, and the raw words, of one collection."""

    def __init__(self, chunks: list[Chunk], titles: dict[str, str]):
        self.df: Counter[str] = Counter()
        self.words: set[str] = set()
        for c in chunks:
            text = f"{titles.get(c.doc, '')} {c.heading} {c.text}"
            words = content_words(text)
            self.words.update(words)
            self.words.update(w.lower() for w in re.findall(r"[A-Za-z]+", text))
            self.df.update({stem(w) for w in words})
        self.n = max(1, len(chunks))

    def idf(self, term: str) -> float:
        return math.log(1 + (self.n - self.df.get(term, 0) + 0.5) / (self.df.get(term, 0) + 0.5))

    def unknown_names(self, q: Question) -> list[str]:
        """Proper names in the question that the collection never mentions (another council, say)."""
        out = []
        for name in q.names:
            parts = [p.lower() for p in re.findall(r"[A-Za-z]+", name)]
            if parts and any(p not in self.words for p in parts):
                out.append(name)
        return out


def doc_year(info: DocumentInfo | None) -> int | None:
    if info and info.date[:4].isdigit():
        return int(info.date[:4])
    return None


def _candidates(hits: list[Hit]) -> list[Candidate]:
    out = []
    for rank, hit in enumerate(hits[:PASSAGES_CONSIDERED]):
        for line in hit.chunk.text.split("\n"):
            for sentence in split_sentences(line):
                if len(sentence) > 3:
                    out.append(Candidate(sentence, hit, rank))
    return out


def _lexical(q_stems: dict[str, float], text: str, heading: str) -> float:
    if not q_stems:
        return 0.0
    own = {stem(w) for w in content_words(text)}
    context = {stem(w) for w in content_words(heading)}
    got = sum(w * (1.0 if s in own else 0.5 if s in context else 0.0) for s, w in q_stems.items())
    return got / sum(q_stems.values())


def score_candidates(q: Question, hits: list[Hit], vocab: Vocabulary, documents: dict[str, DocumentInfo]) -> list[Candidate]:
    q_stems = {stem(t): vocab.idf(stem(t)) for t in q.terms}
    cands = _candidates(hits)
    newest = max((doc_year(documents.get(h.chunk.doc)) or 0 for h in hits), default=0)
    for c in cands:
        info = documents.get(c.hit.chunk.doc)
        c.lexical = _lexical(q_stems, c.text, c.hit.chunk.heading)
        score = 0.45 * c.lexical + 0.2 * answer_type_score(q, c.text) + 0.3 * max(c.hit.dense, 0.0)
        score += 0.1 / (1 + c.rank)
        year = doc_year(info)
        if q.years:
            mentioned = {int(y) for y in YEAR.findall(c.text)}
            if mentioned & set(q.years) or (year in q.years and not mentioned):
                score += 0.12
        if q.latest and year and year == newest:
            score += 0.1
        c.score = score
    cands.sort(key=lambda c: -c.score)
    return cands


def confidence(cands: list[Candidate]) -> float:
    """How well the best sentence is supported: its words and its passage's meaning."""
    if not cands:
        return 0.0
    best = cands[0]
    return 0.5 * best.lexical + 0.5 * max(best.hit.dense, 0.0)


def _similar(a: str, b: str) -> bool:
    sa, sb = {stem(w) for w in content_words(a)}, {stem(w) for w in content_words(b)}
    return bool(sa and sb) and len(sa & sb) / len(sa | sb) > 0.6


def select(q: Question, cands: list[Candidate], max_words: int, max_list_words: int, max_sentences: int) -> list[Candidate]:
    if not cands:
        return []
    best = cands[0]
    lines = [ln for ln in best.hit.chunk.text.split("\n") if ln.strip()]
    if q.kind == "list" and len(lines) >= 3:
        return [Candidate(ln, best.hit, best.rank, best.score) for ln in lines][: 12]
    chosen = [best]
    words = len(best.text.split())
    if q.kind in {"compare"} or len(set(q.years)) >= 2:
        # One sentence per year asked about, or per source year when the question names one.
        wanted_years = set(q.years)
        covered = {int(y) for y in YEAR.findall(best.text)}
        for c in cands[1:]:
            if len(chosen) >= max_sentences + 1:
                break
            years = {int(y) for y in YEAR.findall(c.text)}
            if (years - covered) & wanted_years or (not wanted_years and c.hit.chunk.doc != best.hit.chunk.doc):
                if not any(_similar(c.text, x.text) for x in chosen) and c.score >= 0.6 * best.score:
                    chosen.append(c)
                    covered |= years
        return chosen
    for c in cands[1:]:
        if len(chosen) >= max_sentences or c.score < 0.85 * best.score:
            break
        n = len(c.text.split())
        if words + n > max_words or any(_similar(c.text, x.text) for x in chosen):
            continue
        chosen.append(c)
        words += n
    return chosen


def _with_marker(sentence: str, n: int) -> str:
    s = sentence.rstrip()
    m = re.search(r"([.!?:;][\"'”’)]*)$", s)
    if m:
        return f"{s[:m.start()]} [{n}]{m.group(1) if m.group(1)[0] != ':' else '.'}"
    return f"{s} [{n}]."


def render(chosen: list[Candidate], documents: dict[str, DocumentInfo], as_list: bool) -> tuple[str, list[Citation]]:
    numbers: dict[str, int] = {}
    citations: list[Citation] = []
    years = {doc_year(documents.get(c.hit.chunk.doc)) for c in chosen}
    label_years = len(years - {None}) > 1
    parts = []
    for c in chosen:
        chunk = c.hit.chunk
        if chunk.id not in numbers:
            numbers[chunk.id] = len(numbers) + 1
            info = documents.get(chunk.doc) or DocumentInfo(doc=chunk.doc, title=chunk.doc)
            citations.append(
                Citation(
                    n=numbers[chunk.id], doc=chunk.doc, title=info.title, ref=chunk.ref, page=chunk.page,
                    text=chunk.text, score=round(float(c.score), 4), date=info.date, publisher=info.publisher,
                    chunk_id=chunk.id,
                )
            )
        text = _with_marker(c.text, numbers[chunk.id])
        if label_years:
            year = doc_year(documents.get(chunk.doc))
            text = f"({year}) {text}" if year else text
        parts.append(text)
    if as_list:
        return "\n".join(f"- {p}" for p in parts), citations
    return " ".join(parts), citations


def refusal(documents: dict[str, DocumentInfo], reason: str = "") -> str:
    infos = sorted(documents.values(), key=lambda d: d.date, reverse=True)
    covered = "; ".join(f"{d.title} ({d.date[:4]})" if d.date else d.title for d in infos[:5])
    more = f", and {len(infos) - 5} more" if len(infos) > 5 else ""
    why = f" {reason}" if reason else ""
    return f"I can't find an answer to that in this collection.{why} It covers {len(infos)} documents: {covered}{more}."


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    abstained: bool
    confidence: float


def compose(q: Question, hits: list[Hit], vocab: Vocabulary, documents: dict[str, DocumentInfo],
            threshold: float, max_words: int = 80, max_list_words: int = 160, max_sentences: int = 3) -> Composed:
    unknown = vocab.unknown_names(q)
    if unknown:
        return Composed(refusal(documents, f"It never mentions {', '.join(unknown[:3])}."), [], True, 0.0)
    cands = score_candidates(q, hits, vocab, documents)
    conf = confidence(cands)
    if conf < threshold or (q.kind == "money" and answer_type_score(q, cands[0].text) == 0.0):
        return Composed(refusal(documents), [], True, conf)
    chosen = select(q, cands, max_words, max_list_words, max_sentences)
    as_list = q.kind == "list" and len(chosen) >= 3
    text, citations = render(chosen, documents, as_list)
    return Composed(text, citations, False, conf)
