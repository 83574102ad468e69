"""The general signals of a candidate sentence, computed on real embeddings and entities."""

import pytest

from assistant import sentences
from assistant.embedding import Embedder
from assistant.features import FEATURES, candidates, focus, focus_text
from assistant.questions import analyse
from assistant.settings import load_settings
from assistant.types import Chunk, DocumentInfo, Hit
from assistant.vocabulary import Vocabulary
from assistant.words import stem

DOCS = {"a.txt": DocumentInfo(doc="a.txt", title="Annual report", date="2019-05-01"),
        "b.txt": DocumentInfo(doc="b.txt", title="Annual report", date="2024-05-01")}
CHUNKS = [
    Chunk(id="a.txt#1", doc="a.txt", ref="¶1", text="The service improved. There were 48 young people in staying put arrangements."),
    Chunk(id="b.txt#1", doc="b.txt", ref="¶1", text="Young people said they felt listened to. Staying put is offered to all."),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    embedder = Embedder(load_settings().model)
    table = sentences.build(CHUNKS, embedder, tmp_path_factory.mktemp("s"))
    return embedder, table, Vocabulary.of(CHUNKS, {d: i.title for d, i in DOCS.items()})


def features_of(setup, question):
    embedder, table, vocab = setup
    q = analyse(question)
    qvec = embedder.encode_query(q.text)
    fvec = embedder.encode_query(focus_text(q) or q.text)
    hits = [Hit(chunk=c, score=1.0 - i / 10, dense=float(embedder.encode([c.text])[0] @ qvec)) for i, c in enumerate(CHUNKS)]
    return {c.text: dict(zip(FEATURES, c.features)) for c in candidates(q, qvec, fvec, hits, table, {c.id: i for i, c in enumerate(CHUNKS)}, vocab, DOCS)}


def test_one_vector_per_sentence_in_feature_order(setup):
    found = features_of(setup, "How many young people were in staying put arrangements?")
    assert len(found) == 4 and all(len(f) == len(FEATURES) for f in found.values())
    figure = found["There were 48 young people in staying put arrangements."]
    assert figure["type_match"] == 1 and figure["lex"] == pytest.approx(1.0) and figure["cos_gap"] == 0
    assert found["The service improved."]["type_miss"] == 1 and found["The service improved."]["first"] == 1


def test_the_year_asked_is_matched_by_the_sentence_or_its_document(setup):
    found = features_of(setup, "Was staying put offered in 2024?")
    assert found["Staying put is offered to all."]["year_match"] == 1
    assert found["There were 48 young people in staying put arrangements."]["year_miss"] == 1
    assert found["Staying put is offered to all."]["polar"] == 1


def test_the_focus_leaves_out_the_names_and_years_that_set_the_scene():
    q = analyse("What did Ofsted say about care leavers in Croydon in 2018?")
    assert focus_text(q) == "What did say about care leavers in in ?"
    assert stem("leavers") in focus(q) and stem("Croydon") not in focus(q)
