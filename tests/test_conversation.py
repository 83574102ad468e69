"""A conversation as structured turns: follow-ups read with the turn before them."""

import pytest

from assistant.conversation import Turn, follows_up, read, turns_of


@pytest.mark.parametrize("text, follows", [
    ("Who led it?", True), ("And care leavers?", True), ("What about 2019?", True), ("Why?", True),
    ("And how did children in care do?", True),
    ("What did the inspectors say about adoption in Barnet?", False),
    ("How long do I have to cure a violation of the licence?", False),
])
def test_what_follows_up(text, follows):
    assert follows_up(text) is follows


def test_a_follow_up_stays_on_the_place_and_year_of_the_turn_before():
    turns = [Turn("What did Ofsted say about help and protection in Barnet in 2019?",
                  "What did Ofsted say about help and protection in Barnet in 2019?", ["Barnet"], [2019])]
    q = read("And how did children in care do?", turns)
    assert q.names == ["Barnet"] and q.years == [2019]
    assert "Barnet" in q.text  # searched with what it carries


def test_a_follow_up_searches_for_its_own_year_and_place_not_the_ones_it_replaces():
    asked = "What overall grade did Croydon get in 2024?"
    turns = [Turn(asked, asked, ["Croydon"], [2024])]
    q = read("And who led the 2020 one?", turns)
    assert q.years == [2020] and "2024" not in q.text and "Croydon" in q.text
    q = read("What about Lambeth?", turns)
    assert q.names == ["Lambeth"] and q.years == [2024] and "Croydon" not in q.text and "grade" in q.text
    # a follow-up that says more than a name keeps the subject of the turn before
    assert "Croydon" in read("And what did Ofsted say?", turns).text


def test_a_question_that_stands_alone_carries_nothing():
    turns = [Turn("What did Ofsted say about Barnet?", "What did Ofsted say about Barnet?", ["Barnet"], [])]
    q = read("What grade did Camden get for leadership in 2021?", turns)
    assert q.names == ["Camden"] and q.text == q.asked


def test_turns_are_read_from_chat_messages_and_a_carried_turn_stands_as_it_was():
    history = [
        {"role": "user", "content": "When was Croydon last inspected?"},
        {"role": "assistant", "content": "October 2024 [1].",
         "turn": Turn("When was Croydon last inspected?", "When was Croydon last inspected?", ["Croydon"], [2024],
                      "October 2024 [1].", ["c.txt#4"]).to_dict()},
        {"role": "user", "content": "Who led it?"},
        {"role": "assistant", "content": "Christine Kennet [1]."},
    ]
    turns = turns_of(history)
    assert [t.question for t in turns] == ["When was Croydon last inspected?", "Who led it?"]
    assert turns[0].years == [2024] and turns[0].cited == ["c.txt#4"]
    # "it" was read with the turn before: its subject and year stay with it
    assert turns[1].names == ["Croydon"] and turns[1].years == [2024] and "Croydon" in turns[1].resolved
    assert turns[1].answer == "Christine Kennet [1]."
