"""PDF: PyMuPDF text lines to paragraph blocks with page numbers.

Works from the text *lines* of `page.get_text("dict")` rather than PyMuPDF's
own blocks, because Word-made PDFs (all of Ofsted's) put several paragraphs in
one block (separated by blank lines) and split one bullet in two (glyph line,
then the hanging-indented rest). Layout, not text, tells these apart: blank
lines, vertical gaps, indents, cells side by side.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from assistant.loaders import LoadError
from assistant.loaders.structure import Block, ends_sentence, is_boilerplate

# No images: their pixels are never needed and cost time.
TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP

# Word's Symbol/Wingdings bullets land in the private use area (U+F06E, U+F0B7,
# U+F02D...); Ofsted's 2023+ template uses U+25FC.
GLYPH_RE = re.compile(r"^[\uf000-\uf0ff•●▪◦‣∙·◼■□➢►✓✔](?:\s+|(?=\S))|^[-–](?=\s)\s*")
NUMBER_START = re.compile(r"^\d{1,3}\.(?:\d{1,3}\.?)*\s")
PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?$|^-\s*\d{1,4}\s*-$", re.IGNORECASE)
FOOTNOTE_START = re.compile(r"^\d{1,2}\s+\S")
# A paragraph number or bullet glyph set apart by a tab looks like a table cell; it is a label.
LABEL = re.compile(r"^(?:\(?\d{1,3}(?:\.\d{1,3})*[.)]?|\(?[a-z]\)|[\uf000-\uf0ff•●▪◦‣∙·◼■□➢►✓✔\-–])$")
MARGIN = 0.12  # running headers and footers sit in the top and bottom 12% of the page


@dataclass
class Line:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float


@dataclass
class Para:
    """A paragraph (or table row) on one page, with the geometry needed to join it."""

    lines: list[Line]
    page: int
    cells: list[str] | None = None  # side-by-side cells: a table row

    @property
    def x0(self) -> float:
        return self.lines[0].x0

    @property
    def y0(self) -> float:
        return min(ln.y0 for ln in self.lines)

    @property
    def y1(self) -> float:
        return max(ln.y1 for ln in self.lines)

    @property
    def text(self) -> str:
        if self.cells:
            return ": ".join(self.cells)
        return join_lines([ln.text for ln in self.lines])


def join_lines(lines: list[str]) -> str:
    """Word never hyphenates, so a line ending in "-" is a compound ("pre-proceedings")."""
    out = ""
    for t in (ln.strip() for ln in lines):
        if not t:
            continue
        glue = "" if (out.endswith("-") and out[-2:-1].isalpha()) or not out else " "
        out += glue + t
    return out


def _open(data: bytes, rel: str) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
    except Exception as e:  # MuPDF raises its own FileDataError, RuntimeError...
        raise LoadError(rel, f"corrupt PDF: {_short(e)}") from None
    if doc.needs_pass:
        raise LoadError(rel, "encrypted PDF: needs a password")
    if doc.page_count == 0:
        raise LoadError(rel, "corrupt PDF: no pages")
    return doc


def _short(e: Exception) -> str:
    msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return msg[:120]


def _page_lines(page: pymupdf.Page) -> list[list[Line]]:
    """The page's text blocks as lines; superscript footnote markers ("Board1") dropped."""
    blocks = []
    for b in page.get_text("dict", flags=TEXT_FLAGS)["blocks"]:
        lines = []
        for ln in b.get("lines", ()):
            spans = [s for s in ln["spans"] if not (s["flags"] & 1 and re.fullmatch(r"\[?\d{1,2}\]?", s["text"].strip()))]
            text = "".join(s["text"] for s in spans).replace("\u00ad", "")
            if not spans:
                continue
            size = max(s["size"] for s in spans if s["text"].strip()) if text.strip() else 0.0
            x0, y0, x1, y1 = ln["bbox"]
            lines.append(Line(text, x0, y0, x1, y1, size))
        if lines:
            blocks.append(lines)
    return blocks


def _margin_key(text: str) -> str:
    """Footers differ only by page number: compare them with digits masked."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text).strip().lower())


def _running_lines(pages: list[list[list[Line]]], heights: list[float]) -> set[str]:
    """Texts that recur in the margins of many pages: running headers and footers."""
    counts: Counter[str] = Counter()
    for blocks, h in zip(pages, heights):
        seen = {
            _margin_key(ln.text)
            for lines in blocks
            for ln in lines
            if ln.text.strip() and (ln.y1 < h * MARGIN or ln.y0 > h * (1 - MARGIN))
        }
        counts.update(seen)
    need = max(2, int(len(pages) * 0.3))
    return {k for k, n in counts.items() if n >= need}


def _split_groups(lines: list[Line]) -> list[list[Line]]:
    """One PyMuPDF block holds several paragraphs separated by blank lines."""
    groups, cur = [], []
    for ln in lines:
        if not ln.text.strip():
            if cur:
                groups.append(cur)
            cur = []
        else:
            cur.append(ln)
    if cur:
        groups.append(cur)
    return groups


def _v_overlap(a: Line | Para, b: Line | Para) -> bool:
    top, bottom = max(a.y0, b.y0), min(a.y1, b.y1)
    return bottom - top > 0.5 * min(a.y1 - a.y0, b.y1 - b.y0)


def _cells(lines: list[Line]) -> list[str] | None:
    """Lines side by side in one block are table cells: group them into columns."""
    if not any(_v_overlap(a, b) and (b.x0 >= a.x1 - 1 or a.x0 >= b.x1 - 1) for a, b in zip(lines, lines[1:])):
        return None
    columns: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: ln.x0):
        for col in columns:
            if ln.x0 < max(c.x1 for c in col) - 1:
                col.append(ln)
                break
        else:
            columns.append([ln])
    columns.sort(key=lambda col: min(c.x0 for c in col))
    cells = [join_lines([c.text for c in sorted(col, key=lambda c: c.y0)]) for col in columns]
    if LABEL.match(cells[0]):
        cells[:2] = [cells[0] + " " + cells[1]]
    return cells if len(cells) > 1 else None


def _page_paras(blocks: list[list[Line]], page: int, height: float, running: set[str]) -> list[Para]:
    paras: list[Para] = []
    for lines in blocks:
        kept = [
            ln
            for ln in lines
            if not (
                (ln.y1 < height * MARGIN or ln.y0 > height * (1 - MARGIN))
                and (_margin_key(ln.text) in running or PAGE_NUMBER.match(ln.text.strip()))
            )
        ]
        for group in _split_groups(kept):
            para = Para(group, page, _cells(group))
            prev = paras[-1] if paras else None
            if prev and _same_row(prev, para):
                if LABEL.match(prev.text):  # "41." then the paragraph, tabbed apart
                    prev.lines += para.lines
                else:
                    prev.cells = (prev.cells or [prev.text]) + [para.text]
                    prev.lines += para.lines
            elif prev and _continues_on_page(prev, para):
                prev.lines += para.lines
            else:
                paras.append(para)
    return paras


def _same_row(prev: Para, para: Para) -> bool:
    return _v_overlap(prev.lines[0], para.lines[0]) and para.x0 >= max(ln.x1 for ln in prev.lines) - 1


def _continues_on_page(prev: Para, para: Para) -> bool:
    """Word splits a bullet after its glyph line: the rest follows with no gap, indented."""
    gap = para.y0 - prev.y1
    height = prev.lines[-1].y1 - prev.lines[-1].y0
    return (
        prev.cells is None
        and para.cells is None
        and gap < 0.25 * height
        and para.x0 > prev.x0 - 1
        and not GLYPH_RE.match(para.lines[0].text.lstrip())
        and not NUMBER_START.match(para.lines[0].text.lstrip())
    )


def _is_footnote(para: Para, body_size: float, height: float) -> bool:
    return (
        para.y0 > height * 0.5
        and para.lines[0].size < body_size - 0.9
        and bool(FOOTNOTE_START.match(para.text))
    )


def _continues_across(prev: Para, para: Para, right_edge: float) -> bool:
    """A paragraph cut by a page break: the rest sits at the body indent of the first
    part, or the first part stops mid-sentence and the rest starts in lower case or
    the cut line ran to the right margin (the text was still wrapping)."""
    if prev.cells or para.cells:
        return False
    first = para.lines[0].text.lstrip()
    if GLYPH_RE.match(first) or NUMBER_START.match(first):
        return False
    body = [ln.x0 for ln in prev.lines[1:]]
    hanging = bool(body) and body[-1] > prev.x0 + 5 and abs(para.x0 - body[-1]) < 3
    tail = prev.text.rstrip()
    open_end = not ends_sentence(tail) and not tail.endswith(":")
    full_line = prev.lines[-1].x1 > right_edge - 40
    return hanging or (open_end and len(tail) > 40 and (first[:1].islower() or full_line))


def _to_block(para: Para, bullet_x: list[float]) -> Block:
    text = para.text
    m = GLYPH_RE.match(text)
    if m and m.end() < len(text):
        # A bullet further right than the last top-level one is a sub-bullet.
        indented = bool(bullet_x) and para.x0 > bullet_x[-1] + 10
        if not indented:
            bullet_x.append(para.x0)
        return Block(text[m.end():], page=para.page, bullet=True, indented=indented)
    bullet_x.clear()
    return Block(text, page=para.page, table=bool(para.cells))


def pdf_blocks(data: bytes, path: Path, rel: str) -> tuple[list[Block], dict]:
    doc = _open(data, rel)
    try:
        pages = [_page_lines(p) for p in doc]
        heights = [p.rect.height for p in doc]
    except Exception as e:  # a page MuPDF cannot parse
        raise LoadError(rel, f"corrupt PDF: {_short(e)}") from None
    all_lines = [ln for blocks in pages for lines in blocks for ln in lines if ln.text.strip()]
    if sum(len(ln.text.strip()) for ln in all_lines) < 20:
        has_images = any(p.get_images() for p in doc)
        raise LoadError(rel, "scanned PDF with no text layer (needs OCR)" if has_images else "PDF with no text")

    sizes: Counter[float] = Counter()
    for ln in all_lines:
        sizes[round(ln.size, 1)] += len(ln.text)
    body_size = sizes.most_common(1)[0][0]
    ends = sorted(ln.x1 for ln in all_lines)
    right_edge = ends[int(len(ends) * 0.9)]  # of the text column; a wide table must not move it
    running = _running_lines(pages, heights)

    paras: list[Para] = []
    pending: list[Para] = []  # footnotes, held so they don't split a paragraph cut by the page break
    for number, (blocks, height) in enumerate(zip(pages, heights), start=1):
        first = True
        for para in _page_paras(blocks, number, height, running):
            if _is_footnote(para, body_size, height):
                pending.append(para)
                continue
            joined = first and bool(paras) and _continues_across(paras[-1], para, right_edge)
            if joined:
                paras[-1].lines += para.lines
            if first:  # earlier pages' footnotes go after the paragraph they interrupted
                paras += [p for p in pending if p.page < number]
                pending = [p for p in pending if p.page == number]
            if not joined:
                paras.append(para)
            first = False
    paras += pending

    # Ofsted's back page has curly apostrophes the boilerplate patterns don't expect.
    paras = [p for p in paras if not is_boilerplate(p.text.replace("’", "'"))]
    bullet_x: list[float] = []
    blocks_out = [_to_block(p, bullet_x) for p in paras]
    return blocks_out, pdf_metadata(doc, paras, path, body_size)


# --- metadata ---------------------------------------------------------------

MONTHS = "january february march april may june july august september october november december".split()
WORD_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(" + "|".join(MONTHS) + r")\s+(\d{4})\b", re.IGNORECASE)
NUM_DATE = re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b")
PUBLISHED = re.compile(r"(?:Report )?published:?\s*(.{0,40})", re.IGNORECASE)
INSPECTED = re.compile(r"Inspection dates?:\s*(.{0,60})", re.IGNORECASE)
# "Inspection of Croydon local authority children’s services" (2023 on), or the
# council's name above "Inspection of children’s social care services" (2013-2020).
ILACS_NAME = re.compile(r"Inspection of (?:the )?([A-Z][\w&'’ ]{1,60}?) (?:local authority )?children[’']s services")
COUNCIL_LINE = re.compile(r"^(?:\d+ )?([A-Z][\w&'’ ]{1,60}?) (?:Re-)?[Ii]nspection of ")
VISIT = re.compile(r"\b(Monitoring|Focused) visit (?:to|of) (?:the )?([A-Z][\w&'’ ]{1,60}?) (?:local authority )?children[’']s services")
COUNCIL_WORDS = re.compile(r"^(?:the )?(?:(?:London|Royal) Borough of |City of |Borough of )|(?: City)? Council$", re.IGNORECASE)
OFSTED_MARKS = re.compile(r"\bOfsted\b|H(?:is|er) Majesty[’']s Inspector")
JUNK_TITLE = re.compile(r"draft|template|untitled|^microsoft|\.(?:docx?|pdf|rtf)$|LA NAME|^(?:document|report|title)\s*\d*$", re.IGNORECASE)


def _iso_dates(text: str) -> list[str]:
    found = [(m.start(), f"{m[3]}-{MONTHS.index(m[2].lower()) + 1:02d}-{int(m[1]):02d}") for m in WORD_DATE.finditer(text)]
    found += [(m.start(), f"{m[3]}-{int(m[2]):02d}-{int(m[1]):02d}") for m in NUM_DATE.finditer(text)]
    return [d for _, d in sorted(found)]


def _pdf_date(value: str) -> str:
    m = re.match(r"D:(\d{4})(\d{2})(\d{2})", value or "")
    return f"{m[1]}-{m[2]}-{m[3]}" if m else ""


def _place(name: str) -> str:
    """"London Borough of Barking and Dagenham" and "Westminster City Council" name the place alone."""
    return COUNCIL_WORDS.sub("", COUNCIL_WORDS.sub("", name.strip())).strip()


def pdf_metadata(doc: pymupdf.Document, paras: list[Para], path: Path, body_size: float) -> dict:
    first_page = [p for p in paras if p.page == paras[0].page] if paras else []
    head = " ".join(p.text for p in first_page)
    last = " ".join(p.text for p in paras[-15:])
    meta: dict[str, str] = {}

    # The publication date: printed on older reports, in the file name of
    # downloaded ones ("... - 03 december 2024.pdf"), else when the PDF was made.
    published = PUBLISHED.search(head)
    inspected = INSPECTED.search(head)
    dates = (
        (_iso_dates(published[1])[:1] if published else [])
        or _iso_dates(path.stem)[:1]
        or [d for d in [_pdf_date(doc.metadata.get("creationDate", ""))] if d]
        or (_iso_dates(inspected[1])[-1:] if inspected else [])
    )
    if dates:
        meta["date"] = dates[0]
    year = f" ({meta['date'][:4]})" if dates else ""

    if OFSTED_MARKS.search(head) or "(Ofsted) regulates" in last:
        meta["publisher"] = "Ofsted"
    meta["kind"] = "letter" if any(re.match(r"Dear\b", p.text) for p in first_page) else "report"

    visit = VISIT.search(head)
    name = ILACS_NAME.search(head) or COUNCIL_LINE.search(head)
    if meta.get("publisher") and visit:
        meta["title"] = f"Ofsted {visit[1].lower()} visit to {_place(visit[2])} children's services{year}"
    elif meta.get("publisher") and name and (inspected or meta["kind"] == "report"):
        meta["title"] = f"Ofsted inspection of {_place(name[1])} local authority children's services{year}"
    else:
        title = (doc.metadata.get("title") or "").strip()
        big = [p.text for p in first_page if p.lines[0].size >= body_size * 1.3 and len(p.text) < 200]
        if len(title) >= 6 and not JUNK_TITLE.search(title) and title.lower() != path.stem.lower():
            meta["title"] = title
        elif big:
            meta["title"] = big[0]
    return meta
