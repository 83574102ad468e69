"""What a question asks for: its kind, the years, what it must be answered with. Pure rules, no model."""

import pytest

from assistant.questions import (GRADE_STATEMENT, analyse, answer_type_score, asks_polar_list, content_words, direct_question, grade_verdict,
                                 polar_terms, stem)


@pytest.mark.parametrize("text, kind", [
    ("Why was Croydon rated inadequate in 2017?", "why"),  # a reason, not the grade
    ("Who led the 2024 inspection?", "who"),
    ("How many young people were in staying put arrangements?", "number"),
    ("What was the figure in 2024?", "number"),  # the figure asked for before, now in another year
    ("How did Croydon's children's services do in the 2024 inspection?", "grade"),  # how it did: its verdict
    ("How are looked-after children doing at school?", "what"),  # how they do at school is no verdict
    ("When was the report published?", "when"),
    ("What grade did leadership get in 2024?", "grade"),
    ("How did the 2017 grade compare with 2024?", "compare"),
    ("How much money did the government give Croydon?", "money"),  # an amount, not any figure
    ("How much funding went to early help?", "money"),
    ("Is Croydon good?", "grade"),  # ends on a verdict: answered yes or no with the grade
    ("Are Croydon's children's services good now?", "grade"),
    ("Is the support good for care leavers who move away?", "yesno"),  # "good" in passing
    ("Were care plans for children any good in 2024?", "yesno"),  # their quality, not a grade
    ("Did Croydon get outstanding?", "grade"),
    ("What was the outcome in 2017?", "grade"),
    ("What was the outcome of the Ofsted inspection in 2017?", "grade"),
    ("What was the result of the 2018 monitoring visit?", "what"),  # a monitoring visit gives no grade
    ("What is the outcome for children?", "what"),
    ("Did care leavers get an outstanding grade?", "grade"),
])
def test_kind(text, kind):
    assert analyse(text).kind == kind


@pytest.mark.parametrize("sentence, states", [
    ("Overall effectiveness – 'Good'", True),
    ("Croydon was judged inadequate in September 2017.", True),
    ("assistance from good-rated Camden", True),
    ("Children's services in Havering require improvement to be good", True),
    ("The overall judgement is that children's services require improvement.", True),
    ("Care leavers must be good for overall effectiveness to be judged good.", False),  # a condition
    ("The quality of good practice is improving.", False),
])
def test_a_grade_is_stated_not_mentioned(sentence, states):
    assert bool(GRADE_STATEMENT.search(sentence)) is states


def test_still_rated_is_answered_yes_or_no_from_the_stated_grade():
    q = "Is Croydon's children's services still rated inadequate?"
    assert grade_verdict(q, "Overall effectiveness – 'Good'") == "No"
    assert grade_verdict(q, "The local authority was judged inadequate in 2017.") == "Yes"
    # "fall short of good" is not a question a plain yes/no from one grade answers
    assert grade_verdict("Did any of the areas fall short of 'good'?", "Overall effectiveness – 'Good'") == ""


def test_a_grade_said_of_another_place_is_no_verdict():
    # "good-rated Camden" grades the borough helping Croydon, not Croydon
    camden = ("The statutory direction, issued this week to Croydon council, replaces one made in January that told the "
              "authority to develop a proposal for assistance from good-rated Camden.")
    assert grade_verdict("What was Croydon's Ofsted rating when it was made to accept help from Camden?", camden) == ""
    assert grade_verdict("Is Croydon still rated good?", camden) == ""
    assert grade_verdict("Is Croydon still rated good?", "Croydon was rated good in 2024, like good-rated Camden.") == "Yes"
    assert grade_verdict("What was Camden's Ofsted rating when it was chosen to help Croydon?", camden) == "Good"
    # nor does it state the grade asked for, so it does not outrank one that does
    assert answer_type_score(analyse("What was Croydon's Ofsted rating when it was made to accept help from Camden?"), camden) < 1.0
    assert answer_type_score(analyse("What was Camden's Ofsted rating when it was chosen to help Croydon?"), camden) == 1.0


LONG_VERDICT = ("This report advises Cabinet of the outcome and findings from Ofsted's inspection of Croydon's Children's "
                "Services which concluded on 25th October 2024 and judged the Council's services for children as 'good', "
                "retaining the grade from the previous judgement")


def test_the_grade_asked_for_leads_a_long_sentence_that_states_it():
    assert grade_verdict("What is the current grade for Croydon?", LONG_VERDICT) == "Good"
    two = "Help and protection was judged to require improvement to be good; " + LONG_VERDICT
    assert grade_verdict("What is the current grade for Croydon?", two) == ""  # two grades: the sentence says which is which
    assert grade_verdict("What grade did help and protection get?", "Help and protection – 'Requires improvement to be good'") == ""
    assert grade_verdict("How was help and protection judged?", "Inspectors judged that the help and protection of children "
                         "requires improvement to be good, because responses out of hours and at the front door vary.") \
        == "Requires improvement to be good"
    assert grade_verdict("Which parts were rated inadequate?", "The report rated both child protection services and leadership "
                         "as 'inadequate', and found widespread and serious failures in the help that families received.") == ""


@pytest.mark.parametrize("text, polarity", [
    ("What did Ofsted find wrong with the out-of-hours service?", "negative"),
    ("What staffing problems did the report highlight?", "negative"),
    ("What positives did Ofsted pick out in 2019?", "positive"),
    ("Was there any weak spot?", "negative"),  # said plainly, not "weakness"
    ("Were there any flaws or drawbacks in the plan?", "negative"),
    ("Were there any bright spots in 2019?", "positive"),
    ("Did Ofsted have anything good to say about the senior leaders?", "positive"),
    ("Do the personal advisers have too many care leavers each?", "negative"),
    ("What steps did the council take after the inspection?", "action"),
    ("Had the council done anything about the high caseloads?", "action"),
    ("What are leaders doing to find more homes for children in care?", "action"),
    ("Who led the inspection?", ""),
])
def test_polarity(text, polarity):
    assert analyse(text).polarity == polarity


def test_the_fault_a_question_names_beats_any_other_fault():
    q = analyse("Do Croydon's personal advisers have too many care leavers each?")
    named = "PAs report that they sometimes have responsibility for too many young people."
    other = "Some care leavers have not been allocated a personal adviser early enough."
    assert answer_type_score(q, named) > answer_type_score(q, other) > 0.5


def test_summary_and_future_questions():
    assert analyse("What was the bottom line of the October 2018 letter?").summary
    # what a visit set out to cover, not what it found about something
    assert analyse("What did the October 2018 visit focus on?").scope and analyse("What was the focus of the inspection?").scope
    assert not analyse("What did Ofsted say about the focus on permanence?").scope
    assert not analyse("What did inspectors look at when they visited the out-of-hours team?").scope
    # how the visit was done: what it drew on
    assert analyse("How did Ofsted gather its evidence on the March 2019 monitoring visit?").method
    assert analyse("What sources of evidence did the inspectors draw on?").method
    assert not analyse("What evidence is there that caseloads fell?").method
    q = analyse("How did Ofsted gather its evidence on the visit?")
    assert answer_type_score(q, "But the visit, which took in both casework reviews and interviews, found practice variable.") == 1.0
    assert answer_type_score(q, "Ofsted noted that managers showed an openness to advice during the visit.") == 0.3
    assert analyse("When is the next inspection due?").future
    assert not analyse("When was the last inspection?").future
    # "How long did it last?": a verb, not the last of several
    assert not analyse("How long did the peer support last?").latest and analyse("When was the last inspection?").latest
    # "next" after what happened is what came after it, not a plan
    assert not analyse("What did the council do next?").future and not analyse("What happened next in 2017?").future


def test_a_question_in_two_parts():
    q = analyse("What's the latest judgement, and when was it published?")
    assert q.kind == "grade" and q.second is not None and q.second.kind == "when"
    assert analyse("How many children and young people were seen?").second is None


def test_what_changed_is_the_focus_of_a_comparison():
    q = analyse("How has management oversight changed between 2019 and 2024?")
    assert q.kind == "compare" and q.focus == ["management", "oversight"]


@pytest.mark.parametrize("question, focus", [
    ("What did Ofsted say about private fostering arrangements in Croydon?", ["private", "fostering", "arrangements"]),
    ("Did Ofsted have anything good to say about Croydon's senior leaders at the March 2019 visit?", ["senior", "leaders"]),
    ("What did Ofsted make of management oversight at the 2018 visit?", ["management", "oversight"]),
    ("What did inspectors think of the leaders?", ["leaders"]),
    ("What did the report say about Croydon?", []),  # a name says which passages, not what of them
    ("Was the cabinet report on the Ofsted outcome a key decision?", []),  # a report on something is no saying
    # past four words, what was said about is a clause, not a name for a thing: no word of it outweighs the rest
    ("What did inspectors say about support for children with special educational needs in Croydon?", []),
])
def test_what_was_said_about_is_the_focus(question, focus):
    assert analyse(question).focus == focus


def test_how_long_from_one_grade_to_another_asks_for_the_time_between():
    assert analyse("How long did it take Croydon to go from being rated inadequate back to a good rating?").interval == ("inadequate", "good")
    assert analyse("How long did Brent take to move from requires improvement to outstanding?").interval == ("require improvement", "outstanding")
    assert analyse("How long was Croydon rated inadequate?").interval == ()


def test_the_grades_of_all_areas_are_a_list():
    q = analyse("Did any of the judgement areas fall short of 'good' in 2024?")
    assert q.kind == "list" and q.grade


def test_a_role_or_body_answers_who_did_it_but_not_something_else():
    from assistant.questions import answer_type_score
    took = analyse("Who took over the children's services after 2017?")
    assert answer_type_score(took, "The government has taken control of the children's services.") == 0.7
    chaired = analyse("Who chaired the improvement board?")
    assert answer_type_score(chaired, "A board, with an independent chair, has been set up by the chief executive.") == 0.0
    role = analyse("Which councillor role did the letter credit with championing care leavers?")
    assert answer_type_score(role, "This work is particularly championed by the lead member for children.") == 0.7
    assert answer_type_score(analyse("Who is Croydon's executive mayor?"), "The executive mayor spoke.") == 0.0
    # supporting someone is done by whoever helps them or provides them a service
    supports = analyse("Who supports children in care aged 16 and over?")
    assert answer_type_score(supports, "Social workers in the 16+ teams provide a service similar to that of PAs.") == 0.7
    assert answer_type_score(supports, "Social workers in the 16+ teams are committed.") == 0.0


def test_who_else_is_answered_by_the_people_who_do_what_was_asked():
    advisers = "Independent domestic violence advisers in the MASH add value to social work assessments."
    for question in ("Who else adds value to the assessments?", "Who did inspectors say adds value to the assessments?"):
        assert answer_type_score(analyse(question), advisers) == 0.7, question
    # the people named must be the ones doing it: advisers elsewhere in the sentence do not answer
    assert answer_type_score(analyse("Who else adds value?"), "Advisers were recruited in 2023, and the MASH is busy "
                             "with many contacts and referrals every week; this adds value.") == 0.0


def test_a_grade_in_a_since_clause_is_not_the_one_asked_about():
    assert grade_verdict("Has the grade moved on since it was judged inadequate?", "Overall effectiveness – 'Good'") == ""


def test_a_share_is_answered_by_a_share_of_what_was_asked():
    from assistant.questions import answer_type_score
    q = analyse("What percentage of Croydon care leavers are in education, employment or training?")
    assert q.kind == "number" and q.focus[-1] == "leavers"
    assert answer_type_score(q, "Leaders have raised the permanent workforce to 80%.") == 1.0  # a share...
    assert answer_type_score(q, "There were 27 escalations.") == 0.0  # ...not any figure


def test_a_capitalised_opening_word_is_not_a_name():
    from assistant.questions import answer_type_score
    q = analyse("Who wrote the monitoring report?")
    assert answer_type_score(q, "An Ofsted monitoring report found practice variable.") == 0.0
    assert answer_type_score(q, "Louise Hocking, Her Majesty's Inspector, wrote it.") == 1.0


def test_a_name_beside_the_verb_asked_about_counts_most():
    from assistant.questions import answer_type_score
    q = analyse("Who led the 2024 inspection?")
    assert answer_type_score(q, "Lead inspector: Christine Kennet, His Majesty's Inspector") == 1.0
    assert answer_type_score(q, "Council leader Tony Newman said he was pleased.") == 0.8


def test_how_many_counts_the_noun_before_the_verb():
    assert analyse("How many new foster carers is Croydon planning to recruit?").focus[-1] == "carers"
    assert analyse("How many social workers did Croydon recruit?").focus == ["social", "workers"]
    assert analyse("On average, how many weeks did children wait?").focus == ["weeks"]


def test_planning_to_asks_about_the_future():
    assert analyse("How many foster carers is Croydon planning to recruit?").future
    assert analyse("Is Croydon going to build more homes?").future
    assert not analyse("How many homes did Croydon open?").future


def test_an_opening_phrase_sets_the_scene_and_the_main_clause_asks():
    assert analyse("When inspectors came in 2018, were children visited often enough?").kind == "yesno"
    assert analyse("According to the cabinet report, who chaired the meeting?").kind == "who"
    assert analyse("When was the report published?").kind == "when"


def test_what_holds_a_service_back_asks_for_its_faults():
    assert analyse("What was holding back the fostering team?").polarity == "negative"
    assert analyse("What barriers did social workers face?").polarity == "negative"


def test_a_question_about_change_is_answered_by_a_finding_of_change():
    q = analyse("Are fewer children missing school than at the last inspection?")
    assert q.change and q.kind == "yesno"
    assert answer_type_score(q, "The number of children missing education has substantially reduced.", set()) > \
        answer_type_score(q, "Leaders work with schools to identify children missing education.", set())
    assert not analyse("Who led the inspection?").change


def test_spending_time_is_not_spending_money():
    assert analyse("Do children still get to spend time with their birth families?").kind == "yesno"
    assert analyse("How much did Croydon spend on agency staff?").kind == "money"


def test_the_name_of_a_thing_is_not_a_person():
    assert analyse("What is the name of Croydon's app for care leavers?").kind == "entity"
    assert analyse("What was the name of the new social care director?").kind == "who"
    assert analyse("What is the lead inspector's name?").kind == "who"


def test_which_organisation_asks_for_a_name_unless_the_name_is_given():
    assert analyse("Which council gave Croydon peer support?").kind == "entity"
    assert analyse("In 2019, which London borough was asked to help?").kind == "entity"
    # the department is named; the programme is what is asked about, and it need not be a name
    assert analyse("Which Department for Education programme did Croydon join?").kind != "entity"


def test_a_period_between_two_inspections_asks_for_a_time_the_question_does_not_give():
    q = analyse("In which period between the 2020 and 2024 inspections did staff turnover peak?")
    assert q.kind == "when"
    assert answer_type_score(q, "The 2020 inspection found that staff turnover was high.") < 1.0
    assert answer_type_score(q, "Staff turnover peaked in 2021/22.") == 1.0


def test_when_something_happened_is_a_date_of_it_or_the_event_it_came_with():
    # a follow-up names what happened in its own words ("her involvement", "end")
    q = analyse("When did her involvement end (the commissioner sent in after the 2017 inspection)?", "When did her involvement end?")
    assert q.focus == ["involvement", "end"]
    assert answer_type_score(q, "Her involvement ended in May 2019.") == 1.0
    assert answer_type_score(q, "In September 2017 inspectors appointed a commissioner.") < 1.0  # a date of something else
    assert answer_type_score(q, "Her involvement will end with the new order from the DfE.") == 0.7
    assert answer_type_score(q, "Her involvement has been welcomed.") == 0.0


def test_a_condition_is_a_reason():
    q = analyse("Why does the report put so much weight on the care leavers judgement?")
    assert answer_type_score(q, "The experiences of care leavers must be good for overall effectiveness to be judged good.") == 1.0
    assert answer_type_score(q, "Care leavers must be seen every month.") < 1.0


def test_at_what_age_asks_for_an_age():
    q = analyse("At what age do care leavers get their health histories?")
    assert q.kind == "age" and q.typed
    assert answer_type_score(q, "Care leavers are given their health histories when they are 18 years old.") == 1.0
    assert answer_type_score(q, "Support continues for those aged over 21.") == 1.0
    assert answer_type_score(q, "There were 18 care leavers given their health histories.") == 0.0  # a count, not an age
    assert analyse("How old are children when they leave care?").kind == "age"


def test_a_footnote_mark_is_not_a_figure():
    q = analyse("How many areas need to improve?")
    assert answer_type_score(q, "1 The areas for improvement have been cross-referenced with the national framework.") == 0.0
    assert answer_type_score(q, "Inspectors found 3 areas that need to improve.") == 1.0


def test_is_it_still_inadequate_asks_for_a_grade():
    assert analyse("Is Croydon still inadequate?").kind == "grade"
    assert analyse("Is the service still struggling?").kind != "grade"


def test_the_role_of_something_is_asked_about_that_thing():
    assert analyse("What is the role of the improvement board?").focus == ["role", "improvement", "board"]
    assert analyse("What was the purpose of the visit in 2018?").focus == ["purpose", "visit"]


def test_a_rate_asks_for_a_figure_of_the_thing_named():
    q = analyse("What was the agency rate in 2024?")
    assert q.kind == "number" and q.focus == ["agency"]
    assert analyse("What is the rate of re-referrals?").focus == ["re-referrals"]
    assert analyse("What is the accounting rate of return?").kind != "number"  # a concept, not a figure


def test_a_follow_up_naming_only_a_year_keeps_the_earlier_focus():
    assert analyse("What was the agency rate in 2024?", "And in 2024?").focus == ["agency"]


def test_a_word_and_its_ing_and_ed_forms_share_a_stem():
    assert stem("staffing") == stem("staff") == stem("staffed")  # Snowball alone gives "staf" and "staff"
    assert stem("planning") == stem("plan") and stem("led") == stem("lead")


@pytest.mark.parametrize("text, subject", [
    ("Are social workers happier in their jobs now than they were in 2018?", ["social", "workers", "happier", "jobs"]),
    ("Has accommodation for care leavers got better or worse since 2018?", ["accommodation", "care", "leavers"]),
    ("Did staff find their managers approachable back in 2018, and do they now?", ["staff", "find", "managers", "approachable"]),
    ("Is help and protection still rated inadequate, as it was in 2017?", ["help", "protection"]),
])
def test_one_year_against_now_is_a_comparison_of_its_subject(text, subject):
    q = analyse(text)
    assert q.kind == "compare" and q.focus == subject


@pytest.mark.parametrize("text", [
    "Had things got better or worse since the previous inspection, according to the 2017 report?",  # 2017 is the source
    "Did senior managers know what work still needed to be done in 2018?",  # "still" inside the question
])
def test_a_year_that_names_the_source_is_not_a_comparison(text):
    assert analyse(text).kind != "compare"


@pytest.mark.parametrize("sentence", [
    "Lead inspector: Brenda McLaughlin, Her Majesty's Inspector",
    "Lead inspector: Jenny-ellen Scotland, His Majesty's Inspector",
    "The review was chaired by Mary O'Brien.",
])
def test_names_with_inner_capitals_hyphens_and_apostrophes_are_names(sentence):
    assert answer_type_score(analyse("Who was the lead inspector?"), sentence) == 1.0


def test_a_deputy_did_not_lead():
    q = analyse("Who led the inspection?")
    lead, deputy = "Lead inspector: Linda Steele", "Deputy lead inspector: Marcie Taylor"
    assert answer_type_score(q, lead) > answer_type_score(q, deputy)
    assert answer_type_score(analyse("Who was the deputy lead inspector?"), deputy) == 1.0


@pytest.mark.parametrize("sentence", [
    "Children in Islington have done well since the last inspection in 2017, when they were judged good overall.",
    "Services have continued to improve strongly since being judged good overall at the previous inspection in 2015.",
    "Existing services have improved since May 2012 when services were judged by Ofsted to be good.",
])
def test_a_grade_from_an_earlier_inspection_does_not_answer_for_this_one(sentence):
    assert answer_type_score(analyse("What overall grade did Islington get in 2020?"), sentence) < 0.5
    assert answer_type_score(analyse("What overall grade did Islington get?"), "Overall effectiveness: Outstanding") == 1.0


def test_the_grade_of_one_area_answers_a_question_about_that_area_not_the_whole():
    overall = analyse("What overall effectiveness grade did Camden get in 2017?")
    assert answer_type_score(overall, "Children's services in Camden are good") == 1.0
    adoption = "The graded judgement for adoption performance is that it is outstanding"
    assert answer_type_score(overall, adoption) < answer_type_score(overall, "Children's services in Camden are good")
    assert answer_type_score(analyse("What grade did Camden get for adoption performance?"), adoption) == 1.0
    assert not GRADE_STATEMENT.search("cases judged by the local authority to be less than good")  # a comparison, not a grade


def test_resources_identified_is_something_done():
    q = analyse("Had the council done anything about the high caseloads?")
    assert answer_type_score(q, "Additional resources have been identified, and staff are aware of this.") > \
        answer_type_score(q, "Staff morale in the service is high.")


def test_a_verb_after_what_is_not_the_thing_asked_for():
    assert analyse("What goes wrong when children step down to early help?").focus == []
    assert analyse("What happens if risks do not reduce?").focus == []
    assert analyse("What areas need to improve?").focus == ["areas"]


def test_the_subject_of_a_grade_question_leaves_out_names_and_area_words():
    assert analyse("What grade did Croydon's youth offending service get in 2024?").graded == ["youth", "offending"]
    assert analyse("What grade did services for children in care get?").graded == ["care"]
    assert analyse("How were children's services in Kingston upon Thames rated overall?").graded == []
    assert analyse("What was Camden's Ofsted rating?").graded == []
    assert analyse("How were disabled children doing in 2024?").graded == ["disabled"]  # a verdict, if they were given one


def test_a_place_in_an_idiom_is_no_content_word():
    assert "place" not in content_words("Was a plan in place before the visit took place?")
    assert "placed" in content_words("Most children are well placed.")
    assert content_words("Did placements break down?") == ["placements", "breakdown"]
    assert "break" in content_words("Short breaks let carers have a break.")
    assert content_words("What was out of the ordinary about it?") == ["unusual"]
    assert content_words("How are looked-after children?") == ["care", "children"]  # children in care
    assert content_words("young people leaving care") == ["young", "people", "care", "leavers"]
    assert content_words("Did the council own up to it?") == ["council", "accept"]
    assert content_words("Do children see their social worker?") == ["children", "visited", "social", "worker"]
    assert content_words("What things did Ofsted tell them to work on?") == ["ofsted", "improve"]
    assert content_words("Are health bodies fully on board?") == ["health", "bodies", "fully", "integrated"]
    assert content_words("Did the council challenge the verdict?") == ["council", "accept", "findings"]
    assert "thresholds" in content_words("Was it right about which children needed to come into care?")
    assert {"consistency", "practitioners"} <= set(content_words("Children kept getting new social workers."))
    assert content_words("How are children in care doing at school?") == ["children", "care", "progress", "school"]
    assert "offer" in content_words("Did care leavers shape what Croydon promises them?")
    assert "challenge" in content_words("IROs provide effective challenge to plans.")  # a challenge to plans is not to a verdict
    assert content_words("the social workers who deal with children day to day") == ["social", "workers", "deal", "children", "frontline"]


def test_where_to_look_is_no_figure():
    how_many = analyse("How many recommendations were made?")
    assert answer_type_score(how_many, "The report is included at appendix 1, see paragraph 4.16.") == 0.0
    assert answer_type_score(how_many, "Inspectors made 4 recommendations, listed in appendix 1.") == 1.0


@pytest.mark.parametrize("fault", [
    "There were some examples of inappropriate use of language about children at risk.",
    "The turnover of staff in many teams further inhibits trusting relationships.",
    "Newer staff are hampered at times by a legacy of poor practice.",
])
def test_a_fault_named_by_its_verb_or_adjective_answers_what_went_wrong(fault):
    q = analyse("What worried inspectors about the service?")
    assert answer_type_score(q, fault) > answer_type_score(q, "Staff morale in the service is high.")


def test_a_strength_named_answers_what_went_well():
    q = analyse("What were the strengths of the service?")
    assert answer_type_score(q, "Later-life letters are a real strength.") > answer_type_score(q, "Later-life letters are written.")


def test_the_words_asking_for_faults_are_matched_by_a_fault_only_when_little_else_is_asked():
    assert polar_terms(analyse("What went wrong in 2017?")) == {stem("wrong")}
    assert polar_terms(analyse("What were the weaknesses found in Croydon?")) == {stem("weaknesses")}
    # the question names its subject: that is what the answer must match
    assert polar_terms(analyse("What positives did Ofsted pick out at the 2019 monitoring visit?")) == set()


@pytest.mark.parametrize("text, overview", [
    ("What happened in 2017?", True),
    ("Tell me about 2018.", True),
    ("What happened with Camden?", True),
    ("And what happened in 2019?", True),
    ("What happened at the 2018 monitoring visit?", False),  # a narrower subject: searched as asked
    ("What happened to care leavers in 2024?", False),
    ("What happened?", False),  # no time and no name: nothing to tell the story of
])
def test_asking_what_happened_in_a_year_or_with_a_name_asks_for_an_overview(text, overview):
    assert analyse(text).overview is overview


@pytest.mark.parametrize("text, latest", [
    ("Is Croydon outstanding?", True),  # asked in the present: the grade it has now
    ("What grade does Croydon have?", True),
    ("What grade did Croydon get?", False),
    ("Was Croydon rated inadequate?", False),
    ("Is Croydon rated good in 2018?", False),  # a year is named
])
def test_a_grade_asked_of_in_the_present_asks_for_the_latest(text, latest):
    assert analyse(text).latest is latest


def test_which_months_asks_when_and_the_word_period_names_the_kind_of_answer():
    assert analyse("During which months were children supported?").kind == "when"
    # a follow-up's "period" is the kind of answer, not an event a date must be of
    q = analyse("Over what period (children were supported by the advocacy service in 2018)?", "Over what period?")
    assert q.kind == "when" and answer_type_score(q, "55 children were supported between January and June 2018.") == 1.0


def test_up_to_date_asks_about_a_state_not_for_a_date():
    assert analyse("Were children's records up to date in 2018?").kind == "yesno"
    assert analyse("What date was the report published?").kind == "when"


def test_like_that_frames_a_question_is_not_a_word_it_asks_about():
    assert "like" not in analyse("What are social workers' caseloads like in 2024?").terms
    assert "like" not in analyse("What was life like for care leavers?").terms
    assert "like" in analyse("What do staff like about working in Croydon?").terms
    assert "like" in analyse("What would young people like to change?").terms


def test_praise_half_taken_back_answers_what_was_praised_less_well_than_praise():
    q = analyse("What did Ofsted praise in 2018?")
    mixed = "IROs are beginning to provide more effective challenge, although this had not had sufficient impact."
    praise = "Positive progress can also be seen in the take up of independent visitors."
    assert answer_type_score(q, praise) > answer_type_score(q, mixed) > answer_type_score(q, "The visit took place in October.")


def test_an_area_for_improvement_is_no_strength():
    q = analyse("What areas of practice did the 2024 report single out as particularly strong?")
    assert answer_type_score(q, "Quality assurance processes have identified areas for improvement.") == 0.3
    assert answer_type_score(q, "Planning for children needs to improve.") == 0.3
    assert answer_type_score(q, "Since 2020, the local authority has improved services for care leavers.") == 0.8


@pytest.mark.parametrize("sentence, why", [
    ("Since the last inspection in 2020, the local authority has improved services.", False),  # a time
    ("Staff turnover has been high since 2021.", False),
    ("Leadership stability has enabled the council to deliver good services.", True),
    ("A standard inspection was undertaken to ensure inspectors could explore practice in depth.", True),
    ("Caseloads are high because of vacancies.", True),
])
def test_a_reason_is_a_cause_or_a_purpose_not_a_time(sentence, why):
    q = analyse("Why did Croydon improve?")
    assert (answer_type_score(q, sentence) == 1.0) is why


def test_a_purpose_says_why_something_was_done_not_why_a_grade_was_given():
    done = "An improvement board has been set up by the chief executive to oversee the improvement programme."
    assert answer_type_score(analyse("Why was an improvement board set up?"), done) == 1.0
    assert answer_type_score(analyse("Why was Croydon rated inadequate in 2017?"), done) < 1.0


@pytest.mark.parametrize("asked, direct", [
    ("Can you tell me who led the 2024 inspection?", "Who led the 2024 inspection?"),
    ("Hello! Could you please tell me what the areas for improvement were?", "What the areas for improvement were?"),
    ("I'd like to know how many children had an independent visitor", "How many children had an independent visitor"),
    ("Hi, what grade did Croydon get?", "What grade did Croydon get?"),
    ("Could you explain why Croydon was rated inadequate?", "Why Croydon was rated inadequate?"),
    ("Tell me about the 2018 letter", "Tell me about the 2018 letter"),  # an overview, asked as it is
    ("Can you tell me more?", "Can you tell me more?"),
])
def test_a_question_asked_politely_is_the_question_inside(asked, direct):
    assert direct_question(asked) == direct


@pytest.mark.parametrize("text, timeline", [
    ("How has Croydon's grade changed over time?", True),
    ("Give me a timeline of Croydon's Ofsted ratings", True),
    ("What grades has Croydon had?", True),
    ("How did the grade change between 2017 and 2024?", False),  # two years: those two
    ("How has management oversight changed?", False),  # no grade asked
])
def test_every_grade_is_asked_for_when_a_change_of_grade_names_no_year(text, timeline):
    assert analyse(text).timeline is timeline


def test_what_something_makes_possible_is_no_reason_but_what_has_enabled_an_outcome_is():
    q = analyse("Why was help and protection not judged good in 2024?")
    assert answer_type_score(q, "Once held, initial child protection conferences enable effective information-sharing.") < 1.0
    assert answer_type_score(q, "Stability of leadership has enabled the council to deliver good services.") == 1.0


def test_what_the_collection_is_about_is_an_overview_but_what_one_report_is_about_is_not():
    assert analyse("What are these documents about?").overview and analyse("Give me an overview").overview
    assert not analyse("What is the report about?").overview  # one document: what it says of itself


@pytest.mark.parametrize("question, asks", [
    ("What went wrong in 2024?", True), ("What were the main concerns Ofsted raised in 2024?", True),
    ("What were Barnet's strengths?", True), ("What went well?", True),
    ("What's the out-of-hours problem?", False),  # a fault of something named
    ("Is Croydon still inadequate?", False),  # a grade
])
def test_a_question_asking_only_for_the_faults_or_strengths_found_asks_for_the_reports_list_of_them(question, asks):
    assert asks_polar_list(analyse(question)) is asks


def test_who_wrote_a_letter_is_answered_by_its_sign_off_and_only_that_question_is():
    sign_off = "Yours sincerely, Louise Hocking, Her Majesty's Inspector."
    team = "The inspectors were Louise Hocking and Anne Waterman."
    wrote = analyse("Who signed the 2018 letter?")
    assert answer_type_score(wrote, sign_off) == 1.0 and answer_type_score(wrote, team) < 1.0
    assert answer_type_score(analyse("Which inspectors carried out the visit?"), sign_off) < 1.0


@pytest.mark.parametrize("question, scene", [
    ("Did Croydon have an improvement plan in place when Ofsted visited in October 2018?", ["ofsted", "visited", "october"]),
    ("At the October 2018 visit, did Ofsted think Croydon was making the right calls?", ["october", "visit"]),
    # a condition, not a time: what is asked about
    ("How fast do social workers act when they hear a child may be suffering significant harm?", []),
    ("And when did cabinet consider it?", []),
    # which visit, at the end
    ("Did Ofsted have anything good to say about senior leaders at the March 2019 visit?", ["march", "visit"]),
    ("How did Croydon score on help and protection in the 2024 ILACS inspection?", ["ilacs", "inspection"]),
    ("What steps did the council take straight after the 2017 inspection?", []),  # after it: when the steps were
])
def test_a_clause_telling_when_the_inspection_was_sets_the_scene(question, scene):
    assert analyse(question).scene == scene


@pytest.mark.parametrize("question, one", [
    ("Which Croydon service was undergoing an external review in 2018?", True),
    ("Which new team is behind Croydon's strong adoption work?", True),
    ("Which services has Croydon improved most?", False),  # several
    ("Which groups of children did inspectors look at?", False),  # a list
    ("Which staff did adopters praise most, and how did they describe them?", False),  # two questions
])
def test_which_with_a_singular_noun_asks_for_one_thing(question, one):
    assert analyse(question).one is one


def test_who_a_letter_was_sent_to_is_answered_by_its_address_or_its_dear():
    sent_to = analyse("Who was the 2018 letter sent to?")
    assert analyse("To whom was the 2018 letter sent?").kind == "who"
    assert answer_type_score(sent_to, "Eleni Ioannides Interim Executive Director 8 Mint Walk Croydon CR0 1EA") == 1.0
    assert answer_type_score(sent_to, "Dear Ms Ioannides") == 1.0
    assert answer_type_score(sent_to, "The inspectors were Louise Hocking and Anne Waterman.") < 1.0


@pytest.mark.parametrize("question", ["What ratings did Brent receive in 2026?", "What judgements did Ofsted give?",
                                      "How did Ofsted's grading of leadership change between 2017 and 2024?"])
def test_grades_asked_for_in_any_form_ask_for_grades(question):
    assert analyse(question).grade
