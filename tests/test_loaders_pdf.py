"""PDF loading on real Ofsted reports, and the broken files users drop in."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pymupdf
import pypdf
import pytest

from assistant.loaders import LoadError, load_document

FIXTURES = Path(__file__).parent / "fixtures" / "pdf"
CROYDON = FIXTURES / "croydon"
R2017 = CROYDON / "children's services inspection - 04 september 2017.pdf"
R2020 = CROYDON / "children's services inspection - 16 march 2020.pdf"
R2024 = CROYDON / "children's services inspection - 03 december 2024.pdf"


@pytest.fixture(scope="module")
def docs():
    return {year: load_document(path, FIXTURES) for year, path in ((2017, R2017), (2020, R2020), (2024, R2024))}


def by_ref(doc, ref):
    found = [p for p in doc.paragraphs if p.ref == ref]
    assert len(found) == 1, f"{ref}: {[p.ref for p in doc.paragraphs]}"
    return found[0]


# --- what a reader cites ----------------------------------------------------


def test_numbered_paragraph_cited_with_its_page(docs):
    p = by_ref(docs[2024], "p. 7, ¶41")
    assert p.page == 7
    assert p.text.startswith("The experiences and progress of care leavers have significantly improved")
    assert p.heading == "The experiences and progress of care leavers: good"
    # The number is the reference, not part of the quoted text.
    assert not p.text.startswith("41")


@pytest.mark.parametrize(
    ("year", "ref", "page", "start"),
    [
        (2017, "p. 29, ¶96", 29, "Croydon is a unique area with very specific challenges"),
        (2017, "p. 7, ¶1", 7, "Ensure that managers have sufficient oversight of practice"),
        (2020, "p. 8, ¶41", 8, "The quality of pathway planning and plans for care leavers is variable"),
    ],
)
def test_older_templates_keep_paragraph_numbers(docs, year, ref, page, start):
    p = by_ref(docs[year], ref)
    assert (p.page, p.text[: len(start)]) == (page, start)


@pytest.mark.parametrize(("year", "last"), [(2017, 131), (2020, 56), (2024, 65)])
def test_every_numbered_paragraph_found_once_in_order(docs, year, last):
    numbers = [int(m[1]) for p in docs[year].paragraphs if (m := re.search(r", ¶(\d+)$", p.ref))]
    assert numbers == list(range(1, last + 1))


def test_paragraph_cut_by_page_break_is_one_paragraph(docs):
    # ¶5 of the 2024 report starts on page 2 and ends on page 3.
    p = by_ref(docs[2024], "p. 2, ¶5")
    assert "leaders have recognised a need to further strengthen recording and oversight" in p.text
    assert p.text.endswith("through a weekly review meeting.")
    # ¶12 of the 2020 report: page 3 to page 4.
    p = by_ref(docs[2020], "p. 3, ¶12")
    assert "Responses are timely, and strategy meetings are held when needed" in p.text
    for doc in docs.values():
        assert not [p.text[:60] for p in doc.paragraphs if p.text[:1].islower() and p.page and len(p.text) > 200]


def test_no_running_footer_or_page_number_in_paragraphs(docs):
    footer = re.compile(r"Inspection of Croydon local authority children’s services|14 to 25 October 2024 \d")
    for doc in docs.values():
        for p in doc.paragraphs:
            assert not footer.search(p.text), p.ref
            assert not re.fullmatch(r"(Page )?\d+( of \d+)?", p.text), p.ref
            assert not re.search(r"\s\d{1,2}$", p.text), (p.ref, p.text[-40:])  # a page number glued on


def test_bullets_lose_their_glyphs(docs):
    improve = [p for p in docs[2024].paragraphs if p.heading == "What needs to improve?"]
    assert [p.text for p in improve][:2] == [
        "Services to children out of hours.",
        "Consistency of practitioners for children and families.",
    ]
    for doc in docs.values():
        for p in doc.paragraphs:
            assert not re.search(r"[\uf000-\uf0ff◼•]", p.text), (p.ref, p.text[:60])


def test_bullet_continued_on_the_next_line_is_one_bullet(docs):
    # 2017 p. 5: the glyph line and its hanging-indented rest are separate PDF blocks.
    texts = [p.text for p in docs[2017].paragraphs]
    assert (
        "Approximately 93,435 children and young people under the age of 18 years live in Croydon. "
        "This is 25% of the total population in the area."
    ) in texts


def test_judgement_table_rows_read_as_sentences(docs):
    assert "Overall effectiveness: Good." in [p.text for p in docs[2024].paragraphs if p.page == 1]
    assert "The experiences and progress of children in care and care leavers: Requires improvement to be good." in [
        p.text for p in docs[2020].paragraphs
    ]


def test_contents_page_and_back_page_are_not_content(docs):
    texts = [p.text for p in docs[2017].paragraphs]
    assert not [t for t in texts if re.fullmatch(r".{3,80}: \d{1,2}", t)]  # "Recommendations: 7"
    for doc in docs.values():
        assert not [p for p in doc.paragraphs if "Piccadilly Gate" in p.text or "(Ofsted) regulates" in p.text]


def test_footnote_does_not_split_a_paragraph(docs):
    # 2017 p. 5 ends with a footnote; it follows the page's text, whole, and nothing is glued to it.
    note = [p for p in docs[2017].paragraphs if "was given the opportunity to review this section" in p.text]
    assert len(note) == 1 and note[0].page == 5
    assert note[0].text.endswith("local unvalidated data where this was available.")


def test_metadata_from_the_report(docs):
    info = docs[2024].info
    assert info.title == "Ofsted inspection of Croydon local authority children's services (2024)"
    # Dated by the inspection ("Inspection dates: 14 to 25 October 2024"); published in December.
    assert (info.publisher, info.kind, info.date, info.published) == ("Ofsted", "report", "2024-10-25", "2024-12-03")
    # Printed: "Inspection dates: 20 June – 13 July 2017", "Report published: 4 September 2017".
    assert (docs[2017].info.date, docs[2017].info.published) == ("2017-07-13", "2017-09-04")
    assert docs[2020].info.title == "Ofsted inspection of Croydon local authority children's services (2020)"


def test_metadata_found_in_the_text_not_the_file_name(tmp_path):
    renamed = tmp_path / "downloads" / "report (3).pdf"
    renamed.parent.mkdir()
    shutil.copy(R2017, renamed)
    info = load_document(renamed, tmp_path).info
    assert info.title == "Ofsted inspection of Croydon local authority children's services (2017)"
    assert (info.date, info.published) == ("2017-07-13", "2017-09-04")


def test_metadata_of_any_pdf(tmp_path):
    """No pack recognises it: the largest text on the first page is its title, the printed
    publication date its date."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.insert_text((72, 90), "Youth Justice Plan 2024", fontsize=20)
    page.insert_text((72, 130), "Published: 4 December 2024", fontsize=11)
    page.insert_text((72, 160), "The board agreed the plan for the coming year.", fontsize=11)
    doc.save(tmp_path / "plan.pdf")
    info = load_document(tmp_path / "plan.pdf", tmp_path).info
    assert (info.title, info.publisher) == ("Youth Justice Plan 2024", "")
    assert (info.date, info.published) == ("2024-12-04", "2024-12-04")


def test_parsing_is_fast():
    import time

    from assistant.loaders.pdf import pdf_blocks

    data = R2017.read_bytes()
    start = time.perf_counter()
    pdf_blocks(data, R2017, "r.pdf")
    per_page = (time.perf_counter() - start) / 39
    assert per_page < 0.05  # about 2 ms a page on a laptop; 50 ms would make 100 reports slow


# --- broken files: each refused with a reason a person can act on ----------------


def _encrypted(user_password: str) -> bytes:
    writer = pypdf.PdfWriter(clone_from=io.BytesIO(R2024.read_bytes()))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _scanned() -> bytes:
    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 300, 400), 0)
    pix.clear_with(230)
    page.insert_image(page.rect, pixmap=pix)
    return doc.tobytes()


ERROR_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"/><title>Report not found - Find an Inspection Report - Ofsted</title></head>
<body><nav><a href="/">Ofsted homepage</a></nav>
<main><h1>Report not found</h1><p>Sorry, the document you requested no longer exists.</p>
<p>We recommend linking to a page instead of a pdf report. This way you always have the latest version of the report.</p></main>
<footer>Terms of use. Copyright. Privacy. Cookies.</footer></body></html>"""


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("web page.pdf", lambda: ERROR_PAGE, r"^not a PDF: a web page saved under that name \(“Report not found”\)"),
        ("empty.pdf", lambda: b"", r"^empty file$"),
        ("blank.pdf", lambda: b" \n\n ", r"^empty file$"),
        ("locked.pdf", lambda: _encrypted("secret"), r"^encrypted PDF: needs a password$"),
        ("scan.pdf", _scanned, r"^scanned PDF with no text layer \(needs OCR\)$"),
        ("junk.pdf", lambda: b"%PDF-1.7\n" + b"\x00garbage" * 50, r"^corrupt PDF: "),
        ("cut.pdf", lambda: R2024.read_bytes()[:80_000], r"^corrupt PDF: truncated"),
        ("cut-early.pdf", lambda: R2024.read_bytes()[:2000], r"^corrupt PDF: "),
        ("notes.txt", lambda: "Café minutes: the committee agreed.\n".encode("latin-1"), r"^not UTF-8 text \(byte 3\)"),
    ],
)
def test_broken_files_are_refused_with_a_reason(tmp_path, name, make, reason):
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(LoadError) as err:
        load_document(path, tmp_path)
    assert re.search(reason, err.value.reason), err.value.reason
    assert err.value.path.endswith(name) or name in str(err.value)


def test_pdf_with_only_an_owner_password_opens(tmp_path):
    # Permissions-only encryption: any reader opens it without asking, so must we.
    path = tmp_path / "croydon" / "children's services inspection - 03 december 2024.pdf"
    path.parent.mkdir()
    path.write_bytes(_encrypted(""))
    doc = load_document(path, tmp_path)
    assert by_ref(doc, "p. 7, ¶41").text.startswith("The experiences and progress of care leavers")


def test_other_publishers_running_header_and_page_x_of_y_removed(tmp_path):
    """A council paper (not Ofsted): header text and "Page N of M" on every page, and a paragraph
    running onto the next page."""
    long_para = (
        "The council will publish a progress report every six months, setting out what has changed for "
        "children and families and what still needs to be done before the next inspection visit takes place "
        "in the borough, which is expected within three years of the last one."
    )
    paras = [
        "Purpose of the report",
        "This report asks the cabinet to note the outcome of the Ofsted inspection of children's services and "
        "to agree the improvement plan that responds to it.",
        long_para,
        "Recommendations",
        "The cabinet is asked to agree the improvement plan and to note the financial implications.",
    ]
    doc = pymupdf.open()
    y = 1000.0
    page = None
    for text in paras:
        for line in _wrap(text, 80):
            if y > 200:
                page = doc.new_page(width=595, height=842)
                page.insert_text((72, 40), "Croydon Council - Cabinet report - 16 December 2024", fontsize=9)
                y = 90
            page.insert_text((72, y), line, fontsize=11)
            y += 14
        y += 14
    for i, p in enumerate(doc):
        p.insert_text((260, 810), f"Page {i + 1} of {doc.page_count}", fontsize=9)
    path = tmp_path / "cabinet.pdf"
    doc.save(path)

    loaded = load_document(path, tmp_path)
    texts = [p.text for p in loaded.paragraphs]
    assert doc.page_count >= 2 and long_para in texts
    assert not [t for t in texts if "Cabinet report" in t or re.search(r"Page \d", t)]
    assert loaded.info.publisher == ""


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width)
