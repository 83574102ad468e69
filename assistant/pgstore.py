"""PostgreSQL + pgvector as one collection store shared by many app processes and machines.

Tables, created on first use (all named assistant_*, so they can share a database):
    collections   a collection's sources, its current build and the build before it
    builds        one per publish: its id is the generation a reader compares, and its manifest
    chunks        build, row, the chunk (id, document, paragraph reference, page, document date,
                  heading, text, paragraph ids), its content key and its vector
    postings      build, term, the rows holding it and their BM25 scores: the bm25s index's own
                  per-term impacts, so BM25 is computed in SQL and scores as the embedded store does
    files         build, name, bytes: what answering needs besides (assistant/prepared.py)

A build is written and published in one transaction (chunks and postings by COPY, then the HNSW
index, then the collection's pointer), so a writer killed midway leaves the previous build
serving, and readers never see half of one. The build a reader may still be loading is kept; older
ones are dropped in the same transaction. Up to `exact_search_limit` chunks a build is searched
exactly, like the embedded store; above it through an HNSW index of that build alone, created after
the bulk COPY (building it row by row would take many times longer).

A reader loads the chunks, vectors and prepared files of the current build into memory (the answer
stage reads them per passage and sentence), writes the files into index/<collection>/builds/pg-<id>/
as a local cache, and searches in SQL. `generation()` is one indexed lookup, made per question:
a newer build is loaded without a restart.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np

from assistant.prepared import BM25
from assistant.retrieval import LexicalRetriever
from assistant.store import (MANIFEST_VERSION, Index, IndexProblem, StoredIndex, _verify_files, collection_dir,
                             sha256_file)
from assistant.types import Chunk, DocumentInfo

HNSW_M = 16
HNSW_EF_CONSTRUCTION = 64
# Candidates an HNSW search keeps: recall@10 against exact search 0.984 on the synthetic 100k set
# of evals/bench_store.py (0.959 at 100, 0.906 at pgvector's default of 40; 400 gains nothing), in 1.9 ms;
# 0.905 on its 1M set, where the graph itself (m, ef_construction) limits it
HNSW_EF_SEARCH = 200
LOCAL_PREFIX = "pg-"  # index/<collection>/builds/pg-<build>: a reader's copy of a build's files

SCHEMA = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS assistant_collections (
    name text PRIMARY KEY, sources jsonb NOT NULL DEFAULT '[]', build bigint, previous bigint);
CREATE TABLE IF NOT EXISTS assistant_builds (
    id bigserial PRIMARY KEY, collection text NOT NULL, manifest jsonb NOT NULL);
CREATE TABLE IF NOT EXISTS assistant_postings (
    build bigint NOT NULL, term int NOT NULL, rows int[] NOT NULL, scores real[] NOT NULL,
    PRIMARY KEY (build, term));
CREATE TABLE IF NOT EXISTS assistant_files (
    build bigint NOT NULL, name text NOT NULL, data bytea NOT NULL, PRIMARY KEY (build, name));
"""
# created by the first writer, when the model's dimension is known
CHUNKS = """
CREATE TABLE IF NOT EXISTS assistant_chunks (
    build bigint NOT NULL, row int NOT NULL, id text NOT NULL, doc text NOT NULL, ref text NOT NULL,
    page int, date text NOT NULL, heading text NOT NULL, text text NOT NULL, paragraph_ids text[] NOT NULL,
    key text NOT NULL, embedding vector({dim}) NOT NULL, PRIMARY KEY (build, row));
-- the vector stays in the row, uncompressed: an exact search reads every one, and compressing or
-- moving it out of line (a chunk's text and vector pass the 2 kB at which PostgreSQL does) made
-- that several times slower; the text moves out instead
ALTER TABLE assistant_chunks ALTER COLUMN embedding SET STORAGE PLAIN;
CREATE INDEX IF NOT EXISTS assistant_chunks_doc ON assistant_chunks (build, doc);
CREATE INDEX IF NOT EXISTS assistant_chunks_id ON assistant_chunks (build, id);
"""


class PgStore:
    """The store seam of `store.FileStore`, in PostgreSQL (see the module's docstring)."""

    shared = True  # read by processes that may not see the source files: only `index` rebuilds

    def __init__(self, uri: str, index_dir: Path):
        self.uri = uri
        self.index_dir = index_dir
        self._local = threading.local()
        with self._connect() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtext('assistant schema'))")  # two first users at once
            conn.execute(SCHEMA)

    def _connect(self):
        import psycopg

        try:
            # no server-side prepared statements: each search is planned with its build's id, so the
            # planner can use that build's own HNSW index (a generic plan could not)
            conn = psycopg.connect(self.uri, autocommit=True, prepare_threshold=None, connect_timeout=10)
        except psycopg.OperationalError as e:
            raise IndexProblem(f"cannot connect to the store {_safe(self.uri)}: {str(e).strip().splitlines()[-1]}") from None
        conn.execute(f"SET hnsw.ef_search = {HNSW_EF_SEARCH}")
        if conn.execute("SELECT to_regtype('vector')").fetchone()[0]:
            from pgvector.psycopg import register_vector

            register_vector(conn)
        return conn

    def conn(self):
        """This thread's connection: the app answers several questions at once."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = self._connect()
        return conn

    # --- the collection's record ---------------------------------------------------------------

    def generation(self, collection: str) -> int | None:
        row = self.conn().execute("SELECT build FROM assistant_collections WHERE name = %s", (collection,)).fetchone()
        return row[0] if row else None

    def manifest(self, collection: str) -> dict | None:
        row = self.conn().execute(
            "SELECT b.manifest FROM assistant_collections c JOIN assistant_builds b ON b.id = c.build WHERE c.name = %s",
            (collection,)).fetchone()
        return row[0] if row else None

    def sources(self, collection: str) -> list[Path]:
        row = self.conn().execute("SELECT sources FROM assistant_collections WHERE name = %s", (collection,)).fetchone()
        return [Path(p) for p in row[0]] if row else []

    def set_sources(self, collection: str, sources: list[Path]) -> None:
        collection_dir(self.index_dir, collection)  # the same names as the embedded store
        self.conn().execute(
            "INSERT INTO assistant_collections (name, sources) VALUES (%s, %s) "
            "ON CONFLICT (name) DO UPDATE SET sources = excluded.sources",
            (collection, json.dumps([str(p) for p in sources])))

    def collections(self) -> list[str]:
        return [r[0] for r in self.conn().execute("SELECT name FROM assistant_collections ORDER BY name")]

    # --- writing ---------------------------------------------------------------------------------

    def previous_embeddings(self, collection: str) -> dict[str, np.ndarray]:
        """Vectors of the current build by content key, to reuse when re-indexing."""
        if _dimension(self.conn()) is None:
            return {}
        rows = self.conn().cursor(binary=True).execute(
            "SELECT key, embedding FROM assistant_chunks WHERE build = "
            "(SELECT build FROM assistant_collections WHERE name = %s)", (collection,))
        return {k: v.to_numpy() for k, v in rows}

    def write(self, collection: str, manifest: dict, chunks: list[Chunk], documents: dict[str, DocumentInfo],
              vectors: np.ndarray, keys: list[str], exact_limit: int, prepare) -> int:
        """Write a build and publish it, in one transaction; returns its id (the new generation).

        `prepare(folder, chunks, documents, previous)` writes what answering needs into a folder
        (`previous`: the current build's files, for what it can reuse) and returns the names it
        wrote; its BM25 index (prepared.BM25) becomes the postings."""
        dim = int(vectors.shape[1]) if len(vectors) else int(manifest.get("dimension", 384))
        with tempfile.TemporaryDirectory(prefix="assistant-build-") as tmp:
            folder = Path(tmp)
            try:
                previous = self._materialize(collection)
            except IndexProblem:  # a damaged copy: nothing is reused from it
                previous = None
            files = prepare(folder, chunks, documents, previous)
            (folder / "documents.json").write_text(
                json.dumps({k: v.__dict__ for k, v in documents.items()}, ensure_ascii=False, indent=1), encoding="utf-8")
            files = ["documents.json", *files]
            manifest = {**manifest, "manifest_version": MANIFEST_VERSION,
                        "index_type": "hnsw" if len(chunks) > exact_limit else "exact",
                        "checksums": {name: sha256_file(folder / name) for name in files},
                        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            bm25 = LexicalRetriever.load(folder / BM25).bm25.scores
            with self._connect() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(hashtext('assistant schema'))")
                conn.execute(CHUNKS.format(dim=dim))
                if _dimension(conn) != dim:
                    raise IndexProblem(f"the store holds {_dimension(conn)}-dimension vectors; the model makes {dim}")
                from pgvector.psycopg import register_vector

                register_vector(conn)
                # one writer per collection at a time, wherever it runs
                conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", ("assistant collection " + collection,))
                build = conn.execute("INSERT INTO assistant_builds (collection, manifest) VALUES (%s, %s) RETURNING id",
                                     (collection, json.dumps(manifest))).fetchone()[0]
                _copy_chunks(conn, build, chunks, documents, vectors, keys)
                _copy_postings(conn, build, bm25)
                with conn.cursor().copy("COPY assistant_files (build, name, data) FROM STDIN") as copy:
                    for name in files:
                        copy.write_row((build, name, (folder / name).read_bytes()))
                if manifest["index_type"] == "hnsw":
                    conn.execute(f"CREATE INDEX assistant_chunks_hnsw_{build} ON assistant_chunks USING hnsw "
                                 f"(embedding vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
                                 f"WHERE build = {build}")
                conn.execute("ANALYZE assistant_chunks")
                self._publish(conn, collection, build)
        return build

    def _publish(self, conn, collection: str, build: int) -> None:
        """Point the collection at `build`; keep the one it replaces (a reader may be loading it)."""
        row = conn.execute(
            "INSERT INTO assistant_collections (name, build) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
            "SET previous = assistant_collections.build, build = excluded.build RETURNING previous",
            (collection, build)).fetchone()
        keep = [build] + ([row[0]] if row[0] is not None else [])
        old = [r[0] for r in conn.execute("SELECT id FROM assistant_builds WHERE collection = %s AND NOT id = ANY(%s)",
                                          (collection, keep))]
        for table in ("assistant_chunks", "assistant_postings", "assistant_files"):
            conn.execute(f"DELETE FROM {table} WHERE build = ANY(%s)", (old,))
        conn.execute("DELETE FROM assistant_builds WHERE id = ANY(%s)", (old,))
        for b in old:
            conn.execute(f"DROP INDEX IF EXISTS assistant_chunks_hnsw_{int(b)}")

    # --- reading ---------------------------------------------------------------------------------

    def _materialize(self, collection: str, build: int | None = None, manifest: dict | None = None) -> Path | None:
        """The files of a build (the current one by default) in index/<collection>/builds/pg-<id>/."""
        if build is None:
            row = self.conn().execute(
                "SELECT b.id, b.manifest FROM assistant_collections c JOIN assistant_builds b ON b.id = c.build "
                "WHERE c.name = %s", (collection,)).fetchone()
            if row is None:
                return None
            build, manifest = row
        builds = collection_dir(self.index_dir, collection) / "builds"
        folder = builds / f"{LOCAL_PREFIX}{build}"
        if not folder.is_dir():
            tmp = builds / f".{LOCAL_PREFIX}{build}.{uuid.uuid4().hex}.tmp"
            for name, data in self.conn().execute("SELECT name, data FROM assistant_files WHERE build = %s", (build,)):
                (tmp / name).parent.mkdir(parents=True, exist_ok=True)
                (tmp / name).write_bytes(data)
            tmp.mkdir(parents=True, exist_ok=True)
            try:
                tmp.rename(folder)
            except OSError:  # another process of this machine made it first
                shutil.rmtree(tmp, ignore_errors=True)
            for p in builds.glob(f"{LOCAL_PREFIX}*"):  # copies of builds the store no longer holds
                if p != folder and not self.conn().execute("SELECT 1 FROM assistant_builds WHERE id = %s",
                                                           (int(p.name[len(LOCAL_PREFIX):]),)).fetchone():
                    shutil.rmtree(p, ignore_errors=True)
        _verify_files(folder, manifest, list(manifest.get("checksums", {})))
        return folder

    def load(self, collection: str, model: str, dimension: int) -> StoredIndex:
        """The current build: its chunks and vectors from the tables, its files through the local copy."""
        conn = self.conn()
        with conn.transaction():  # one snapshot: a build published meanwhile is not half-read
            conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            row = conn.execute(
                "SELECT b.id, b.manifest FROM assistant_collections c JOIN assistant_builds b ON b.id = c.build "
                "WHERE c.name = %s", (collection,)).fetchone()
            if row is None:
                raise IndexProblem(f"collection {collection!r} has no index yet")
            build, manifest = row
            if manifest.get("model") != model:
                raise IndexProblem(f"index of {collection!r} was built with model {manifest.get('model')!r}, not {model!r}")
            if manifest["chunks"] and _dimension(self.conn()) != dimension:
                raise IndexProblem(f"index of {collection!r} has {_dimension(self.conn())}-dimension vectors; the model makes {dimension}")
            rows = conn.cursor(binary=True).execute(  # binary: vectors arrive as the float32 they are
                f"SELECT {CHUNK_COLUMNS}, key, embedding FROM assistant_chunks WHERE build = %s ORDER BY row",
                (build,)).fetchall()
            folder = self._materialize(collection, build, manifest)
        chunks = [_chunk(r) for r in rows]
        keys = [r[7] for r in rows]
        vectors = (np.stack([r[8].to_numpy() for r in rows]) if rows
                   else np.zeros((0, dimension), dtype=np.float32))
        if len(chunks) != manifest.get("chunks"):
            raise IndexProblem(f"index of {collection!r} is inconsistent: counts differ between manifest and chunks")
        docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        documents = {k: DocumentInfo(**v) for k, v in docs.items()}
        search = PgSearch(self, collection, documents, build, manifest["index_type"],
                          LexicalRetriever.load(folder / BM25, scores=False))
        return StoredIndex(collection, folder, manifest, chunks, documents, vectors, keys, extra={"search": search},
                           store=self)


class PgSearch(Index):
    """A build's `Index` in SQL, with `retrieval.FileSearch`'s results."""

    def __init__(self, store: PgStore, collection: str, documents: dict[str, DocumentInfo], build: int,
                 index_type: str, tokenizer: LexicalRetriever):
        self.store, self.collection, self.documents = store, collection, documents
        self.build = build
        # exact builds are ordered by row on equal scores, as FAISS' flat index orders them; an HNSW
        # build is not (a second sort key would keep the planner from using the index)
        self.order = "embedding <#> %(q)s" + (", row" if index_type == "exact" else "")
        self.tokenizer = tokenizer

    def _args(self, where: dict | None, **args) -> tuple[dict, bool]:
        """The query's arguments and whether a filter limits it to `docs`."""
        docs = self._docs(where)
        return {**args, "build": self.build, "docs": sorted(docs or ())}, docs is not None

    def dense(self, qvec: np.ndarray, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        args, subset = self._args(where, q=np.asarray(qvec, dtype=np.float32), k=k)
        if not subset:
            sql = f"SELECT row, -(embedding <#> %(q)s) FROM assistant_chunks WHERE build = %(build)s::int8 ORDER BY {self.order} LIMIT %(k)s"
        else:  # a few documents: exact search over their passages (the subset is read first, by its index)
            sql = ("WITH subset AS MATERIALIZED (SELECT row, embedding FROM assistant_chunks "
                   "WHERE build = %(build)s AND doc = ANY(%(docs)s)) "
                   "SELECT row, -(embedding <#> %(q)s) AS score FROM subset ORDER BY score DESC, row LIMIT %(k)s")
        return [(int(r), float(s)) for r, s in self.store.conn().execute(sql, args)]

    def lexical(self, query: str, k: int, where: dict | None = None) -> list[tuple[int, float]]:
        """BM25: the query's terms' postings summed per passage (repeated terms count again, as in bm25s)."""
        args, subset = self._args(where, terms=self.tokenizer.term_ids(query), k=k)
        within = ("AND u.r IN (SELECT row FROM assistant_chunks WHERE build = %(build)s AND doc = ANY(%(docs)s))"
                  if subset else "")
        sql = ("SELECT u.r, sum(u.s) AS score FROM unnest(%(terms)s::int[]) AS q(term) "
               "JOIN assistant_postings p ON p.build = %(build)s AND p.term = q.term, "
               f"unnest(p.rows, p.scores) AS u(r, s) WHERE true {within} "
               "GROUP BY u.r HAVING sum(u.s) > 0 ORDER BY score DESC, u.r LIMIT %(k)s")
        return [(int(r), float(s)) for r, s in self.store.conn().execute(sql, args)]

    def get(self, ids: list[str]) -> list[Chunk]:
        rows = self.store.conn().execute(f"SELECT {CHUNK_COLUMNS} FROM assistant_chunks "
                                         "WHERE build = %s AND id = ANY(%s)", (self.build, list(ids)))
        found = {c.id: c for c in map(_chunk, rows)}
        return [found[i] for i in ids if i in found]

    def count(self, where: dict | None = None) -> int:
        args, subset = self._args(where)
        within = "AND doc = ANY(%(docs)s)" if subset else ""
        return self.store.conn().execute(f"SELECT count(*) FROM assistant_chunks WHERE build = %(build)s {within}",
                                         args).fetchone()[0]


CHUNK_COLUMNS = "id, doc, ref, text, heading, page, paragraph_ids"


def _chunk(row) -> Chunk:
    """A Chunk from a row that starts with CHUNK_COLUMNS."""
    i, d, r, t, h, p, ps = row[:7]
    return Chunk(i, d, r, t, h, p, tuple(ps))


def _copy_chunks(conn, build: int, chunks, documents, vectors, keys) -> None:
    with conn.cursor().copy("COPY assistant_chunks (build, row, id, doc, ref, page, date, heading, text, "
                            "paragraph_ids, key, embedding) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "int4", "text", "text", "text", "int4", "text", "text", "text", "text[]", "text",
                        "vector"])
        for row, (c, key, v) in enumerate(zip(chunks, keys, vectors)):
            date = documents[c.doc].date if c.doc in documents else ""
            copy.write_row((build, row, c.id, c.doc, c.ref, c.page, date, c.heading, c.text, list(c.paragraph_ids),
                            key, v))


def _copy_postings(conn, build: int, scores: dict) -> None:
    """bm25s keeps, per term, the rows holding it and their scores (a CSC matrix): one row per term."""
    data, indices, indptr = scores["data"], scores["indices"], scores["indptr"]
    with conn.cursor().copy("COPY assistant_postings (build, term, rows, scores) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(["int8", "int4", "int4[]", "float4[]"])
        for term in range(len(indptr) - 1):
            a, b = int(indptr[term]), int(indptr[term + 1])
            if b > a:
                copy.write_row((build, term, indices[a:b].tolist(), data[a:b].tolist()))


def _dimension(conn) -> int | None:
    """The dimension of the stored vectors (None before the first build)."""
    row = conn.execute("SELECT atttypmod FROM pg_attribute WHERE attrelid = to_regclass('assistant_chunks') "
                       "AND attname = 'embedding'").fetchone()
    return row[0] if row else None


def _safe(uri: str) -> str:
    """The URI without its password, for messages."""
    import re

    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", uri)
