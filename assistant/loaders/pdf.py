"""PDF: PyMuPDF text lines to paragraph blocks with page numbers.

Works from the text *lines* of `page.get_text("dict")` rather than PyMuPDF's
own blocks, because Word-made PDFs (all of Ofsted's) put several paragraphs in
one block, split one bullet into two blocks (glyph line, then the
hanging-indented rest) and set a paragraph's number apart from its text by a
tab. Layout tells these apart: blank lines, gaps, indents, cells side by side.

Paragraphs cut by a page break are joined here, where the geometry is known
(the rest sits at the paragraph's indent, the cut line ran to the margin), not
left to `structure.repair`, which sees only text.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from assistant.loaders import LoadError, with_packs
from assistant.loaders.dates import iso_dates
from assistant.loaders.structure import Block, ends_sentence, is_boilerplate

# No images: their pixels are never needed and cost time.
TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP

# Word's Symbol/Wingdings bullets land in the private use area (U+F06E, U+F0B7,
# U+F02D...); Ofsted's 2023 template uses U+25FC.
GLYPHS = "\uf000-\uf0ff•●▪◦‣∙·◼■□➢►✓✔"
GLYPH_RE = re.compile(rf"^[{GLYPHS}](?:\s+|(?=\S))|^[-–](?=\s)\s*")
NUMBER_START = re.compile(r"^\d{1,3}\.(?:\d{1,3}\.?)*\s")
# A paragraph number or glyph set apart by a tab looks like a table cell: it is a label.
LABEL = re.compile(rf"^(?:\(?\d{{1,3}}(?:\.\d{{1,3}})*[.)]?|\(?[a-z]\)|[{GLYPHS}\-–])$")
PAGE_NUMBER = re.compile(r"^(?:page\s+)?\d{1,4}(?:\s+of\s+\d{1,4})?$|^-\s*\d{1,4}\s*-$", re.IGNORECASE)
FOOTNOTE_START = re.compile(r"^\d{1,2}\s+\S")
TOC_ENTRY = re.compile(r"^\D.{2,150}?(?::\s*|\s+|\.{3,}\s*)\d{1,3}$")  # "Recommendations: 7"
MARGIN = 0.12  # running headers and footers sit in the top and bottom 12% of a page


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
    """A paragraph (or table row) as laid out, with the geometry needed to join it."""

    lines: list[Line]
    page: int
    cells: list[str] | None = None  # side by side: a table row

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
            return ": ".join(c.strip().rstrip(":") for c in self.cells)
        return join_lines([ln.text for ln in self.lines])


def join_lines(lines: list[str]) -> str:
    """Word never hyphenates, so a line ending in "-" is a compound ("pre-proceedings")."""
    out = ""
    for t in (ln.strip() for ln in lines):
        if t:
            out += ("" if not out or (out.endswith("-") and out[-2:-1].isalpha()) else " ") + t
    return re.sub(r"\s+", " ", out)


# --- reading ------------------------------------------------------------------


def _open(data: bytes, rel: str) -> pymupdf.Document:
    try:
        doc = pymupdf.open(stream=data, filetype="pdf")
        if doc.needs_pass:
            raise LoadError(rel, "encrypted PDF: needs a password")
        if doc.page_count == 0:
            raise LoadError(rel, "corrupt PDF: no pages")
    except LoadError:
        raise
    except Exception as e:  # MuPDF raises its own FileDataError, RuntimeError...
        raise LoadError(rel, f"corrupt PDF: {_short(e)}") from None
    # MuPDF rebuilds a cut-off file and returns its remains as garbled text.
    if doc.is_repaired and b"%%EOF" not in data[-2048:]:
        raise LoadError(rel, "corrupt PDF: truncated (the file ends early; download it again)")
    return doc


def _short(e: Exception) -> str:
    msg = str(e).strip()
    return msg.splitlines()[0][:120] if msg else type(e).__name__


def _is_marker(span: dict) -> bool:
    """A superscript footnote number ("Board¹"): noise inside a sentence."""
    return bool(span["flags"] & 1) and bool(re.fullmatch(r"\[?\d{1,2}\]?", span["text"].strip()))


def _page_lines(page: pymupdf.Page) -> list[list[Line]]:
    """The page's text blocks, as lines."""
    blocks = []
    for b in page.get_text("dict", flags=TEXT_FLAGS)["blocks"]:
        lines = []
        for ln in b.get("lines", ()):
            spans = [s for s in ln["spans"] if not _is_marker(s)]
            if not spans:
                continue
            text = "".join(s["text"] for s in spans).replace("\u00ad", "")
            size = max((s["size"] for s in spans if s["text"].strip()), default=0.0)
            lines.append(Line(text, *ln["bbox"], size))
        if lines:
            blocks.append(lines)
    return blocks


# --- running headers and footers ------------------------------------------------


def _in_margin(ln: Line, height: float) -> bool:
    return ln.y1 < height * MARGIN or ln.y0 > height * (1 - MARGIN)


def _margin_key(text: str) -> str:
    """Footers differ only by page number: compare them with digits masked."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text).strip().lower())


def _running_lines(pages: list[list[list[Line]]], heights: list[float]) -> set[str]:
    """Texts that recur in the margins of many pages. Only texts with words:
    a bare "12." at the top of many pages is a paragraph number."""
    counts: Counter[str] = Counter()
    for blocks, h in zip(pages, heights):
        counts.update({_margin_key(ln.text) for lines in blocks for ln in lines if _in_margin(ln, h)})
    need = max(2, int(len(pages) * 0.3))
    return {k for k, n in counts.items() if n >= need and len(re.findall(r"[a-z]", k)) >= 3}


def _strip_margins(lines: list[Line], height: float, running: set[str]) -> list[Line]:
    # A page number stands alone in the margin; a running text may share a block.
    alone = all(_in_margin(ln, height) for ln in lines)
    return [
        ln
        for ln in lines
        if not (
            _in_margin(ln, height)
            and (_margin_key(ln.text) in running or (alone and PAGE_NUMBER.match(ln.text.strip())))
        )
    ]


# --- paragraphs on a page ---------------------------------------------------------


def _split_groups(lines: list[Line]) -> list[list[Line]]:
    """One PyMuPDF block can hold several paragraphs: split at blank lines, at
    paragraph-sized gaps, where a bullet or a numbered paragraph starts, and
    after a short line that ends a sentence (the last line of a paragraph)."""
    groups: list[list[Line]] = []
    cur: list[Line] = []
    right = max((ln.x1 for ln in lines), default=0.0)
    for ln in lines:
        text = ln.text.strip()
        if not text:
            if cur:
                groups.append(cur)
            cur = []
            continue
        if cur:
            last = cur[-1]
            ended = ends_sentence(last.text.strip())
            short = len(cur) > 1 and last.x1 < right - 0.2 * (right - cur[0].x0)
            if (
                GLYPH_RE.match(text)
                or (NUMBER_START.match(text) and ln.x0 <= cur[0].x0 + 1 and ended)
                or (ended and short and text[:1].isupper())
                or ln.y0 - last.y1 > 0.5 * (last.y1 - last.y0)
            ):
                groups.append(cur)
                cur = []
        cur.append(ln)
    if cur:
        groups.append(cur)
    return groups


def _v_overlap(a: Line | Para, b: Line | Para) -> bool:
    top, bottom = max(a.y0, b.y0), min(a.y1, b.y1)
    return bottom - top > 0.3 * min(a.y1 - a.y0, b.y1 - b.y0)  # cells are often middle-aligned


def _cells(lines: list[Line]) -> list[str] | None:
    """Lines side by side in one block are table cells: group them into columns."""
    if not any(_v_overlap(a, b) and (b.x0 >= a.x1 - 1 or a.x0 >= b.x1 - 1) for a, b in zip(lines, lines[1:])):
        return None
    columns: list[list[Line]] = []
    for ln in sorted(lines, key=lambda ln: ln.x0):
        col = next((c for c in columns if ln.x0 < max(x.x1 for x in c) - 1), None)
        if col is None:
            columns.append([ln])
        else:
            col.append(ln)
    cells = [join_lines([c.text for c in sorted(col, key=lambda c: c.y0)]) for col in columns]
    if LABEL.match(cells[0]):  # "41." then its paragraph
        cells[:2] = [cells[0] + " " + cells[1]]
    return cells if len(cells) > 1 else None


def _same_row(prev: Para, para: Para) -> bool:
    return _v_overlap(prev.lines[0], para.lines[0]) and para.x0 >= max(ln.x1 for ln in prev.lines) - 1


def _continues_on_page(prev: Para, para: Para) -> bool:
    """Word splits a bullet after its glyph line: the rest follows with no gap,
    indented. A stray break mid-sentence leaves a lower-case rest at the same indent."""
    first = para.lines[0].text.lstrip()
    if prev.cells or para.cells or GLYPH_RE.match(first) or NUMBER_START.match(first):
        return False
    no_gap = para.y0 - prev.y1 < 0.25 * (prev.lines[-1].y1 - prev.lines[-1].y0)
    tail = prev.text.rstrip()
    mid_sentence = (
        first[:1].islower()
        and not ends_sentence(tail)
        and not tail.endswith(":")  # a lead-in: what follows is a list
        and abs(para.x0 - prev.lines[-1].x0) < 3
    )
    return (no_gap and para.x0 > prev.x0 - 1) or mid_sentence


def _page_paras(blocks: list[list[Line]], page: int, height: float, running: set[str]) -> list[Para]:
    paras: list[Para] = []
    for lines in blocks:
        for group in _split_groups(_strip_margins(lines, height, running)):
            para = Para(group, page, _cells(group))
            prev = paras[-1] if paras else None
            if prev and _same_row(prev, para):
                if not LABEL.match(prev.text):
                    prev.cells = (prev.cells or [prev.text]) + [para.text]
                prev.lines += para.lines
            elif prev and _continues_on_page(prev, para):
                prev.lines += para.lines
            else:
                paras.append(para)
    return _drop_contents(paras)


def _drop_contents(paras: list[Para]) -> list[Para]:
    """A table of contents is a page of "title: page" rows; as answers they are noise."""
    entries = {id(p) for p in paras if TOC_ENTRY.match(p.text)}
    if len(entries) < 4 or len(entries) < 0.5 * len(paras):
        return paras
    heading = ("contents", "table of contents")
    return [p for p in paras if id(p) not in entries and p.text.strip().lower() not in heading]


# --- across pages -----------------------------------------------------------------


def _is_footnote(para: Para, body_size: float, height: float) -> bool:
    return para.y0 > height * 0.5 and para.lines[0].size < body_size - 0.9 and bool(FOOTNOTE_START.match(para.text))


def _continues_across(prev: Para, para: Para, right_edge: float) -> bool:
    """A paragraph cut by a page break: the rest sits at the body indent of the first
    part (a numbered paragraph's or bullet's hanging indent), or the first part stops
    mid-sentence and the rest starts in lower case or could not have fitted on the
    cut line (the text was still wrapping)."""
    if prev.cells or para.cells:
        return False
    first = para.lines[0].text.lstrip()
    if GLYPH_RE.match(first) or NUMBER_START.match(first) or abs(para.lines[0].size - prev.lines[-1].size) > 0.5:
        return False  # a new item, or a heading in a bigger font
    if LABEL.match(prev.text):
        return True  # "41." at the foot of a page, its text at the top of the next
    body = [ln.x0 for ln in prev.lines[1:]]
    hanging = bool(body) and body[-1] > prev.x0 + 5 and abs(para.x0 - body[-1]) < 3
    tail = prev.text.rstrip()
    open_end = len(tail) > 40 and not ends_sentence(tail) and not tail.endswith(":")
    last = prev.lines[-1]
    char_w = (last.x1 - last.x0) / max(len(last.text), 1)
    wrapped = last.x1 + char_w * (len(first.split(" ")[0]) + 1) > right_edge - 15
    return hanging or (open_end and (first[:1].islower() or wrapped))


def _assemble(pages: list[list[list[Line]]], heights: list[float], body_size: float, right_edge: float) -> list[Para]:
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
    return paras + pending


def _to_blocks(paras: list[Para]) -> list[Block]:
    blocks: list[Block] = []
    bullet_x: list[float] = []  # left edges of the current list's top-level bullets
    for i, para in enumerate(paras):
        text = para.text
        m = GLYPH_RE.match(text)
        if m and m.end() < len(text):
            indented = bool(bullet_x) and para.x0 > bullet_x[-1] + 10  # further right: a sub-bullet
            if not indented:
                bullet_x.append(para.x0)
            blocks.append(Block(text[m.end():], page=para.page, bullet=True, indented=indented))
            continue
        bullet_x.clear()
        if LABEL.match(text):
            continue  # a number or glyph with nothing after it (an empty list item in Word)
        # Rows in a run are a table, read as sentences ("Overall effectiveness: Good.");
        # a lone row is a heading with its grade beside it, or a label and its value.
        table = bool(para.cells) and sum(1 for p in paras[max(i - 1, 0) : i + 2] if p.cells) > 1
        blocks.append(Block(text.rstrip(".") + "." if table else text, page=para.page, table=table))
    return blocks


def pdf_blocks(data: bytes, path: Path, rel: str) -> tuple[list[Block], dict]:
    doc = _open(data, rel)
    try:
        pages = [_page_lines(p) for p in doc]
        heights = [p.rect.height for p in doc]
        lines = [ln for blocks in pages for block in blocks for ln in block if ln.text.strip()]
        if sum(len(ln.text.strip()) for ln in lines) < 20:
            scanned = any(p.get_images() for p in doc)
            raise LoadError(rel, "scanned PDF with no text layer (needs OCR)" if scanned else "PDF with no text")
    except LoadError:
        raise
    except Exception as e:  # a page MuPDF cannot parse
        raise LoadError(rel, f"corrupt PDF: {_short(e)}") from None

    sizes: Counter[float] = Counter()
    for ln in lines:
        sizes[round(ln.size, 1)] += len(ln.text)
    body_size = sizes.most_common(1)[0][0]
    ends = sorted(ln.x1 for ln in lines)
    right_edge = ends[int(len(ends) * 0.9)]  # of the text column; a wide table must not move it

    paras = _assemble(pages, heights, body_size, right_edge)
    meta = pdf_metadata(doc, paras, path, body_size)
    # Ofsted's back page has curly apostrophes that structure's boilerplate patterns don't expect.
    paras = [p for p in paras if not is_boilerplate(p.text)]
    return _to_blocks(paras), meta


# --- metadata -------------------------------------------------------------------

PUBLISHED = re.compile(r"(?:Report )?published:?\s*(.{0,40})", re.IGNORECASE)
# Titles that templates and tools leave in the PDF's properties ("Hillingdon Draft Report 4").
JUNK_TITLE = re.compile(
    r"draft|template|untitled|^microsoft|\.(?:docx?|pdf|rtf)$|LA NAME|^(?:document|report)\s*\d*$", re.IGNORECASE
)


def pdf_metadata(doc: pymupdf.Document, paras: list[Para], path: Path, body_size: float) -> dict:
    """What any PDF says of itself, then what a domain pack recognises in it (its kind of
    document's own title, publisher and the date it is about)."""
    first_page = [p for p in paras if p.page == paras[0].page] if paras else []
    letter = next((i for i, p in enumerate(first_page) if re.match(r"Dear\b", p.text)), None)
    meta = {"kind": "report" if letter is None else "letter"}
    published = _published(doc, first_page, letter, path)
    if published:
        meta["date"] = meta["published"] = published
    title = _title(doc, first_page, path, body_size)
    if title:
        meta["title"] = title
    head = "\n".join(p.text for p in first_page)
    return with_packs(meta, head, "\n".join(p.text for p in paras), path)


def _published(doc: pymupdf.Document, first_page: list[Para], letter: int | None, path: Path) -> str:
    """The publication date: printed on older reports and above a letter's "Dear ...", in the file
    name of downloaded ones ("... - 03 december 2024.pdf"), else when the PDF was made."""
    printed = PUBLISHED.search(" ".join(p.text for p in first_page))
    created = re.match(r"D:(\d{4})(\d{2})(\d{2})", doc.metadata.get("creationDate") or "")
    dates = (
        (iso_dates(printed[1]) if printed else [])
        or (iso_dates(" ".join(p.text for p in first_page[:letter])) if letter else [])
        or iso_dates(path.stem)
        or ([f"{created[1]}-{created[2]}-{created[3]}"] if created else [])
    )
    return dates[0] if dates else ""


def _title(doc: pymupdf.Document, first_page: list[Para], path: Path, body_size: float) -> str:
    """The PDF's title property unless a template or tool left it, else the first large text on the first page."""
    title = (doc.metadata.get("title") or "").strip()
    if len(title) >= 6 and not JUNK_TITLE.search(title) and title.lower() != path.stem.lower():
        return title
    big = [p.text for p in first_page if p.lines[0].size >= body_size * 1.3 and len(p.text) < 200]
    return big[0] if big else ""
