"""The browser chat: a Gradio Blocks app over `assistant.ask`.

Layout: the conversation on the left (collection picker, chat, question box,
examples, "New conversation"), the sources of an answer on the right with a
viewer that shows a cited paragraph highlighted in its document, and a section
for adding documents to a collection. A hidden endpoint `/ask` returns
`Answer.to_dict()` for gradio_client users.

Document text is untrusted: every piece of it (and of the question) is passed
through `html.escape` before it becomes HTML, and the chat renders no Markdown.
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import threading
import time
from functools import lru_cache
from pathlib import Path

import gradio as gr

from assistant.settings import DEFAULT_COLLECTION, Settings, load_settings

log = logging.getLogger("assistant.web")

TITLE = "Document assistant"
EXAMPLES = [
    "What grade did Croydon get in 2024?",
    "Who led the 2024 inspection?",
    "Why did the government take control of Croydon's children's services?",
    "What did Ofsted find on its monitoring visit in 2018?",
]
STREAM_DELAY = 0.06  # seconds between sentences while an answer is shown progressively
CONTEXT_PARAGRAPHS = 4  # paragraphs shown before and after a cited one
VIEWER_HINT = (
    '<div class="viewer-empty">Click a source above, or a <span class="cite-demo">[1]</span> marker in an '
    "answer, to read the cited paragraph in its document.</div>"
)
MARKER = re.compile(r"\[(\d{1,3}(?:,\s*\d{1,3})*)\]")  # "[1]", or "[1, 2]" for a sentence both sources say


# ----------------------------------------------------------------------------- formatting

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def nice_date(date: str) -> str:
    """"2024-12-04" -> "4 Dec 2024", "2018-11" -> "Nov 2018"; anything else as given."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", (date or "").strip())
    if not m:
        return (date or "").strip()
    year, month, day = m.groups()
    if month and 1 <= int(month) <= 12:
        mon = MONTHS[int(month) - 1]
        return f"{int(day)} {mon} {year}" if day else f"{mon} {year}"
    return year


def reference(c: dict) -> str:
    """Where in the document: "p. 3 ¶2", "§4.3"."""
    ref = (c.get("ref") or "").strip()
    page = c.get("page")
    if page and "p." not in ref:
        ref = f"p. {page}, {ref}" if ref else f"p. {page}"
    return ref


def shorten(text: str, limit: int = 90) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def source_label(c: dict) -> str:
    """The text of a source's entry in the list: "[1] Title · 4 Dec 2024 · §4.3" (rendered as text)."""
    parts = [shorten(c.get("title") or c.get("doc") or "Untitled")]
    if c.get("date"):
        parts.append(nice_date(c["date"]))
    if reference(c):
        parts.append(reference(c))
    return f"[{c['n']}] " + " · ".join(parts)


def _e(text: object) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def marker_html(turn: int, n: int) -> str:
    # The sanitizer keeps classes but drops data-* attributes: the target rides in a class.
    return (f'<span class="cite cite-{int(turn)}-{int(n)}" role="button" tabindex="0" '
            f'title="Show source {int(n)} in its document">[{int(n)}]</span>')


def _with_markers(escaped: str, turn: int, known: set[int]) -> str:
    def markers(m: re.Match) -> str:
        numbers = [int(n) for n in m.group(1).split(",")]
        return "".join(marker_html(turn, n) for n in numbers) if set(numbers) <= known else m.group(0)
    return MARKER.sub(markers, escaped)


def answer_body(text: str, turn: int, known: set[int]) -> str:
    """Answer text as HTML: escaped, "- " lines as a list, [n] markers clickable."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    out, items = [], []
    for ln in lines:
        if ln.startswith(("- ", "• ")):
            items.append(f"<li>{_with_markers(_e(ln[2:].strip()), turn, known)}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        out.append(f"<p>{_with_markers(_e(ln), turn, known)}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "".join(out)


def answer_html(answer: dict, turn: int, partial: str | None = None) -> str:
    """One assistant bubble: the (possibly partial) answer or a refusal, with its numbered sources.

    A finished bubble has the class "done"; one still being shown progressively has not.
    """
    citations = answer.get("citations") or []
    known = {int(c["n"]) for c in citations}
    text = answer.get("answer", "") if partial is None else partial
    done = " done" if partial is None else ""
    understood = ""
    query, question = _norm(answer.get("query", "")), _norm(answer.get("question", ""))
    if query and query.rstrip("?") != question.rstrip("?"):  # a follow-up, resolved against the conversation
        understood = f'<div class="understood">Understood as: “{_e(query)}”</div>'
    if answer.get("abstained"):
        return (f'<div class="bubble refusal{done}"><div class="badge badge-refusal">No answer found in these documents</div>'
                f"{understood}{answer_body(text, turn, set())}</div>")
    body = answer_body(text, turn, known)
    if partial is not None or not citations:
        return f'<div class="bubble answer{done}">{understood}{body}</div>'
    rows = "".join(
        f'<li>{marker_html(turn, c["n"])} <span class="src-title">{_e(shorten(c.get("title") or c.get("doc"), 110))}</span>'
        f'{(" · " + _e(nice_date(c["date"]))) if c.get("date") else ""}'
        f'{(" · " + _e(reference(c))) if reference(c) else ""}</li>'
        for c in citations
    )
    return (f'<div class="bubble answer{done}">{understood}{body}<div class="bubble-sources">'
            f'<div class="label">Sources</div><ol>{rows}</ol></div></div>')


def error_html(message: str) -> str:
    return f'<div class="bubble error done"><div class="badge badge-error">Could not answer</div><p>{_e(message)}</p></div>'


PENDING_HTML = '<div class="bubble pending"><span class="dots"></span> Searching the documents…</div>'


def split_progressively(text: str) -> list[str]:
    """Growing prefixes of an answer, one sentence (or list line) more each time."""
    pieces = re.split(r"(?<=[.!?:\]])(\s+)", text or "")
    steps, current = [], ""
    for i, piece in enumerate(pieces):
        current += piece
        if i % 2 == 0 and piece.strip():  # even pieces are text, odd ones the whitespace between
            steps.append(current.strip())
    return steps or [text or ""]


# ----------------------------------------------------------------------------- conversation state

def new_state() -> dict:
    """turns: [{"question": str, "answer": dict | None, "error": str | None}]"""
    return {"turns": []}


def history_of(state: dict) -> list[dict]:
    """The conversation as ask(history=...) wants it; failed turns are left out."""
    history = []
    for t in state["turns"]:
        if t.get("answer"):
            history.append({"role": "user", "content": t["question"]})
            history.append({"role": "assistant", "content": t["answer"].get("answer", ""), "turn": t["answer"].get("turn")})
    return history


def chat_messages(state: dict, partial: str | None = None) -> list[dict]:
    """The Chatbot's value: escaped HTML for every turn (the last one may be in progress)."""
    messages = []
    last = len(state["turns"]) - 1
    for k, t in enumerate(state["turns"]):
        messages.append({"role": "user", "content": f'<div class="question">{_e(t["question"])}</div>'})
        if t.get("error"):
            messages.append({"role": "assistant", "content": error_html(t["error"])})
        elif t.get("answer"):
            messages.append({"role": "assistant",
                             "content": answer_html(t["answer"], k, partial if k == last else None)})
        else:
            messages.append({"role": "assistant", "content": PENDING_HTML})
    return messages


def source_choices(state: dict, turn: int) -> list[tuple[str, str]]:
    if not (0 <= turn < len(state["turns"])) or not state["turns"][turn].get("answer"):
        return []
    return [(source_label(c), f"{turn}:{c['n']}") for c in state["turns"][turn]["answer"].get("citations", [])]


def status_html(message: str, kind: str = "info") -> str:
    return f'<div class="status status-{kind}">{_e(message)}</div>' if message else ""


# ----------------------------------------------------------------------------- the source viewer

@lru_cache(maxsize=64)
def _load(path: str, root: str, mtime_ns: int, size: int):
    from assistant.loaders import load_document, read_catalogue

    return load_document(Path(path), Path(root), read_catalogue(Path(root)))


def find_document(collection: str, doc: str, settings: Settings):
    """The cited document re-read from its source file (None if it is gone)."""
    from assistant.pipeline import sources_of

    for src in sources_of(collection or DEFAULT_COLLECTION, settings):
        root = src.parent if src.is_file() else src
        rels = [doc]
        if doc.startswith(root.name + "/"):  # several folders in one collection: "<folder>/<file>"
            rels.append(doc[len(root.name) + 1:])
        for rel in rels:
            path = root / rel
            try:
                inside = path.resolve().is_relative_to(root.resolve())
            except OSError:
                continue
            if inside and path.is_file():
                st = path.stat()
                return _load(str(path), str(root), st.st_mtime_ns, st.st_size)
    return None


def _norm(text: str) -> str:
    return " ".join((text or "").split())


def cited_ordinals(paragraphs, chunk_id: str, cited_text: str) -> set[int]:
    """The paragraph ordinals a citation covers: its first one and the merged ones after it."""
    m = re.search(r"#(\d+)(?:\.\d+)?$", chunk_id or "")
    cited = _norm(cited_text)
    if not m:
        return {p.ordinal for p in paragraphs if cited and _norm(p.text) and _norm(p.text) in cited}
    first = int(m.group(1))
    ordinals = {first}
    for p in paragraphs:
        if p.ordinal > first:
            if _norm(p.text) and _norm(p.text) in cited:
                ordinals.add(p.ordinal)
            else:
                break
    return ordinals


def compact_ref(ref: str) -> str:
    """"Inspection of Croydon … ¶3" -> "¶3": the heading is shown above the paragraphs already."""
    m = re.search(r"((?:p\.\s*\d+\s*)?[¶§]\s*[\w.]+)$", ref or "")
    return m.group(1) if m else (ref or "")


def paragraph_html(p, cited: bool, cited_text: str) -> str:
    ref = f'<span class="para-ref">{_e(compact_ref(p.ref))}</span>' if p.ref else ""
    if not cited:
        return f'<p class="para">{ref}<span class="para-text">{_e(p.text)}</span></p>'
    text, part = _norm(p.text), _norm(cited_text)
    if part and part != text and part in text:  # a long paragraph cited in parts: mark the part
        i = text.index(part)
        body = f"{_e(text[:i])}<mark>{_e(part)}</mark>{_e(text[i + len(part):])}"
    else:
        body = f"<mark>{_e(p.text)}</mark>"
    return f'<p class="para cited" id="cited-paragraph">{ref}<span class="para-text">{body}</span></p>'


def viewer_html(answer: dict, n: int, settings: Settings | None = None) -> str:
    """The cited paragraph highlighted among its neighbours, with the document's details."""
    settings = settings or load_settings()
    c = next((c for c in answer.get("citations", []) if int(c["n"]) == int(n)), None)
    if c is None:
        return VIEWER_HINT
    meta = [x for x in (c.get("publisher"), nice_date(c.get("date", "")), reference(c)) if x]
    head = (f'<div class="doc-head"><div class="kicker">Source [{int(n)}]</div>'
            f'<div class="doc-title">{_e(c.get("title") or c.get("doc"))}</div>'
            f'<div class="doc-meta">{" · ".join(_e(x) for x in meta)}</div>'
            f'<div class="doc-file">{_e(c.get("doc"))}</div></div>')
    try:
        document = find_document(answer.get("collection") or DEFAULT_COLLECTION, c["doc"], settings)
    except Exception as e:  # the collection or file went away: show what the citation itself holds
        log.warning("cannot re-read %s: %s", c.get("doc"), e)
        document = None
    if document is None:
        body = (f'<p class="doc-gap">The document could not be opened; this is the cited text.</p>'
                f'<p class="para cited" id="cited-paragraph"><span class="para-text"><mark>{_e(c.get("text"))}</mark></span></p>')
        return f'<div class="doc-viewer">{head}<div class="doc-body">{body}</div></div>'
    paragraphs = document.paragraphs
    cited = cited_ordinals(paragraphs, c.get("chunk_id", ""), c.get("text", ""))
    idx = [i for i, p in enumerate(paragraphs) if p.ordinal in cited]
    if not idx:  # the index and the file disagree: show the cited text on its own
        body = f'<p class="para cited" id="cited-paragraph"><span class="para-text"><mark>{_e(c.get("text"))}</mark></span></p>'
        return f'<div class="doc-viewer">{head}<div class="doc-body">{body}</div></div>'
    lo, hi = max(0, idx[0] - CONTEXT_PARAGRAPHS), min(len(paragraphs), idx[-1] + CONTEXT_PARAGRAPHS + 1)
    parts = []
    if lo:
        parts.append(f'<p class="doc-gap">… {lo} earlier paragraph{"s" if lo != 1 else ""}</p>')
    heading = None
    for p in paragraphs[lo:hi]:
        if p.heading and p.heading != heading:
            parts.append(f'<div class="doc-heading">{_e(p.heading)}</div>')
        heading = p.heading
        parts.append(paragraph_html(p, p.ordinal in cited, c.get("text", "")))
    rest = len(paragraphs) - hi
    if rest:
        parts.append(f'<p class="doc-gap">… {rest} more paragraph{"s" if rest != 1 else ""}</p>')
    return f'<div class="doc-viewer">{head}<div class="doc-body">{"".join(parts)}</div></div>'


# ----------------------------------------------------------------------------- collections

def collection_choices(settings: Settings | None = None) -> list[tuple[str, str]]:
    from assistant.store import open_store

    settings = settings or load_settings()
    names = [n for n in open_store(settings).collections() if n != DEFAULT_COLLECTION]
    return [("Built-in documents", DEFAULT_COLLECTION)] + [(n, n) for n in names]


def _short_error(e: BaseException) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
    return shorten(text, 240)


# ----------------------------------------------------------------------------- handlers

def respond(question, state, collection):
    """Ask, then show the answer a sentence at a time. Yields every output in order."""
    state = state or new_state()
    question = question if isinstance(question, str) else ""

    def outs(partial=None, q="", status="", sources=None, viewer=None):
        return (chat_messages(state, partial), state, q, status,
                gr.update() if sources is None else sources, gr.update() if viewer is None else viewer)

    if not question.strip():
        yield outs(q=question, status=status_html("Type a question first — or click one of the example questions.", "warn"))
        return
    from assistant.pipeline import UnknownCollection, ask_stream, is_loaded

    history = history_of(state)
    turn = {"question": " ".join(question.split())[:2000], "answer": None, "error": None}
    state = {"turns": [*state["turns"], turn]}
    k = len(state["turns"]) - 1
    opening = "" if is_loaded(collection or None) else status_html(
        "Opening this collection: its first question takes a few seconds more.", "info")
    yield outs(status=opening, sources=gr.update(choices=[], value=None), viewer=VIEWER_HINT)
    streamed = False  # a language model's verified sentences arrive as it writes them
    try:
        for item in ask_stream(question, history=history, collection=collection or None):
            if isinstance(item, str):
                streamed = True
                yield outs(partial=item)
            else:
                result = item.to_dict()
    except UnknownCollection:
        turn["error"] = f"The collection '{collection}' does not exist any more. Pick another one above."
    except ValueError as e:
        message = _short_error(e)
        turn["error"] = message[:1].upper() + message[1:]
    except Exception as e:  # never a stack trace in the page; the log has it
        log.exception("ask failed")
        from assistant.indexing import IndexBusy

        if isinstance(e, IndexBusy):
            turn["error"] = "This collection is being indexed right now. Try again in a minute."
        else:
            turn["error"] = f"Something went wrong while answering ({e.__class__.__name__}). Please try again."
    if turn["error"]:
        yield outs()
        return
    turn["answer"] = result
    if not result["abstained"] and not streamed:
        for partial in split_progressively(result["answer"])[:-1]:
            yield outs(partial=partial)
            time.sleep(STREAM_DELAY)
    choices = source_choices(state, k)
    yield outs(sources=gr.update(choices=choices, value=None,
                                 label=f"Sources of answer {k + 1}" if choices else "Sources"))


def show_source(key, state):
    """key "turn:n" (from the source list or a clicked marker) -> (source list, viewer)."""
    try:
        turn, n = (int(x) for x in str(key or "").split(":")[:2])
        answer = state["turns"][turn]["answer"]
        if not answer:
            raise LookupError
    except (ValueError, LookupError, TypeError, KeyError):
        return gr.update(), VIEWER_HINT
    choices = source_choices(state, turn)
    sources = gr.update(choices=choices, value=f"{turn}:{n}", label=f"Sources of answer {turn + 1}")
    try:
        return sources, viewer_html(answer, n)
    except Exception as e:
        log.exception("source viewer failed")
        return sources, status_html(f"Could not open the source ({e.__class__.__name__}).", "error")


def new_conversation():
    return [], new_state(), "", "", gr.update(choices=[], value=None, label="Sources"), VIEWER_HINT


def refresh_collections(current):
    choices = collection_choices()
    values = {v for _, v in choices}
    return gr.update(choices=choices, value=current if current in values else DEFAULT_COLLECTION)


def upload(files, target, progress=gr.Progress(track_tqdm=True)):
    """Validate and save the chosen files into a collection, then index it. Yields (status, picker,
    files): what is happening while it indexes (with Gradio's bar following the indexer's own), then
    what was added."""
    from assistant.indexing import IndexBusy, build_collection
    from assistant.embedding import Embedder
    from assistant.pipeline import UnknownCollection, forget_engines, sources_of
    from assistant.uploads import UploadRejected, check_collection_name, save_uploads

    settings = load_settings()
    keep = gr.update()
    if not files:
        yield status_html("Choose one or more files first.", "warn"), keep, keep
        return
    try:
        name = check_collection_name(target or "")
    except UploadRejected as e:
        yield status_html(f"Collection name: {e}.", "warn"), keep, keep
        return
    files = files if isinstance(files, list) else [files]
    result = save_uploads(settings.uploads_dir, name, [(Path(str(f)).name, str(f)) for f in files],
                          settings.max_upload_bytes)
    lines = [f"Not added: {n} — {reason}." for n, reason in result.rejected]
    if result.saved:
        yield (status_html(f"Indexing {len(result.saved)} file{'s' if len(result.saved) > 1 else ''} into '{name}': "
                           "reading, then embedding every passage and sentence. Large PDFs take a minute or more.",
                           "info"), keep, keep)
        try:
            try:
                sources = sources_of(name, settings)
            except UnknownCollection:
                sources = [settings.uploads_dir / name]
            forget_engines()
            report = build_collection(name, sources, settings, Embedder(settings.model, settings.embed_batch_size),
                                      progress=True)
            forget_engines()
        except IndexBusy:
            yield status_html("The collection is being indexed by someone else; try again in a minute.", "warn"), keep, keep
            return
        except Exception as e:
            log.exception("indexing uploads failed")
            yield (status_html(f"The files were saved but could not be indexed ({e.__class__.__name__}).", "error"),
                   keep, keep)
            return
        failed = {Path(f).name: reason for f, reason in report.failed}
        for p in result.saved:  # a file the loaders cannot read is removed, not kept failing
            if p.name in failed:
                lines.append(f"Not added: {p.name} — {failed[p.name]}.")
                p.unlink(missing_ok=True)
        added = [p.name for p in result.saved if p.name not in failed]
        if added:
            lines.insert(0, f"Added to '{name}': {', '.join(added)}. The collection is selected: ask away.")
    else:
        added = []
    choices = collection_choices(settings)
    picker = gr.update(choices=choices, value=name) if added else gr.update(choices=choices)
    status = "".join(status_html(ln, "ok" if ln.startswith("Added") else "warn") for ln in lines)
    yield status, picker, None


def _client_error(message: str) -> gr.Error:
    """A short message for the caller; expected errors need no traceback in the server log either."""
    return gr.Error(message, print_exception=False)


def api_ask(question: str, history: list | str | None = None, collection: str | None = None) -> dict:
    """Answer a question with citations; returns Answer.to_dict(). history: [{role, content}, ...] or its JSON."""
    from assistant.pipeline import UnknownCollection, ask

    if isinstance(history, str):
        try:
            history = json.loads(history) if history.strip() else None
        except ValueError:
            raise _client_error("history must be a JSON list of {role, content} messages") from None
    if history is not None and not isinstance(history, list):
        raise _client_error("history must be a list of {role, content} messages")
    try:
        return ask(question, history=history, collection=collection or None).to_dict()
    except UnknownCollection as e:
        raise _client_error(_short_error(e)) from None
    except ValueError as e:
        raise _client_error(_short_error(e)) from None
    except Exception as e:
        log.exception("api ask failed")
        raise _client_error(f"internal error ({e.__class__.__name__})") from None


# ----------------------------------------------------------------------------- page

CSS = """
.gradio-container { max-width: 1280px !important; }
#top-row { align-items: flex-end; }
#new-conversation { margin-bottom: 12px; }
#chat button.example { border: 1px solid var(--border-color-primary); border-radius: 10px; background: var(--background-fill-primary);
                       padding: .6em .9em; text-align: left; box-shadow: var(--shadow-drop); }
#chat button.example:hover { border-color: #6366f1; background: #eef2ff; }
#intro h1 { margin: 0 0 4px 0; font-size: 1.6rem; }
#intro p { margin: 0; color: var(--body-text-color-subdued); }
#chat .question { white-space: pre-wrap; }
#chat .bubble p { margin: 0 0 .45em 0; }
#chat .bubble p:last-child { margin-bottom: 0; }
#chat .bubble ul { margin: 0 0 .45em 1.2em; padding: 0; }
.cite { display: inline-block; padding: 0 .3em; margin: 0 .1em; border-radius: 6px; cursor: pointer;
        color: #1d4ed8; background: #dbeafe; font-weight: 600; font-size: .85em; line-height: 1.4; }
.cite:hover, .cite:focus { background: #1d4ed8; color: #fff; outline: none; }
.cite-demo { color: #1d4ed8; background: #dbeafe; font-weight: 600; padding: 0 .3em; border-radius: 6px; }
.bubble-sources { margin-top: .7em; padding-top: .5em; border-top: 1px solid var(--border-color-primary); font-size: .88em; }
.bubble-sources .label { font-weight: 600; margin-bottom: .2em; color: var(--body-text-color-subdued); }
.bubble-sources ol { list-style: none; margin: 0; padding: 0; }
.bubble-sources li { margin: .15em 0; }
.badge { display: inline-block; font-size: .78em; font-weight: 700; letter-spacing: .02em; text-transform: uppercase;
         padding: .1em .55em; border-radius: 999px; margin-bottom: .45em; }
.bubble.refusal { border-left: 4px solid #d97706; padding-left: .7em; color: var(--body-text-color-subdued); font-style: italic; }
.badge-refusal { background: #fef3c7; color: #92400e; font-style: normal; }
.bubble.error { border-left: 4px solid #dc2626; padding-left: .7em; }
.badge-error { background: #fee2e2; color: #991b1b; }
#chat .understood { font-size: .82em; color: var(--body-text-color-subdued); margin-bottom: .35em; }
.bubble.pending { color: var(--body-text-color-subdued); font-style: italic; }
.status { margin: 2px 0; padding: .45em .8em; border-radius: 8px; font-size: .92em; }
.status-warn { background: #fef3c7; color: #92400e; }
.status-error { background: #fee2e2; color: #991b1b; }
.status-ok { background: #dcfce7; color: #166534; }
.status-info { background: #e0f2fe; color: #075985; }
.viewer-empty { color: var(--body-text-color-subdued); padding: 1em; border: 1px dashed var(--border-color-primary); border-radius: 8px; }
.doc-viewer { border: 1px solid var(--border-color-primary); border-radius: 10px; overflow: hidden; }
.doc-head { padding: .8em 1em; background: var(--background-fill-secondary); border-bottom: 1px solid var(--border-color-primary); }
.doc-head .kicker { font-size: .78em; font-weight: 700; text-transform: uppercase; color: #1d4ed8; }
.doc-head .doc-title { font-weight: 700; margin: .15em 0; }
.doc-head .doc-meta, .doc-head .doc-file { font-size: .85em; color: var(--body-text-color-subdued); }
.doc-head .doc-file { font-family: var(--font-mono); font-size: .78em; }
.doc-body { padding: .6em 1em; max-height: 560px; overflow-y: auto; white-space: normal; }
.doc-body .para { margin: .5em 0; line-height: 1.5; }
.doc-body .para-ref { display: inline-block; min-width: 3.2em; margin-right: .4em; font-size: .8em; color: var(--body-text-color-subdued); }
.doc-body .para-text { white-space: pre-wrap; }
.doc-body .cited { background: #fffbeb; border-left: 4px solid #f59e0b; margin-left: -1em; padding: .3em .6em .3em calc(1em - 4px); }
.doc-body mark { background: #fde68a; color: inherit; padding: 0 .1em; }
.doc-body .doc-heading { font-weight: 700; margin-top: .8em; }
.doc-body .doc-gap { color: var(--body-text-color-subdued); font-style: italic; font-size: .85em; }
.offscreen { position: absolute !important; left: -10000px !important; width: 1px !important; height: 1px !important; overflow: hidden !important; }
"""

# Clicking a [n] marker in the chat: put "turn:n" into a hidden textbox and press a hidden button.
JS = r"""
() => {
  const open = (el) => {
    const box = document.querySelector('#cite-target textarea, #cite-target input');
    const btn = document.querySelector('button#cite-open') || document.querySelector('#cite-open button');
    if (!box || !btn) return;
    const m = /\bcite-(\d+)-(\d+)\b/.exec(el.className);
    if (!m) return;
    box.value = `${m[1]}:${m[2]}`;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    setTimeout(() => btn.click(), 30);
  };
  const hit = (e) => (e.target && e.target.closest) ? e.target.closest('#chat .cite') : null;
  document.addEventListener('click', (e) => {
    const el = hit(e);
    if (!el) return;
    e.preventDefault(); e.stopPropagation();
    open(el);
  }, true);
  document.addEventListener('keydown', (e) => {
    const el = hit(e);
    if (el && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); open(el); }
  }, true);
  // Bring the highlighted paragraph into view inside the viewer whenever it changes.
  new MutationObserver(() => {
    const mark = document.querySelector('#source-viewer #cited-paragraph');
    if (mark && mark.dataset.shown !== '1') {
      mark.dataset.shown = '1';
      const body = mark.closest('.doc-body');
      if (body) body.scrollTop = Math.max(0, mark.offsetTop - body.offsetTop - body.clientHeight / 4);
    }
  }).observe(document.body, { childList: true, subtree: true });
}
"""

INTRO = f"""<div id="intro"><h1>{TITLE}</h1>
<p>Ask a question about the documents. Every sentence of an answer cites its source:
click a <span class="cite-demo">[1]</span> marker or a source to read the paragraph in its document.</p></div>"""


def build(settings: Settings | None = None) -> gr.Blocks:
    settings = settings or load_settings()
    # delete_cache: Gradio's own copies of uploaded files are removed after an hour.
    with gr.Blocks(title=TITLE, delete_cache=(600, 3600)) as demo:
        state = gr.State(new_state())
        gr.HTML(INTRO)
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=380):
                with gr.Row(equal_height=False, elem_id="top-row"):
                    collection = gr.Dropdown(collection_choices(settings), value=DEFAULT_COLLECTION,
                                             label="Collection", info="Which documents to search",
                                             scale=3, elem_id="collection", interactive=True)
                    new_btn = gr.Button("New conversation", variant="secondary", scale=1, size="md",
                                        elem_id="new-conversation", min_width=170)
                chatbot = gr.Chatbot(
                    label="Conversation", elem_id="chat", height=500, render_markdown=False, sanitize_html=True,
                    allow_tags=False, feedback_options=None, buttons=[], autoscroll=True, line_breaks=False,
                    placeholder="**Ask a question about the documents** — or start with one of these:",
                    examples=[{"text": q, "display_text": q} for q in EXAMPLES],
                )
                with gr.Row(equal_height=True):
                    question = gr.Textbox(placeholder="Type a question, e.g. “What grade did Croydon get in 2024?”",
                                          show_label=False, lines=1, max_lines=4, scale=5, elem_id="question",
                                          autofocus=True, submit_btn=False)
                    ask_btn = gr.Button("Ask", variant="primary", scale=1, min_width=90, elem_id="ask")
                status = gr.HTML("", elem_id="status")
            with gr.Column(scale=2, min_width=340):
                sources = gr.Radio([], label="Sources", info="Click one to read it in its document",
                                   elem_id="sources", interactive=True)
                viewer = gr.HTML(VIEWER_HINT, elem_id="source-viewer")
        with gr.Accordion("Add your own documents", open=False, elem_id="upload-section"):
            gr.Markdown(f"PDF, Word (.docx), HTML or plain text (.txt, .md), up to "
                        f"{settings.max_upload_bytes // (1024 * 1024)} MB each. The type is checked from the content, "
                        "and the extension must match it.")
            with gr.Row():
                files = gr.File(label="Documents", file_count="multiple", type="filepath", elem_id="upload-files",
                                scale=3)
                with gr.Column(scale=2):
                    target = gr.Textbox(value="my-documents", label="Add to collection", elem_id="upload-collection",
                                        info="An existing name adds to it; a new name creates a collection "
                                             "(letters, digits, - and _).")
                    upload_btn = gr.Button("Add documents", variant="primary", elem_id="upload-button")
            upload_status = gr.HTML("", elem_id="upload-status")
        with gr.Row(elem_classes=["offscreen"]):
            cite_key = gr.Textbox(elem_id="cite-target", show_label=False, container=False)
            cite_btn = gr.Button("open source", elem_id="cite-open")

        private = {"api_visibility": "private"}
        chat_outputs = [chatbot, state, question, status, sources, viewer]
        ask_event = dict(fn=respond, inputs=[question, state, collection], outputs=chat_outputs,
                         show_progress="hidden", concurrency_id="ask", **private)
        question.submit(**ask_event)
        ask_btn.click(**ask_event)
        chatbot.example_select(_example_value, None, question, **private).then(**ask_event)
        new_btn.click(new_conversation, None, chat_outputs, **private)
        chatbot.clear(new_conversation, None, chat_outputs, **private)
        sources.input(show_source, [sources, state], [sources, viewer], **private)
        cite_btn.click(show_source, [cite_key, state], [sources, viewer], **private)
        upload_btn.click(upload, [files, target], [upload_status, collection, files], **private)
        demo.load(refresh_collections, collection, collection, show_progress="hidden", **private)
        gr.api(api_ask, api_name="ask", concurrency_id="ask")
    return demo


def _example_value(evt: gr.SelectData) -> str:
    return evt.value.get("text", "") if isinstance(evt.value, dict) else str(evt.value or "")


def warm_up(settings: Settings | None = None) -> threading.Thread:
    """Load (or build) the default collection in the background so the first answer is quick."""
    def run():
        try:
            from assistant.pipeline import load_engine

            load_engine(DEFAULT_COLLECTION, settings or load_settings(), log=lambda m: log.info(m))
        except Exception as e:  # the first question will report it properly
            log.warning("warm-up failed: %s", _short_error(e))

    t = threading.Thread(target=run, name="warm-up", daemon=True)
    t.start()
    return t


def launch(demo: gr.Blocks, port: int, settings: Settings | None = None, **kwargs):
    settings = settings or load_settings()
    # several questions at once, one per core (each runs torch on one thread: Settings.query_threads)
    return demo.queue(default_concurrency_limit=settings.workers or os.cpu_count() or 1).launch(
        server_name="127.0.0.1", server_port=port, css=CSS, js=JS, theme=gr.themes.Soft(),
        max_file_size=settings.max_upload_bytes, footer_links=["api"], show_error=False, **kwargs)
