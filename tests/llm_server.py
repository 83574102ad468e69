"""A real OpenAI-compatible chat server on 127.0.0.1, for tests.

    with LLMServer() as server:
        server.script(Reply("Ofsted judged the services good [1]."))
        client = OpenAICompatibleClient(server.base_url, "test-model", "key")
        ...
        server.requests[0].json["messages"]  # what the client sent

POST /v1/chat/completions (and /chat/completions) answers with server-sent events
when the request says "stream": true, else with one JSON object, as llama.cpp's
server, Ollama, vLLM and OpenAI do. Replies come from the scripted queue, or from
`responder(request_json) -> Reply | str` when the queue is empty (a real model can
answer that way); with neither, HTTP 500.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    error: str = ""  # the message of an HTTP error reply
    delay: float = 0.0  # seconds before anything is sent (a slow server)
    chunk_delay: float = 0.0  # seconds between streamed pieces
    pieces: list[str] | None = None  # how to cut `text` into deltas (default: word by word)
    raw_events: list[str] | None = None  # send exactly these SSE data payloads instead
    ignore_stream: bool = False  # answer with JSON even when streaming was asked for
    error_mid_stream: str = ""  # after the pieces, an error event instead of [DONE]


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    json: dict = field(default_factory=dict)

    @property
    def messages(self) -> list[dict]:
        return self.json.get("messages", [])


class LLMServer:
    def __init__(self, responder: Callable[[dict], Reply | str] | None = None):
        self.responder = responder
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- scripting
    def script(self, *replies: Reply | str) -> "LLMServer":
        with self._lock:
            self._queue.extend(Reply(r) if isinstance(r, str) else r for r in replies)
        return self

    def _next(self, body: dict) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            r = self.responder(body)
            return Reply(r) if isinstance(r, str) else r
        return Reply(status=500, error="no scripted reply left")

    # -- lifecycle
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> "LLMServer":
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="llm-test-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "LLMServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class _Handler(BaseHTTPRequestHandler):
    owner: LLMServer
    protocol_version = "HTTP/1.0"  # the body ends when the connection closes, as a stream does

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_POST(self):
        if self.path.rstrip("/") not in {"/v1/chat/completions", "/chat/completions"}:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        self.owner.requests.append(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        reply = self.owner._next(body)
        try:
            self._answer(reply, bool(body.get("stream")), body.get("model", "test-model"))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def _answer(self, reply: Reply, stream: bool, model: str) -> None:
        if reply.delay:
            time.sleep(reply.delay)
        if reply.status >= 400:
            self._json(reply.status, {"error": {"message": reply.error or "server error", "type": "server_error"}})
            return
        if not stream or reply.ignore_stream:
            self._json(200, {
                "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            })
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if reply.raw_events is not None:
            for data in reply.raw_events:
                self._event(data)
            return
        self.wfile.write(b": keep-alive\n\n")
        self._event(json.dumps(_chunk(model, {"role": "assistant"}, None)))
        pieces = reply.pieces if reply.pieces is not None else _words(reply.text)
        for piece in pieces:
            self._event(json.dumps(_chunk(model, {"content": piece}, None)))
            if reply.chunk_delay:
                time.sleep(reply.chunk_delay)
        if reply.error_mid_stream:
            self._event(json.dumps({"error": {"message": reply.error_mid_stream, "type": "server_error"}}))
            return
        self._event(json.dumps(_chunk(model, {}, "stop")))
        self._event("[DONE]")

    def _event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode("utf-8"))
        self.wfile.flush()

    def _json(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _chunk(model: str, delta: dict, finish: str | None) -> dict:
    return {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}


def _words(text: str) -> list[str]:
    """Cut text into word-sized deltas that keep their spaces, as tokenisers do."""
    out, current = [], ""
    for ch in text:
        if ch == " " and current.strip():
            out.append(current)
            current = ""
        current += ch
    if current:
        out.append(current)
    return out
