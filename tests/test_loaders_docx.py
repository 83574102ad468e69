"""Word documents, built here with python-docx the way a council officer would write one."""

from __future__ import annotations

import copy
import datetime
import io
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from assistant.loaders import LoadError, load_document

PRIORITIES = [
    "Improve the out-of-hours service so that every call about a child in an emergency is answered and recorded.",
    "Reduce the waiting time for early help support so that no family waits more than four weeks for a first visit.",
    "Increase the number of homes for children in care and care leavers in the borough by opening two children's homes.",
]


def _plan() -> docx.document.Document:
    d = docx.Document()
    props = d.core_properties
    props.title = "Children's services improvement plan 2025"
    props.author = "London Borough of Croydon"
    props.created = datetime.datetime(2025, 3, 14, 10, 0)
    d.add_heading("Children's services improvement plan", 0)
    d.add_paragraph(
        "This plan sets out how the council will respond to the findings of the Ofsted inspection "
        "published in December 2024."
    )
    d.add_heading("Priorities", 1)
    for text in PRIORITIES:
        d.add_paragraph(text, style="List Number")  # Word numbers these itself: "1." is not in the text
    d.add_paragraph("The first actions are:")
    d.add_paragraph("recruit twelve more permanent social workers", style="List Bullet")
    d.add_paragraph("open a second family hub in the north of the borough", style="List Bullet")
    d.add_paragraph("with a drop-in clinic on Saturdays", style="List Bullet 2")
    d.add_heading("Inspection judgements", 1)
    table = d.add_table(rows=3, cols=2)
    for r, (a, b) in enumerate([("Judgement", "Grade"), ("Overall effectiveness", "Good"), ("Care leavers:", "Good")]):
        table.cell(r, 0).text, table.cell(r, 1).text = a, b
    d.add_heading("Governance", 1)
    d.add_paragraph("The improvement board will meet monthly and publish its minutes on the council's website.")
    section = d.sections[0]
    section.header.paragraphs[0].text = "OFFICIAL - running header"
    section.footer.paragraphs[0].text = "Improvement plan - page footer"
    return d


def _save(d, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    d.save(str(path))
    return path


@pytest.fixture()
def plan(tmp_path):
    return load_document(_save(_plan(), tmp_path / "plans" / "improvement plan.docx"), tmp_path)


def test_metadata_from_core_properties(plan):
    info = plan.info
    assert info.title == "Children's services improvement plan 2025"
    assert info.publisher == "London Borough of Croydon"
    assert info.date == "2025-03-14"
    assert info.doc == "plans/improvement plan.docx"


def test_headings_give_context_not_paragraphs(plan):
    texts = [p.text for p in plan.paragraphs]
    assert "Priorities" not in texts and "Governance" not in texts
    gov = [p for p in plan.paragraphs if p.text.startswith("The improvement board")]
    assert gov[0].heading == "Governance"


def test_word_numbering_becomes_the_reference(plan):
    numbered = [p for p in plan.paragraphs if p.heading == "Priorities" and p.text in PRIORITIES]
    assert [(p.ref, p.text) for p in numbered] == [(f"¶{i}", t) for i, t in enumerate(PRIORITIES, start=1)]


def test_bullets_and_sub_bullets_are_their_own_paragraphs(plan):
    texts = [p.text for p in plan.paragraphs]
    assert "recruit twelve more permanent social workers" in texts
    assert "with a drop-in clinic on Saturdays" in texts


def test_table_rows_read_as_sentences(plan):
    texts = [p.text for p in plan.paragraphs]
    assert "Overall effectiveness: Good." in texts
    assert "Care leavers: Good." in texts  # the cell's own colon is not doubled


def test_headers_and_footers_are_not_content(plan):
    assert not [p for p in plan.paragraphs if "running header" in p.text or "page footer" in p.text]


def test_template_defaults_are_not_metadata(tmp_path):
    d = docx.Document()  # python-docx's template says author "python-docx", created 2013
    d.add_paragraph("Notes of the corporate parenting panel held on 3 June 2025 at the town hall.")
    info = load_document(_save(d, tmp_path / "notes.docx"), tmp_path).info
    assert (info.publisher, info.date) == ("", "")


def test_letter_is_recognised(tmp_path):
    d = docx.Document()
    d.add_paragraph("Dear Ms Smith,")
    d.add_paragraph("Thank you for your letter about the inspection of children's services in Croydon.")
    assert load_document(_save(d, tmp_path / "reply.docx"), tmp_path).info.kind == "letter"


def test_pages_from_words_last_layout(tmp_path):
    # Word records where it last broke pages; a paragraph after the break is on page 2.
    d = _plan()
    target = next(p for p in d.paragraphs if p.text.startswith("The improvement board"))
    run = target.runs[0]._r
    run.insert(0, copy.deepcopy(run.makeelement(qn("w:lastRenderedPageBreak"), {})))
    doc = load_document(_save(d, tmp_path / "plan.docx"), tmp_path)
    gov = next(p for p in doc.paragraphs if p.text.startswith("The improvement board"))
    assert (gov.page, gov.ref) == (2, "p. 2 ¶1")
    assert doc.paragraphs[0].page == 1


def test_corrupt_word_document_is_refused(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document>not really</w:document>")
    path = tmp_path / "broken.docx"
    path.write_bytes(buf.getvalue())
    with pytest.raises(LoadError) as err:
        load_document(path, tmp_path)
    assert err.value.reason.startswith("corrupt Word document")
