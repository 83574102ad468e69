"""Turn a file into a `Document` of paragraphs, whatever its format.

The format is decided by the file's content, not its name: an HTML page saved
as `.pdf` is read as HTML... or reported, never silently indexed as garbage.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from assistant.loaders.structure import to_paragraphs
from assistant.loaders.text import text_blocks
from assistant.packs import hooks
from assistant.types import Document, DocumentInfo

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".pdf", ".docx", ".html", ".htm"}
CATALOGUE_NAME = "catalogue.json"


class LoadError(Exception):
    """A file that cannot be indexed, with the reason a person can act on."""

    def __init__(self, path: Path | str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def sniff(data: bytes) -> str:
    """The format of a file's bytes: pdf, docx, html or text."""
    head = data[:2048].lstrip()
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04") and b"word/" in data[:65536]:
        return "docx"
    lowered = head[:512].lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<html" in lowered or b"<body" in lowered:
        return "html"
    if b"\x00" in data[:8192]:
        return "binary"
    return "text"


def decode_text(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise LoadError(path, f"not UTF-8 text (byte {e.start}); save it as UTF-8") from None


def read_catalogue(root: Path) -> dict[str, dict]:
    path = root / CATALOGUE_NAME
    if not path.exists():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("documents", {})


def discover(paths: list[Path]) -> list[tuple[Path, Path]]:
    """Every supported file under the given paths, as (root, file) in a stable order."""
    found: list[tuple[Path, Path]] = []
    for p in paths:
        if not p.exists():
            raise LoadError(p, "no such file or folder")
        if p.is_file():
            found.append((p.parent, p))
            continue
        for f in sorted(p.rglob("*")):
            if f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES and not f.name.startswith("."):
                found.append((p, f))
    return found


def load_document(path: Path, root: Path, catalogue: dict[str, dict] | None = None) -> Document:
    data = path.read_bytes()
    rel = path.relative_to(root).as_posix()
    if not data.strip():
        raise LoadError(rel, "empty file")
    kind = sniff(data)
    meta = dict((catalogue or {}).get(rel, {}))
    if kind == "text":
        blocks = text_blocks(decode_text(data, path))
    else:
        blocks, found_meta = _load_rich(kind, data, path, rel)
        meta = {**found_meta, **meta}
    paragraphs = to_paragraphs(rel, blocks)
    if not paragraphs:
        raise LoadError(rel, "no text found")
    info = DocumentInfo(
        doc=rel,
        title=meta.get("title") or _title_from(paragraphs, path),
        publisher=meta.get("publisher", ""),
        kind=meta.get("kind", ""),
        date=meta.get("date", ""),
        published=meta.get("published", ""),
        derived_from=meta.get("derived_from", ""),
    )
    return Document(info=info, paragraphs=paragraphs, sha256=hashlib.sha256(data).hexdigest())


def with_packs(meta: dict, head: str, text: str, path: Path) -> dict:
    """A loader's own metadata, overridden by the non-empty fields of each domain pack's
    `read_metadata` (see assistant.packs): what only one kind of document says of itself.
    `head` is the first page's text, a paragraph a line; `text` the whole document's."""
    for read in hooks("read_metadata"):
        meta = {**meta, **{k: v for k, v in read(head, text, path).items() if v}}
    return meta


def _load_rich(kind: str, data: bytes, path: Path, rel: str):
    """PDF, Word and HTML loaders live in their own modules."""
    if kind == "binary":
        raise LoadError(rel, "binary file of an unsupported type")
    try:
        if kind == "pdf":
            from assistant.loaders.pdf import pdf_blocks as load
        elif kind == "docx":
            from assistant.loaders.docx import docx_blocks as load
        else:
            from assistant.loaders.html import html_blocks as load
    except ImportError:
        raise LoadError(rel, f"{kind} files are not supported yet") from None
    return load(data, path, rel)


def _title_from(paragraphs, path: Path) -> str:
    first = paragraphs[0]
    return first.heading or path.stem.replace("-", " ").replace("_", " ")
