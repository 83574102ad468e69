"""Documents uploaded from the browser: validated, then saved inside their collection's folder.

A file is accepted only when
  * its name is a plain file name: no folders, no "..", no absolute path, no NUL
    or control characters, not hidden, not too long;
  * its content is a format the loaders read (PDF, Word, HTML, text), decided by
    `assistant.loaders.sniff`, and its extension agrees with that content;
  * it is not empty and not larger than `settings.max_upload_bytes`.
Nothing is ever written outside `settings.uploads_dir / <collection>`: the file is
written to a hidden temporary file in that folder and renamed into place.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from assistant.loaders import sniff

# The extensions each sniffed kind may carry.
EXTENSIONS = {
    "pdf": (".pdf",),
    "docx": (".docx",),
    "html": (".html", ".htm"),
    "text": (".txt", ".md", ".markdown"),
}
KIND_NAMES = {"pdf": "a PDF", "docx": "a Word document", "html": "a web page (HTML)", "text": "plain text"}
ACCEPTED = "PDF, Word (.docx), HTML or plain text (.txt, .md)"
MAX_NAME_CHARS = 150
COLLECTION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")
# Names Windows refuses, whatever the extension: refuse them everywhere.
RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


class UploadRejected(ValueError):
    """A file that will not be saved; the message says why, for a person."""


@dataclass
class UploadResult:
    saved: list[Path] = field(default_factory=list)
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (name as given, reason)


def check_collection_name(name: object) -> str:
    """A collection name that is safe as a folder name: letters, digits, '-' and '_'."""
    if not isinstance(name, str) or not COLLECTION_RE.match(name.strip()):
        raise UploadRejected(
            "the collection name must start with a letter or digit and use only letters, digits, '-' and '_' "
            "(at most 63 characters)"
        )
    return name.strip()


def check_filename(name: object) -> str:
    """The name itself if it is a safe plain file name, else UploadRejected."""
    if not isinstance(name, str) or not name:
        raise UploadRejected("the file has no name")
    if "\x00" in name:
        raise UploadRejected("the file name contains a NUL byte")
    if any(unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"} for ch in name):
        raise UploadRejected("the file name contains control characters")
    if "/" in name or "\\" in name or name.startswith("~") or (len(name) > 1 and name[1] == ":"):
        raise UploadRejected("the file name must not contain a folder or drive (no '/', '\\', '..', 'C:')")
    if name in {".", ".."} or name.startswith("."):
        raise UploadRejected("hidden files (names starting with '.') are not accepted")
    if name != name.strip() or name.endswith("."):
        raise UploadRejected("the file name must not start or end with a space or end with a dot")
    if len(name) > MAX_NAME_CHARS:
        raise UploadRejected(f"the file name is longer than {MAX_NAME_CHARS} characters")
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        raise UploadRejected(f"the file name has no extension; accepted: {ACCEPTED}")
    if stem.split(".")[0].lower() in RESERVED:
        raise UploadRejected("that file name is reserved by the operating system")
    return name


def check_content(name: str, data: bytes, max_bytes: int) -> str:
    """The sniffed kind ("pdf", "docx", "html", "text") when size, content and extension agree."""
    if len(data) > max_bytes:
        raise UploadRejected(f"the file is larger than the limit of {_size(max_bytes)}")
    if not data.strip():
        raise UploadRejected("the file is empty")
    kind = sniff(data)
    if kind not in EXTENSIONS:
        raise UploadRejected(f"the content is not a supported document type; accepted: {ACCEPTED}")
    ext = Path(name).suffix.lower()
    if ext not in EXTENSIONS[kind]:
        expected = " or ".join(EXTENSIONS[kind])
        if not any(ext in exts for exts in EXTENSIONS.values()):
            raise UploadRejected(f"'{ext}' files are not accepted; accepted: {ACCEPTED}")
        raise UploadRejected(f"the content is {KIND_NAMES[kind]}, but the name ends in '{ext}' (expected {expected})")
    if kind == "text":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRejected("the text is not UTF-8; save it as UTF-8 and upload it again") from None
    return kind


def collection_folder(uploads_dir: Path, collection: str) -> Path:
    """uploads_dir/<collection>, created; the collection name is checked first."""
    base = Path(uploads_dir)
    folder = base / check_collection_name(collection)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise UploadRejected("the collection's upload folder is not a plain folder")
    folder.mkdir(parents=True, exist_ok=True)
    if folder.resolve().parent != base.resolve():
        raise UploadRejected("the collection's upload folder is not a plain folder")
    return folder


def save_upload(uploads_dir: Path, collection: str, name: str, data: bytes, max_bytes: int) -> Path:
    """Validate one file and write it atomically into the collection's folder; returns its path."""
    check_filename(name)
    check_content(name, data, max_bytes)
    folder = collection_folder(uploads_dir, collection).resolve()
    dest = folder / name
    # Belt and braces: the checked name cannot leave the folder, and an existing
    # symlink (or folder) in its place is never followed or replaced.
    if dest.resolve(strict=False).parent != folder or os.path.islink(dest) or dest.is_dir():
        raise UploadRejected("the file name is not allowed in this collection")
    fd, tmp = tempfile.mkstemp(prefix=".upload-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dest


def read_limited(path: str | Path, max_bytes: int) -> bytes:
    """A file's bytes, reading at most max_bytes + 1 so an oversized file is never loaded whole."""
    with open(path, "rb") as f:
        return f.read(max_bytes + 1)


def save_uploads(uploads_dir: Path, collection: str, files: list[tuple[str, str | Path]], max_bytes: int) -> UploadResult:
    """Save several (name, temporary path) uploads; each is accepted or rejected on its own."""
    check_collection_name(collection)
    result = UploadResult()
    for name, path in files:
        try:
            data = read_limited(path, max_bytes)
            result.saved.append(save_upload(uploads_dir, collection, name, data, max_bytes))
        except UploadRejected as e:
            result.rejected.append((name, str(e)))
        except OSError as e:
            result.rejected.append((name, f"could not be saved ({e.__class__.__name__})"))
    return result


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:g} {unit}" if unit == "bytes" else f"{n:.0f} {unit}"
        n /= 1024
    return f"{n} bytes"
