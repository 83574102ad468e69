"""Paragraph repair on the seeds' real flaws, and the references a person would look up."""

from pathlib import Path

import pytest

from assistant.loaders import load_document, read_catalogue
from assistant.loaders.structure import Block, to_paragraphs
from assistant.loaders.text import text_blocks

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
LETTER = "2018-10-ofsted-monitoring-letter.txt"
CABINET = "2024-12-croydon-cabinet-report-ofsted-outcome.txt"
NEWS_2017 = "2017-09-news-government-takes-control.txt"
NEWS_2018 = "2018-11-news-croydon-making-progress.txt"
COMMUNITY_CARE = "2019-05-community-care-camden-peer-support.txt"


@pytest.fixture(scope="module")
def docs():
    cat = read_catalogue(CORPUS)
    return {p.name: load_document(p, CORPUS, cat) for p in sorted(CORPUS.glob("*.txt"))}


def para(doc, start):
    return next(p for p in doc.paragraphs if p.text.startswith(start))


def test_hard_wrapped_letter_is_rejoined_into_paragraphs(docs):
    p = para(docs[LETTER], "This letter summarises the findings")
    assert "Croydon children’s services on 3 and 4 October 2018" in p.text
    assert p.text.endswith("Tracey Nurse, Ofsted Inspector.")
    # An indented line after a full stop starts a new paragraph; one mid-sentence does not.
    evidence = para(docs[LETTER], "A range of evidence was considered")
    assert evidence.text.startswith("A range of evidence")
    visitors = para(docs[LETTER], "IROs are beginning")
    assert "40 new independent visitors recruited in 2018, compared to 15 in 2017" in visitors.text


@pytest.mark.parametrize("number, tail", [("5", "through a weekly review meeting."),
                                          ("29", "cannot continue living at home."),
                                          ("56", "supporting their progress into training and employment.")])
def test_paragraphs_split_by_a_page_break_are_joined(docs, number, tail):
    p = next(p for p in docs[CABINET].paragraphs if p.ref == f"¶{number}")
    assert p.text.endswith(tail)
    assert "  " not in p.text


def test_numbered_references(docs):
    cabinet = docs[CABINET]
    refs = [p.ref for p in cabinet.paragraphs]
    assert [f"¶{n}" for n in range(1, 66)] == [r for r in refs if r.startswith("¶") and r[1:].isdigit()]
    p41 = next(p for p in cabinet.paragraphs if p.ref == "¶41")
    assert p41.text.startswith("The experiences and progress of care leavers have significantly improved")
    assert p41.heading == "The experiences and progress of care leavers: good"
    p412 = next(p for p in cabinet.paragraphs if p.ref == "§4.12")
    assert "present as homeless" in p412.text
    # A short numbered list inside 4.16 belongs to 4.16, it is not paragraph 1 to 4 of the report.
    assert next(p for p in cabinet.paragraphs if p.text.startswith("3. Sufficiency")).ref == "§4.16"


def test_unnumbered_documents_use_ordinals(docs):
    refs = [p.ref for p in docs[NEWS_2017].paragraphs]
    assert refs[:3] == ["¶1", "¶2", "¶3"]


def test_site_footers_and_boilerplate_are_not_content(docs):
    text = "\n".join(p.text for d in docs.values() for p in d.paragraphs)
    for junk in ("Mackman", "More from Community Care", "Comments are closed", "intentionally left blank",
                 "Knowledge Gateway", "Photo: Croydon Council", "regulates and inspects", "Crown copyright"):
        assert junk not in text, junk


def test_a_letters_sign_off_is_one_paragraph_naming_who_signed_it(docs):
    assert docs[LETTER].paragraphs[-1].text == "Yours sincerely, Louise Hocking Her Majesty’s Inspector."
    blocks = [Block("We will visit again in March."), Block("Kind regards,"), Block("Jane Smith"), Block("Director"),
              Block("Croydon monitoring visit")]
    assert [p.text for p in to_paragraphs("x.txt", blocks)][-1] == "Kind regards, Jane Smith, Director, Croydon monitoring visit."


def test_headings_are_context_not_content(docs):
    cc = docs[COMMUNITY_CARE]
    assert all(p.text != "Poor management oversight" for p in cc.paragraphs)
    assert para(cc, "But the visit, which took in").heading == "Poor management oversight"


def test_bullet_glyphs_are_removed():
    paras = to_paragraphs("d.txt", text_blocks("Areas covered:\n\n\uf0b7 children in care\n\n\uf0b7 care leavers.\n\n• adopters\n"))
    texts = [p.text for p in paras]
    assert texts == ["Areas covered:", "children in care", "care leavers.", "adopters"]


def test_tables_become_readable_rows(docs):
    table = para(docs[CABINET], "Judgement: Grade.")
    assert "Overall effectiveness: Good." in table.text
    assert "The experiences and progress of children who need help and protection: Requires improvement to be good." in table.text


def test_catalogue_metadata(docs):
    info = docs[LETTER].info
    assert (info.publisher, info.kind, info.date) == ("Ofsted", "letter", "2018-10-26")
    assert docs[NEWS_2018].info.derived_from == LETTER


def test_page_references_when_pages_are_known():
    blocks = [Block("Intro paragraph that says something useful.", page=3),
              Block("1. A numbered paragraph long enough to count as one of the report's own numbered paragraphs.", page=3),
              Block("Another unnumbered paragraph on the next page here.", page=4)]
    refs = [p.ref for p in to_paragraphs("x.pdf", blocks)]
    assert refs[0] == "p. 3 ¶1" and refs[1] == "p. 3, ¶1"


def test_a_letters_date_line_is_kept_with_the_address_under_it(docs):
    # When the letter was written is citable; joined to the address, the letter's paragraphs keep their numbers.
    first = docs[LETTER].paragraphs[0]
    assert first.ref == "¶1"
    assert first.text.startswith("26 October 2018. Eleni Ioannides Interim Executive Director")


def test_a_date_line_above_a_heading_is_a_paragraph_of_its_own():
    blocks = [Block("4 March 2019"), Block("Monitoring visit to Croydon"), Block("The visit found progress.")]
    assert [(p.text, p.heading) for p in to_paragraphs("x.txt", blocks)] == [
        ("4 March 2019", ""), ("The visit found progress.", "Monitoring visit to Croydon")]
