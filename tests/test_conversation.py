"""Follow-ups resolved against the conversation, by rules over words (no model)."""

import pytest

from assistant.conversation import follow_up_words, last_answer, new_subject, resolve, said_before
from assistant.questions import analyse


def turns(question, answer):
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


def test_ellipsis_keeps_the_earlier_question():
    q = resolve("And for care leavers?", turns("What grade did Croydon get in 2024?", "Good [1]."))
    assert "care leavers" in q and "2024" in q and "grade" in q


def test_a_whole_question_after_and_is_searched_as_it_is():
    history = turns("What was the average caseload for social workers back in 2018?", "14 to 15 children [1].")
    assert resolve("And are caseloads manageable now?", history) == "are caseloads manageable now?"
    # without "now", the year of the conversation carries over
    assert resolve("And are caseloads manageable?", history) == "are caseloads manageable in 2018?"


def test_why_that_is_about_what_was_answered():
    history = turns("Which judgement area was not rated good in 2024?",
                    "Help and protection - 'Requires improvement to be good' [1]. Other areas were good [2].")
    q = resolve("Why was that?", history)
    assert "Help and protection" in q and "[1]" not in q and "Other areas" not in q


def test_pronoun_takes_the_last_person_named():
    history = turns("Who was the commissioner sent in after 2017?", "Eleanor Brazil [1].")
    assert "Eleanor Brazil's involvement" in resolve("When did her involvement end?", history)


def test_new_subject_of_what_about():
    assert new_subject("And what about its youth offending service?") == ["youth", "offending", "service"]
    assert new_subject("What about Lambeth?") == ["lambeth"]
    assert new_subject("And who led it?") == []
    assert new_subject("The same for 2017?") == []


def test_last_answer_is_the_first_sentence_without_markers():
    assert last_answer(turns("q", "(2019) Tony Newman was leader [1]. He said more [2].")) == "Tony Newman was leader"
    assert last_answer([{"role": "user", "content": "q"}]) == ""


def test_a_short_answer_is_what_it_refers_to():
    history = turns("What did Croydon put in place to oversee its improvement after 2017?",
                    "An improvement board with an independent chair [1].")
    assert "improvement board with an independent chair" in resolve("Who set it up?", history)


def test_a_preposition_before_the_wh_word_is_still_a_follow_up_question():
    history = turns("Which council was Croydon paired with for peer support?", "Camden [1].")
    for follow_up in ("For how long?", "Since when?"):
        q = resolve(follow_up, history)
        assert q.startswith(follow_up.rstrip("?")) and "peer support" in q, q


def test_it_after_a_which_borough_answer_is_the_borough_named():
    history = turns("Which borough was chosen to support Croydon?",
                    "In January the authority was told to seek assistance from good-rated Camden [1].")
    assert resolve("What was it rated?", history) == "What was Camden rated?"
    assert resolve("Who is its council leader?", history) == "Who is Camden's council leader?"
    # after a question that did not ask for a place or body, "it" keeps the earlier subject
    assert "Camden" not in resolve("Who led it?", turns("When was the 2018 monitoring visit?", "In October 2018 [1]."))


def test_one_is_the_thing_the_earlier_question_named():
    history = turns("How many Croydon children had an independent visitor when Ofsted visited in October 2018?",
                    "Over 60 children now have an independent visitor [1].")
    q = resolve("Did everyone who wanted one have one?", history)
    assert q.startswith("Did everyone who wanted an independent visitor have one"), q
    # "one" is no word of the question's own focus ("…and one to Cafcass" does not answer it)
    assert "one" not in follow_up_words("Did everyone who wanted one have one?").split()


def test_the_thing_the_last_answer_spoke_of_is_looked_up_with_it():
    history = turns("What changes did Croydon make after the 2017 Ofsted report?",
                    "A recruitment drive is launching, an extra social work team has been created to reduce workloads [1].")
    q = resolve("What was the point of the additional team?", history)
    assert "extra social work team has been created" in q and "2017" in q, q
    # a question that names its own subject is searched as asked
    assert resolve("When did the 2024 inspection take place?", history) == "When did the 2024 inspection take place?"
    assert resolve("What did Ofsted say about the quality of social work practice across Croydon?", history).startswith(
        "What did Ofsted say about the quality of social work practice across Croydon")


def test_a_follow_up_after_a_follow_up_takes_one_level_of_context_not_every_earlier_one():
    history = (turns("What grade did Croydon get in 2024?", "Good [1].")
               + turns("How does that compare with 2017?", "(2017) The inspection report rated leadership as inadequate [1]. (2024) Good [2].")
               + turns("Who led the inspection?", "Lead inspector: Christine Kennet [1]."))
    assert "(" in resolve("Who led the inspection?", history[:4])  # itself resolved with context
    q = resolve("What did they say about out-of-hours services?", history)
    assert q.startswith("What did they say about out-of-hours services (led the inspection")
    assert q.count("(") == 1 and "2017" not in q, q  # the comparison two turns back is not asked again


LIST_ANSWER = ("Inspectors made four recommendations for improvement [1]:\n- Services to children out of hours [1].\n"
               "- Consistency of practitioners for children and families [1].\n- Waiting time for early help support [1].")


def test_the_first_one_is_the_first_item_of_the_list_just_given():
    history = turns("What are the areas for improvement?", LIST_ANSWER)
    assert resolve("Tell me more about the first one.", history) == "Tell me more about Services to children out of hours."
    assert new_subject("And the last one?") == []  # its subject is the item, not "one"
    # an answer about the first item comes between: "the last one" is still the list's
    later = history + turns("Tell me more about the first one.", "There is insufficient staff capacity out of hours [1].")
    assert resolve("And the last one?", later) == "And Waiting time for early help support?"


def test_a_refusal_is_no_answer_a_follow_up_can_mean():
    history = turns("What did the 2024 report say about youth offending?",
                    "I can't find an answer to that in this collection. It covers 5 documents: Cabinet report (2024).")
    assert last_answer(history) == ""
    assert "can't find" not in resolve("Why was that?", history)


def test_a_follow_up_after_a_follow_up_keeps_the_year_of_the_context_it_cuts():
    history = (turns("Who led the 2024 inspection?", "Lead inspector: Christine Kennet [1].")
               + turns("When did it take place?", "A full standard ILACS (inspecting local authority children's services) "
                                                   "inspection took place between the 14th and 25th October 2024 [1]."))
    assert "2024" in resolve("What did they find about care leavers?", history)


def test_a_new_subject_after_a_new_subject_replaces_it():
    history = (turns("What grade did Croydon get in 2024?", "Good [1].")
               + turns("And for care leavers?", "Good [1]."))
    q = resolve("What about children in care?", history)
    assert "children in care" in q and "care leavers" not in q and "2024" in q, q


@pytest.mark.parametrize("first, second, subject, year", [
    # a pronoun left after cutting the earlier context keeps what it stands for
    (("Did Ofsted say anything about independent visitors in 2024?", "Many children have one [1]."),
     ("Do they help children with hobbies too?", "Yes [1]."), "independent visitors", "And in 2018?"),
    # so does a follow-up of fewer than two words of its own
    (("What did Ofsted say about care leavers in 2024?", "PAs are tenacious in their work with care leavers [1]."),
     ("Were there any problems?", "For some care leavers, they have not benefited from a PA early enough [1]."),
     "care leavers", "What about in 2018?"),
])
def test_a_year_asked_after_a_follow_up_keeps_what_that_follow_up_was_about(first, second, subject, year):
    q = resolve(year, turns(*first) + turns(*second))
    assert subject in q and "2018" in q and "2024" not in q, q


def test_the_first_of_what_the_list_question_named_is_its_first_item_in_its_year():
    history = (turns("Which groups of children did Ofsted look at in 2018?",
                     "This included [1]:\n- children who had recently become looked after [1].\n- care leavers [1].")
               + turns("How many inspectors were there?", "Three [1]."))
    assert resolve("How were things for the first group?", history) == (
        "How were things for children who had recently become looked after in 2018?")
    assert resolve("And the last inspection?", history) != resolve("And the last group?", history)  # not a group


def test_a_new_subject_takes_the_place_of_the_one_the_question_named():
    q = resolve("And for children in care?", turns("What grade did Croydon get for care leavers in 2024?", "Good [1]."))
    assert q == "What grade did Croydon get for children in care in 2024?"
    # a year is not a subject: "in the out-of-hours service" is asked of 2024, not instead of it
    assert "2024" in resolve("And in the out-of-hours service?", turns("What did Ofsted find in 2024?", "Good [1]."))


def test_the_figure_is_the_one_asked_for_before_a_side_question():
    history = (turns("How many care leavers were in staying put arrangements in 2018?", "48 young people [1].")
               + turns("Were most of them in suitable housing?", "Yes [1]."))
    assert resolve("What was the figure in 2024?", history) == "How many care leavers were in staying put arrangements in 2024?"
    # "the rate of" names another figure: not the one asked for before
    assert "rate of agency staff" in resolve("What was the rate of agency staff in 2024?", history)


def test_he_or_she_is_the_person_named_not_the_street_of_an_address():
    history = turns("Who was the 2018 letter sent to?", "Eleni Ioannides Interim Executive Director, London Borough of "
                                                        "Croydon 8 Mint Walk Croydon London CR0 1EA [1].")
    assert "Eleni Ioannides" in resolve("What was her job?", history)


def test_why_after_a_yes_or_no_is_about_what_followed_it():
    history = turns("Was Croydon rated inadequate in 2017?", "Yes: (2017) The inspection report rated leadership as "
                                                             "'inadequate' [1].")
    q = resolve("Why?", history)
    assert "The inspection report rated leadership" in q and "Yes" not in q, q


def test_now_drops_the_earlier_year_with_its_preposition():
    history = turns("What did inspectors find about adoption in 2018?", "There is drift and delay [1].")
    assert "adoption in 2024" in resolve("Is that still a problem in 2024?", history)
    assert "adoption in:" not in resolve("Is that still a problem now?", history)


def test_another_subject_takes_the_place_of_the_one_whose_grade_was_asked():
    history = (turns("What grade did care leavers get in 2024?", "Good [1].")
               + turns("And children in care?", "Good [1]."))
    assert resolve("And children in care?", history[:2]) == "What grade did children in care get in 2024?"
    assert resolve("And leadership?", history) == "What grade did leadership get in 2024?"


def test_she_is_the_person_an_answer_names_first_not_a_building_in_its_address():
    history = turns("Who is the chief executive?", "Katherine Kerswell, Chief Executive, London Borough of Croydon, "
                                                   "Bernard Weatherill House, 8 Mint Walk [1].")
    assert "Katherine Kerswell" in resolve("What did she say about the inspection?", history)


def test_another_subject_takes_the_place_of_what_the_question_was_about():
    history = turns("What did inspectors say about disabled children in 2024?", "They live with committed carers [1].")
    assert resolve("And unaccompanied asylum seekers?", history) == (
        "What did inspectors say about unaccompanied asylum seekers in 2024?")
    # "their" is of what was asked about: it stays
    assert "disabled children" in resolve("And their health?", history)


def test_a_preposition_before_what_period_still_asks_of_the_earlier_question():
    history = turns("How many children were supported by the advocacy service in 2018?", "55 children [1].")
    assert resolve("Over what period?", history) == "Over what period (children were supported by the advocacy service in 2018)?"


def test_why_after_an_answer_of_two_clauses_is_about_its_main_one():
    history = turns("Was every area rated good?", "No. Help and protection was judged requires improvement to be good; "
                                                  "children in care, care leavers and leadership were all good.")
    q = resolve("Why?", history)
    assert "Help and protection was judged requires improvement" in q and "leadership" not in q, q


def test_his_name_asks_for_someone_the_last_answer_did_not_name():
    history = (turns("Who was the 2018 letter addressed to?", "Eleni Ioannides, interim executive director [1].")
               + turns("Was a permanent director on the way?", "A permanent executive director has recently been "
                                                               "appointed, and takes up his post in December [1]."))
    assert "Eleni" not in resolve("What's his name?", history)
    named = turns("Who was appointed commissioner in 2017?", "Inspectors appointed commissioner Eleanor Brazil [1].")
    assert "Eleanor Brazil" in resolve("What's her full name?", named)


def test_a_change_asked_of_without_saying_compared_with_what_is_against_the_year_named_or_now():
    history = turns("What did Ofsted say about leadership in 2017?", "Leadership was rated inadequate [1].")
    assert resolve("Did that change in 2024?", history) == "What did Ofsted say about leadership in 2017, compared with 2024?"
    assert resolve("How has that changed?", history) == "What did Ofsted say about leadership in 2017, compared with now?"
    two_years = history + turns("And in 2024?", "Leaders are strong [1].")
    assert resolve("What changed?", two_years) == "What did Ofsted say about leadership in 2024, compared with 2017?"


@pytest.mark.parametrize("asked", ["Compared with the year before?", "How does that compare with the previous year?"])
def test_compared_with_the_year_before_is_the_year_before_the_one_asked_about(asked):
    history = turns("How many new independent visitors were recruited in 2018?", "40 were recruited in 2018 [1].")
    assert resolve(asked, history) == "How many new independent visitors were recruited in 2018, compared with 2017?"


@pytest.mark.parametrize("asked", ["Is it better now?", "Has it improved since?", "Has it got any better since then?",
                                   "How does that compare with now?"])
def test_whether_it_got_better_after_a_year_asked_about_is_that_year_compared_with_now(asked):
    history = turns("What was the caseload in 2018?", "An average caseload of 14 to 15 children [1].")
    assert resolve(asked, history) == "What was the caseload in 2018, compared with now?"
    q = analyse(resolve(asked, history), follow_up_words(asked))
    assert q.kind == "compare" and "better" not in q.focus


def test_whether_a_figure_is_better_now_is_a_comparison_of_the_two_times():
    history = turns("How many children had an independent visitor in 2018?", "Over 60 children [1].")
    assert analyse(resolve("Is that better now?", history), follow_up_words("Is that better now?")).kind == "compare"


def test_tell_me_more_asks_the_question_before_again():
    history = turns("What did Ofsted say about care leavers in 2024?", "PAs are tenacious [1]. Care leavers are happy [2].")
    for more in ["Tell me more", "Anything else?", "And what else?", "go on", "More please"]:
        assert resolve(more, history) == "What did Ofsted say about care leavers in 2024?", more
    assert resolve("Tell me more about leadership", history) != "What did Ofsted say about care leavers in 2024?"


def test_what_tell_me_more_must_not_say_again_is_every_answer_since_the_question_it_repeats():
    history = (turns("What was said about adoption?", "Adoption is slow [1].")
               + turns("What did Ofsted say about care leavers in 2024?", "PAs are tenacious [1]. (2024) Care leavers are happy [2].")
               + turns("Tell me more", "Care leavers have a local offer [1]."))
    assert said_before(history) == ["Care leavers have a local offer.", "PAs are tenacious.", "Care leavers are happy."]
