"""Misspelt question words, corrected to the collection's own words (pyspellchecker's real dictionary)."""

from assistant.spelling import Speller

WORDS = ["care", "leavers", "improvement", "inspector", "inspection", "ofsted", "caseloads", "children's"]


def test_a_slip_is_corrected_to_the_collections_word_or_a_little_word():
    speller = Speller().fit(WORDS)
    assert speller.correct("what did ofsted say abotu carre leavers?") == "what did ofsted say about care leavers?"
    assert speller.correct("Who was the lead inspecter?") == "Who was the lead inspector?"
    assert speller.correct("What were the improvment areas?") == "What were the improvement areas?"


def test_real_words_names_and_the_collections_own_words_are_left_alone():
    speller = Speller().fit(WORDS)
    # "cells" is one letter from "calls" but a word of its own; "dentist" is asked about, not misspelt
    for text in ["Are children held in police cells?", "Did children see a dentist?", "What did Ofsted say about Camdne?",
                 "What about 16- and 17-year-olds?", "London boroughs' services", "See www.ofsted.gov.uk", "children's caseloads"]:
        assert speller.correct(text) == text
