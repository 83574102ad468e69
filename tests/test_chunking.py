"""Chunks: one per paragraph where it fits, never over what the model reads."""

from pathlib import Path

import pytest

from assistant.chunking import chunk_document, count_tokens, fit_to_model, split_sentences
from assistant.embedding import Embedder
from assistant.loaders import load_document, read_catalogue
from assistant.settings import load_settings
from assistant.types import Document, DocumentInfo, Paragraph

CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@pytest.fixture(scope="module")
def embedder():
    return Embedder(load_settings().model)


def test_tiktoken_works_offline_from_the_shipped_file():
    assert count_tokens("Croydon children's services") > 2


def test_sentences_keep_abbreviations_together():
    assert split_sentences("Inspectors met Ms. Ioannides. She agreed, e.g. on plans. Done.") == [
        "Inspectors met Ms. Ioannides.", "She agreed, e.g. on plans.", "Done."]


def test_one_chunk_per_paragraph_and_long_ones_split_at_sentences():
    long = " ".join(f"Sentence number {i} is about children in care and their plans." for i in range(60))
    doc = Document(DocumentInfo("d.txt", "D"), [
        Paragraph("d.txt#1", "d.txt", 1, "¶1", "A paragraph of ordinary length that stands alone in its chunk, as most do."),
        Paragraph("d.txt#2", "d.txt", 2, "¶2", long),
    ])
    chunks = chunk_document(doc, budget=120)
    assert chunks[0].text == doc.paragraphs[0].text and chunks[0].ref == "¶1"
    rest = chunks[1:]
    assert len(rest) > 1 and all(c.ref == "¶2" for c in rest)
    assert all(count_tokens(c.text) <= 120 for c in rest)
    assert all(c.text.endswith(".") for c in rest)  # cut at sentence ends
    assert " ".join(c.text for c in rest) == long


def test_short_list_items_merge_under_their_heading():
    items = ["What needs to improve?", "Services to children out of hours.", "Consistency of practitioners.",
             "Waiting time for early help support."]
    paras = [Paragraph(f"d#{i}", "d", i, f"¶{i}", t, heading="Improve") for i, t in enumerate(items, 1)]
    chunks = chunk_document(Document(DocumentInfo("d", "D"), paras))
    assert len(chunks) == 1 and chunks[0].ref == "¶1–4"


def test_no_chunk_exceeds_the_models_word_pieces(embedder):
    cat = read_catalogue(CORPUS)
    tok = embedder.tokenizer
    for path in CORPUS.glob("*.txt"):
        doc = load_document(path, CORPUS, cat)
        chunks = fit_to_model(chunk_document(doc), tok, 256, {doc.info.doc: doc.info.title})
        for c in chunks:
            n = len(tok(c.embedding_text(doc.info.title))["input_ids"])
            assert n <= 256, (c.id, n)


def test_fit_to_model_splits_what_the_model_would_truncate(embedder):
    text = " ".join(f"Paragraph sentence {i} mentions Croydon, Ofsted and inspection findings." for i in range(40))
    doc = Document(DocumentInfo("d", "D"), [Paragraph("d#1", "d", 1, "¶1", text)])
    chunks = fit_to_model(chunk_document(doc, budget=10_000, merge_budget=10), embedder.tokenizer, 256, {"d": "D"})
    assert len(chunks) > 1
    assert all(len(embedder.tokenizer(c.embedding_text("D"))["input_ids"]) <= 256 for c in chunks)
