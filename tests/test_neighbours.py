"""Question words the collection never uses, matched to its words by the real embedding model."""

import numpy as np

from assistant.embedding import Embedder
from assistant.neighbours import WordNeighbours
from assistant.pipeline import query_of
from assistant.questions import analyse
from assistant.settings import load_settings
from assistant.types import Chunk
from assistant.vocabulary import Vocabulary

WORDS = ["adolescents", "staff", "workforce", "budget", "parks", "weather", "inspection", "housing"]


def embedder():
    return Embedder(load_settings().model)


def test_nearest_words_in_meaning():
    near = WordNeighbours(embedder()).fit(WORDS).search(["teenagers", "staffing", "zzzz"])
    assert near["teenagers"][0][0] == "adolescents"
    assert "staff" in [w for w, _ in near["staffing"]]
    assert near["zzzz"] == [] or near["zzzz"][0][1] >= 0.7  # nothing below the floor


def test_words_are_saved_and_a_new_word_list_embeds_only_its_new_words(tmp_path):
    first = WordNeighbours(embedder()).fit(WORDS)
    first.save(tmp_path)
    loaded = WordNeighbours(embedder()).load(tmp_path)
    assert loaded.words == first.words and np.array_equal(loaded.vectors, first.vectors)
    calls = []

    class Counting(Embedder):
        def encode(self, texts, progress=False):
            calls.append(list(texts))
            return super().encode(texts, progress)

    more = WordNeighbours(Counting(load_settings().model)).fit(WORDS + ["cabinet"], reuse=tmp_path)
    assert calls == [["cabinet"]]
    assert np.allclose(more.vectors[more.words.index("staff")], first.vectors[first.words.index("staff")])


def test_a_question_word_the_collection_never_uses_is_searched_as_its_nearest_words():
    texts = ["Inspectors found practice with adolescents at risk of exploitation highly variable.",
             "The council approved its budget for parks."] + [f"Filler sentence {i} about weather." for i in range(20)]
    chunks = [Chunk(id=f"r.txt#{i}", doc="r.txt", ref=f"¶{i}", text=t) for i, t in enumerate(texts)]
    vocab = Vocabulary.of(chunks, {"r.txt": "Report"})
    q = analyse("What did inspectors say about teenagers?")
    assert query_of(q, vocab) == q.text  # no neighbours until they are fitted
    vocab.neighbours = WordNeighbours(embedder()).fit(vocab.words)
    assert "adolescents" in query_of(q, vocab).split()
    assert vocab.neighbours_of_unknown(["inspectors"]) == set()  # a word it uses is searched as it is
