"""End to end through ask(): real questions on the default corpus, the answer and the paragraph it cites."""

import re

import pytest

from assistant import ask
from assistant.answer import CANNOT_ANSWER

CABINET = "2024-12-croydon-cabinet-report-ofsted-outcome.txt"
LETTER = "2018-10-ofsted-monitoring-letter.txt"
COMMUNITY_CARE = "2019-05-community-care-camden-peer-support.txt"

CASES = [
    # question, words the answer must hold, cited doc, words the cited passage holds
    ("Who led the 2024 inspection?", ["Christine Kennet"], CABINET, "Lead inspector"),
    ("How many young people were in staying put arrangements in 2018?", ["48"], LETTER, "staying put"),
    pytest.param("What was the agency rate at Croydon in 2019?", ["41%"], COMMUNITY_CARE, "agency", marks=pytest.mark.xfail(
        strict=True, reason="a false refusal: the question-level model puts it at 0.31 answerable, below the 0.33 "
                            "at which it refuses (python -m evals fit, 22f8d09)")),
    ("What proportion of the social care workforce is permanent?", ["80%"], CABINET, "80%"),
    ("What is the name of Croydon's app for care leavers?", ["Croydon Cares"], CABINET, "app"),
]


@pytest.fixture(scope="module")
def settings(store_settings):
    return store_settings  # the index files, then PostgreSQL


@pytest.mark.parametrize("question, must, doc, passage", CASES)
def test_answers_cite_the_paragraph(settings, question, must, doc, passage):
    a = ask(question, settings=settings)
    assert not a.abstained, a.answer
    for m in must:
        assert m in a.answer, a.answer
    first = a.citations[0]
    assert first.doc == doc and passage in first.text, a.to_dict()


def test_contract_of_to_dict(settings):
    d = ask("Who led the 2024 inspection?", history=None, collection=None, settings=settings).to_dict()
    assert {"question", "answer", "abstained", "citations", "query", "confidence", "timings", "turn"} <= set(d)
    c = d["citations"][0]
    assert {"n", "doc", "title", "ref", "page", "text", "score"} <= set(c)
    assert c["n"] == 1 and isinstance(c["score"], float) and c["page"] is None
    # every marker in the answer points at a citation
    assert {int(n) for n in re.findall(r"\[(\d+)\]", d["answer"])} == {c["n"] for c in d["citations"]}
    assert d["turn"]["question"] == "Who led the 2024 inspection?" and d["turn"]["years"] == [2024]
    assert d["turn"]["cited"] == [c["chunk_id"] for c in d["citations"]]


@pytest.mark.parametrize("question", ["What is the capital of France?", "How do I bake sourdough bread?"])
def test_refuses_what_the_collection_does_not_say(settings, question):
    a = ask(question, settings=settings)
    assert a.abstained and a.answer.startswith(CANNOT_ANSWER) and not a.citations, a.answer


def test_a_follow_up_is_answered_in_the_conversation(settings):
    first = ask("Who led the 2024 inspection?", settings=settings)
    history = [{"role": "user", "content": "Who led the 2024 inspection?"},
               {"role": "assistant", "content": first.answer, "turn": first.turn}]
    a = ask("When did it take place?", history=history, settings=settings)
    assert not a.abstained and "October 2024" in a.answer, a.answer
    assert "2024" in a.query  # what it carried from the turn before is what was searched
    # the same from plain chat messages, without the structured turn
    plain = ask("When did it take place?", history=[{"role": "user", "content": "Who led the 2024 inspection?"},
                                                   {"role": "assistant", "content": first.answer}], settings=settings)
    assert plain.answer == a.answer


def test_a_misspelt_question_is_answered_as_meant(settings):
    a = ask("Who led the 2024 inspecton?", settings=settings)
    assert "Christine Kennet" in a.answer and "inspecton" not in a.query  # searched as the collection spells it


@pytest.mark.parametrize("bad", ["", "   ", "\n\t"])
def test_empty_question_is_a_value_error(settings, bad):
    with pytest.raises(ValueError, match="empty"):
        ask(bad, settings=settings)


def test_generative_mode_over_loopback_http(settings):
    from tests.llm_server import LLMServer

    with LLMServer() as server:
        server.script("The lead inspector was Christine Kennet [1].")
        s = settings.replace(llm_base_url=server.base_url, llm_model="test-model")
        a = ask("Who led the 2024 inspection?", settings=s)
        assert a.mode == "generative", a.to_dict()
        assert "Christine Kennet" in a.answer and a.citations[0].doc == CABINET
        sent = server.requests[0].messages
        assert any("<passage" in m["content"] for m in sent)


def test_questions_asked_at_once_from_several_threads_get_the_answers_asked_one_by_one(settings):
    from concurrent.futures import ThreadPoolExecutor

    asked = [case.values[0] if hasattr(case, "values") else case[0] for case in CASES] + ["What did inspectors say about care leavers?", "What is the capital of France?"]
    one_by_one = [ask(q, settings=settings) for q in asked]
    with ThreadPoolExecutor(max_workers=4) as pool:
        at_once = list(pool.map(lambda q: ask(q, settings=settings), asked * 3))
    for a, b in zip(one_by_one * 3, at_once):
        assert (b.answer, b.abstained, [c.chunk_id for c in b.citations]) == \
               (a.answer, a.abstained, [c.chunk_id for c in a.citations])


def test_a_question_searches_the_reports_its_names_pick_though_it_names_their_common_author():
    from assistant.pipeline import named_in_titles
    from assistant.questions import analyse
    from assistant.types import DocumentInfo

    titles = {f"{b.lower()}/{y}.pdf": f"Ofsted inspection of {b} local authority children's services ({y})"
              for b in ("Havering", "Harrow", "Camden") for y in (2016, 2024)}
    documents = {d: DocumentInfo(d, t) for d, t in titles.items()}
    for borough in ("Havering", "Harrow"):  # spaCy tags one a number, the other "Harrow children's"
        q = analyse(f"Who led Ofsted's inspection of {borough} children's services published in February 2024?")
        assert named_in_titles(q, documents) == {f"{borough.lower()}/2016.pdf", f"{borough.lower()}/2024.pdf"}, q.names
    assert named_in_titles(analyse("What did Ofsted find?"), documents) == set()  # every report is Ofsted's
