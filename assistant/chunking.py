"""Paragraphs to chunks: one per paragraph where it fits.

Budgets are counted with tiktoken (cl100k_base, shipped with the package because
its download fails offline). The embedding model silently ignores word pieces
past its limit, so every chunk is also checked with the model's own tokenizer.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from typing import Callable

from assistant.loaders.structure import ends_sentence
from assistant.settings import PACKAGE_DATA
from assistant.types import Chunk, Document, Paragraph

# Bump when the chunks this module produces change: the index is rebuilt.
CHUNKER_VERSION = "7"  # 7: documents dated by what they report (DocumentInfo.published)

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|Mr|Mrs|Ms|Dr|St|No|vs|cf|Cllr|approx)\.$", re.IGNORECASE)


@lru_cache(maxsize=1)
def encoding():
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(PACKAGE_DATA / "tiktoken"))
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


def split_sentences(text: str) -> list[str]:
    """Sentence split that keeps abbreviations ("e.g.", "Ms.") and numbered refs intact."""
    parts: list[str] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        candidate = text[start:m.start()].strip()
        if _ABBREVIATIONS.search(candidate):
            continue
        if candidate:
            parts.append(candidate)
        start = m.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _split_long(text: str, budget: int, counter: Callable[[str], int]) -> list[str]:
    """Pack whole sentences into pieces under budget; hard-cut a sentence only if it alone is too long."""
    pieces: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        while counter(sentence) > budget:  # a run-on "sentence" (a table, a list without stops)
            words = sentence.split()
            cut = max(1, len(words) // 2)
            while cut > 1 and counter(" ".join(words[:cut])) > budget:
                cut //= 2
            if current:
                pieces.append(current)
                current = ""
            pieces.append(" ".join(words[:cut]))
            sentence = " ".join(words[cut:])
        joined = f"{current} {sentence}".strip()
        if current and counter(joined) > budget:
            pieces.append(current)
            current = sentence
        else:
            current = joined
    if current:
        pieces.append(current)
    return pieces


def _mergeable(a: Paragraph, b: Paragraph) -> bool:
    return a.heading == b.heading and a.page == b.page


def chunk_document(
    document: Document,
    budget: int = 180,
    merge_budget: int = 120,
    counter: Callable[[str], int] = count_tokens,
) -> list[Chunk]:
    """One chunk per paragraph; long ones split at sentences; short neighbours under one heading merged."""
    chunks: list[Chunk] = []
    group: list[Paragraph] = []

    def emit_group() -> None:
        if not group:
            return
        first = group[0]
        refs = list(dict.fromkeys(p.ref for p in group))
        ref = refs[0] if len(refs) == 1 else _ref_range(refs[0], refs[-1])
        chunks.append(
            Chunk(
                id=f"{first.doc}#{first.ordinal}",
                doc=first.doc,
                ref=ref,
                text="\n".join(p.text for p in group),
                heading=first.heading,
                page=first.page,
                paragraph_ids=tuple(p.id for p in group),
            )
        )
        group.clear()

    for p in document.paragraphs:
        size = counter(p.text)
        if size > budget:
            emit_group()
            for i, piece in enumerate(_split_long(p.text, budget, counter), start=1):
                chunks.append(
                    Chunk(
                        id=f"{p.doc}#{p.ordinal}.{i}",
                        doc=p.doc,
                        ref=p.ref,
                        text=piece,
                        heading=p.heading,
                        page=p.page,
                        paragraph_ids=(p.id,),
                    )
                )
            continue
        # A lead-in ("…were as follows:") opens a group that keeps its list, up to the full budget.
        lead_in = p.text.rstrip().endswith(":")
        listy = lead_in or _list_like(p, size, merge_budget)
        cap = budget if group and group[0].text.rstrip().endswith(":") else merge_budget
        if group and (
            lead_in
            or not _mergeable(group[-1], p)
            or not listy
            or counter("\n".join(q.text for q in group) + "\n" + p.text) > cap
        ):
            emit_group()
        group.append(p)
        if not listy:
            emit_group()
    emit_group()
    return chunks


def _list_like(p: Paragraph, size: int, merge_budget: int) -> bool:
    """A lead-in ("…as follows:"), a bullet or a table row: short pieces that read best together.
    Prose paragraphs stay alone, so that a citation points at exactly one."""
    text = p.text.rstrip()
    return size < merge_budget // 3 and (
        text.endswith(":") or len(text.split()) <= 15 or not ends_sentence(text)
    )


def _ref_range(first: str, last: str) -> str:
    """"What needs to improve? ¶1" … "¶4" reads as "What needs to improve? ¶1–4"."""
    a, b = re.match(r"(.*?)(\d+)$", first), re.match(r"(.*?)(\d+)$", last)
    if a and b and a.group(1) == b.group(1):
        return f"{first}–{b.group(2)}"
    return f"{first}–{last}"


def fit_to_model(chunks: list[Chunk], tokenizer, max_tokens: int, titles: dict[str, str]) -> list[Chunk]:
    """Split again, by the model's own word pieces, any chunk the model would silently truncate."""
    if not chunks:
        return chunks

    def pieces(text: str) -> int:
        return len(tokenizer(text, add_special_tokens=True)["input_ids"])

    out: list[Chunk] = []
    for c in chunks:
        context = pieces(c.embedding_text(titles.get(c.doc, ""))) - pieces(c.text)
        if context + pieces(c.text) <= max_tokens:
            out.append(c)
            continue
        budget = max(32, max_tokens - context - 2)
        for i, piece in enumerate(_split_long(c.text, budget, pieces), start=1):
            out.append(Chunk(**{**c.to_dict(), "id": f"{c.id}~{i}", "text": piece, "paragraph_ids": c.paragraph_ids}))
    return out
