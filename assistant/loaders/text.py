"""Plain text and Markdown: lines to blocks.

Text extracted from PDFs and web pages comes in two shapes: one line per
paragraph (web pages), or hard-wrapped lines (PDF letters) where a paragraph
ends at a blank line or where a sentence ends and the next line starts indented.
"""

from __future__ import annotations

import re

from assistant.loaders.structure import BULLET_RE, Block, ends_sentence, is_boilerplate

MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")


def is_hard_wrapped(lines: list[str]) -> bool:
    """Most long lines stop mid-sentence: the text was wrapped at a fixed width."""
    long = [ln.strip() for ln in lines if len(ln.strip()) >= 50]
    if len(long) < 5:
        return False
    cut = sum(1 for ln in long if not ends_sentence(ln) and not ln.endswith(":"))
    return cut / len(long) > 0.4


def _is_table_row(line: str) -> bool:
    return "\t" in line.strip() or bool(re.search(r"\S {3,}\S", line.strip()))


def _table_text(rows: list[str]) -> str:
    """Rows as sentences ("Overall effectiveness: Good."), so answers can quote a row."""
    cells = [[c.strip().rstrip(":") for c in re.split(r"\t+| {3,}", r.strip()) if c.strip()] for r in rows]
    return " ".join(": ".join(c).rstrip(".") + "." for c in cells if c)


def text_blocks(text: str) -> list[Block]:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    wrapped = is_hard_wrapped(lines)
    blocks: list[Block] = []
    current: list[str] = []
    table: list[str] = []

    def flush() -> None:
        if current:
            joiner = " " if wrapped else "\n"
            blocks.append(Block(joiner.join(current)))
            current.clear()

    def flush_table() -> None:
        if table:
            blocks.append(Block(_table_text(table), table=True))
            table.clear()

    for line in lines:
        stripped = line.strip()
        if not stripped:
            flush()
            flush_table()
            continue
        if is_boilerplate(stripped):
            continue
        if _is_table_row(line) and not BULLET_RE.match(line):
            flush()
            table.append(line)
            continue
        flush_table()
        stripped = MARKDOWN_HEADING.sub("", stripped)
        bullet = bool(BULLET_RE.match(line))
        # In wrapped text a new paragraph starts where a sentence ended and
        # the next line is indented; unwrapped lines are sorted out below.
        starts_para = bullet or (wrapped and current and line[:1].isspace() and ends_sentence(current[-1]))
        if starts_para:
            flush()
        if bullet:
            indented = line[:1].isspace() and bool(blocks) and not wrapped
            blocks.append(Block(stripped, bullet=True, indented=indented))
        else:
            current.append(stripped)
    flush()
    flush_table()
    return _split_address_lines(blocks, wrapped)


def _split_address_lines(blocks: list[Block], wrapped: bool) -> list[Block]:
    """In one-line-per-paragraph text, a blank-line block of several lines is an
    address or signature: keep it as one paragraph, lines joined with commas.
    Lines that are sentences stand alone."""
    out: list[Block] = []
    for b in blocks:
        if wrapped or b.table or "\n" not in b.text:
            out.append(b)
            continue
        lines = b.text.split("\n")
        if all(len(ln) < 60 and not ends_sentence(ln) for ln in lines):
            out.append(Block(", ".join(ln.strip().rstrip(",") for ln in lines)))
        else:
            out.extend(Block(ln) for ln in lines)
    return out
