"""The Ofsted pack's metadata hook: on its own, and through the PDF loader on small PDFs made here."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pymupdf
import pytest

from assistant.loaders import load_document
from assistant.packs import hooks
from assistant.packs.ofsted import read_metadata

FILE_NAME = "children's services inspection - 15 january 2019.pdf"  # as downloaded: the publication date


def make_pdf(path: Path, lines: list[tuple[str, float]]) -> Path:
    """One page of (text, font size) paragraphs. Helvetica through a TextWriter, so that curly
    apostrophes and accents ("Máire", "Zoë") are real characters in the text layer."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    writer = pymupdf.TextWriter(page.rect)
    font = pymupdf.Font("helv")
    y = 90.0
    for text, size in lines:
        for line in textwrap.wrap(text, 95 if size <= 11 else 60):
            writer.append((72, y), line, font=font, fontsize=size)
            y += size * 1.4
        y += size
    writer.write_text(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


def report(title: str, dates: str, inspector: str, above: str = "") -> list[tuple[str, float]]:
    return [
        *([(above, 20)] if above else []),
        (title, 20),
        (f"Inspection dates: {dates}", 11),
        (f"Lead inspector: {inspector}, His Majesty’s Inspector", 11),
        ("Judgement: Overall effectiveness: Requires improvement to be good.", 11),
        ("Children’s services have improved since the last inspection. Leaders know their services well.", 11),
    ]


def load(tmp_path: Path, lines, name: str = FILE_NAME):
    return load_document(make_pdf(tmp_path / name, lines), tmp_path)


# --- names read whole -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("page_title", "above", "place"),
    [
        ("Inspection of Stoke-on-Trent local authority children’s services", "", "Stoke-on-Trent"),
        ("Inspection of Bournemouth, Christchurch and Poole local authority children’s services", "",
         "Bournemouth, Christchurch and Poole"),
        ("Inspection of Bath and North East Somerset local authority children’s services", "",
         "Bath and North East Somerset"),
        ("Inspection of St. Helens local authority children’s services", "", "St. Helens"),
        # The 2013-2020 template: the council's name above the inspection's.
        ("Inspection of children’s social care services", "Kingston upon Hull City Council", "Kingston upon Hull"),
        ("Inspection of children’s social care services", "St Helens Council", "St Helens"),
    ],
)
def test_places_with_hyphens_commas_and_full_stops_are_read_whole(tmp_path, page_title, above, place):
    info = load(tmp_path, report(page_title, "12 to 23 November 2018", "Máire Atherton", above)).info
    assert info.title == f"Ofsted inspection of {place} local authority children's services (2018)"
    assert (info.publisher, info.kind) == ("Ofsted", "report")


@pytest.mark.parametrize("inspector", ["Máire Atherton", "Zoë Brontë-Smith", "Seán O’Neill"])
def test_lead_inspectors_name_is_kept_whole(tmp_path, inspector):
    doc = load(tmp_path, report("Inspection of Stoke-on-Trent local authority children’s services",
                                "12 to 23 November 2018", inspector))
    assert f"Lead inspector: {inspector}, His Majesty’s Inspector" in [p.text for p in doc.paragraphs]
    assert doc.info.publisher == "Ofsted"


# --- dated by the inspection ----------------------------------------------------------------


def test_report_is_dated_by_its_inspection_and_keeps_its_publication_date(tmp_path):
    """Held in November 2018, published in January 2019: it is "the November 2018 inspection"."""
    info = load(tmp_path, report("Inspection of Stoke-on-Trent local authority children’s services",
                                 "12 to 23 November 2018", "Máire Atherton")).info
    assert (info.date, info.published) == ("2018-11-23", "2019-01-15")
    assert info.title.endswith("(2018)")


@pytest.mark.parametrize(
    ("dates", "last_day"),
    [
        ("12 to 23 November 2018", "2018-11-23"),
        ("18 February to 1 March 2019", "2019-03-01"),
        ("19 November–30 November 2018", "2018-11-30"),
        ("24 November - 17 December 2015", "2015-12-17"),
        ("25 November 2013 – 18 December 2013", "2013-12-18"),
        ("12/09/2016 to 06/10/2016", "2016-10-06"),
    ],
)
def test_inspection_dates_as_ofsted_writes_them(dates, last_day):
    head = f"Inspection of Croydon local authority children’s services\nInspection dates: {dates}\n" \
           "Lead inspector: Christine Kennet, His Majesty’s Inspector\nReport published: 3 February 2020"
    assert read_metadata(head, head, Path("r.pdf"))["date"] == last_day


def test_monitoring_visit_letter(tmp_path):
    """Dated by the visit, published on the letter's date; its date line stays citable."""
    letter = [
        ("26 October 2018", 11),
        ("Eleni Ioannides", 11),
        ("Dear Ms Ioannides", 11),
        ("Monitoring visit to Croydon children’s services", 14),
        ("This letter summarises the findings of the monitoring visit to Croydon children’s services on 3 and 4 "
         "October 2018. The inspectors were Louise Hocking and Zoë Waterman, Her Majesty’s Inspectors.", 11),
        ("The local authority is making progress in improving services for its children and young people.", 11),
    ]
    doc = load(tmp_path, letter, name="letter.pdf")
    assert doc.info.title == "Ofsted monitoring visit to Croydon children's services (2018)"
    assert (doc.info.kind, doc.info.date, doc.info.published) == ("letter", "2018-10-04", "2018-10-26")
    assert doc.paragraphs[0].text.startswith("26 October 2018")


# --- only Ofsted's documents ----------------------------------------------------------------


def test_a_councils_paper_about_an_inspection_is_not_ofsteds():
    head = "Cabinet report: outcome of the Ofsted inspection\nPublished: 4 December 2024\n" \
           "Inspection of Croydon local authority children’s services took place from 14 to 25 October 2024."
    assert read_metadata(head, head, Path("cabinet.pdf")) == {}


def test_signed_only_on_the_back_page_is_ofsteds():
    head = "London Borough of Croydon\nInspection of services for children in need of help and protection\n" \
           "Inspection dates: 20 June – 13 July 2017\nReport published: 4 September 2017"
    text = head + "\nThe Office for Standards in Education, Children’s Services and Skills (Ofsted) regulates"
    meta = read_metadata(head, text, Path("r.pdf"))
    assert meta == {"publisher": "Ofsted", "date": "2017-07-13",
                    "title": "Ofsted inspection of Croydon local authority children's services (2017)"}


def test_a_letter_naming_an_inspection_is_not_titled_as_its_report():
    head = "4 March 2019\nDear Mr Smith\nInspection of Croydon local authority children’s services\n" \
           "Thank you for your comments, Christine Kennet, His Majesty’s Inspector"
    assert "title" not in read_metadata(head, head, Path("l.pdf"))


def test_the_loader_finds_the_hook():
    assert read_metadata in hooks("read_metadata")
