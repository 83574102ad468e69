"""Extractive answers: the sentences most likely to answer, each cited, or a refusal.

One scoring path: every sentence of the passages retrieval found gets its general signals
(`features`), a logistic model fitted on labelled questions of several collections turns them into
the probability that the sentence answers (`AnswerModel`), and the answer is the best sentence with
the few others nearly as likely. Whether to answer at all is the same probabilities read at the
level of the question: how likely the best sentences are, how far the best stands out, how well
anything found matches the question (`ASKED`) and what the likeliest sentence holds (the kind of thing
asked, the year asked), calibrated by a second logistic regression into the probability that the
question is answerable; below `abstain` it refuses. Where the reader is there
(`assistant.reader`), the few likeliest sentences are read again with it, and its similarity moves
their probability (`Reading`).
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.features import ASKED, FEATURES, Candidate, doc_year, of_years
from assistant.settings import PACKAGE_DATA
from assistant.types import Citation, DocumentInfo
from assistant.words import stems

MODEL_FILE = PACKAGE_DATA / "answer_model.json"
CANNOT_ANSWER = "I can't find an answer to that in this collection."  # how every refusal begins
SAME = 0.6  # share of stems two sentences share for the second to add nothing
# what decides whether a question is answered: its best sentences' probabilities, ASKED, and the likeliest
# sentence's own signals (top_*): whether it holds the kind of thing asked, of the year asked, in the words asked
_OWN = tuple(name for name in FEATURES if name not in ASKED)
QUESTION_FEATURES = ("best", "second", "gap", "best_five", "near_best", "read_best", *ASKED,
                     *(f"top_{name}" for name in _OWN))
_ASKED_COLUMNS = [FEATURES.index(name) for name in ASKED]
_OWN_COLUMNS = [FEATURES.index(name) for name in _OWN]


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    abstained: bool
    confidence: float


@dataclass(frozen=True)
class AnswerModel:
    """Logistic regression over FEATURES, standardised: the probability that a sentence answers; and one
    over QUESTION_FEATURES (`answerable`): the probability that the question is answered at all, below
    `abstain` a refusal. `extra` is the share of the best's probability a further sentence needs, `beside`
    the share a sentence next to the best in its paragraph needs (an answer often runs on into it, and
    it adds no source to check)."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    abstain: float
    extra: float
    answerable: "Logistic | None" = None  # None: the best sentence's probability stands for the question's
    beside: float | None = None  # None: as `extra`
    reading: "Reading | None" = None  # None: the reader is not consulted

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "AnswerModel":
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(d["features"]) != FEATURES or tuple(d.get("answerable", {}).get("features", QUESTION_FEATURES)) != QUESTION_FEATURES:
            raise ValueError(f"{path}: fitted on other features; refit with `python -m evals fit`")
        answerable = Logistic.from_dict(d["answerable"]) if "answerable" in d else None
        sentence = Logistic.from_dict(d)
        reading = Reading(**d["reading"]) if d.get("reading") else None
        return cls(tuple(d["features"]), sentence.mean, sentence.scale, sentence.coef, sentence.intercept,
                   float(d["abstain"]), float(d["extra"]), answerable, d.get("beside"), reading)

    def save(self, path: Path, about: dict) -> None:
        d = {"about": about, "features": list(self.features), **self._sentence.to_dict(), "abstain": self.abstain,
             "extra": self.extra, "beside": self.beside, "reading": self.reading and dataclasses.asdict(self.reading)}
        if self.answerable is not None:
            d["answerable"] = {"features": list(QUESTION_FEATURES), **self.answerable.to_dict()}
        path.write_text(json.dumps(d, indent=1) + "\n", encoding="utf-8")

    @property
    def _sentence(self) -> "Logistic":
        return Logistic(self.mean, self.scale, self.coef, self.intercept)

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return self._sentence.probabilities(x)

    def confidence(self, ranked: list["Candidate"]) -> float:
        """The probability that the question is answered by the sentences found (ranked, likeliest first)."""
        if not ranked:
            return 0.0
        if self.answerable is None:
            return ranked[0].p
        x = question_features(ranked)
        x = np.where(np.isnan(x), self.answerable.mean, x)  # a signal not there (no reader) counts as its mean
        return float(self.answerable.probabilities(x[None])[0])


@dataclass(frozen=True)
class Reading:
    """How the reader's similarity moves a sentence's probability: the `top` likeliest sentences are
    read, and each one's log-odds rise by `weight` x (similarity - `centre`); one not read counts as the
    least similar of those read."""

    top: int
    weight: float
    centre: float

    def apply(self, ranked: list[Candidate], read) -> list[Candidate]:
        top = ranked[: self.top]
        similarity = np.asarray(read([c.text for c in top]), dtype=float)
        unread = np.nanmin(similarity) if len(top) and not np.isnan(similarity).all() else self.centre
        similarity = np.where(np.isnan(similarity), unread, similarity)
        for i, c in enumerate(ranked):
            c.read = float(similarity[i] if i < len(top) else unread)
            c.p = float(1.0 / (1.0 + np.exp(-(np.log(c.p / (1.0 - c.p)) + self.weight * (c.read - self.centre)))))
        return sorted(ranked, key=lambda c: -c.p)


@dataclass(frozen=True)
class Logistic:
    """A logistic regression over standardised inputs."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(((x - self.mean) / self.scale) @ self.coef + self.intercept)))

    def to_dict(self) -> dict:
        return {"mean": self.mean.tolist(), "scale": self.scale.tolist(), "coef": self.coef.tolist(),
                "intercept": self.intercept}

    @classmethod
    def from_dict(cls, d: dict) -> "Logistic":
        return cls(np.array(d["mean"]), np.array(d["scale"]), np.array(d["coef"]), float(d["intercept"]))


def question_features(ranked: list[Candidate]) -> np.ndarray:
    """QUESTION_FEATURES of scored candidates, likeliest first."""
    p = np.array([c.p for c in ranked])
    second = p[1] if len(p) > 1 else 0.0
    read = [c.read for c in ranked if not np.isnan(c.read)]
    top = ranked[0].features
    return np.concatenate([[p[0], second, p[0] - second, p[:5].mean(), (p > 0.5 * p[0]).sum(),
                            max(read) if read else np.nan], top[_ASKED_COLUMNS], top[_OWN_COLUMNS]])


def score(cands: list[Candidate], model: AnswerModel, read=None) -> list[Candidate]:
    """The candidates with their probabilities, most likely first; `read(sentences)` gives the reader's
    similarities of sentences to the question (NaN: not read), when there is a reader."""
    if cands:
        x = np.stack([c.features for c in cands])
        for c, p in zip(cands, np.clip(model.probabilities(x), 1e-9, 1 - 1e-9)):
            c.p, c.read = float(p), float("nan")
    ranked = sorted(cands, key=lambda c: -c.p)
    if read is not None and model.reading is not None and ranked:
        return model.reading.apply(ranked, read)
    return ranked


def _lead_in_items(best: Candidate, cands: list[Candidate], max_words: int) -> list[Candidate]:
    """A sentence ending in ':' introduces what follows it in its passage: the items are the answer."""
    items = sorted((c for c in cands if c.hit.chunk.id == best.hit.chunk.id and c.position > best.position),
                   key=lambda c: c.position)
    out, words = [], len(best.text.split())
    for c in items:
        words += len(c.text.split())
        if words > max_words:
            break
        out.append(c)
    return out


def select(ranked: list[Candidate], model: AnswerModel, max_words: int, max_list_words: int,
           max_sentences: int) -> tuple[list[Candidate], bool]:
    """The best sentence and the further ones nearly as likely (or a lead-in's items); True for a list."""
    best = ranked[0]
    if best.text.rstrip().endswith(":"):
        items = _lead_in_items(best, ranked, max_list_words)
        if items:
            return [best, *items], True
    chosen, words = [best], len(best.text.split())
    told = [stems(best.text)]
    for c in ranked[1:]:
        if len(chosen) >= max_sentences:
            break
        beside = c.hit.chunk.id == best.hit.chunk.id and abs(c.position - best.position) == 1
        if c.p < (model.extra if not beside or model.beside is None else model.beside) * best.p:
            continue
        own = stems(c.text)
        if any(len(own & t) > SAME * max(1, min(len(own), len(t))) for t in told):
            continue  # says again what is said
        if words + len(c.text.split()) > max_words:
            continue
        chosen.append(c)
        told.append(own)
        words += len(c.text.split())
    return chosen, False


def per_year(ranked: list[Candidate], model: AnswerModel, years: list[int],
             documents: dict[str, DocumentInfo]) -> list[Candidate]:
    """A question naming several years ("How did caseloads change between 2018 and 2024?") is
    answered by the most likely sentence of each, oldest first, where each is likely enough."""
    chosen = []
    for year in sorted(years):
        best = next((c for c in ranked if c.p >= model.extra * ranked[0].p and c not in chosen
                     and of_years(c.text, documents.get(c.hit.chunk.doc), [year])), None)
        if best is not None:
            chosen.append(best)
    return chosen


def _with_marker(sentence: str, n: int) -> str:
    s = sentence.rstrip()
    m = re.search(r"([.!?:;][\"'”’)]*)$", s)
    if m:
        return f"{s[:m.start()]} [{n}]{m.group(1) if m.group(1)[0] != ':' else '.'}"
    return f"{s} [{n}]."


def render(chosen: list[Candidate], documents: dict[str, DocumentInfo], as_list: bool) -> tuple[str, list[Citation]]:
    """The answer text with its [n] markers; each sentence labelled with its source's year when the
    sources are of several years."""
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
            citations.append(Citation(
                n=numbers[chunk.id], doc=chunk.doc, title=info.title, ref=chunk.ref, page=chunk.page, text=chunk.text,
                score=round(c.p, 4), date=info.date, publisher=info.publisher, chunk_id=chunk.id, heading=chunk.heading))
        text = _with_marker(c.text, numbers[chunk.id])
        year = doc_year(documents.get(chunk.doc))
        parts.append(f"({year}) {text}" if label_years and year else text)
    if as_list:
        lead = f"{parts[0][:-1].rstrip()}:"
        return "\n".join([lead] + [f"- {p}" for p in parts[1:]]), citations
    return " ".join(parts), citations


def refusal(documents: dict[str, DocumentInfo]) -> str:
    infos = sorted(documents.values(), key=lambda d: d.date, reverse=True)
    covered = "; ".join(f"{d.title} ({d.date[:4]})" if d.date else d.title for d in infos[:5])
    more = f", and {len(infos) - 5} more" if len(infos) > 5 else ""
    count = f"{len(infos)} document{'' if len(infos) == 1 else 's'}"
    return f"{CANNOT_ANSWER} It covers {count}: {covered}{more}."


def compose(cands: list[Candidate], model: AnswerModel, documents: dict[str, DocumentInfo], max_words: int = 80,
            max_list_words: int = 160, max_sentences: int = 3, years: list[int] = (), read=None) -> Composed:
    ranked = score(cands, model, read)
    confidence = model.confidence(ranked)
    if confidence < model.abstain:
        return Composed(refusal(documents), [], True, confidence)
    each_year = per_year(ranked, model, years, documents) if len(set(years)) > 1 else []
    chosen, as_list = (each_year, False) if len(each_year) > 1 else select(ranked, model, max_words, max_list_words,
                                                                          max_sentences)
    text, citations = render(chosen, documents, as_list)
    return Composed(text, citations, False, confidence)
