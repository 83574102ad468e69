"""`python -m assistant ask "question"` and `python -m assistant index [PATH ...]`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 1  # indexed, but some files could not be read


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m assistant", description="Ask questions of a document collection; every answer cites its paragraphs.")
    sub = p.add_subparsers(dest="command", required=True)

    a = sub.add_parser("ask", help="answer a question from a collection")
    a.add_argument("question", help="the question, in plain English")
    a.add_argument("--collection", default=None, help="collection name (default: the built-in corpus)")
    a.add_argument("--json", action="store_true", help="print the answer as JSON (Answer.to_dict())")
    a.add_argument("--history", type=Path, default=None, help="JSON file with earlier turns: [{role, content}, ...]")

    i = sub.add_parser("index", help="build or refresh a collection's index")
    i.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the collection's known sources)")
    i.add_argument("--collection", default=None, help="collection name (default: the built-in corpus)")
    i.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    i.add_argument("--workers", type=int, default=0,
                   help="read and embed the files on a local Dask cluster of this many worker processes")
    i.add_argument("--scheduler", default="", help="read and embed on a running Dask cluster (tcp://host:8786)")

    sub.add_parser("collections", help="list indexed collections")
    return p


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_ask(args) -> int:
    from assistant.pipeline import UnknownCollection, ask

    history = None
    if args.history:
        try:
            history = json.loads(args.history.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            return _fail(f"cannot read history {args.history}: {e.__class__.__name__}")
    try:
        answer = ask(args.question, history=history, collection=args.collection)
    except UnknownCollection as e:
        return _fail(str(e))
    except ValueError as e:
        return _fail(str(e))
    if args.json:
        print(json.dumps(answer.to_dict(), ensure_ascii=False, indent=2))
        return 0
    print(answer.answer)
    if answer.citations:
        print()
        for c in answer.citations:
            when = f", {c.date}" if c.date else ""
            print(f"[{c.n}] {c.title}{when} — {c.ref}  ({c.doc})")
    return 0


def cmd_index(args) -> int:
    from assistant.embedding import Embedder
    from assistant.indexing import IndexBusy, build_collection
    from assistant.loaders import LoadError
    from assistant.pipeline import UnknownCollection, sources_of
    from assistant.settings import DEFAULT_COLLECTION, load_settings

    settings = load_settings()
    collection = args.collection or DEFAULT_COLLECTION
    try:
        if args.paths:
            missing = [p for p in args.paths if not p.exists()]
            if missing:
                return _fail(f"no such file or folder: {missing[0]}")
            sources = [p.resolve() for p in args.paths]
        else:
            sources = sources_of(collection, settings)
        embedder = Embedder(settings.model, settings.embed_batch_size)
        if args.workers or args.scheduler:
            from assistant.cluster import dask_client

            with dask_client(args.workers, args.scheduler) as client:
                report = build_collection(collection, sources, settings, embedder, progress=True, force=args.force,
                                          client=client)
        else:
            report = build_collection(collection, sources, settings, embedder, progress=True, force=args.force)
    except (UnknownCollection, LoadError, ValueError, OSError) as e:
        return _fail(str(e))
    except IndexBusy as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_PARTIAL
    if report.skipped:
        print(f"Collection {collection!r} is up to date.")
        return 0
    print(
        f"Indexed {report.documents} documents into {report.chunks} chunks for collection {collection!r} "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds.get('total', 0):.1f}s."
    )
    for path, reason in report.failed:
        print(f"skipped {path}: {reason}", file=sys.stderr)
    return 0 if report.ok else EXIT_PARTIAL


def cmd_collections(args) -> int:
    from assistant.settings import DEFAULT_COLLECTION, load_settings
    from assistant.store import open_store

    names = sorted({DEFAULT_COLLECTION, *open_store(load_settings()).collections()})
    print("\n".join(names))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"ask": cmd_ask, "index": cmd_index, "collections": cmd_collections}
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
