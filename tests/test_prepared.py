"""What a collection needs to answer is computed into its build when it is indexed, and only read on load."""

import numpy as np

from assistant import prepared, sentences
from assistant.embedding import Embedder
from assistant.settings import load_settings
from assistant.types import Chunk, DocumentInfo

CHUNKS = [Chunk(id="a.txt#1", doc="a.txt", ref="¶1", text="Independent reviewing officers (IROs) visit children."),
          Chunk(id="a.txt#2", doc="a.txt", ref="¶2", text="Caseloads are manageable. Staff morale is high.")]
DOCS = {"a.txt": DocumentInfo(doc="a.txt", title="Report")}


class Counting(Embedder):
    """The real model, counting what it is asked to embed."""

    def __init__(self):
        super().__init__(load_settings().model)
        self.texts: list[str] = []

    def encode(self, texts, progress=False):
        self.texts += list(texts)
        return super().encode(texts, progress)


def test_what_is_written_at_index_time_is_what_is_loaded(tmp_path):
    embedder = Counting()
    files = prepared.write(tmp_path, CHUNKS, DOCS, None, embedder)
    assert all((tmp_path / f).is_file() for f in files) and sentences.FILE in files
    embedder.texts.clear()
    ready = prepared.load(tmp_path, CHUNKS, embedder, per_word=2, floor=0.7)
    assert embedder.texts == []  # loading computes nothing
    assert ready.vocab.short_forms == {"iro": "independent reviewing officers"}
    assert ready.sentences.texts == ["Independent reviewing officers (IROs) visit children.",
                                     "Caseloads are manageable.", "Staff morale is high."]
    assert ready.vocab.neighbours.search(["workers"])  # the words' embeddings came with it
    assert ready.lexical.search("caseloads", 2)[0][0] == 1


def test_a_re_index_embeds_only_what_the_previous_build_had_not(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir(), second.mkdir()
    prepared.write(first, CHUNKS, DOCS, None, Embedder(load_settings().model))
    embedder = Counting()
    more = CHUNKS + [Chunk(id="b.txt#1", doc="b.txt", ref="¶1", text="Adoption panels met monthly.")]
    prepared.write(second, more, {**DOCS, "b.txt": DocumentInfo(doc="b.txt", title="Other")}, first, embedder)
    assert sorted(embedder.texts) == sorted(["Adoption panels met monthly.", "adoption", "met", "monthly",
                                             "panels"])
    a, b = (np.load(f / sentences.FILE)["vectors"] for f in (first, second))
    assert np.array_equal(a, b[:3])
