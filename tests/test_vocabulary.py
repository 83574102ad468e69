"""A collection's words: rarity, and the short forms it defines."""

from assistant.types import Chunk
from assistant.vocabulary import Vocabulary
from assistant.words import stem

CHUNKS = [Chunk(id="a#1", doc="a", ref="¶1", text="Independent reviewing officers (IROs) visit children."),
          Chunk(id="a#2", doc="a", ref="¶2", text="Children are visited often."),
          Chunk(id="a#3", doc="a", ref="¶3", text="Budgets are set yearly.")]


def test_rarer_words_weigh_more():
    v = Vocabulary.of(CHUNKS, {"a": "Report"})
    assert v.idf(stem("budgets")) > v.idf(stem("children")) and v.idf("zzz") > v.idf(stem("budgets"))


def test_either_form_of_a_defined_short_form_finds_the_other():
    v = Vocabulary.of(CHUNKS, {"a": "Report"})
    assert v.other_forms("What do IROs do?") == ["independent reviewing officers"]
    assert v.other_forms("How often do independent reviewing officers visit?") == ["iro"]
    assert v.unknown(["teenagers", "children"]) == ["teenagers"]


def test_a_question_in_words_the_collection_never_uses_says_none_of_it():
    v = Vocabulary.of(CHUNKS, {"a": "Report"})
    assert v.says_none_of(["capital", "france"]) and not v.says_none_of(["capital", "children"])
    assert not v.says_none_of([])
