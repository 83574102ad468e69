"""From raw text blocks to paragraphs with headings and human references.

Every format loader (text, PDF, Word, HTML) produces `Block`s in reading order;
this module repairs what extraction breaks (paragraphs split by a page break,
bullet glyphs, boilerplate), decides which blocks are headings, and gives each
paragraph the reference a person would look up: the document's own numbering
("¶41", "§4.12") where it has one, else the paragraph's ordinal ("¶7", or
"p. 3 ¶2" when pages are known).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from assistant.loaders.dates import is_date_line
from assistant.types import Paragraph

# Bullet glyphs seen in extracted text: Word's Symbol-font bullet (U+F0B7),
# its square variant (U+F0A7), and the usual Unicode ones.
BULLET_RE = re.compile(r"^\s*(?:[\uf0b7\uf0a7\uf0d8\uf076•●▪◦‣∙·*]|-(?=\s)|–(?=\s))\s*")

# Site furniture and publisher back-matter: never content.
BOILERPLATE = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^A Mackman Group collaboration",
        r"^More from Community Care\b",
        r"^Comments are closed\.?$",
        r"^This page is intentionally left blank",
        r"^Delivering a diverse, reliable range of services to children",
        r"^D1, Parkside, Knowledge Gateway",
        r"^Tel: [\d ]+Contact Us",
        r"^Photo: ",
        r"^Share this (article|page|story)",
        r"^(Sign up|Subscribe) (to|for) our",
        r"^The Office for Standards in Education, Children['’]s Services and Skills \(Ofsted\) regulates",
        r"^If you would like a copy of this document in a different format",
        r"^You may reuse this information \(not including logos\)",
        r"^This (report|publication) is available at",
        r"^Interested in our work\? You can subscribe",
        r"^©\s*Crown copyright",
        r"^Piccadilly Gate( Store Street)?( Manchester)?",
        r"^(T|E|W|Textphone): ",
        r"^Page \d+( of \d+)?$",
        r"^\(Pages? [\d\s\-–]+\)$",
    )
]

_CLOSERS = "\"'”’)]»"
SENTENCE_END = re.compile(r"[.!?][" + re.escape(_CLOSERS) + r"]*$")
LEAD_IN_END = re.compile(r"[:;,][" + re.escape(_CLOSERS) + r"]*$")
DOTTED_NUMBER = re.compile(r"^(\d{1,2}(?:\.\d{1,3}){1,3})\.?\s+(?=\S)")
PLAIN_NUMBER = re.compile(r"^(\d{1,3})\.\s+(?=\S)")
SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+(?=[A-Z])")
STATEMENT = re.compile(r"\b(?:is|are|was|were|has|have|had)\b")
FIELD_LINE = re.compile(r"^[A-Z][\w'’ ]{0,30}:\s+\S")  # "Lead inspector: Christine Kennet"

# A numbered paragraph carries prose; a short numbered line is a list item.
MIN_NUMBERED_CHARS = 70
MAX_HEADING_CHARS = 150
MAX_HEADING_WORDS = 20


@dataclass
class Block:
    """A run of text that extraction believes is one paragraph."""

    text: str
    page: int | None = None
    bullet: bool = False
    table: bool = False
    indented: bool = False  # set by sub-bullets; they continue their parent


def clean_inline(text: str) -> str:
    text = text.replace("\u00a0", " ").replace("\u200b", "").replace("\ufeff", "")
    text = re.sub(r"\*\*(.+?)\*\*", r"\1", text)  # stray Markdown bold from conversions
    return re.sub(r"\s+", " ", text).strip()


def strip_bullet(text: str) -> tuple[str, bool]:
    m = BULLET_RE.match(text)
    if m and m.end() < len(text):
        return text[m.end():], True
    return text, False


def is_boilerplate(text: str) -> bool:
    return any(p.search(text) for p in BOILERPLATE)


def ends_sentence(text: str) -> bool:
    return bool(SENTENCE_END.search(text.rstrip()))


def _continues(prev: Block, nxt: Block) -> bool:
    """A paragraph cut by a page break: no full stop, and the rest starts in lower case."""
    if prev.table or nxt.table or nxt.bullet:
        return False
    tail = prev.text.rstrip()
    return (
        len(tail) > 80  # short lines without stops are list items, not cut paragraphs
        and not ends_sentence(tail)
        and not LEAD_IN_END.search(tail)
        and nxt.text[:1].islower()
    )


def repair(blocks: list[Block]) -> list[Block]:
    """Clean text, drop boilerplate and empty blocks, rejoin paragraphs split by page breaks."""
    out: list[Block] = []
    for b in blocks:
        text = clean_inline(b.text)
        if not text or is_boilerplate(text):
            continue
        text, bullet = strip_bullet(text)
        b = replace(b, text=text, bullet=b.bullet or bullet)
        if out and _continues(out[-1], b):
            out[-1] = replace(out[-1], text=out[-1].text + " " + b.text)
            continue
        out.append(b)
    return out


def is_heading(block: Block, nxt: Block | None) -> bool:
    text = block.text
    if block.bullet or block.table or nxt is None or text[:1].islower():
        return False
    if len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return False
    if PLAIN_NUMBER.match(text) and len(text) >= MIN_NUMBERED_CHARS:
        return False
    if FIELD_LINE.match(text) and not SECTION_NUMBER.match(text):
        return False  # "Inspection dates: 14 to 25 October 2024" is content
    if is_date_line(text):
        return False  # a letter's date line ("26 October 2018") says when it was written: cite it
    if text.endswith("?"):
        return len(text.split()) <= 8  # "What needs to improve?"
    if len(text.split()) >= 5 and STATEMENT.search(text) and not SECTION_NUMBER.match(text):
        return False  # "Children's services in Croydon are inadequate" is a finding, not a title
    return not ends_sentence(text) and not LEAD_IN_END.search(text)


def _own_number(text: str, last_plain: int | None = None) -> tuple[str, str] | None:
    """The document's numbering, as (reference, text without the number).

    Plain numbers ("41.") count only in sequence, so that a numbered list
    inside a paragraph or an agenda item "6." is not taken for paragraph 6.
    """
    m = DOTTED_NUMBER.match(text)
    if m:
        return "§" + m.group(1), text[m.end():]
    m = PLAIN_NUMBER.match(text)
    if m and len(text) >= MIN_NUMBERED_CHARS:
        n = int(m.group(1))
        # One gap is tolerated: a numbered paragraph can be empty in the source.
        if n == 1 or (last_plain is not None and last_plain < n <= last_plain + 2):
            return "¶" + m.group(1), text[m.end():]
    return None


def _numbers(blocks: list[Block]) -> list[tuple[str, str] | None]:
    out, last = [], None
    for b in blocks:
        own = None if b.indented else _own_number(b.text, last)
        if own and own[0].startswith("¶"):
            last = int(own[0][1:])
        elif not b.indented and last is not None:
            # A short numbered paragraph ("19. Consider family and friends as foster carers.")
            # gets no reference of its own but keeps the sequence going.
            m = PLAIN_NUMBER.match(b.text)
            if m and int(m.group(1)) == last + 1:
                last += 1
        out.append(own)
    return out


def _keep_demoted(text: str) -> bool:
    """A heading-like line followed by another heading: keep it as content if it says something."""
    if SECTION_NUMBER.match(text):
        return False  # "8 IMPLICATIONS" followed by "8.1 FINANCIAL IMPLICATIONS"
    return len(text.split()) >= 5 or any(c.isdigit() for c in text)


def _short(heading: str, words: int = 6) -> str:
    parts = heading.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


# A letter's sign-off, above the name of who wrote it
SIGN_OFF = re.compile(r"^\W*(?:yours (?:sincerely|faithfully|truly)|(?:kind|best|warm) regards|with (?:best|kind) wishes)\b", re.I)
SIGNATURE_LINES = 4  # the sign-off, a name, a role, an organisation: more is the next letter or an annex


def _signed(blocks: list[Block]) -> list[Block]:
    """A letter's sign-off and the short lines under it ("Yours sincerely", "Louise Hocking", "Her Majesty's
    Inspector") as one paragraph that ends a sentence: who signed the letter, not trailing lines to drop."""
    for i in range(max(0, len(blocks) - SIGNATURE_LINES - 1), len(blocks)):
        if SIGN_OFF.match(blocks[i].text) and not blocks[i].table:
            lines = [b.text.strip().rstrip(",.") for b in blocks[i:i + SIGNATURE_LINES]]
            if all(len(ln) < 80 for ln in lines):
                return blocks[:i] + [Block(", ".join(lines) + ".", page=blocks[i].page)] + blocks[i + SIGNATURE_LINES:]
    return blocks


def to_paragraphs(doc: str, blocks: list[Block]) -> list[Paragraph]:
    """Assign headings and references to repaired blocks."""
    blocks = _signed(repair(blocks))
    while blocks and not blocks[-1].bullet and not ends_sentence(blocks[-1].text) and len(blocks[-1].text) < 60:
        blocks.pop()  # trailing site links ("Croydon monitoring visit")
    numbers = _numbers(blocks)
    numbered = sum(1 for n in numbers if n) >= 3
    headings = [is_heading(b, blocks[i + 1] if i + 1 < len(blocks) else None) for i, b in enumerate(blocks)]
    paged = any(b.page is not None for b in blocks)

    paragraphs: list[Paragraph] = []
    heading = ""
    parent_ref = ""  # the numbered paragraph that unnumbered followers belong to
    since_heading = 0  # unnumbered paragraphs since the last heading
    page_counts: dict[int | None, int] = {}
    dateline = ""  # a date line, kept at the head of the paragraph under it
    for i, block in enumerate(blocks):
        text = block.text
        role = _role(blocks, headings, i)
        if role == "heading":
            heading, parent_ref, since_heading = text, "", 0
        if role != "paragraph":
            continue
        if is_date_line(text) and _takes_dateline(blocks, headings, i + 1):
            dateline = text.rstrip(".") + ". "
            continue
        own = numbers[i]
        page_counts[block.page] = page_counts.get(block.page, 0) + 1
        since_heading += 1
        if own:
            ref, text = own
            parent_ref = ref
        elif numbered and parent_ref:
            ref = parent_ref  # list items and continuations under "4.2"
        elif paged:
            ref = f"¶{page_counts[block.page]}"
        elif numbered:
            ref = f"{_short(heading)} ¶{since_heading}" if heading else f"opening ¶{since_heading}"
        else:
            ref = f"¶{len(paragraphs) + 1}"
        if paged and block.page is not None:
            ref = f"p. {block.page}, {ref}" if own else f"p. {block.page} {ref}"
        ordinal = len(paragraphs) + 1
        paragraphs.append(
            Paragraph(
                id=f"{doc}#{ordinal}",
                doc=doc,
                ordinal=ordinal,
                ref=ref,
                text=dateline + text,
                heading=heading,
                page=block.page,
            )
        )
        dateline = ""
    return paragraphs


def _role(blocks: list[Block], headings: list[bool], i: int) -> str:
    """"heading" (the context of what follows), "paragraph", or "dropped": a heading-like line
    followed by another heading is kept as content only when it says something."""
    if not headings[i]:
        return "paragraph"
    if not (i + 1 < len(headings) and headings[i + 1]):
        return "heading"
    return "paragraph" if _keep_demoted(blocks[i].text) else "dropped"


def _takes_dateline(blocks: list[Block], headings: list[bool], i: int) -> bool:
    """Whether block i is a prose paragraph that the date line above it can join: a letter's date
    ("26 October 2018") is then cited with the address under it, and the letter's paragraphs keep
    the numbers they had when the date line was lost."""
    return i < len(blocks) and not (blocks[i].bullet or blocks[i].table) and _role(blocks, headings, i) == "paragraph"
