"""Domain packs: what is specific to one kind of document, kept behind one seam.

The core path (loaders, retrieval, the answer stage) knows nothing of any kind of document.
A pack is a subpackage of `assistant.packs` listed in INSTALLED, whose module may define:

    read_metadata(head: str, text: str, path) -> dict
        loader hook: the title/date/kind/publisher/published fields it recognises in a document
        (`head` is the first page's text, `text` the whole document's); {} when the document is
        not of its kind, so every installed pack is asked of every document.
    entity_kinds(texts: list[str]) -> list[int]
        index hook: nlp kind bits each sentence holds that the core's recogniser cannot see (a grade)
    wants(question: str) -> int
        question hook: nlp kind bits an answer to the question holds, beyond the core's wh-words
    verdicts(text: str) -> set[str]
        check hook (written answers): labels of the domain a text states (a grade); a sentence a
        language model writes must state the same ones as the passage it cites

A pack's knowledge reaches the answer stage only as these kinds: the fitted model weighs "holds the
kind asked for" the same whoever recognised it.

`assistant.packs.ofsted` reads Ofsted inspection reports' titles and inspection dates, and their grades.
"""

from __future__ import annotations

import importlib
from functools import cache

INSTALLED = ("ofsted",)


@cache
def load(name: str):
    return importlib.import_module(f"assistant.packs.{name}")


def hooks(hook: str, names=INSTALLED) -> list:
    """The named function of each pack that defines it, in pack order."""
    return [getattr(load(n), hook) for n in names if hasattr(load(n), hook)]


@cache
def signature() -> str:
    """A hash of every pack's code: what a pack recognised is recomputed when it changes."""
    import hashlib
    from pathlib import Path

    h = hashlib.sha256()
    for f in sorted(Path(__file__).resolve().parent.rglob("*.py")):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]
