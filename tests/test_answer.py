"""The extractive composer on hand-made passages: which sentences answer, and when to refuse."""

import pytest

from assistant.answer import Vocabulary, _counts, compose, compose_interval
from assistant.questions import analyse, stem
from assistant.settings import Settings
from assistant.types import Chunk, DocumentInfo, Hit

DOC = "report.txt"
DOCS = {DOC: DocumentInfo(doc=DOC, title="Inspection report", date="2024-12-03")}


FILLER = [f"Unrelated filler text number {i} about parks." for i in range(30)]


def compose_over(question, chunks, docs=DOCS, filler=FILLER, threshold=0.2):
    """The answer from `chunks`, retrieved in that order, in a collection padded with `filler` passages."""
    found = [Hit(chunk=c, score=1.0 - 0.01 * i, dense=0.6) for i, c in enumerate(chunks)]
    padding = [Chunk(id=f"x#{i}", doc="x.txt", ref="¶1", text=t) for i, t in enumerate(filler)]
    vocab = Vocabulary(chunks + padding, {d: info.title for d, info in docs.items()})
    return compose(analyse(question), found, vocab, docs, threshold)


def answer(question, *texts, threshold=0.2, filler=FILLER):
    chunks = [Chunk(id=f"{DOC}#{i}", doc=DOC, ref=f"¶{i}", text=t) for i, t in enumerate(texts, 1)]
    return compose_over(question, chunks, filler=filler, threshold=threshold)


def test_a_figure_counts_the_noun_next_to_it():
    head = {stem("carers")}
    assert not _counts(head, "young people remaining with their foster carers; 48 young people were in staying put")
    assert _counts({stem("people")}, "48 young people were in staying put arrangements")
    assert _counts({stem("caseload")}, "an average caseload of 14 to 15 children")
    assert not _counts({stem("leavers")}, "care leavers are supported beyond 21 if required")  # an age
    assert not _counts({stem("leavers")}, "Care leavers aged over 21 years continue to get a service")
    assert _counts({stem("children")}, "Over 60 children now have an independent visitor")
    assert not _counts({stem("children")}, "there is instability for the three teams for local children in care")
    assert _counts({stem("escalation")}, "there have been 27 examples of formal escalation")


def test_a_count_of_what_was_not_asked_about_is_refused():
    population = ("Croydon has the largest child population in London and has 1,000 school-aged children from outside "
                  "the borough who are supported by its education division.")
    # as in any report on children's services, "children" is in most passages: it says little
    common = [f"Children in care number {i} are visited by their social workers." for i in range(30)]
    for figure, refused in ((population, True), ("In 2024, 55 children had an advocate.", False)):
        a = answer("How many children had an advocate in 2024?", figure, "Leaders advocate strongly for children in care.",
                   filler=common)
        assert a.abstained is refused and ("figure" in a.text if refused else "55 children" in a.text), a.text


def test_a_list_item_answers_with_its_list():
    lead = "The inspection team gave verbal feedback on the findings to:\nThe Executive Mayor\nThe Chief Executive\nThe Lead Member\nThe Corporate Director"
    a = answer("Who was given verbal feedback by the inspection team?", lead, "Inspectors visited in October.")
    assert not a.abstained
    for person in ("Executive Mayor", "Chief Executive", "Lead Member", "Corporate Director"):
        assert person in a.text
    lead, *items = a.text.split("\n")
    assert lead.endswith("[1]:") and len(items) == 4 and all(i.startswith("- ") for i in items)


def test_problems_are_answered_by_a_fault():
    a = answer("What did inspectors find wrong with the out-of-hours service?",
               "The out-of-hours service has a new manager and a new office.",
               "The out-of-hours service responds inconsistently to children in emergencies.")
    assert "inconsistently" in a.text.split("[1]")[0]


def test_future_questions_are_refused_without_a_plan():
    a = answer("When is the next inspection due?", "The inspection took place from 14 to 25 October 2024.")
    assert a.abstained and "planned" in a.text


def test_a_share_of_something_else_is_refused():
    a = answer("What percentage of care leavers are in education or training?",
               "Leaders have successfully increased the permanent social care workforce to 80%.",
               "Most care leavers are supported well by their personal advisers.")
    assert a.abstained and "figure" in a.text


def test_an_abbreviation_finds_its_long_form_and_back():
    defined = "Social workers meet independent reviewing officers (IROs) each month."
    finding = "IROs now challenge plans that drift."
    a = answer("What do independent reviewing officers challenge?", defined, "Plans are written with families.", finding)
    assert "challenge plans that drift" in a.text, a.text


def test_a_which_organisation_question_without_any_name_is_refused_saying_so():
    a = answer("Which organisation runs the fostering service?", "The fostering service is run well and carers are supported.",
               threshold=0.0)
    assert a.abstained and "No passage gives a name" in a.text, a.text


def test_a_sentence_that_carries_on_the_answer_comes_with_it():
    a = answer("What was the main worry about permanence for children in care?",
               "Some children in care experience drift and delay in securing permanence. "
               "In particular, this affects children waiting to be formally matched with their carers.",
               "Permanence for children in care is tracked monthly by managers in care panels.")
    first, second = a.text.split(" [1]. ")[:2]
    assert "drift and delay" in first and second.startswith("In particular, this affects children waiting"), a.text


def test_a_plural_abbreviation_matches_its_long_form():
    a = answer("Do personal advisers have too many young people each?",
               "Care leavers are allocated a personal adviser (PA) at 17.",
               "PAs report that they sometimes have responsibility for too many young people.")
    assert "PAs report" in a.text, a.text


def test_two_sentences_opening_alike_are_said_once():
    a = answer("Was practice better for children who came into care recently?",
               "Practice is generally better for children who have come into care more recently, although it is "
               "still not undertaken with sufficient urgency.",
               "Practice is generally better for children who have come into care more recently, although more "
               "urgency is needed to prevent drift in securing permanency.")
    assert a.text.count("Practice is generally better") == 1, a.text


def test_a_grade_for_an_area_the_passages_never_grade_is_refused():
    grades = ("Overall effectiveness – 'Good'\nThe experiences and progress of care leavers – 'Good'\n"
              "The experiences and progress of children in care – 'Good'")
    a = answer("What grade did the youth offending service get in 2024?", grades)
    assert a.abstained and "grade for youth offending" in a.text, a.text
    a = answer("What grade did care leavers' services get in 2024?", grades)
    assert not a.abstained and a.text.startswith("The experiences and progress of care leavers"), a.text


def collection(documents):
    """{name: (title, date, [passage, …])} -> (its documents' infos, their passages in that order)."""
    docs = {d: DocumentInfo(doc=d, title=title, date=date) for d, (title, date, _) in documents.items()}
    chunks = [Chunk(id=f"{d}#{i}", doc=d, ref=f"¶{i}", text=t) for d, (_, _, ts) in documents.items() for i, t in enumerate(ts, 1)]
    return docs, chunks


def compose_by_document(question, documents):
    """The answer from `documents` ({name: (title, date, [passage, …])}), their passages retrieved in that order."""
    docs, chunks = collection(documents)
    return compose_over(question, chunks, docs)


def test_a_comparison_tells_more_of_the_later_year_when_it_answers_as_well():
    a = compose_by_document("Has accommodation for care leavers got better or worse since 2018?", {
        "2018.txt": ("Monitoring letter", "2018-10-30", ["The vast majority of care leavers are in suitable accommodation."]),
        "2024.txt": ("Inspection report", "2024-12-03", [
            "Some care leavers say their accommodation is not always of sufficient quality.",
            "Securing appropriate accommodation for care leavers is a challenge, and some wait too long."])})
    assert a.text.count("(2018)") == 1 and a.text.count("(2024)") == 2, a.text
    assert "suitable" in a.text and "sufficient quality" in a.text and "too long" in a.text


def test_a_sentence_carrying_on_an_extra_one_comes_with_it():
    a = answer("What was the main worry about permanence for children in care?",
               "Trackers of children in care waiting for permanence are not used well by managers.",
               "Some children in care are experiencing drift and delay in securing permanence for them. In particular, "
               "this affects children who have been waiting to be formally matched with their current carer.")
    assert "formally matched" in a.text and a.text.index("drift") < a.text.index("In particular"), a.text


AREAS = Chunk(id=f"{DOC}#9", doc=DOC, ref="¶9", heading="Areas for improvement",
              text="Services to children out of hours.\nConsistency of practitioners.\nWaiting time for early help support.")


def test_how_many_with_no_figure_given_counts_the_list_whose_heading_names_them():
    a = compose_over("How many areas for improvement did inspectors identify?",
                     [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="Inspectors identified strengths in early help."), AREAS])
    assert not a.abstained
    assert a.text.startswith("3, as listed under “Areas for improvement” [1]:\n- Services to children out of hours"), a.text
    assert a.citations[0].ref == "¶9"


def test_how_many_is_not_answered_by_a_list_whose_heading_only_shares_the_verb():
    needs = Chunk(id=f"{DOC}#9", doc=DOC, ref="¶9", heading="What needs to improve?", text=AREAS.text)
    a = compose_over("How many children's homes need to improve?",
                     [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="Children's homes are inspected every year."), needs],
                     threshold=0.0)
    assert a.abstained and "figure" in a.text, a.text


def test_how_many_is_not_answered_by_counting_a_list_about_something_else():
    a = compose_over("How many children were on child protection plans?",
                     [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="Children on child protection plans are visited regularly."), AREAS])
    assert a.abstained and "figure" in a.text, a.text


def test_a_comparison_tells_of_the_same_thing_in_the_later_year():
    a = answer("How well did IROs hold plans to account in 2018 and 2024?",
               "In 2018, IROs were beginning to challenge drifting plans for children.",
               "In 2024, IROs ensure that children's plans are reviewed on time.",
               "In 2024, IROs challenge drifting plans for children strongly.")
    later = a.text.split("[1].", 1)[1]
    assert later.strip().startswith("In 2024, IROs challenge drifting plans"), a.text


def test_a_sentence_cut_off_before_its_end_comes_with_the_line_that_ends_it():
    a = answer("Which priority does the inspection outcome support?",
               "This inspection outcome supports the plan's priority for children and young people to.\n\n"
               "ensure children and young people can learn and fulfil their potential.",
               "Key decision: No.")
    assert "young people to [1]: ensure children and young people can learn" in a.text, a.text

    # a sentence ending on its verb's preposition is whole: nothing is joined to it
    a = answer("Is corporate parenting a strength for care leavers?",
               "Corporate parenting is a strength, with care leavers fully involved and listened to.\n\n"
               "Budget reports to the cabinet are due in the spring.")
    assert a.text.startswith("Corporate parenting is a strength") and "Budget" not in a.text, a.text


# The best answer among passages that share the question's words: (question, passages, how the answer starts)
ANSWERED_BY = [
    pytest.param("What did Cafcass tell inspectors?",
                 ["The family judiciary and police were consulted.",
                  "The Children and Families Court Advisory and Support Service reported a mainly improving picture.",
                  "Cafcass was told of two escalations."],
                 "The Children and Families Court Advisory and Support Service reported",
                 id="a short form finds the long name its initials spell"),
    pytest.param("In which period between the 2020 and 2024 inspections did staff turnover peak?",
                 ["The 2020 inspection found that staff turnover was high in some teams.",
                  "Staff turnover peaked in 2021/22, before a targeted approach improved it.",
                  "In 2024, inspectors found staff turnover had fallen."],
                 "Staff turnover peaked in 2021/22",
                 id="a time between two years is not either year"),
    pytest.param("At what age do care leavers get their health records?",
                 ["Care leavers aged over 21 continue to be offered a service by their personal advisers.",
                  "Most care leavers are given their health histories when they are 18 years old."],
                 "Most care leavers are given their health histories when they are 18",
                 id="an age question is answered by an age, not by the word age"),
    pytest.param("Was a plan in place for children leaving care?",
                 ["Most children leaving care are well placed in homes they chose.",
                  "A plan for children leaving care is written with each of them."],
                 "A plan for children leaving care",
                 id="the place of 'in place' is no place"),
    pytest.param("Do adoptions arranged by the council often break down?",
                 ["Adopters spoke very positively about the support they had from the council.",
                  "There is drift and delay for some children with a plan for adoption.",
                  "This is evident by the fact that adoption disruptions are very rare."],
                 "This is evident by the fact that adoption disruptions are very rare",
                 id="an adoption that breaks down is a disruption, and 'often' is answered by 'rare'"),
    pytest.param("Were care plans for children any good in 2024?",
                 ["A range of evidence was considered during the visit, including care plans for children.",
                  "Care plans for children are clear and up to date in 2024."],
                 "Care plans for children are clear",
                 id="how the inspection was done does not answer a question about findings"),
    pytest.param("Did the council apologise?",
                 ["The council has accepted the findings of the report.",
                  "“I am sorry that our services have not been good enough,” the council's director said."],
                 "“I am sorry",
                 id="the reports' word for an everyday one answers"),
    pytest.param("Who led the most recent inspection?",
                 ["LEAD MEMBER: Councillor Maria Gatland, Lead Member for Children and Young People.",
                  "Lead inspector: Christine Kennet, His Majesty's Inspector."],
                 "Lead inspector: Christine Kennet",
                 id="who led an inspection is answered by its inspector"),
    pytest.param("What were the strengths of the service in 2024?",
                 ["The gradings for the judgement areas in 2024 were as follows:\n"
                  "Overall effectiveness: Good.\nHelp and protection: Requires improvement to be good.\n"
                  "Children in care: Good.",
                  "A number of strengths of the service were identified in 2024:",
                  "In 2024, later-life letters for children in care are a real strength of the service."],
                 "In 2024, later-life letters",
                 id="a lead-in whose list is not in its passage says nothing"),
    pytest.param("What were the strengths of the service?",
                 ["The service was judged as follows:\nOverall effectiveness of the service: Good.\n"
                  "Help and protection in the service: Requires improvement to be good.\nChildren in care in the service: Good.",
                  "Later-life letters are a real strength."],
                 "Later-life letters are a real strength",
                 id="a list that does not say it lists strengths does not answer what the strengths were"),
    pytest.param("When did cabinet consider the Ofsted report?",
                 ["The Ofsted inspection of children's services concluded on 25th October 2024.",
                  "REPORT: Cabinet.\nDATE OF DECISION: 4th December 2024."],
                 "DATE OF DECISION: 4th December 2024",
                 id="when a council body met on a paper is its own date of decision, not a date the paper reports"),
    pytest.param("What part of the service did the monitoring visit look at?",
                 ["This letter summarises the findings of the monitoring visit to the service.",
                  "Staff report feeling more fully part of the whole service for children in care.",
                  "During this visit, inspectors reviewed the progress made for children in care, including permanence planning."],
                 "During this visit, inspectors reviewed",
                 id="what a visit looked at is what it says it covered, not a finding sharing the question's words"),
]


@pytest.mark.parametrize("question, passages, start", ANSWERED_BY)
def test_the_answer_is_the_passage_that_answers(question, passages, start):
    a = answer(question, *passages)
    assert a.text.startswith(start), a.text


def test_a_capital_short_form_finds_the_words_written_out_in_lower_case():
    a = answer("Are care leavers given their NHS numbers?",
               "Care leavers are offered help with housing by their personal advisers.",
               "Their national health service numbers are included in pathway plans.")
    assert not a.abstained and a.text.startswith("Their national health service numbers"), a.text
    # a short form nothing spells out is still something the collection never mentions
    assert "never mentions NSPCC" in answer("What did the NSPCC say about care leavers?",
                                            "Their national health service numbers are included in pathway plans.").text


@pytest.mark.parametrize("question, first, further, left_out", [
    # about the letter itself
    ("Were the findings of the visit good for children in care?",
     "Children in care are visited frequently, and they have an appropriate care plan.",
     "This letter summarises the findings of the monitoring visit to children in care services.", "This letter"),
    # a reason given: more sentences must give reasons too
    ("Why does the report put so much weight on the care leavers judgement?",
     "The experiences and progress of care leavers must be good for overall effectiveness to be judged good.",
     "Care leavers are supported to stay put with their former foster carers, and the care leavers judgement matters to them.",
     "stay put"),
    # what the visit covered given: more sentences must say what it covered too
    ("What did the 2018 monitoring visit look at?",
     "During this visit, inspectors reviewed the progress made for children in care in 2018.",
     "The 2018 monitoring visit found that children in care are visited often.", "visited often"),
    # the evidence a visit drew on given: more sentences must tell more of it, not what was found
    ("What sources of evidence did the inspectors draw on for the monitoring visit?",
     "A range of evidence was considered during the visit, including case records and meetings with social workers.",
     "Progress can be seen in management oversight, with management involvement evident on all case records seen by inspectors.",
     "Progress"),
    # the statement a yes/no question asks about is made: another passage only blurs it
    ("Are caseloads manageable now?",
     "Overall, caseloads are manageable, allowing social workers to undertake effective work.",
     "Increased caseloads in 2021 required a targeted approach to ensure caseloads were manageable for staff.", "2021"),
    # the focus said as a phrase: another passage holding its words apart is about something else
    ("What did inspectors say about management oversight?",
     "Progress can be seen in management oversight, with management involvement evident on case records.",
     "Improvements to the audit process are assisting senior managers in their oversight of children's experiences.",
     "audit"),
])
def test_a_further_sentence_that_does_not_answer_as_the_first_does_is_left_out(question, first, further, left_out):
    a = answer(question, first, further)
    assert a.text.startswith(first.rstrip(".")) and left_out not in a.text, a.text


def test_a_follow_up_goes_on_from_the_sentence_just_said():
    chunks = [Chunk(id=f"{DOC}#{i}", doc=DOC, ref=f"¶{i}", text=t) for i, t in enumerate([
        "A small number of children have waited too long to be matched with long-term foster carers.",
        "Support provided to children who are privately fostered is appropriate. However, when police checks "
        "are delayed, a lack of safety plans limits the assurance of children's safety."], 1)]
    q = analyse("Was there any weak spot (support for privately fostered children)?", "Was there any weak spot?")
    q.answered = "Ofsted found the support provided to privately fostered children appropriate."
    a = _compose_found(q, chunks, chunks)
    assert a.text.startswith("However, when police checks are delayed"), a.text


def test_asked_what_went_wrong_every_sentence_finds_a_fault():
    a = answer("What staffing problems did the inspectors highlight?",
               "Inspectors found that workloads in staffing teams are high, a serious barrier.",
               "Inspectors highlighted that staffing teams have been given further funding.",
               "Inspectors found that staffing turnover in many teams further inhibits relationships.")
    assert a.text.startswith("Inspectors found that workloads"), a.text
    assert "turnover" in a.text and "funding" not in a.text, a.text  # what was done about it is no fault


def test_asked_only_what_went_wrong_a_fault_found_is_the_answer():
    # "wrong" is written nowhere: a sentence finding a fault holds it, at the shipped refusal threshold
    a = answer("What went wrong?",
               "The council welcomed the new director.",
               "Inspectors uncovered widespread and serious failures in the services provided to children.",
               threshold=Settings().abstain_threshold)
    assert not a.abstained and a.text.startswith("Inspectors uncovered widespread"), a.text


def _section(lead_in, items, heading="Leaders"):
    """A lead-in closing its passage, then one passage per item, all under one heading."""
    texts = [lead_in, *items, "Inspectors visited in October and met social workers."]
    return [Chunk(id=f"{DOC}#{i}", doc=DOC, ref=f"¶{i}", text=t, heading=heading if i <= len(items) else "Visit")
            for i, t in enumerate(texts)]


def _compose_found(question, chunks, found):
    """The answer when only `found` of the collection's `chunks` were retrieved (`question`: text, or
    an analysed follow-up)."""
    padding = [Chunk(id=f"x#{i}", doc="x.txt", ref="¶1", text=t) for i, t in enumerate(FILLER)]
    vocab = Vocabulary(chunks + padding, {DOC: DOCS[DOC].title})
    hits = [Hit(chunk=c, score=1.0 - 0.01 * i, dense=0.6) for i, c in enumerate(found)]
    return compose(analyse(question) if isinstance(question, str) else question, hits, vocab, DOCS, 0.2)


STRENGTHS = ["Stability of leadership at senior level has enabled the council to deliver good services for most children.",
             "Corporate parenting is a strength, with care leavers fully involved and listened to.",
             "Peer reviews have shaped plans, and leaders have implemented recommendations for stronger practice.",
             "Supervision and management oversight on case files have improved and are strong."]


def test_a_lead_in_closing_its_passage_answers_with_the_items_in_the_passages_after_it():
    chunks = _section("A number of strengths were identified in this domain:", STRENGTHS)
    a = _compose_found("What strengths were identified?", chunks, [chunks[0], chunks[5], chunks[2]])
    lead, *items = a.text.split("\n")
    assert lead == "A number of strengths were identified in this domain [1]:", a.text
    assert [i[:20] for i in items] == [f"- {s[:18]}" for s in STRENGTHS], a.text
    assert [c.chunk_id for c in a.citations] == [f"{DOC}#{i}" for i in range(5)]  # each item cites its own passage


def test_a_list_of_items_too_long_to_give_three_is_not_answered_as_a_list():
    long_items = [f"{s} " + " ".join(["More detail on this area of practice follows here."] * 9) for s in STRENGTHS]
    chunks = _section("A number of strengths were identified in this domain:", long_items)
    a = _compose_found("What strengths were identified?", chunks, chunks)
    assert "domain" not in a.text and "strength" in a.text, a.text  # the sentences that answer, not a lead-in to one item


def test_a_lead_in_is_never_a_further_sentence():
    chunks = _section("Several strengths of leaders were noted by inspectors in this domain:",
                      [" ".join([s] * 8) for s in STRENGTHS])
    a = _compose_found("What strengths of leaders did inspectors note?", chunks, chunks)
    assert "domain" not in a.text, a.text


def test_a_time_without_its_year_is_told_with_the_year_of_its_source():
    a = answer("When does the new director take up the post?",
               "The new director has been appointed and takes up the post in December.")
    assert a.text.startswith("(2024) The new director"), a.text  # December of the report's year
    dated = answer("When does the new director take up the post?",
                   "The new director takes up the post in December 2024.")
    assert dated.text.startswith("The new director"), dated.text  # its own year says it


def test_a_when_question_is_answered_by_one_time_not_by_other_dated_sentences():
    a = answer("When does the permanent director take up the post?",
               "A permanent director has been appointed and takes up the post in December 2024.",
               "The permanent director post was advertised in May 2024 and interviews took place in June 2024.")
    assert a.text.startswith("A permanent director") and len(a.citations) == 1, a.text


def test_a_time_said_relative_to_the_source_answers_when_and_is_told_with_its_year():
    a = answer("When did the council identify the need for improvements?",
               "The 2020 inspection report identified areas for improvement in help and protection.",
               "We identified the need for improvements last year, but the changes have not had the impact we wanted.")
    assert a.text.startswith("(2024) We identified the need for improvements last year"), a.text


def test_a_follow_ups_further_sentence_does_not_say_again_what_was_just_said():
    chunks = [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="Waiting time for early help support."),
              Chunk(id=f"{DOC}#2", doc=DOC, ref="¶2", text="Some children wait too long for early help support to begin.")]
    q = analyse("And waiting time for early help support?")
    q.answered = "Waiting time for early help support"
    a = _compose_found(q, chunks, chunks)
    assert a.text.startswith("Some children wait too long") and "support [" not in a.text.split("[1]", 1)[1], a.text


def test_why_after_an_answer_is_not_answered_by_saying_it_again():
    chunks = [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="Inspectors rated child protection services and leadership as inadequate."),
              Chunk(id=f"{DOC}#2", doc=DOC, ref="¶2", text="Leadership was weak because managers did not oversee the work of social workers.")]
    q = analyse("Why (rated leadership: Inspectors rated child protection services and leadership as inadequate)?", "Why?")
    q.answered = "Inspectors rated child protection services and leadership as inadequate"
    a = _compose_found(q, chunks, chunks)
    assert a.text.startswith("Leadership was weak because"), a.text


def test_a_follow_up_on_an_item_of_the_list_just_given_is_not_answered_by_that_list():
    chunks = [Chunk(id=f"{DOC}#1", doc=DOC, ref="¶1", text="This included the experiences of:\nchildren who had recently become looked after\n"
                    "children who had been in care for more than 12 months\ncare leavers\nchildren placed at a distance"),
              Chunk(id=f"{DOC}#2", doc=DOC, ref="¶2", text="Practice is generally better for children who have come into care "
                    "more recently, although it is still not undertaken with sufficient urgency.")]
    q = analyse("How were things for children who had recently become looked after?")
    q.answered = q.item = "children who had recently become looked after"
    a = _compose_found(q, chunks, chunks)
    assert a.text.startswith("Practice is generally better"), a.text


def test_a_list_item_cut_from_its_lead_in_is_never_a_further_sentence():
    a = answer("How does the council keep vulnerable children safe from harm?",
               "Vulnerable children at risk of harm receive robust support that keeps them safe.",
               "The priority for the council is to.\nmake the borough safer for children.\n"
               "work closely with police to keep vulnerable children safe from harm.")
    assert "robust support" in a.text and "work closely" not in a.text, a.text


def test_a_grade_asked_for_an_area_in_other_words_is_the_areas_grade():
    a = answer("What grade did leadership get in 2024?",
               "The impact of leaders on social work practice with children and families: Good.",
               "The experiences and progress of care leavers: Good.")
    assert not a.abstained and "impact of leaders" in a.text, a.text


def test_the_purpose_of_a_report_is_what_it_says_of_itself():
    a = answer("What was the purpose of the cabinet report?",
               "Care leavers benefit from strong, effective and purposeful relationships with their advisers.",
               "This report advises Cabinet of the outcome of the inspection of children's services.")
    assert a.text.startswith("This report advises Cabinet"), a.text


def test_the_latest_grade_of_a_named_place_is_from_its_own_newest_report_not_the_collections_newest():
    docs = {"barnet-2019.pdf": DocumentInfo(doc="barnet-2019.pdf", title="Ofsted inspection of Barnet children's services", date="2019-07-01"),
            "barnet-2024.pdf": DocumentInfo(doc="barnet-2024.pdf", title="Ofsted inspection of Barnet children's services", date="2024-07-23"),
            "brent-2026.pdf": DocumentInfo(doc="brent-2026.pdf", title="Ofsted inspection of Brent children's services", date="2026-02-01")}
    chunks = [Chunk(id="brent-2026.pdf#1", doc="brent-2026.pdf", ref="p. 1", text="Overall effectiveness: Outstanding."),
              Chunk(id="barnet-2019.pdf#1", doc="barnet-2019.pdf", ref="p. 1", text="Overall effectiveness: Outstanding."),
              Chunk(id="barnet-2024.pdf#1", doc="barnet-2024.pdf", ref="p. 1", text="Overall effectiveness: Good.")]
    composed = compose_over("Is Barnet still rated good?", chunks, docs=docs)
    assert composed.text.startswith("Yes: Overall effectiveness: Good") and composed.citations[0].doc == "barnet-2024.pdf", composed.text


def test_a_comparison_of_an_areas_grades_gives_that_areas_grade_not_the_overall_one():
    a = compose_by_document("How did Ofsted's grading of Croydon's leadership change between 2017 and 2024?", {
        "2017.txt": ("News", "2017-09-20", ["The report rated both child protection services and leadership as 'inadequate'."]),
        "2024.txt": ("Cabinet report", "2024-12-03", [
            "Ofsted's inspection of Croydon judged the Council's services for children as 'good', retaining the grade.",
            "The impact of leaders on social work practice with children and families: Good."])})
    assert "(2017)" in a.text and "(2024) The impact of leaders" in a.text and "retaining" not in a.text, a.text


def test_grades_asked_for_are_the_grades_of_the_table_not_its_dates_and_inspectors():
    chunk = Chunk(id=f"{DOC}#1", doc=DOC, ref="p. 1", heading="Inspection of Barnet local authority children's services",
                  text="Inspection dates: 10 to 14 June 2024\nLead inspector: Naintara Khosla\nJudgement: Grade\n"
                       "The experiences and progress of children in care: Outstanding\n"
                       "The experiences and progress of care leavers: Good\nOverall effectiveness: Good")
    a = compose_over("What grades did Barnet get in 2024?", [chunk])
    items = [ln.split(":")[0] for ln in a.text.splitlines() if ln.startswith("- ")]
    assert items == ["- The experiences and progress of children in care", "- The experiences and progress of care leavers",
                     "- Overall effectiveness"], a.text
    # however long the lines before the grades, the grades are what the words are spent on
    notes = "\n".join(f"Note {i}: " + "the inspection looked at many records and spoke with many staff " * 2 for i in range(8))
    long = Chunk(id=f"{DOC}#2", doc=DOC, ref="p. 1", heading=chunk.heading, text=f"{notes}\n{chunk.text}")
    items = [ln for ln in compose_over("What ratings did Barnet get in 2024?", [long]).text.splitlines() if ln.startswith("- ")]
    assert len(items) == 3 and items[-1].startswith("- Overall effectiveness: Good"), items


def test_the_name_of_whose_report_it_is_in_a_heading_does_not_name_a_list():
    grades = Chunk(id=f"{DOC}#1", doc=DOC, ref="p. 1", heading="Inspection of Barnet local authority children's services",
                   text="Inspection dates: 10 to 14 June 2024\nLead inspector: Naintara Khosla\nOverall effectiveness: Good")
    praise = Chunk(id=f"{DOC}#2", doc=DOC, ref="p. 2", heading="Inspection of Barnet local authority children's services",
                   text="Barnet staff are skilled, tenacious and passionate in their work with children.")
    filler = FILLER + [f"Strengths of park number {i}." for i in range(3)]
    a = compose_over("What were Barnet's strengths in 2024?", [grades, praise], filler=filler)
    assert a.text.startswith("Barnet staff are skilled"), a.text


@pytest.mark.parametrize("question, found_first, answers, left_out", [
    # the clause saying when weighs less than what is asked
    ("Did Croydon have an improvement plan in place when Ofsted visited in October 2018?",
     "This letter summarises the findings of the visit Ofsted made to Croydon in October 2018.",
     "The work under way includes a targeted improvement plan for the current year.", "This letter"),
    # one thing asked for: one sentence
    ("Which Croydon service was undergoing an external review at the time of the visit?",
     "The Croydon monitoring visit was the fourth, and inspectors reviewed many services.",
     "The work includes external reviews of specific services, such as the Croydon fostering service.", "fourth"),
])
def test_the_sentence_that_answers_is_the_answer_alone(question, found_first, answers, left_out):
    a = compose_by_document(question, {"2018.txt": ("Monitoring letter", "2018-10-30", [found_first, answers])})
    assert a.text.startswith(answers.rstrip(".")) and left_out not in a.text, a.text


def test_a_yes_no_question_is_answered_first_by_the_sentence_saying_what_it_asks():
    a = answer("Are caseloads manageable now?",
               "The legacy of high turnover required a targeted approach to ensure caseloads were manageable for staff.",
               "Overall, caseloads are manageable, allowing social workers to undertake effective work.")
    assert a.text.startswith("Overall, caseloads are manageable"), a.text


def test_asked_what_ofsted_thought_an_officials_quoted_words_do_not_answer():
    # a news story quotes the council's director over two paragraphs, each a passage
    a = answer("Did Ofsted think children were at risk of harm?",
               "Ofsted's report was published today. The council's director said: “We did not think children were at risk of harm.",
               "“We think the council did all it could,” she added.",
               "Ofsted inspectors said that failures leave some children at risk of harm.")
    assert a.text.startswith("Ofsted inspectors said"), a.text
    # the same words are the answer when they are the inspectors' own
    a = answer("Did Ofsted think children were at risk of harm?",
               "“Some children are at risk of harm and the council has not acted,” Ofsted inspectors found.",
               "Children at risk of harm are reviewed by social workers each week.")
    assert a.text.startswith("“Some children are at risk"), a.text


def test_how_long_from_one_grade_to_another_is_the_time_between_the_first_of_each():
    docs, chunks = collection({
        "letter.txt": ("Monitoring letter", "2018-10-30", ["The visit was the fourth since Croydon was judged inadequate in September 2017."]),
        "cabinet.txt": ("Cabinet report", "2024-12-04", [
            "Croydon was judged 'good' in October 2024, retaining the grade from the previous judgement in March 2020."])})
    vocab = Vocabulary(chunks, {d: info.title for d, info in docs.items()})
    hits = [Hit(chunk=c, score=1.0, dense=0.6) for c in chunks]
    a = compose_interval(analyse("How long did it take Croydon to go from inadequate to good?"), hits, [], vocab, docs)
    assert a.text.startswith("2 years and 6 months: from September 2017 (inadequate) to March 2020 (good) [1, 2]."), a.text
    assert [c.doc for c in a.citations] == ["letter.txt", "cabinet.txt"]
    # each report's own verdict is dated by the report; a grade never given leaves nothing to measure
    reports, verdicts = collection({"2017.txt": ("Inspection of Barnet", "2017-07-07", ["Children's services in Barnet are inadequate."]),
                                    "2019.txt": ("Inspection of Barnet", "2019-07-01", ["Overall effectiveness: Good."])})
    vocab = Vocabulary(verdicts, {d: info.title for d, info in reports.items()})
    per_doc = [(analyse(f"What overall grade did Barnet get in {c.doc[:4]}?"), [Hit(chunk=c, score=1.0, dense=0.6)]) for c in verdicts]
    a = compose_interval(analyse("How long did it take Barnet to go from inadequate to good?"), [], per_doc, vocab, reports)
    assert a.text.startswith("2 years: from July 2017 (inadequate) to July 2019 (good)"), a.text
    assert compose_interval(analyse("How long did it take Barnet to go from good to outstanding?"), [], per_doc, vocab, reports) is None
