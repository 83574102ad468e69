"""Eval sets: loading and validating the JSONL files, and matching gold evidence to passages.

An item of a Croydon-style set is one JSON object per line:

    id              unique string
    question        the question as a user types it
    history         earlier turns [{role: user|assistant, content}], [] for a standalone question
    standalone      optional, a follow-up only: the same question as it would be asked on its own
                    ("And for care leavers?" -> "What grade did care leavers' services get in 2024?");
                    it is asked too, and scored against the same patterns and evidence
    answerable      false when the collection does not contain the answer (it must be refused)
    answer_patterns regexes that must ALL match the answer (case-insensitive); [] when unanswerable
    reference       a model answer, for people reading the report
    evidence        [{doc, quote}]: passages of the collection that contain the answer
    tags            free labels (used to slice the results)
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

EVALS_DIR = Path(__file__).resolve().parent
CROYDON_SET = EVALS_DIR / "croydon_dev.jsonl"

_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})
# "41. ", "3.12 ", "4.1.2. ", "7) " at the start of a paragraph: numbering, not content.
_WORD = re.compile(r"[^\W_]+")
_PARA_NUMBER = re.compile(r"^\s*(?:\d{1,3}(?:\.\d{1,3}){1,3}\.?|\d{1,3}[.)])\s+")


BLIND_PERCENT = 40  # share of each hash-split collection that is blind


def hash_blind(case_id: str) -> bool:
    """True when the question `case_id` belongs to the BLIND part of a hash-split collection.

    Blind when int(sha256(id).hexdigest()[:8], 16) % 100 < 40: about 40% of the questions,
    decided by the id alone, so the split never changes when questions are added, reordered or
    answered differently. A follow-up's standalone twin ("<id>/alone") goes with its follow-up.
    (Croydon is not hash-split: its blind part is the held-out he- and hf- batches.)
    """
    return int(hashlib.sha256(base_id(case_id).encode("utf-8")).hexdigest()[:8], 16) % 100 < BLIND_PERCENT


def base_id(case_id: str) -> str:
    """The id a follow-up's standalone twin ("<id>/alone") goes with: its follow-up's."""
    return case_id[: -len("/alone")] if case_id.endswith("/alone") else case_id


class SetProblem(ValueError):
    """An eval set's line is malformed; the message names the file, line and field."""


def normalise(text: str) -> str:
    """The form in which quotes and passages are compared: their words, in order.

    Curly quotes become straight ones, a leading paragraph number ("41.", "3.12") is dropped
    from every line, case is folded, and whitespace and punctuation are ignored: the text is
    reduced to its sequence of words (letters and digits), joined by single spaces. Ignoring
    punctuation matters because the loaders rewrite tables and lists ("Grade<TAB>Good" becomes
    "Grade: Good.") while gold quotes are copied from the source files.
    """
    lines = (_PARA_NUMBER.sub("", line) for line in text.translate(_QUOTES).casefold().splitlines())
    return " ".join(_WORD.findall(" ".join(lines)))


def quote_in(quote: str, passage: str) -> bool:
    """True when the gold `quote` occurs in `passage`: the one definition of "this passage
    contains the gold evidence", used by the retrieval metrics, by "the right paragraph was
    cited" and by citation precision/recall. Both are `normalise`d; the quote's words must
    appear in the passage contiguously and in order, as whole words.
    """
    q = normalise(quote)
    return bool(q) and f" {q} " in f" {normalise(passage)} "


@dataclass
class Item:
    id: str
    question: str
    history: list[dict]
    answerable: bool
    answer_patterns: list[str]
    reference: str
    evidence: list[dict]
    tags: list[str] = field(default_factory=list)
    standalone: str = ""

    @property
    def quotes(self) -> list[str]:
        return [e["quote"] for e in self.evidence]

    @property
    def is_follow_up(self) -> bool:
        return bool(self.history)


_FIELDS = {
    "id": str, "question": str, "history": list, "answerable": bool, "answer_patterns": list,
    "reference": str, "evidence": list, "tags": list,
}
_OPTIONAL = {"standalone": str}


def _check(item: dict, where: str) -> Item:
    for name in _FIELDS:
        if name not in item:
            raise SetProblem(f"{where}: missing field {name!r}")
    unknown = set(item) - set(_FIELDS) - set(_OPTIONAL)
    if unknown:
        raise SetProblem(f"{where}: unknown field(s) {sorted(unknown)}")
    for name, kind in {**_FIELDS, **_OPTIONAL}.items():
        if name in item and not isinstance(item[name], kind):
            raise SetProblem(f"{where}: field {name!r} must be {kind.__name__}")
    if "standalone" in item and not (item["history"] and item["standalone"].strip()):
        raise SetProblem(f"{where}: 'standalone' is a follow-up's question asked on its own: it needs a history and text")
    if not item["question"].strip():
        raise SetProblem(f"{where}: empty question")
    for turn in item["history"]:
        if not (isinstance(turn, dict) and turn.get("role") in {"user", "assistant"} and isinstance(turn.get("content"), str)):
            raise SetProblem(f"{where}: history turns must be {{role: user|assistant, content: str}}")
    for p in item["answer_patterns"]:
        if not isinstance(p, str):
            raise SetProblem(f"{where}: answer_patterns must be strings")
        try:
            re.compile(p)
        except re.error as e:
            raise SetProblem(f"{where}: bad regex {p!r}: {e}") from None
    for e in item["evidence"]:
        if not (isinstance(e, dict) and isinstance(e.get("doc"), str) and isinstance(e.get("quote"), str) and e["quote"].strip()):
            raise SetProblem(f"{where}: evidence entries must be {{doc: str, quote: non-empty str}}")
    if item["answerable"] and not (item["answer_patterns"] and item["evidence"]):
        raise SetProblem(f"{where}: an answerable item needs answer_patterns and evidence")
    if not item["answerable"] and (item["answer_patterns"] or item["evidence"]):
        raise SetProblem(f"{where}: an unanswerable item has no answer_patterns or evidence")
    return Item(**item)


def load_set(path: Path | str = CROYDON_SET) -> list[Item]:
    """Read and validate a JSONL eval set; raise SetProblem naming the first bad line."""
    path = Path(path)
    items: list[Item] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path.name}:{n}"
        try:
            raw = json.loads(line)
        except ValueError as e:
            raise SetProblem(f"{where}: not JSON ({e})") from None
        if not isinstance(raw, dict):
            raise SetProblem(f"{where}: each line must be a JSON object")
        item = _check(raw, where)
        if item.id in seen:
            raise SetProblem(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
    return items


def unmatched_evidence(items: list[Item], passages: list[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """Gold quotes found in no passage of their document: (item id, doc, quote).

    `passages` are (doc, text) pairs, e.g. the chunks of the index. A quote that spans two
    chunks, or was typed with a typo, can never be matched: it is reported, not silently lost.
    """
    by_doc: dict[str, list[str]] = {}
    for doc, text in passages:
        by_doc.setdefault(doc, []).append(f" {normalise(text)} ")
    out = []
    for it in items:
        for e in it.evidence:
            q = f" {normalise(e['quote'])} "
            if not any(q in t for t in by_doc.get(e["doc"], [])):
                out.append((it.id, e["doc"], e["quote"]))
    return out
