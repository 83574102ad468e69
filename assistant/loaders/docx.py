"""Word (.docx): body paragraphs and tables, in document order, via python-docx.

Word keeps structure that text extraction loses: heading styles, list
numbering, tables. Auto-numbered paragraphs ("41.") carry no number in their
text, so the numbers are rebuilt from the numbering definitions; without that a
report's "¶41" could not be cited. Headers and footers live outside the body and
are never read.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from assistant.loaders import LoadError
from assistant.loaders.structure import Block

# Titles and authors that templates and tools leave behind, not the document's own.
JUNK = re.compile(
    r"^(?:python-docx|microsoft office user|user|admin|author|title|document\d*|untitled)$|LA NAME|template",
    re.IGNORECASE,
)
LETTER_OPENING = re.compile(r"^Dear\s+\S")


def docx_blocks(data: bytes, path: Path, rel: str) -> tuple[list[Block], dict]:
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as e:
        raise LoadError(rel, f"corrupt Word document: {str(e)[:100] or type(e).__name__}") from None
    except Exception as e:  # python-docx's PackageNotFoundError and lxml's XMLSyntaxError
        raise LoadError(rel, f"corrupt Word document: {type(e).__name__}") from None

    numbering = _Numbering(document)
    # Without Word's saved layout (files written by other tools) pages are unknown.
    paged = bool(document.element.body.xpath(".//w:lastRenderedPageBreak"))
    page = 1
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks += [Block(row, page=page if paged else None, table=True) for row in _table_rows(item)]
            page += len(item._tbl.xpath(".//w:lastRenderedPageBreak"))
            continue
        starts_on, page_after = _pages(item, page)
        page = page_after
        block = _paragraph_block(item, numbering)
        if block:
            block.page = starts_on if paged else None
            blocks.append(block)
    return blocks, _metadata(document, blocks)


def _pages(p: Paragraph, page: int) -> tuple[int, int]:
    """Pages as Word last laid them out (its saved "rendered page breaks")."""
    breaks = p.rendered_page_breaks
    if not breaks:
        return page, page
    before = breaks[0].preceding_paragraph_fragment
    starts_on = page + 1 if before is None or not before.text.strip() else page
    return starts_on, page + len(breaks)


def _paragraph_block(p: Paragraph, numbering: "_Numbering") -> Block | None:
    text = p.text.replace("\t", " ").strip()
    if not text:
        return None
    style = (p.style.name if p.style is not None else "") or ""
    if style.startswith("Heading") or style in ("Title", "Subtitle"):
        return Block(text)
    label, bullet, level = numbering.label(p)
    styled = re.search(r"^List (?:Bullet|Number|Continue)? ?(\d)$", style)  # "List Bullet 2" is level 1
    level = max(level, int(styled[1]) - 1 if styled else 0)
    if bullet or style.startswith("List Bullet"):
        return Block(text, bullet=True, indented=level > 0)
    if label:
        text = f"{label} {text}"
    elif style.startswith("List"):  # "List Paragraph" with no numbering we can read
        return Block(text, bullet=True, indented=level > 0)
    return Block(text)


def _table_rows(table: Table) -> list[str]:
    """Rows as sentences ("Overall effectiveness: Good."), as the text loader does."""
    rows = []
    for row in table.rows:
        cells: list[str] = []
        for cell in row.cells:
            t = re.sub(r"\s+", " ", cell.text).strip().rstrip(":")
            if t and (not cells or cells[-1] != t):  # merged cells repeat their text
                cells.append(t)
        if cells:
            rows.append(": ".join(cells).rstrip(".") + ".")
    return rows


class _Numbering:
    """Counts Word's list numbering, so "1." / "4.12" / bullets can be put back."""

    def __init__(self, document):
        self.levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) -> (format, text, start)
        self.counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {a.get(qn("w:abstractNumId")): a for a in root.findall(qn("w:abstractNum"))}
        for num in root.findall(qn("w:num")):
            ref = num.find(qn("w:abstractNumId"))
            a = abstract.get(ref.get(qn("w:val"))) if ref is not None else None
            if a is None:
                continue
            for lvl in a.findall(qn("w:lvl")):
                fmt, text, start = (lvl.find(qn(f"w:{t}")) for t in ("numFmt", "lvlText", "start"))
                self.levels[(num.get(qn("w:numId")), int(lvl.get(qn("w:ilvl"), "0")))] = (
                    fmt.get(qn("w:val")) if fmt is not None else "decimal",
                    text.get(qn("w:val")) if text is not None else "",
                    int(start.get(qn("w:val"))) if start is not None else 1,
                )

    def label(self, p: Paragraph) -> tuple[str, bool, int]:
        """(label such as "41.", is a bullet, list level) for a paragraph."""
        num_pr = _num_pr(p)
        if num_pr is None:
            return "", False, 0
        num_id = _val(num_pr, "w:numId")
        level = int(_val(num_pr, "w:ilvl") or 0)
        if num_id in (None, "0") or (num_id, level) not in self.levels:
            return "", False, level
        fmt, text, start = self.levels[(num_id, level)]
        if fmt == "bullet" or fmt == "none":
            return "", fmt == "bullet", level
        counts = self.counters.setdefault(num_id, [])
        while len(counts) <= level:
            counts.append(self.levels.get((num_id, len(counts)), ("", "", 1))[2] - 1)
        counts[level] += 1
        del counts[level + 1 :]  # a new item restarts the levels below it
        label = re.sub(r"%(\d)", lambda m: str(counts[int(m[1]) - 1]) if int(m[1]) <= len(counts) else "", text)
        # Only decimal numbering is rebuilt; letters and roman numerals stay list items.
        return (label.strip(), False, level) if fmt == "decimal" else ("", True, level)


def _num_pr(p: Paragraph):
    """Numbering set on the paragraph, else on its style (Word's "List Number")."""
    ppr = p._p.pPr
    if ppr is not None and ppr.numPr is not None:
        return ppr.numPr
    style = p.style
    while style is not None:
        sppr = style.element.pPr
        if sppr is not None and sppr.numPr is not None:
            return sppr.numPr
        style = style.base_style
    return None


def _val(el, tag: str) -> str | None:
    child = el.find(qn(tag))
    return child.get(qn("w:val")) if child is not None else None


def _metadata(document, blocks: list[Block]) -> dict:
    props = document.core_properties
    meta: dict[str, str] = {}
    generated = (props.comments or "").startswith("generated by python-docx")
    title = (props.title or "").strip()
    if title and not JUNK.search(title):
        meta["title"] = title
    author = (props.author or "").strip()
    if author and not JUNK.search(author):
        meta["publisher"] = author
    when = props.created or props.modified
    if when and not (generated and when.year == 2013):  # python-docx's template date
        meta["date"] = when.date().isoformat()
    if any(LETTER_OPENING.match(b.text) for b in blocks[:15]):
        meta["kind"] = "letter"
    return meta
