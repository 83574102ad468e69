"""The command line: `python -m assistant ask|index|collections`, run as real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store import collection_dir, load_build
from assistant.types import Citation

CORPUS = PROJECT_ROOT / "corpus"
ANSWER_KEYS = {"question", "answer", "abstained", "citations", "query", "collection", "mode", "timings", "confidence", "turn"}
CITATION_KEYS = set(Citation.__dataclass_fields__)


def run(args, tmp_path: Path, corpus: Path | None = None, index: Path | None = None, timeout=120):
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(index or tmp_path / "index"),
        "ASSISTANT_CORPUS_DIR": str(corpus or tmp_path / "corpus"),
        "ASSISTANT_UPLOADS_DIR": str(tmp_path / "uploads"),
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    return subprocess.run([sys.executable, "-m", "assistant", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def index_copy(shared_index, tmp_path):
    base = shared_index
    shutil.copytree(base / "index", tmp_path / "index")
    return tmp_path / "index", base / "corpus"


def test_help(tmp_path):
    r = run(["--help"], tmp_path)
    assert r.returncode == 0
    assert "ask" in r.stdout and "index" in r.stdout
    r = run(["ask", "--help"], tmp_path)
    assert r.returncode == 0 and "--json" in r.stdout


@pytest.mark.parametrize("question", ["", "   ", "\t\n  ", "\x01\x02"])
def test_empty_question_exits_2_with_one_line(tmp_path, question):
    r = run(["ask", question], tmp_path)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "empty" in lines[0]
    assert not (tmp_path / "index").exists()  # refused before any indexing


def test_index_of_missing_path_exits_2(tmp_path):
    r = run(["index", "/no/such/path"], tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert lines == ["error: no such file or folder: /no/such/path"]


def test_unknown_collection_exits_2(tmp_path):
    for args in (["index", "--collection", "nope"], ["ask", "What grade?", "--collection", "nope"]):
        r = run(args, tmp_path)
        assert r.returncode == 2, args
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "unknown collection 'nope'" in lines[0]


def test_unreadable_history_exits_2(tmp_path):
    bad = tmp_path / "history.json"
    bad.write_text("[{not json")
    r = run(["ask", "And who led it?", "--history", str(bad)], tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "history" in r.stderr


@pytest.mark.slow
def test_ask_json_follows_the_contract(tmp_path, index_copy):
    index, corpus = index_copy
    history = tmp_path / "history.json"
    history.write_text(json.dumps([
        {"role": "user", "content": "When did the 2024 Ofsted inspection of Croydon take place?"},
        {"role": "assistant", "content": "From 14 to 25 October 2024 [1]."},
    ]))
    r = run(["ask", "Who led it?", "--json", "--history", str(history)], tmp_path, corpus=corpus, index=index)
    assert r.returncode == 0, r.stderr
    assert "Indexing" not in r.stdout and "Rebuilding" not in r.stdout  # the copy is fresh
    data = json.loads(r.stdout)
    assert set(data) == ANSWER_KEYS
    assert data["question"] == "Who led it?" and "2024" in data["query"]  # resolved against the history
    assert data["collection"] == "default" and isinstance(data["abstained"], bool)
    assert isinstance(data["answer"], str) and data["answer"]
    assert isinstance(data["timings"], dict) and isinstance(data["confidence"], float)
    for c in data["citations"]:
        assert set(c) == CITATION_KEYS and c["doc"] and c["text"]
    if not data["abstained"]:
        assert data["citations"] and "[1]" in data["answer"]


@pytest.mark.slow
def test_index_folder_with_broken_files_indexes_the_rest(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    shutil.copy(CORPUS / "2017-09-news-government-takes-control.txt", folder / "good-1.txt")
    shutil.copy(CORPUS / "2018-11-news-croydon-making-progress.txt", folder / "good-2.md")
    (folder / "latin1.txt").write_bytes("Un caf\u00e9 \u00e0 Croydon.\n".encode("latin-1"))
    (folder / "empty.md").write_text("  \n")
    (folder / "fake.pdf").write_bytes(b"\x00\x01\x02 not a pdf at all \x00" * 20)

    r = run(["index", str(folder), "--collection", "mixed"], tmp_path)
    assert r.returncode == 1, r.stderr
    assert "Indexed 2 documents" in r.stdout
    skipped = [ln for ln in r.stderr.splitlines() if ln.startswith("skipped ")]
    assert len(skipped) == 3, r.stderr
    by_name = {Path(ln.split()[1].rstrip(":")).name: ln for ln in skipped}
    assert set(by_name) == {"latin1.txt", "empty.md", "fake.pdf"}
    assert "UTF-8" in by_name["latin1.txt"]
    assert "empty" in by_name["empty.md"]
    assert "binary" in by_name["fake.pdf"] or "pdf" in by_name["fake.pdf"]

    s = load_settings(index_dir=tmp_path / "index")
    stored = load_build(collection_dir(s.index_dir, "mixed"), "mixed", s.model, 384)
    assert set(stored.documents) == {"good-1.txt", "good-2.md"}
    assert {Path(f["file"]).name for f in stored.manifest["failed"]} == {"latin1.txt", "empty.md", "fake.pdf"}

    r = run(["collections"], tmp_path)
    assert r.returncode == 0 and "mixed" in r.stdout.split()
