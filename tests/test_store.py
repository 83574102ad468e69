"""The persisted index (assistant/store.py) and its staleness rules (assistant/indexing.py).

One index of the corpus is built per test session (in the session's tmp folder,
never in /work/main/index); tests that damage or rebuild an index work on a copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from assistant.indexing import IndexBusy, build_collection, is_stale, source_fingerprint
from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store import (
    INDEX_FILES,
    IndexProblem,
    collection_dir,
    current_build,
    load_build,
    read_manifest,
)
from tests.conftest import SMALL

CORPUS = PROJECT_ROOT / "corpus"
DIM = 384  # all-MiniLM-L6-v2


@pytest.fixture(scope="session")
def shared(shared_index) -> Path:
    return shared_index


@pytest.fixture
def index_copy(shared, tmp_path):
    """Settings pointing at a private copy of the shared index (same corpus, so it is fresh)."""
    shutil.copytree(shared / "index", tmp_path / "index")
    yield load_settings(index_dir=tmp_path / "index", corpus_dir=shared / "corpus", uploads_dir=tmp_path / "uploads")
    from assistant.pipeline import forget_engines

    forget_engines()


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    dest = tmp_path / "corpus"
    shutil.copytree(CORPUS, dest)
    return dest


BUILD_FILES = INDEX_FILES + ("vocabulary.json", "words.npz", "sentences.npz", "bm25/params.index.json",
                             "bm25/vocab.tokenizer.json")


def cdir_of(settings) -> Path:
    return collection_dir(settings.index_dir, "default")


def load(settings):
    return load_build(cdir_of(settings), "default", settings.model, DIM)


def rewrite_manifest(settings, **changes) -> None:
    build = current_build(cdir_of(settings))
    manifest = json.loads((build / "manifest.json").read_text())
    manifest.update(changes)
    (build / "manifest.json").write_text(json.dumps(manifest))


# --- atomic publish -----------------------------------------------------------------------


def test_shared_index_loads_and_verifies(shared):
    s = load_settings(index_dir=shared / "index", corpus_dir=shared / "corpus", uploads_dir=shared / "uploads")
    stored = load(s)
    assert len(stored.chunks) == stored.manifest["chunks"] > 50
    # what answering needs is in the build too, checksummed with it
    assert set(stored.manifest["checksums"]) == set(BUILD_FILES) | {"bm25/data.csc.index.npy",
                                                                    "bm25/indices.csc.index.npy",
                                                                    "bm25/indptr.csc.index.npy", "bm25/vocab.index.json"}
    assert is_stale(read_manifest(cdir_of(s)), [s.corpus_dir], s) == ""


def test_leftover_tmp_build_is_ignored_then_cleaned(index_copy, embedder):
    cdir = cdir_of(index_copy)
    before = current_build(cdir)
    # What a build killed mid-write leaves: a half-written folder and a temporary CURRENT.
    leftover = cdir / "builds" / ".20200101T000000-deadbeef.tmp"
    leftover.mkdir()
    (leftover / "chunks.jsonl").write_text('{"id": "half a')
    (cdir / ".CURRENT.0123abcd.tmp").write_text("20200101T000000-deadbeef")

    assert load(index_copy).path == before  # ignored: CURRENT never names a .tmp folder

    report = build_collection("default", [index_copy.corpus_dir], index_copy, embedder, force=True)
    after = current_build(cdir)
    assert after != before and report.embedded == 0
    assert not leftover.exists() and not (cdir / ".CURRENT.0123abcd.tmp").exists()
    # The build that served until now is kept for readers still loading it; older ones go.
    assert before.is_dir()
    build_collection("default", [index_copy.corpus_dir], index_copy, embedder, force=True)
    assert not before.exists() and after.is_dir()
    assert sorted(p.name for p in (cdir / "builds").iterdir()) == sorted([after.name, current_build(cdir).name])
    assert load(index_copy).path == current_build(cdir)


def test_failed_build_leaves_no_tmp_and_previous_serving(index_copy, embedder, monkeypatch):
    import assistant.store as store

    cdir = cdir_of(index_copy)
    before = current_build(cdir)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store, "make_faiss", disk_full)
    with pytest.raises(OSError):
        build_collection("default", [index_copy.corpus_dir], index_copy, embedder, force=True)
    assert current_build(cdir) == before
    assert [p.name for p in (cdir / "builds").iterdir()] == [before.name]
    assert load(index_copy).path == before


@pytest.mark.parametrize("pointer", ["", "\n", "../../..", ".20200101T000000-deadbeef.tmp", "no-such-build"])
def test_damaged_current_pointer_means_no_index(index_copy, pointer):
    cdir = cdir_of(index_copy)
    if pointer.startswith(".2020"):
        (cdir / "builds" / pointer).mkdir()
    (cdir / "CURRENT").write_text(pointer)
    assert current_build(cdir) is None
    with pytest.raises(IndexProblem, match="has no index yet"):
        load(index_copy)
    assert is_stale(read_manifest(cdir), [index_copy.corpus_dir], index_copy) == "no index yet"


def test_lock_held_elsewhere_reports_busy(index_copy, embedder):
    cdir = cdir_of(index_copy)
    with FileLock(str(cdir / ".lock")):
        t0 = time.perf_counter()
        with pytest.raises(IndexBusy, match="another process is indexing"):
            build_collection("default", [index_copy.corpus_dir], index_copy, embedder, force=True, lock_timeout=0.3)
        assert time.perf_counter() - t0 < 5
    # Released: the same build goes through.
    assert build_collection("default", [index_copy.corpus_dir], index_copy, embedder, force=True).embedded == 0


# --- verification on load -------------------------------------------------------------------


@pytest.mark.parametrize("name", BUILD_FILES)
def test_flipped_byte_is_detected(index_copy, name):
    path = current_build(cdir_of(index_copy)) / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IndexProblem) as e:
        load(index_copy)
    msg = str(e.value)
    assert name in msg and "corrupt" in msg and "\n" not in msg


@pytest.mark.parametrize("name", BUILD_FILES)
def test_truncation_is_detected(index_copy, name):
    path = current_build(cdir_of(index_copy)) / name
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size // 3)
    with pytest.raises(IndexProblem, match=f"{name} is corrupt or truncated"):
        load(index_copy)


@pytest.mark.parametrize("name", BUILD_FILES)
def test_missing_file_is_detected(index_copy, name):
    (current_build(cdir_of(index_copy)) / name).unlink()
    with pytest.raises(IndexProblem, match=f"{name} is missing"):
        load(index_copy)


def test_truncated_manifest_is_detected(index_copy):
    path = current_build(cdir_of(index_copy)) / "manifest.json"
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(IndexProblem, match="manifest .* is unreadable"):
        load(index_copy)


def test_manifest_without_checksums_is_not_trusted(index_copy):
    rewrite_manifest(index_copy, checksums={})
    with pytest.raises(IndexProblem, match="no checksum for"):
        load(index_copy)


def test_manifest_count_mismatch_is_detected(index_copy):
    rewrite_manifest(index_copy, chunks=load(index_copy).manifest["chunks"] + 1)
    with pytest.raises(IndexProblem, match="inconsistent: counts differ"):
        load(index_copy)


def test_files_that_disagree_with_each_other_are_detected(index_copy):
    """Checksums that match (a tool rewrote the manifest) but one chunk dropped from chunks.jsonl."""
    from assistant.store import sha256_file

    build = current_build(cdir_of(index_copy))
    lines = (build / "chunks.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    (build / "chunks.jsonl").write_text("".join(lines[:-1]), encoding="utf-8")
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["checksums"]["chunks.jsonl"] = sha256_file(build / "chunks.jsonl")
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexProblem, match="inconsistent"):
        load(index_copy)


def test_index_of_another_model_names_both(index_copy):
    rewrite_manifest(index_copy, model="sentence-transformers/other-model")
    with pytest.raises(IndexProblem) as e:
        load(index_copy)
    assert "sentence-transformers/other-model" in str(e.value) and index_copy.model in str(e.value)
    assert "model" in is_stale(read_manifest(cdir_of(index_copy)), [index_copy.corpus_dir], index_copy)


def test_wrong_dimension_is_detected(index_copy):
    with pytest.raises(IndexProblem, match="768"):
        load_build(cdir_of(index_copy), "default", index_copy.model, 768)


def test_load_verifies_the_build_it_reads(index_copy, monkeypatch):
    """CURRENT swapped by another process between two reads must not pair one build's manifest with
    another build's files (a false "corrupt" and a needless rebuild)."""
    import assistant.store as store

    cdir = cdir_of(index_copy)
    build = current_build(cdir)
    other = build.parent / "20990101T000000-00000000"
    shutil.copytree(build, other)
    (other / "manifest.json").write_text(
        json.dumps({**json.loads((other / "manifest.json").read_text()), "checksums": {n: "0" * 64 for n in INDEX_FILES}})
    )
    calls = []

    def swapping(c):  # the first read sees the old build, any later one the "new" build
        calls.append(c)
        return build if len(calls) == 1 else other

    monkeypatch.setattr(store, "current_build", swapping)
    assert store.load_build(cdir, "default", index_copy.model, DIM).path == build


# --- staleness ----------------------------------------------------------------------------


@pytest.fixture
def fresh_manifest(shared, corpus_copy):
    """The shared build's manifest, as if it had been built from `corpus_copy`."""
    manifest = json.loads((current_build(shared / "index" / "default") / "manifest.json").read_text())
    manifest["fingerprint"] = source_fingerprint([corpus_copy])
    settings = load_settings(corpus_dir=corpus_copy, index_dir=shared / "index")
    assert is_stale(manifest, [corpus_copy], settings) == ""
    return manifest, settings


def _touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_stale_when_source_edited(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    f = corpus_copy / "2018-10-ofsted-monitoring-letter.txt"
    f.write_text(f.read_text() + "\nA new paragraph.\n")
    assert is_stale(manifest, [corpus_copy], s) == "source files changed"


def test_stale_when_source_touched_same_size(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    _touch_later(corpus_copy / "2018-10-ofsted-monitoring-letter.txt")
    assert is_stale(manifest, [corpus_copy], s) == "source files changed"


def test_stale_when_source_added(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    (corpus_copy / "new.md").write_text("# New\n\nSomething new.\n")
    assert is_stale(manifest, [corpus_copy], s) == "source files changed"


def test_not_stale_for_unsupported_or_hidden_files(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    (corpus_copy / "notes.xyz").write_text("ignored")
    (corpus_copy / ".hidden.txt").write_text("ignored")
    assert is_stale(manifest, [corpus_copy], s) == ""


def test_stale_when_source_deleted(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    (corpus_copy / "2017-09-news-government-takes-control.txt").unlink()
    assert is_stale(manifest, [corpus_copy], s) == "source files changed"


def test_stale_when_catalogue_edited(fresh_manifest, corpus_copy):
    """Titles and dates come from catalogue.json and are baked into the build."""
    manifest, s = fresh_manifest
    cat = corpus_copy / "catalogue.json"
    data = json.loads(cat.read_text())
    data["documents"]["2018-10-ofsted-monitoring-letter.txt"]["title"] = "Renamed"
    cat.write_text(json.dumps(data))
    assert is_stale(manifest, [corpus_copy], s) == "source files changed"


def test_stale_when_model_changed(fresh_manifest, corpus_copy):
    manifest, s = fresh_manifest
    reason = is_stale(manifest, [corpus_copy], s.replace(model="/models/other"))
    assert reason.startswith("the embedding model changed") and "/models/other" in reason and s.model in reason


def test_stale_when_chunker_changed(fresh_manifest, corpus_copy, monkeypatch):
    manifest, s = fresh_manifest
    assert is_stale({**manifest, "chunker": "0"}, [corpus_copy], s) == "the chunker changed"
    assert is_stale(manifest, [corpus_copy], s.replace(chunk_tokens=s.chunk_tokens + 20)) == "the chunker changed"
    assert is_stale(manifest, [corpus_copy], s.replace(merge_tokens=s.merge_tokens + 20)) != ""
    import assistant.indexing as indexing

    monkeypatch.setattr(indexing, "CHUNKER_VERSION", "999")
    assert is_stale(manifest, [corpus_copy], s) == "the chunker changed"


def test_stale_when_nothing_built(corpus_copy):
    assert is_stale(None, [corpus_copy], load_settings()) == "no index yet"


# --- rebuilds -----------------------------------------------------------------------------


def test_rebuild_reuses_unchanged_embeddings(index_copy, corpus_copy, embedder):
    f = corpus_copy / "2018-10-ofsted-monitoring-letter.txt"
    f.write_text(f.read_text() + "\n\nA brand new closing paragraph about foster carers in Croydon.\n")
    s = index_copy.replace(corpus_dir=corpus_copy)
    before = load(s)
    report = build_collection("default", [corpus_copy], s, embedder)
    assert not report.skipped
    assert 1 <= report.embedded <= 3, report
    assert report.reused == report.chunks - report.embedded > 100
    stored = load(s)
    assert any("brand new closing paragraph" in c.text for c in stored.chunks)
    # Reused vectors are the previous build's vectors, bit for bit.
    previous = dict(zip(before.keys, before.vectors))
    common = [i for i, k in enumerate(stored.keys) if k in previous]
    assert len(common) == report.reused
    assert all(np.array_equal(stored.vectors[i], previous[stored.keys[i]]) for i in common)
    again = build_collection("default", [corpus_copy], s, embedder)
    assert again.skipped


def test_rebuild_after_corruption_does_not_reuse_damaged_vectors(tmp_path, embedder):
    """Reusing vectors from a damaged vectors.npy would seal wrong vectors under fresh checksums."""
    folder = tmp_path / "small"
    folder.mkdir()
    shutil.copy(CORPUS / "2017-09-news-government-takes-control.txt", folder)
    s = load_settings(index_dir=tmp_path / "index", uploads_dir=tmp_path / "uploads")
    first = build_collection("small", [folder], s, embedder)
    cdir = collection_dir(s.index_dir, "small")
    path = current_build(cdir) / "vectors.npy"
    good = np.load(path)
    data = bytearray(path.read_bytes())
    data[-8] ^= 0x40  # still a valid .npy, one float changed
    path.write_bytes(bytes(data))
    with pytest.raises(IndexProblem, match="vectors.npy is corrupt"):
        load_build(cdir, "small", s.model, DIM)
    report = build_collection("small", [folder], s, embedder, force=True)
    assert report.reused == 0 and report.embedded == report.chunks == first.chunks
    assert np.allclose(load_build(cdir, "small", s.model, DIM).vectors, good, atol=1e-4)


def test_deleted_source_leaves_no_trace(index_copy, corpus_copy):
    from assistant.pipeline import ask, load_engine

    gone = "2019-05-community-care-camden-peer-support.txt"
    s = index_copy.replace(corpus_dir=corpus_copy)
    question = "What was the agency rate among Croydon's social workers?"
    before = ask(question, settings=s)
    assert any(c.doc == gone for c in before.citations), before.answer

    (corpus_copy / gone).unlink()
    from assistant.pipeline import forget_engines

    forget_engines()
    after = ask(question, settings=s)
    assert all(c.doc != gone for c in after.citations)
    engine = load_engine(None, s)
    assert gone not in engine.documents
    assert all(c.doc != gone for c in engine.retriever.chunks)
    assert "41%" not in after.answer
    manifest = read_manifest(cdir_of(s))
    assert gone not in json.dumps(manifest["fingerprint"]) and gone not in manifest["files"]


# --- the store seam (store.Index), on both stores ----------------------------------------------

QUERIES = ["Which London borough was ordered to give Croydon peer support?", "Croydon is making progress",
           "government takes control of children's services"]


@pytest.fixture(params=["files", "postgres"])
def small(request, folder, tmp_path, embedder):
    """The SMALL documents, with their dates, indexed as collection "docs" into each store."""
    from assistant.pipeline import forget_engines

    store = request.getfixturevalue("pg_database") if request.param == "postgres" else ""
    shutil.copy(CORPUS / "catalogue.json", folder)  # the documents' dates
    s = load_settings(index_dir=tmp_path / "index", uploads_dir=tmp_path / "uploads", store=store)
    build_collection("docs", [folder], s, embedder)
    yield s
    forget_engines()


def retriever_of(settings):
    """The collection as a question sees it, loaded afresh: its retriever, whose `store` is the Index."""
    from assistant.pipeline import forget_engines, load_engine

    forget_engines()
    return load_engine("docs", settings).retriever


def results(r, where=None) -> list:
    """Every query's dense and lexical results as (chunk id, score)."""
    out = []
    for q in QUERIES:
        for found in (r.store.dense(r.embedder.encode_query(q), 10, where), r.store.lexical(q, 10, where)):
            out.append([(r.chunks[i].id, round(s, 5)) for i, s in found])
    return out


def test_deleting_a_document_removes_it_and_adding_it_back_restores_every_result(small, embedder):
    from functools import partial

    from assistant import prepared

    prepare = partial(prepared.write, embedder=embedder)
    r = retriever_of(small)
    before, unchanged, count = results(r), results(r, {"doc": [SMALL[0]]}), r.store.count()
    gone = SMALL[1]
    rows = [i for i, c in enumerate(r.chunks) if c.doc == gone]
    chunks, vectors, keys = [r.chunks[i] for i in rows], r.vectors[rows], [r.index.keys[i] for i in rows]
    r.store.delete({gone}, small.exact_search_limit, prepare)

    after = retriever_of(small)
    assert after.store.count() == count - len(chunks) and after.store.count({"doc": [gone]}) == 0
    assert after.store.get([c.id for c in chunks]) == []
    assert all(not cid.startswith(gone) for run in results(after) for cid, _ in run)
    # the other documents keep their passages and vectors: their dense results do not move
    assert results(after, {"doc": [SMALL[0]]})[::2] == unchanged[::2]

    after.store.add(chunks, {gone: r.documents[gone]}, vectors, keys, small.exact_search_limit, prepare)
    again = retriever_of(small)
    assert again.store.count() == count and results(again) == before


def test_get_by_id_returns_the_chunks_text_and_count_follows_the_filter(small):
    r = retriever_of(small)
    wanted = [r.chunks[-1], r.chunks[0]]
    got = r.store.get([wanted[0].id, "no-such-document.txt#1", wanted[1].id])
    assert [(c.id, c.text, c.doc) for c in got] == [(c.id, c.text, c.doc) for c in wanted]
    assert r.store.count() == len(r.chunks)
    assert r.store.count({"doc": SMALL[2]}) == sum(c.doc == SMALL[2] for c in r.chunks) > 0


def test_a_date_filter_admits_only_documents_of_its_range(small):
    r = retriever_of(small)
    in_2018 = {"date_from": "2018", "date_to": "2018-12-31"}  # SMALL[1] is dated 2018-11, the others not
    runs = results(r, in_2018)
    assert all(runs) and {cid.split("#")[0] for run in runs for cid, _ in run} == {SMALL[1]}
    assert r.store.count(in_2018) == sum(c.doc == SMALL[1] for c in r.chunks)
    both = {"doc": [SMALL[0], SMALL[1]], "date_to": "2017-12"}
    assert {cid.split("#")[0] for run in results(r, both) for cid, _ in run} == {SMALL[0]}


def test_a_filter_matching_nothing_finds_nothing_and_a_bad_one_is_a_one_line_value_error(small):
    r = retriever_of(small)
    for where in ({"date_from": "2030-01-01"}, {"doc": ["no-such-document.txt"]}, {"doc": []},
                  {"doc": [SMALL[0]], "date_from": "2019"}):
        assert results(r, where) == [[]] * 2 * len(QUERIES) and r.store.count(where) == 0, where
    bad = [({"date_from": "2019-13-01"}, "date_from must be a date"), ({"date_to": "last year"}, "date_to must be a date"),
           ({"date_from": "2019-02-30"}, "date_from must be a date"), ({"date_from": 2019}, "date_from must be a date"),
           ({"date_from": "2020", "date_to": "2019-06"}, "date_from 2020 is after date_to 2019-06"),
           ({"dates": "2019"}, "unknown filter key 'dates'"), ({"doc": 3}, "filter doc must be"),
           (["doc"], "a filter must be a dict")]
    qvec = r.embedder.encode_query("caseloads")
    for where, message in bad:
        for search in (lambda: r.store.dense(qvec, 5, where), lambda: r.store.lexical("caseloads", 5, where),
                       lambda: r.store.count(where)):
            with pytest.raises(ValueError, match=message) as e:
                search()
            assert "\n" not in str(e.value)
