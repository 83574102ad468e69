"""The sentence table: every sentence embedded and tagged once, kept beside the index."""

import numpy as np

from assistant import nlp, sentences
from assistant.embedding import Embedder
from assistant.settings import load_settings
from assistant.types import Chunk

CHUNKS = [
    Chunk(id="a.txt#1", doc="a.txt", ref="¶1", text="Inspection dates: 14 to 25 October 2024\nLead inspector: Christine Kennet"),
    Chunk(id="a.txt#2", doc="a.txt", ref="¶2", text="Caseloads are manageable. Staff morale is high, said 41% of staff."),
]


def embedder():
    return Embedder(load_settings().model)


def test_each_line_and_sentence_is_a_row_with_its_entities(tmp_path):
    table = sentences.build(CHUNKS, embedder(), tmp_path)
    assert table.texts == ["Inspection dates: 14 to 25 October 2024", "Lead inspector: Christine Kennet",
                           "Caseloads are manageable.", "Staff morale is high, said 41% of staff."]
    assert list(table.rows(1)) == [2, 3] and list(table.position) == [0, 1, 0, 1]
    assert table.kinds[0] & nlp.DATE and table.kinds[1] & nlp.PERSON and table.kinds[3] & nlp.NUMBER
    assert not table.kinds[2] & (nlp.DATE | nlp.NUMBER)
    assert np.allclose(np.linalg.norm(table.vectors, axis=1), 1.0, atol=1e-2)


def test_the_table_is_read_back_and_a_damaged_file_is_rebuilt(tmp_path):
    first = sentences.build(CHUNKS, embedder(), tmp_path)
    saved = tmp_path / sentences.FILE
    stamp = saved.stat().st_mtime_ns
    again = sentences.build(CHUNKS, embedder(), tmp_path)
    assert saved.stat().st_mtime_ns == stamp and np.array_equal(again.vectors, first.vectors)
    saved.write_bytes(b"not numpy")
    rebuilt = sentences.build(CHUNKS, embedder(), tmp_path)
    assert np.array_equal(rebuilt.vectors, first.vectors) and np.array_equal(rebuilt.kinds, first.kinds)


def test_a_changed_collection_reuses_the_sentences_it_had(tmp_path):
    first = sentences.build(CHUNKS, embedder(), tmp_path)
    more = CHUNKS + [Chunk(id="b.txt#1", doc="b.txt", ref="¶1", text="A new paragraph about adoption.")]
    table = sentences.build(more, embedder(), tmp_path)
    assert len(table.texts) == 5 and np.array_equal(table.vectors[:4], first.vectors)
