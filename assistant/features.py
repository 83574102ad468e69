"""One scored evidence object per candidate sentence, and the general signals it is judged by.

Every signal carries to any collection: how close the sentence and its passage are to the question
in the embedding model's space (all-MiniLM-L6-v2 was trained on question-answer pairs), how many of
the question's rarer words it holds, where retrieval ranked its passage, where it stands in the
passage, whether it holds the kind of thing asked for (a number for "how many", a date for "when", a
person for "who", as spaCy's entity recogniser finds them), and whether it is of the year and about
the names the question gives. `answer_model.json` weighs them (fitted by `python -m evals fit`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from assistant.questions import Question
from assistant.sentences import SentenceTable
from assistant.types import DocumentInfo, Hit
from assistant.vocabulary import Vocabulary
from assistant.words import YEAR, stems

FEATURES = ("cos", "cos_gap", "cos_focus", "cos_context", "cos_passage", "fused", "inv_rank", "lex", "lex_gap",
            "lex_focus", "lex_focus_gap", "lex_passage", "lex_heading", "first", "position", "log_words", "short",
            "type_match", "type_miss", "year_match", "year_miss", "names", "lead_in", "polar", "cos_x_type",
            # of the question, the same for all its candidates: how well anything found matches it at all
            "q_cos", "q_cos_focus", "q_lex_focus", "q_cos_passage", "q_unknown", "q_unknown_names")
ASKED = tuple(name for name in FEATURES if name.startswith("q_"))


@dataclass(eq=False)  # one per sentence found: compared by identity
class Candidate:
    """A sentence of a retrieved passage, with its signals and, once scored, its probability of answering."""

    text: str
    hit: Hit
    position: int  # in its passage
    features: np.ndarray
    p: float = 0.0
    read: float = float("nan")  # the reader's similarity to the question (NaN: not read)


def _coverage(terms: dict[str, float], held, vocab: Vocabulary) -> float:
    total = sum(w * vocab.idf(s) for s, w in terms.items())
    return sum(w * vocab.idf(s) for s, w in terms.items() if s in held) / total if total else 0.0


def doc_year(info: DocumentInfo | None) -> int | None:
    return int(info.date[:4]) if info and info.date[:4].isdigit() else None


def doc_years(info: DocumentInfo | None) -> set[int]:
    """The years a document is of: when what it reports happened, and when it was published."""
    return {int(d[:4]) for d in (info.date, info.published) if d[:4].isdigit()} if info else set()


def of_years(text: str, info: DocumentInfo | None, years) -> bool:
    """The sentence names one of the years, or its document is of one."""
    return any(int(y) in years for y in YEAR.findall(text)) or bool(doc_years(info) & set(years))


def focus(q: Question) -> dict[str, float]:
    """The question's terms less the names and years that only set the scene ("What did Ofsted say
    about Croydon's care leavers in 2018?": care leavers): every passage of the collection may hold those."""
    scene = stems(" ".join(q.names)) | {str(y) for y in q.years}
    return {s: w for s, w in q.terms.items() if s not in scene} or q.terms


def focus_text(q: Question) -> str:
    """The question without its names and years, for the embedding model: what is asked of them."""
    text = q.text
    for name in sorted(q.names, key=len, reverse=True):
        text = text.replace(name, " ")
    return " ".join(YEAR.sub(" ", text).split())


def _passages(q: Question, terms: dict[str, float], hits: list[Hit], vocab: Vocabulary,
              documents: dict[str, DocumentInfo]) -> dict[str, tuple[float, float, float]]:
    """Per passage: the question's word coverage of it (with its title and heading), the focus's of
    its heading, and the share of the question's names it holds."""
    names = [n.lower() for n in q.names]
    out = {}
    for h in hits:
        info = documents.get(h.chunk.doc)
        whole = f"{info.title if info else ''} {h.chunk.heading} {h.chunk.text}".lower()
        out[h.chunk.id] = (_coverage(q.terms, stems(whole), vocab), _coverage(terms, stems(h.chunk.heading), vocab),
                           sum(n in whole for n in names) / len(names) if names else 1.0)
    return out


def _asked(q: Question, terms: dict[str, float], hits: list[Hit], cos: np.ndarray, cos_focus: np.ndarray,
           lex_focus: np.ndarray, vocab: Vocabulary) -> list[float]:
    """Of the question, the same for all its candidates: how well anything found matches it, and how
    much of it the collection never says at all (its words, weighed by rarity, and the names it lacks)."""
    unknown = 1.0 - _coverage(terms, vocab.df.keys(), vocab)
    missing = [n for n in q.names if not all(s in vocab.df for s in stems(n))]
    return [cos.max(), cos_focus.max(), lex_focus.max(), max(h.dense for h in hits), unknown,
            len(missing) / len(q.names) if q.names else 0.0]


def candidates(q: Question, qvec: np.ndarray, fvec: np.ndarray, hits: list[Hit], table: SentenceTable,
               index_of: dict[str, int], vocab: Vocabulary, documents: dict[str, DocumentInfo]) -> list[Candidate]:
    """Every sentence of the passages found, with its feature vector (in FEATURES order); `fvec` embeds
    the question's focus."""
    if not hits:
        return []
    terms = focus(q)
    owners = [(rank, h, r) for rank, h in enumerate(hits) for r in table.rows(index_of[h.chunk.id])]
    rows = [r for _, _, r in owners]
    vectors = table.vectors[rows]
    cos, cos_focus = vectors @ qvec, vectors @ fvec
    held = [stems(table.texts[r]) for r in rows]
    lex = np.array([_coverage(q.terms, h, vocab) for h in held])
    lex_focus = np.array([_coverage(terms, h, vocab) for h in held])
    passages = _passages(q, terms, hits, vocab, documents)
    asked = _asked(q, terms, hits, cos, cos_focus, lex_focus, vocab)
    top_score = max(h.score for h in hits) or 1.0
    out = []
    for j, (rank, h, r) in enumerate(owners):
        text = table.texts[r]
        n_words = len(text.split())
        position = int(table.position[r])
        in_passage = len(table.rows(index_of[h.chunk.id]))
        # the sentences beside it, as context: an answer often follows the sentence that names the subject
        context = max(cos[k] for k in (j - 1, j + 1) if 0 <= k < len(rows) and owners[k][1] is h) if in_passage > 1 else cos[j]
        typed = bool(q.wants and int(table.kinds[r]) & q.wants)
        year_ok = bool(q.years) and of_years(text, documents.get(h.chunk.doc), q.years)
        lex_passage, lex_heading, named = passages[h.chunk.id]
        f = np.array([
            cos[j], cos[j] - cos.max(), cos_focus[j], context, h.dense, h.score / top_score, 1.0 / (1 + rank),
            lex[j], lex[j] - lex.max(), lex_focus[j], lex_focus[j] - lex_focus.max(), lex_passage, lex_heading,
            position == 0, position / max(1, in_passage - 1), math.log1p(n_words), n_words < 5,
            typed, bool(q.wants) and not typed, year_ok, bool(q.years) and not year_ok, named,
            text.rstrip().endswith(":"), q.polar, cos[j] * typed, *asked,
        ], dtype=np.float32)
        out.append(Candidate(text, h, position, f))
    return out
