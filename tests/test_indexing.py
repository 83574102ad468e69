"""Incremental indexing (assistant/indexing.py) and the FAISS index type (assistant/store.py).

Small folders of the corpus's text files and tiny PDFs made on the spot, each indexed into
the test's tmp folder: nothing here needs ../shared.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant import indexing
from assistant.indexing import build_collection
from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store import collection_dir, current_build, load_build, make_faiss, read_manifest
from tests.conftest import SMALL

CORPUS = PROJECT_ROOT / "corpus"
DIM = 384


@pytest.fixture
def settings(tmp_path):
    yield load_settings(index_dir=tmp_path / "index", uploads_dir=tmp_path / "uploads")
    from assistant.pipeline import forget_engines

    forget_engines()


def stored(settings, name="docs"):
    return load_build(collection_dir(settings.index_dir, name), name, settings.model, DIM)


def make_pdf(path: Path, paragraphs: list[str]) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_textbox(pymupdf.Rect(72, 72, 520, 770), "\n\n".join(paragraphs), fontsize=11)
    doc.save(path)
    doc.close()


# --- incremental re-indexing ----------------------------------------------------------------


def test_edit_reembeds_and_reparses_only_the_changed_file(folder, settings, embedder):
    first = build_collection("docs", [folder], settings, embedder)
    assert first.embedded == first.chunks > 20 and first.reused == 0
    assert indexing.LAST_BUILD_STATS["parsed"] == 3 and indexing.LAST_BUILD_STATS["cached"] == 0

    f = folder / SMALL[1]
    f.write_text(f.read_text(encoding="utf-8") + "\n\nA new closing paragraph about foster carers in Croydon.\n",
                 encoding="utf-8")
    again = build_collection("docs", [folder], settings, embedder)
    assert indexing.LAST_BUILD_STATS["parsed"] == 1 and indexing.LAST_BUILD_STATS["cached"] == 2
    assert 1 <= again.embedded <= 2, again
    assert again.reused == again.chunks - again.embedded
    assert any("new closing paragraph" in c.text for c in stored(settings).chunks)


def test_unchanged_files_are_not_read_again(folder, settings, embedder, monkeypatch):
    build_collection("docs", [folder], settings, embedder)
    before = stored(settings)
    for f in folder.iterdir():  # new mtimes, same bytes: stale by fingerprint, unchanged by content
        os.utime(f, ns=(f.stat().st_atime_ns, f.stat().st_mtime_ns + 10**9))

    def no_parsing(*args, **kwargs):
        raise AssertionError("an unchanged file was parsed again")

    monkeypatch.setattr(indexing, "load_document", no_parsing)
    report = build_collection("docs", [folder], settings, embedder)
    assert not report.skipped and report.embedded == 0 and not report.failed
    assert indexing.LAST_BUILD_STATS == {**indexing.LAST_BUILD_STATS, "parsed": 0, "cached": 3}
    after = stored(settings)
    assert after.chunks == before.chunks and after.documents == before.documents
    assert np.array_equal(after.vectors, before.vectors)


def test_parse_cache_follows_the_chunker_settings(folder, settings, embedder):
    build_collection("docs", [folder], settings, embedder)
    build_collection("docs", [folder], settings.replace(merge_tokens=60), embedder)
    assert indexing.LAST_BUILD_STATS["parsed"] == 3  # other settings make other chunks: read again


def test_damaged_cache_entry_is_read_again_not_trusted(folder, settings, embedder):
    build_collection("docs", [folder], settings, embedder)
    before = stored(settings).chunks
    cache = collection_dir(settings.index_dir, "docs") / indexing.PARSE_CACHE_DIR
    entries = sorted(cache.glob("*.json"))
    assert len(entries) == 3
    raw = entries[0].read_bytes()
    entries[0].write_bytes(raw.replace(b"Croydon", b"Cr0ydon", 1))  # still JSON, wrong text
    build_collection("docs", [folder], settings, embedder, force=True)
    assert indexing.LAST_BUILD_STATS["parsed"] == 1
    assert stored(settings).chunks == before


def test_deleted_file_leaves_no_trace(folder, settings, embedder):
    from assistant.pipeline import ask, forget_engines

    gone = "2019-05-community-care-camden-peer-support.txt"
    build_collection("docs", [folder], settings, embedder)
    question = "Which London borough was ordered to give Croydon peer support?"
    assert any(c.doc == gone for c in ask(question, collection="docs", settings=settings).citations)

    (folder / gone).unlink()
    report = build_collection("docs", [folder], settings, embedder)
    assert report.embedded == 0 and report.documents == 2
    forget_engines()
    after = ask(question, collection="docs", settings=settings)
    assert all(c.doc != gone for c in after.citations)
    s = stored(settings)
    assert gone not in s.documents and all(c.doc != gone for c in s.chunks)
    assert len(s.keys) == len(s.chunks) == s.faiss_index.ntotal
    manifest = read_manifest(collection_dir(settings.index_dir, "docs"))
    assert gone not in json.dumps(manifest)
    cache = collection_dir(settings.index_dir, "docs") / indexing.PARSE_CACHE_DIR
    assert len(list(cache.iterdir())) == 2  # its parsed chunks are gone too
    assert not any(gone in p.read_text(encoding="utf-8") for p in cache.iterdir())


def test_added_file_is_the_only_one_read(folder, settings, embedder):
    build_collection("docs", [folder], settings, embedder)
    shutil.copy(CORPUS / "2024-12-croydon-cabinet-report-ofsted-outcome.txt", folder)
    report = build_collection("docs", [folder], settings, embedder)
    assert indexing.LAST_BUILD_STATS["parsed"] == 1 and report.documents == 4
    assert report.embedded > 0 and report.reused > 0


# --- parsing in a worker process, overlapped with encoding ------------------------------------


def test_worker_process_makes_the_same_build_as_inline(tmp_path, folder, embedder, monkeypatch):
    make_pdf(folder / "report.pdf", ["Inspection of Anytown children's services.",
                                     "Lead inspector: Jane Example, His Majesty's Inspector",
                                     "Overall effectiveness: Good."])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    builds = {}
    for mode in ("inline", "process"):
        monkeypatch.setattr(indexing, "PARSE_WORKER", mode)
        monkeypatch.setattr(indexing, "PARSE_INLINE_BELOW", 1)
        s = load_settings(index_dir=tmp_path / f"index-{mode}", uploads_dir=tmp_path / "uploads")
        report = build_collection("docs", [folder], s, embedder)
        assert indexing.LAST_BUILD_STATS["parsed"] == 5
        builds[mode] = (report.failed, stored(s))
    (failed_a, a), (failed_b, b) = builds["inline"], builds["process"]
    assert failed_a == failed_b and [Path(f).name for f, _ in failed_a] == ["broken.pdf"]
    assert a.chunks == b.chunks and a.documents == b.documents and a.keys == b.keys
    assert np.allclose(a.vectors, b.vectors, atol=1e-5)


def test_parser_process_survives_a_failed_job_and_a_dead_child():
    pool = indexing._ParserProcess()
    try:
        ok = (CORPUS, CORPUS / SMALL[0], {}, None, 180, 120)
        unsendable = (CORPUS, lambda: None, {}, None, 180, 120)  # cannot be pickled to the child
        first = pool.submit(indexing._parse_file, *ok).result(timeout=300)[0]
        failed = pool.submit(indexing._parse_file, *unsendable).result(timeout=300)[0]
        pool.child is None or pool.child.kill()  # a child that died between two files
        again = pool.submit(indexing._parse_file, *ok).result(timeout=300)[0]
    finally:
        pool.shutdown()
    assert first[0] == "ok" and first[1].doc == SMALL[0]
    assert failed[0] == "error" and "parser process failed" in failed[1]
    assert again == first


def test_encoder_embeds_identical_texts_once_in_blocks(tmp_path, embedder, monkeypatch):
    calls = []
    real = embedder.encode

    def spy(texts, progress=False):
        calls.append(len(texts))
        return real(texts, progress)

    monkeypatch.setattr(embedder, "encode", spy)
    enc = indexing._Encoder(embedder, {}, progress=False, block=3)
    enc.add(["a", "b"], ["one text", "another text"])
    assert not enc.ready()
    enc.add(["a", "c"], ["one text", "a third text"])
    assert enc.ready()
    enc.flush()
    enc.add(["d"], ["a fourth"])
    vectors = enc.vectors(["a", "b", "c", "a", "d"])
    assert calls == [3, 1]
    assert np.array_equal(vectors[0], vectors[3])
    assert np.allclose(vectors[1], embedder.encode(["another text"])[0], atol=1e-5)


# --- the index type follows the collection's size -------------------------------------------


def _unit(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_make_faiss_is_exact_up_to_the_limit_and_approximate_above():
    import faiss

    v = _unit(3000)
    exact = make_faiss(v, exact_limit=3000)
    assert isinstance(exact, faiss.IndexFlat)
    approx = make_faiss(v, exact_limit=2999)
    assert not isinstance(approx, faiss.IndexFlat) and approx.ntotal == 3000
    q = v[:50] + 0.01 * _unit(50, seed=1)
    truth = exact.search(q, 10)[1]
    found = approx.search(q, 10)[1]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth)])
    assert recall >= 0.9, recall
    assert isinstance(make_faiss(np.zeros((0, DIM), np.float32), 0), faiss.Index)


def test_small_limit_builds_an_approximate_index_that_answers(tmp_path, settings, embedder):
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)  # the whole corpus: enough vectors for several IVF lists
    s = settings.replace(exact_search_limit=10)
    report = build_collection("docs", [folder], s, embedder)
    index = stored(s)
    assert index.manifest["index_type"] == "ivf"
    assert index.faiss_index.ntotal == report.chunks > 100
    from assistant.pipeline import ask

    answer = ask("Which London borough was ordered to give Croydon peer support?", collection="docs", settings=s)
    assert not answer.abstained and "Camden" in answer.answer


# --- the command line on a folder with bad files ----------------------------------------------


def test_cli_indexes_the_good_pdfs_and_names_each_bad_file(tmp_path):
    folder = tmp_path / "reports"
    folder.mkdir()
    make_pdf(folder / "good.pdf", ["Inspection of Anytown children's services.",
                                   "Lead inspector: Jane Example, His Majesty's Inspector"])
    (folder / "not-found.pdf").write_text("<!DOCTYPE html><html><head><title>Report not found</title></head>"
                                          "<body><h1>Report not found</h1></body></html>", encoding="utf-8")
    good = (folder / "good.pdf").read_bytes()
    (folder / "truncated.pdf").write_bytes(good[: len(good) // 3])
    (folder / "empty.pdf").write_bytes(b"")
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "PYTHONPATH": str(PROJECT_ROOT),
           "ASSISTANT_UPLOADS_DIR": str(tmp_path / "uploads")}

    def index(*extra):
        return subprocess.run([sys.executable, "-m", "assistant", "index", str(folder), "--collection", "reports",
                               *extra], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)

    r = index()
    assert r.returncode == 1, r.stderr
    assert "Indexed 1 documents" in r.stdout
    skipped = {Path(ln.split(": ")[0][len("skipped "):]).name: ln for ln in r.stderr.splitlines()
               if ln.startswith("skipped ")}
    assert set(skipped) == {"not-found.pdf", "truncated.pdf", "empty.pdf"}, r.stderr
    assert "web page" in skipped["not-found.pdf"]  # an HTML page saved as .pdf is named as one
    assert "empty" in skipped["empty.pdf"]
    # A forced rebuild gives the same verdicts (the reasons come from the parse cache).
    again = index("--force")
    assert again.returncode == 1
    assert sorted(ln for ln in again.stderr.splitlines() if ln.startswith("skipped ")) == sorted(skipped.values())
    build = current_build(collection_dir(tmp_path / "index", "reports"))
    assert {Path(f["file"]).name for f in json.loads((build / "manifest.json").read_text())["failed"]} == set(skipped)


# --- reading and embedding on a Dask cluster ----------------------------------------------------


@pytest.mark.slow
def test_index_with_two_dask_workers_makes_the_serial_build(tmp_path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in SMALL:
        shutil.copy(CORPUS / name, folder / name)
    make_pdf(folder / "report.pdf", ["Inspection of Anytown children's services.",
                                     "Lead inspector: Jane Example, His Majesty's Inspector"])
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    serial = load_settings(index_dir=tmp_path / "serial", uploads_dir=tmp_path / "uploads")
    build_collection("docs", [folder], serial, embedder)
    env = {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "dask"), "PYTHONPATH": str(PROJECT_ROOT),
           "ASSISTANT_UPLOADS_DIR": str(tmp_path / "uploads")}
    r = subprocess.run([sys.executable, "-m", "assistant", "index", str(folder), "--collection", "docs", "--workers", "2"],
                       cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 1, r.stderr  # broken.pdf is named, the rest indexed
    assert "Indexed 4 documents" in r.stdout and "skipped" in r.stderr and "broken.pdf" in r.stderr
    assert "Reading and embedding" in r.stderr  # the progress bar
    a, b = stored(serial), stored(serial.replace(index_dir=tmp_path / "dask"))
    assert a.chunks == b.chunks and a.documents == b.documents and a.keys == b.keys
    assert np.allclose(a.vectors, b.vectors, atol=1e-5)


def test_bad_worker_count_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    assert main(["index", str(CORPUS), "--collection", "x", "--workers", "-1"]) == 2
    assert capsys.readouterr().err == "error: workers must be at least 1, not -1\n"
