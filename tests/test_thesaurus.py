"""The thesaurus: which everyday words stand for the reports' words."""

from assistant.questions import stem
from assistant.thesaurus import related


def test_an_everyday_word_brings_the_reports_words():
    brought = related({stem("files"), stem("school")})
    assert stem("records") in brought and brought[stem("records")] == stem("files")
    assert stem("education") in brought and brought[stem("education")] == stem("school")


def test_a_word_with_a_second_meaning_brings_nothing_misleading():
    assert stem("court") not in related({stem("judge")})  # Ofsted judges a service; no court is asked about
    assert stem("placements") not in related({stem("accommodation")})


def test_a_word_outside_every_group_brings_nothing():
    assert related({stem("inspection")}) == {}


def test_staffing_brings_what_staffing_problems_are_written_as():
    brought = related({stem("staffing")})
    assert {stem("turnover"), stem("workloads"), stem("vacancies")} <= brought.keys()


def test_the_way_people_talk_is_their_language():
    assert stem("terminology") in related({stem("talked")})


def test_a_word_two_asked_words_bring_stands_for_the_same_one_in_any_order():
    # asked of "staffing" and "workforce", "turnover" counts as one of them: the same one on every
    # run (a set's order changes between runs, and with it the answer did)
    asked = [stem("staffing"), stem("workforce")]
    assert related(asked)[stem("turnover")] == related(asked[::-1])[stem("turnover")]


def test_help_given_is_written_as_assistance():
    assert stem("assistance") in related({stem("helped")})


def test_talking_to_someone_is_speaking_with_them():
    assert stem("spoke") in related({stem("talk")})


def test_low_morale_is_written_as_demoralised():
    assert stem("demoralised") in related({stem("morale")})


def test_a_kind_of_staffing_problem_does_not_bring_the_others():
    # "staffing" brings caseloads and turnover; "caseloads" brings workloads, not turnover or the workforce
    brought = related({stem("caseloads")})
    assert stem("workloads") in brought and stem("turnover") not in brought and stem("workforce") not in brought


def test_realising_a_need_is_written_as_identifying_it():
    # "When did the council first realise it needed to improve?" / "We identified the need for improvements last year"
    assert stem("identified") in related({stem("realise")})


def test_danger_is_written_as_risk_of_harm():
    # "Were the failings putting children in danger?" / "…leave some children at risk of significant harm"
    brought = related({stem("danger")})
    assert stem("risk") in brought and stem("harm") in brought and stem("danger") not in related({stem("risk")})
