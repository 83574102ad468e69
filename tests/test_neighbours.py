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


def test_nearest_words_in_meaning(tmp_path):
    near = WordNeighbours(embedder(), tmp_path).fit(WORDS).search(["teenagers", "staffing", "zzzz"])
    assert near["teenagers"][0][0] == "adolescents"
    assert "staff" in [w for w, _ in near["staffing"]]
    assert near["zzzz"] == [] or near["zzzz"][0][1] >= 0.7  # nothing below the floor


def test_words_are_embedded_once_and_a_damaged_cache_is_redone(tmp_path):
    first = WordNeighbours(embedder(), tmp_path).fit(WORDS)
    [cached] = list(tmp_path.glob("*.npy"))
    assert np.allclose(np.load(cached), first.vectors)
    cached.write_bytes(b"not numpy")
    again = WordNeighbours(embedder(), tmp_path).fit(WORDS)
    assert np.allclose(again.vectors, first.vectors) and np.load(cached).shape == first.vectors.shape
    # another word list is another cache entry; the old one goes
    WordNeighbours(embedder(), tmp_path).fit(WORDS + ["cabinet"])
    assert len(list(tmp_path.glob("*.npy"))) == 1


def test_a_question_word_the_collection_never_uses_is_searched_as_its_nearest_words(tmp_path):
    texts = ["Inspectors found practice with adolescents at risk of exploitation highly variable.",
             "The council approved its budget for parks."] + [f"Filler sentence {i} about weather." for i in range(20)]
    chunks = [Chunk(id=f"r.txt#{i}", doc="r.txt", ref=f"¶{i}", text=t) for i, t in enumerate(texts)]
    vocab = Vocabulary(chunks, {"r.txt": "Report"})
    q = analyse("What did inspectors say about teenagers?")
    assert query_of(q, vocab) == q.text  # no neighbours until they are fitted
    vocab.neighbours = WordNeighbours(embedder(), tmp_path).fit(vocab.words)
    assert "adolescents" in query_of(q, vocab).split()
    assert vocab.neighbours_of_unknown(["inspectors"]) == set()  # a word it uses is searched as it is
