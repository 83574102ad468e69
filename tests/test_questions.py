"""What a question asks, read with general English and spaCy's entity recogniser."""

import pytest

from assistant import nlp
from assistant.questions import analyse
from assistant.words import content_words, stem


@pytest.mark.parametrize("question, wants", [
    ("How many children were in care?", nlp.NUMBER),
    ("What percentage of staff were agency workers?", nlp.NUMBER),
    ("When did the inspection end?", nlp.DATE),
    ("What year was the licence published?", nlp.DATE),
    ("Who led it?", nlp.PERSON),
    ("What was the agency rate in 2019?", nlp.NUMBER),
    ("And who signed the letter?", nlp.PERSON),
    ("Where is the archive kept?", nlp.PLACE | nlp.ORG),
    ("How long do I have to cure a violation?", nlp.NUMBER | nlp.DATE),
    ("What does MVCC avoid?", 0),
    ("Why was the licence changed?", 0),
])
def test_the_kind_of_thing_an_answer_holds(question, wants):
    assert analyse(question).wants == wants


@pytest.mark.parametrize("question, polar", [
    ("Are caseloads manageable now?", True), ("Did the council accept the findings?", True),
    ("And is it still the case?", True), ("What needs to improve?", False), ("Who wrote it?", False)])
def test_yes_no_questions(question, polar):
    assert analyse(question).polar is polar


def test_a_month_is_no_name_and_a_possessive_names_once():
    q = analyse("Who led Ofsted's inspection of Camden children's services published in November 2017?")
    assert "Camden" in " ".join(q.names) and q.names.count("Ofsted") == 1
    assert not any("November" in n or n.endswith("'s") for n in q.names), q.names


def test_years_and_names_with_hyphens_and_accents():
    q = analyse("What did Máire Atherton find in Stoke-on-Trent in 2018 and 2024?")
    assert q.years == [2018, 2024]
    assert any("Máire" in n for n in q.names) and any("Stoke-on-Trent" in n for n in q.names), q.names
    assert "máire" in content_words(q.text) and "stoke-on-trent" in content_words(q.text)


def test_words_carried_from_the_conversation_weigh_less_than_the_questions_own():
    q = analyse("Who led it?", carried="When was Barnet last inspected?", carried_names=["Barnet"], carried_years=[2019])
    assert q.terms[stem("led")] == 1.0 and q.terms[stem("inspected")] < 1.0
    assert q.names == ["Barnet"] and q.years == [2019]
    # its own names and years stand over those carried
    own = analyse("And Camden in 2021?", carried="When was Barnet last inspected?", carried_names=["Barnet"],
                  carried_years=[2019])
    assert own.names == ["Camden"] and own.years == [2021]


def test_a_name_is_read_without_the_lower_case_words_around_it():
    # spaCy reads "Harrow children's" as one organisation and "Havering" as a number
    assert "Harrow" in analyse("Who led Ofsted's inspection of Harrow children's services in March 2017?").names
    assert "Havering" in analyse("Who led Ofsted's inspection of Havering children's services published in February 2024?").names
    assert "Bournemouth" in " ".join(analyse("How did Bournemouth, Christchurch and Poole do?").names)
