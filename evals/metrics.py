"""The metrics of the eval harness, as pure functions. evals/README.md defines each in words.

Nothing here loads a model or an index: every function takes plain lists, sets and dicts,
so each one is unit-tested on hand-computed examples in tests/test_evals.py.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Iterable, Sequence

# ---------------------------------------------------------------- ranking (retrieval)


def recall_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int) -> float:
    """Share of the relevant items found in the first k of `ranking` (0.0 when none is relevant)."""
    rel = set(relevant)
    if not rel:
        return 0.0
    return len(rel & set(ranking[:k])) / len(rel)


def mrr_at_k(ranking: Sequence[str], relevant: Iterable[str], k: int = 10) -> float:
    """1 / rank of the first relevant item within the first k; 0 when there is none."""
    rel = set(relevant)
    for rank, item in enumerate(ranking[:k], start=1):
        if item in rel:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(ranking: Sequence[str], qrels: dict[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain at k, as trec_eval's ndcg_cut computes it.

    gain = the graded relevance (linear), discount = log2(rank + 1); the ideal ranking sorts
    every judged relevant item by grade. Items absent from `qrels` have relevance 0.
    """
    dcg = sum(qrels.get(item, 0) / math.log2(rank + 1) for rank, item in enumerate(ranking[:k], start=1))
    ideal = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def dedupe(items: Iterable[str]) -> list[str]:
    """Keep the first occurrence of each item (passages -> their documents, in rank order)."""
    seen: set[str] = set()
    out = []
    for x in items:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# ---------------------------------------------------------------- answers


def patterns_match(patterns: Sequence[str], text: str) -> bool:
    """All regexes match somewhere in `text`, case-insensitively (an empty list never matches)."""
    return bool(patterns) and all(re.search(p, text, re.IGNORECASE) for p in patterns)


_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans({c: " " for c in string.punctuation + "‘’“”–—"})


def answer_tokens(text: str) -> list[str]:
    """SQuAD normalisation: lower case, punctuation and the articles a/an/the removed, split on spaces."""
    return _ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split()


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD token F1 between an answer and one reference (bags of normalised tokens)."""
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def token_recall(prediction: str, reference: str) -> float:
    """Share of the reference's normalised tokens (with multiplicity) that the answer contains."""
    pred, ref = answer_tokens(prediction), answer_tokens(reference)
    if not ref:
        return 0.0
    return sum((Counter(pred) & Counter(ref)).values()) / len(ref)


def best_over(references: Sequence[str], prediction: str, score) -> float:
    """The best score of `prediction` against any of several references (0.0 when there are none)."""
    return max((score(prediction, r) for r in references), default=0.0)


# ---------------------------------------------------------------- citations (ALCE style)

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SENT_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9(])")
_ABBREV = re.compile(r"\b(?:e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|No|vs|cf|Cllr|approx|Gen|Maj|Lt|Col|Jr|Sr)\.$", re.I)


def cited_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """Split an answer into sentences, each with the citation numbers it carries.

    Lines are split first (list answers put one item per line), then sentences; a marker
    "[2]" or "[1, 3]" belongs to the sentence it sits in. A sentence that is only a marker
    (", [2]." after a split) is folded into the one before.
    """
    out: list[tuple[str, list[int]]] = []
    for line in answer.splitlines():
        line = re.sub(r"^\s*[-*•]\s+", "", line).strip()
        if not line:
            continue
        start, parts = 0, []
        for m in _SENT_END.finditer(line):
            piece = line[start:m.start()].strip()
            if _ABBREV.search(piece):
                continue
            parts.append(piece)
            start = m.end()
        parts.append(line[start:].strip())
        for piece in filter(None, parts):
            refs = [int(n) for group in _MARKER.findall(piece) for n in re.split(r"\s*[,;]\s*", group)]
            if out and not _MARKER.sub("", piece).strip(" .,;:"):
                out[-1] = (out[-1][0] + " " + piece, out[-1][1] + refs)
            else:
                out.append((piece, refs))
    return out


def citation_precision_recall(sentences: Sequence[tuple[str, Sequence[int]]],
                              supports: dict[int, bool]) -> tuple[float | None, float | None]:
    """ALCE citation precision and recall of one answer, with "entails" approximated.

    `supports[n]` says whether cited passage n supports the answer (here: contains gold
    evidence). Recall: share of sentences with at least one supporting citation (a sentence
    without citations counts as unsupported). Precision: share of citations that support their
    sentence; with support judged per passage, ALCE's "irrelevant citation" test reduces to this.
    Returns (None, None) for an answer without sentences; precision is None without citations.
    """
    if not sentences:
        return None, None
    supported = sum(1 for _, refs in sentences if any(supports.get(n, False) for n in refs))
    citations = [n for _, refs in sentences for n in refs]
    recall = supported / len(sentences)
    precision = sum(1 for n in citations if supports.get(n, False)) / len(citations) if citations else None
    return precision, recall


# ---------------------------------------------------------------- summaries


def mean(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are not None; None when there are none."""
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def rate(flags: Iterable[bool]) -> float | None:
    """Share of True among the flags; None for an empty list."""
    flags = list(flags)
    return sum(1 for f in flags if f) / len(flags) if flags else None


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float | None:
    """Area under the ROC curve: the chance that a positive scores above a negative (a tie counts
    half), as the Mann-Whitney U statistic over all pairs; None when either side is empty."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def percentile(values: Sequence[float], p: float) -> float | None:
    """The p-th percentile with linear interpolation between order statistics (numpy's default)."""
    vals = sorted(values)
    if not vals:
        return None
    pos = (len(vals) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion: how far a rate on n questions can be trusted."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)
