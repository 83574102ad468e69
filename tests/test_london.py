"""The London collection's questions, on Croydon's three reports (tests/fixtures/pdf/croydon/).

The three PDFs are indexed as their own collection in a tmp index folder and asked the kind
of question the London set asks (evals/london.py): each report's overall grade and lead
inspector, answered with the right report and page cited. Nothing here needs ../shared.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.settings import load_settings
from evals import london

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pdf" / "croydon"
DOCS = {
    2017: "children's services inspection - 04 september 2017.pdf",
    2020: "children's services inspection - 16 march 2020.pdf",
    2024: "children's services inspection - 03 december 2024.pdf",
}
# What the reports say (checked by hand against the PDFs), and the page where each is printed.
GOLD = {
    2017: {"grade": ("inadequate", 1), "lead": ("Marcie Taylor", 38)},
    2020: {"grade": ("good", 1), "lead": ("Tara Geere", 1)},
    2024: {"grade": ("good", 1), "lead": ("Christine Kennet", 1)},
}
QUESTIONS = {
    ("grade", 2017): "How were children's services in Croydon rated overall by Ofsted in 2017?",
    ("grade", 2020): "What overall effectiveness grade did Ofsted give Croydon in its March 2020 inspection report?",
    ("grade", 2024): "What was the overall judgement of the 2024 Ofsted inspection of Croydon children's services?",
    ("lead", 2017): "Who was the lead inspector of Croydon's 2017 Ofsted inspection?",
    ("lead", 2020): "Which inspector led the 2020 inspection of children's services in Croydon?",
    ("lead", 2024): "Who led Ofsted's inspection of Croydon children's services published in December 2024?",
}


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """The three reports indexed as the collection "croydon-reports" (folder croydon/, as in London)."""
    from assistant.embedding import Embedder
    from assistant.indexing import build_collection
    from assistant.pipeline import forget_engines

    base = tmp_path_factory.mktemp("london")
    shutil.copytree(FIXTURES, base / "data" / "croydon")
    s = load_settings(index_dir=base / "index", uploads_dir=base / "uploads")
    report = build_collection("croydon-reports", [base / "data"], s, Embedder(s.model, s.embed_batch_size))
    assert report.documents == 3 and not report.failed
    yield s
    forget_engines()


def test_gold_is_read_from_the_reports():
    """The set builder finds each answer, and its page, in the report itself."""
    from assistant.loaders import load_document

    for year, name in DOCS.items():
        gold = london.extract(load_document(FIXTURES / name, FIXTURES))
        for kind in ("grade", "lead"):
            assert (gold[kind]["value"], gold[kind]["page"]) == GOLD[year][kind], (year, kind, gold[kind])
            assert london.verify_page(FIXTURES / name, gold[kind]["page"], gold[kind]["quote"])
    assert gold["inspected"] == 2024


def _item(kind: str, year: int):
    from evals.sets import Item

    value, page = GOLD[year][kind]
    pattern = london.name_pattern(value) if kind == "lead" else rf"\b{value}\b"
    return Item(id=f"{kind}-{year}", question=QUESTIONS[kind, year], history=[], answerable=True,
                answer_patterns=[pattern], reference="", evidence=[{"doc": f"croydon/{DOCS[year]}", "quote": value}],
                tags=[f"kind:{kind}", f"gold:{value}", f"page:{page}"])


# Known failure of the learned answer stage (2026-12-07): the 2017 report's grade sentence loses to a
# figure of the same page; strict, so that the day it passes this mark has to go.
KNOWN_WRONG = {("grade", 2017)}


@pytest.mark.parametrize("kind,year", [pytest.param(*k, marks=pytest.mark.xfail(strict=True, reason="known wrong answer"))
                                       if k in KNOWN_WRONG else k for k in sorted(QUESTIONS)])
def test_answers_cite_the_right_report_and_page(collection, kind, year):
    from assistant.pipeline import ask

    item = _item(kind, year)
    answer = ask(item.question, collection="croydon-reports", settings=collection)
    verdict = london.judge(item, answer)
    assert verdict["right_answer"], (answer.answer, verdict["cited"])
    assert verdict["strict"], (answer.answer, verdict["cited"])


def test_judge_needs_the_answer_and_its_citation():
    """The scorer: the first grade stated decides, and the marker after it must cite the gold page."""
    from assistant.types import Answer, Citation

    item = _item("grade", 2020)
    doc = item.evidence[0]["doc"]

    def answer(text, *cites):
        return Answer(question=item.question, answer=text, abstained=False,
                      citations=[Citation(n=i, doc=d, title="", ref="", page=p, text="", score=1.0)
                                 for i, (d, p) in enumerate(cites, start=1)])

    assert london.judge(item, answer("Overall effectiveness: Good [1].", (doc, 1)))["strict"]
    wrong_page = london.judge(item, answer("Overall effectiveness: Good [1].", (doc, 7)))
    assert wrong_page["right_answer"] and not wrong_page["strict"] and not wrong_page["lenient"]
    earlier = london.judge(item, answer("It was judged inadequate in 2017 [1]. Overall effectiveness: Good [2].",
                                        ("croydon/other.pdf", 1), (doc, 1)))
    assert not earlier["right_answer"] and earlier["supported"]
    assert london.judge(item, answer("Requires improvement to be good [1].", (doc, 1)))["right_answer"] is False
