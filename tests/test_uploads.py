"""Upload validation: type by content, size, file name; nothing written outside the collection's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.uploads import (
    UploadRejected,
    check_collection_name,
    check_filename,
    read_limited,
    save_upload,
    save_uploads,
)

LIMIT = 1000
TEXT = b"The council was rated good in 2024.\n"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 26 + b"word/document.xml" + b"\x00" * 40
HTML = b"<!doctype html><html><body><p>Rated good.</p></body></html>"


def tree(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*")}


@pytest.fixture
def uploads(tmp_path):
    """uploads_dir inside a sandbox folder, so writes outside it would show up in the sandbox."""
    return tmp_path / "sandbox" / "uploads"


@pytest.mark.parametrize("name, data", [
    ("report.txt", TEXT), ("notes.md", b"# Notes\n\nRated good.\n"), ("letter.pdf", PDF),
    ("minutes.docx", DOCX), ("page.html", HTML), ("page.htm", HTML), ("Rapport d'été 2024.txt", TEXT),
])
def test_accepted_files_are_saved_in_the_collection_folder(uploads, name, data):
    path = save_upload(uploads, "mine", name, data, LIMIT)
    assert path == (uploads / "mine" / name).resolve()
    assert path.read_bytes() == data
    assert tree(uploads) == {"mine", f"mine/{name}"}  # no temporary file left behind


@pytest.mark.parametrize("name", [
    "../../x.pdf", "../x.txt", "..", ".", "/etc/passwd.txt", "/tmp/x.txt", "a/b.txt", "..\\..\\x.txt",
    "C:\\x.txt", "C:x.txt", "~/x.txt", "x\x00.txt", "x.txt\x00.pdf", ".hidden.txt", ".env", "a\nb.txt",
    "a\u202eb.txt", "", " x.txt", "x.txt ", "x.", "README", "con.txt", "x" * 200 + ".txt",
])
def test_names_that_could_leave_the_folder_or_hide_are_refused(uploads, name):
    sandbox = uploads.parent
    sandbox.mkdir(parents=True)
    before = tree(sandbox)
    with pytest.raises(UploadRejected):
        save_upload(uploads, "mine", name, TEXT, LIMIT)
    assert tree(sandbox) == before  # nothing written anywhere, not even the collection folder


def test_check_filename_explains_why():
    with pytest.raises(UploadRejected, match="folder"):
        check_filename("../../x.pdf")
    with pytest.raises(UploadRejected, match="NUL"):
        check_filename("x\x00.pdf")
    with pytest.raises(UploadRejected, match="hidden"):
        check_filename(".x.pdf")
    assert check_filename("Annual report (2024).pdf") == "Annual report (2024).pdf"


@pytest.mark.parametrize("name, data, why", [
    ("report.pdf", TEXT, "plain text, but the name ends in '.pdf'"),
    ("report.txt", PDF, "a PDF, but the name ends in '.txt'"),
    ("page.txt", HTML, "HTML"),
    ("report.docx", TEXT, "plain text"),
    ("doc.pdf", DOCX, "Word"),
    ("tool.exe", TEXT, "'.exe' files are not accepted"),
    ("image.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a supported document type"),
    ("data.txt", b"abc\x00\x01\x02" * 10, "not a supported document type"),
    ("empty.txt", b"", "empty"),
    ("blank.txt", b"  \n\t\n", "empty"),
    ("latin1.txt", "café rated good".encode("latin-1"), "not UTF-8"),
])
def test_type_is_checked_by_content_and_must_agree_with_the_extension(uploads, name, data, why):
    with pytest.raises(UploadRejected, match=why.replace("(", r"\(").replace(".", r"\.")):
        save_upload(uploads, "mine", name, data, LIMIT)
    assert not (uploads / "mine" / name).exists()


def test_size_limit(uploads):
    assert save_upload(uploads, "mine", "exact.txt", b"a" * LIMIT, LIMIT).stat().st_size == LIMIT
    with pytest.raises(UploadRejected, match="larger than"):
        save_upload(uploads, "mine", "big.txt", b"a" * (LIMIT + 1), LIMIT)
    assert not (uploads / "mine" / "big.txt").exists()


def test_read_limited_never_reads_more_than_the_limit_plus_one(tmp_path):
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * 10_000)
    assert len(read_limited(big, LIMIT)) == LIMIT + 1


@pytest.mark.parametrize("name", ["../x", "a/b", ".hidden", "", " ", "-x", "x" * 64, "a b", "a\x00", None, 3])
def test_collection_names_are_plain(uploads, name):
    with pytest.raises(UploadRejected):
        check_collection_name(name)
    with pytest.raises(UploadRejected):
        save_upload(uploads, name, "x.txt", TEXT, LIMIT)
    assert not uploads.exists() or tree(uploads) == set()


def test_collection_name_accepts_letters_digits_dash_underscore():
    assert check_collection_name("my-docs_2024") == "my-docs_2024"


def test_an_existing_symlink_is_not_followed(uploads, tmp_path):
    outside = tmp_path / "outside.txt"
    outside.write_bytes(b"keep me")
    folder = uploads / "mine"
    folder.mkdir(parents=True)
    os.symlink(outside, folder / "x.txt")
    with pytest.raises(UploadRejected):
        save_upload(uploads, "mine", "x.txt", TEXT, LIMIT)
    assert outside.read_bytes() == b"keep me"


def test_a_symlinked_collection_folder_cannot_redirect_writes(uploads, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    uploads.mkdir(parents=True)
    os.symlink(elsewhere, uploads / "mine")
    with pytest.raises(UploadRejected):
        save_upload(uploads, "mine", "x.txt", TEXT, LIMIT)
    assert list(elsewhere.iterdir()) == []


def test_uploading_again_replaces_the_file(uploads):
    save_upload(uploads, "mine", "x.txt", TEXT, LIMIT)
    save_upload(uploads, "mine", "x.txt", b"Second version.\n", LIMIT)
    assert (uploads / "mine" / "x.txt").read_bytes() == b"Second version.\n"
    assert tree(uploads) == {"mine", "mine/x.txt"}


def test_save_uploads_accepts_and_rejects_each_file_on_its_own(uploads, tmp_path):
    good, bad = tmp_path / "good.txt", tmp_path / "bad.pdf"
    good.write_bytes(TEXT)
    bad.write_bytes(TEXT)
    result = save_uploads(uploads, "mine", [("good.txt", good), ("bad.pdf", bad), ("../../evil.txt", good),
                                            ("gone.txt", tmp_path / "missing")], LIMIT)
    assert [p.name for p in result.saved] == ["good.txt"]
    assert [n for n, _ in result.rejected] == ["bad.pdf", "../../evil.txt", "gone.txt"]
    assert tree(uploads) == {"mine", "mine/good.txt"}
