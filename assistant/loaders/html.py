"""Web pages: the article's main text via trafilatura, without the site around it.

trafilatura drops navigation, cookie banners, footers and (asked to) reader
comments; its XML output keeps headings, lists and tables, which become blocks.
"""

from __future__ import annotations

import re
from pathlib import Path

import trafilatura
from lxml import etree
from trafilatura.utils import decode_file

from assistant.loaders import LoadError
from assistant.loaders.structure import Block

CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
# A download that failed often saves the site's error page under the file's name.
ERROR_PAGE = re.compile(
    r"\b(?:page|report|document|file) (?:was )?not found\b|^(?:error )?404\b|\bno longer exists\b", re.IGNORECASE
)
BINARY_SUFFIXES = {".pdf", ".docx", ".doc"}


def decode_html(data: bytes) -> str:
    """BOM, then UTF-8 (valid UTF-8 is almost never anything else, whatever the page
    declares), then the page's <meta charset>, then a guess."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = CHARSET.search(data[:4096])
    if declared:
        try:
            return data.decode(declared.group(1).decode("ascii").lower())
        except (LookupError, UnicodeDecodeError):
            pass  # the declaration lies; fall through to detection
    return decode_file(data)


def html_blocks(data: bytes, path: Path, rel: str) -> tuple[list[Block], dict]:
    html = decode_html(data)
    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_comments=False,
        include_tables=True,
        with_metadata=True,
        deduplicate=False,
    )
    root = etree.fromstring(xml.encode("utf-8")) if xml else None
    main = root.find("main") if root is not None else None
    blocks = _blocks(main) if main is not None else []
    if not blocks:
        raise LoadError(rel, "web page with no main text")

    first = blocks[0].text
    shown = first if len(first) <= 80 else (root.get("title") or first[:80]).strip()
    if path.suffix.lower() in BINARY_SUFFIXES:
        kind = path.suffix[1:].upper()
        reason = f"not a {kind}: a web page saved under that name (“{shown}”), probably a failed download"
        raise LoadError(rel, reason)
    page_title = (root.get("title") or "").strip()
    if ERROR_PAGE.search(page_title) or ERROR_PAGE.search(first):
        raise LoadError(rel, f"web page is an error page (“{shown}”)")
    return blocks, _metadata(root)


def _text(el) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def _own_text(item) -> str:
    """A list item's text without its nested list (with_tail keeps text after links)."""
    parts = [item.text or ""] + [etree.tostring(c, method="text", encoding="unicode") for c in item if c.tag != "list"]
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _blocks(main) -> list[Block]:
    blocks: list[Block] = []

    def walk(el, depth: int) -> None:
        for child in el:
            tag = child.tag
            if tag == "list":
                walk(child, depth + 1)
            elif tag == "item":
                own = _own_text(child)
                if own:
                    blocks.append(Block(own, bullet=True, indented=depth > 1))
                for sub in child.iterchildren("list"):  # sub-items follow their item
                    walk(sub, depth + 1)
            elif tag == "table":
                for row in child.iter("row"):
                    cells = [_text(c).rstrip(":") for c in row.iter("cell")]
                    cells = [c for c in cells if c]
                    if cells:
                        blocks.append(Block(": ".join(cells).rstrip(".") + ".", table=True))
            elif tag in ("head", "p", "quote", "code"):
                text = _text(child)
                if text:
                    blocks.append(Block(text))

    walk(main, 0)
    return blocks


def _metadata(root) -> dict:
    meta: dict[str, str] = {}
    if root.get("title"):
        meta["title"] = root.get("title").strip()
    if root.get("date"):
        meta["date"] = root.get("date")
    # Sitename can carry a contact address ("Ofsted. enquiries@ofsted.gov.uk").
    site = re.sub(r"[.,;]?\s*\S+@\S+", "", root.get("sitename") or "").strip(" .")
    if site or root.get("hostname"):
        meta["publisher"] = site or root.get("hostname")
    return meta
