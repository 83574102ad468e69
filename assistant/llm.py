"""Chat clients for the optional generative mode.

Two backends behind one small protocol (`stream` and `complete`):

* `OpenAICompatibleClient`: POST {base_url}/chat/completions over HTTP, streamed as
  server-sent events. Works with llama.cpp's server, Ollama, vLLM, LM Studio and
  OpenAI itself (base_url as those tools print it, usually ending in /v1).
* `LlamaCppClient`: a local GGUF file through llama-cpp-python, imported only when
  used (optional extra `assistant[llm]`; never needed by the default install).

Every failure surfaces as `LLMError` with a one-line message a person can act on.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Iterator, Protocol, runtime_checkable

import httpx

from assistant.settings import Settings

Messages = list[dict]


class LLMError(RuntimeError):
    """The language model could not be reached or gave an unusable reply (one-line message)."""


@runtime_checkable
class ChatClient(Protocol):
    def stream(self, messages: Messages) -> Iterator[str]:
        """Yield the reply's text as it is generated (deltas, not the text so far)."""
        ...

    def complete(self, messages: Messages) -> str:
        """The whole reply at once."""
        ...


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_detail(body: bytes) -> str:
    """The server's own reason, from an OpenAI-style error body or plain text."""
    raw = body.decode("utf-8", "replace").strip()
    try:
        data = json.loads(raw)
    except ValueError:
        return _one_line(raw)
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            return _one_line(err.get("message") or err.get("detail") or json.dumps(err))
        return _one_line(str(err))
    return _one_line(raw)


class OpenAICompatibleClient:
    """Chat completions over HTTP.

    `timeout` (seconds) bounds connecting and each wait for data: a server that
    accepts the connection and then says nothing for that long fails with LLMError.
    """

    def __init__(self, base_url: str, model: str = "", api_key: str = "", timeout: float = 60.0,
                 max_tokens: int = 400, temperature: float = 0.0):
        if not base_url:
            raise ValueError("base_url is required, e.g. http://127.0.0.1:8080/v1")
        base = base_url.strip().rstrip("/")
        self.url = base if base.endswith("/chat/completions") else base + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.timeout = float(timeout)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)

    def __repr__(self) -> str:  # never show the key
        return f"OpenAICompatibleClient(url={self.url!r}, model={self.model!r})"

    def _payload(self, messages: Messages, stream: bool) -> dict:
        payload: dict = {"messages": messages, "stream": stream, "temperature": self.temperature,
                         "max_tokens": self.max_tokens}
        if self.model:  # llama.cpp's server ignores it; the others need it
            payload["model"] = self.model
        return payload

    def _headers(self) -> dict:
        headers = {"Accept": "text/event-stream, application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        return headers

    def _client(self) -> httpx.Client:
        return httpx.Client(timeout=httpx.Timeout(self.timeout), headers=self._headers())

    def _fail(self, e: Exception) -> LLMError:
        if isinstance(e, LLMError):
            return e
        if isinstance(e, httpx.ConnectTimeout):
            return LLMError(f"language model at {self.url}: no connection within {self.timeout:g} s")
        if isinstance(e, httpx.TimeoutException):
            return LLMError(f"language model at {self.url} timed out: no reply within {self.timeout:g} s")
        if isinstance(e, httpx.ConnectError):
            reason = "connection refused" if "refused" in str(e).lower() else _one_line(str(e)) or "cannot connect"
            return LLMError(f"cannot reach the language model at {self.url}: {reason} (is the server running?)")
        if isinstance(e, httpx.HTTPError):
            return LLMError(f"language model at {self.url}: {e.__class__.__name__}: {_one_line(str(e))}")
        return LLMError(f"language model at {self.url}: {e.__class__.__name__}: {_one_line(str(e))}")

    def _check(self, response: httpx.Response) -> None:
        if response.status_code >= 400:
            detail = _error_detail(response.read())
            raise LLMError(f"language model at {self.url} answered HTTP {response.status_code}"
                           + (f": {detail}" if detail else ""))

    def stream(self, messages: Messages) -> Iterator[str]:
        try:
            with self._client() as client, client.stream("POST", self.url, json=self._payload(messages, True)) as r:
                self._check(r)
                if "text/event-stream" not in r.headers.get("content-type", ""):
                    # A server that ignores "stream": true sends the whole reply as JSON.
                    text = _message_text(_parse_json(r.read(), self.url), self.url)
                    if text:
                        yield text
                    return
                for line in r.iter_lines():
                    line = line.strip()
                    if not line.startswith("data:"):
                        continue  # blank separators, ": keep-alive" comments, "event:" lines
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    chunk = _parse_json(data.encode("utf-8"), self.url)
                    if isinstance(chunk, dict) and chunk.get("error"):
                        raise LLMError(f"language model at {self.url} failed mid-stream: "
                                       f"{_error_detail(json.dumps(chunk).encode())}")
                    delta = _delta_text(chunk)
                    if delta:
                        yield delta
        except Exception as e:  # noqa: BLE001 - every failure becomes one clear LLMError
            raise self._fail(e) from None

    def complete(self, messages: Messages) -> str:
        try:
            with self._client() as client:
                r = client.post(self.url, json=self._payload(messages, False))
                self._check(r)
                return _message_text(_parse_json(r.content, self.url), self.url)
        except Exception as e:  # noqa: BLE001
            raise self._fail(e) from None


def _parse_json(raw: bytes, url: str):
    try:
        return json.loads(raw)
    except ValueError:
        raise LLMError(f"language model at {url} sent something that is not JSON: "
                       f"{_one_line(raw.decode('utf-8', 'replace'), 80)!r}") from None


def _delta_text(chunk) -> str:
    try:
        choice = chunk["choices"][0]
    except (KeyError, IndexError, TypeError):
        return ""  # usage-only or role-only chunks
    delta = choice.get("delta") or {}
    text = delta.get("content")
    if text is None:
        text = choice.get("text")  # completion-style servers
    return text if isinstance(text, str) else ""


def _message_text(data, url: str) -> str:
    try:
        choice = data["choices"][0]
        text = (choice.get("message") or {}).get("content")
        if text is None:
            text = choice.get("text")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise LLMError(f"language model at {url} sent a reply without choices[0].message.content") from None
    return text or ""


_llama_models: dict[tuple, object] = {}
_llama_lock = threading.Lock()


class LlamaCppClient:
    """A local GGUF model through llama-cpp-python (optional extra; imported on first use)."""

    def __init__(self, gguf_path: str | Path, n_ctx: int = 4096, max_tokens: int = 400,
                 temperature: float = 0.0, n_threads: int | None = None, seed: int = 0):
        self.gguf_path = str(gguf_path)
        self.n_ctx = n_ctx
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.n_threads = n_threads
        self.seed = seed

    def __repr__(self) -> str:
        return f"LlamaCppClient({self.gguf_path!r})"

    def _model(self):
        try:
            import llama_cpp
        except ImportError:
            raise LLMError("llama-cpp-python is not installed: pip install 'assistant[llm]' "
                           "(or set ASSISTANT_LLM_BASE_URL to an OpenAI-compatible server)") from None
        if not Path(self.gguf_path).is_file():
            raise LLMError(f"GGUF model file not found: {self.gguf_path}")
        key = (self.gguf_path, self.n_ctx, self.n_threads, self.seed)
        with _llama_lock:
            if key not in _llama_models:
                try:
                    _llama_models[key] = llama_cpp.Llama(model_path=self.gguf_path, n_ctx=self.n_ctx,
                                                         n_threads=self.n_threads, seed=self.seed, verbose=False)
                except Exception as e:  # noqa: BLE001
                    raise LLMError(f"cannot load GGUF model {self.gguf_path}: {_one_line(str(e))}") from None
            return _llama_models[key]

    def stream(self, messages: Messages) -> Iterator[str]:
        model = self._model()
        try:
            for chunk in model.create_chat_completion(messages=messages, stream=True, max_tokens=self.max_tokens,
                                                      temperature=self.temperature):
                delta = _delta_text(chunk)
                if delta:
                    yield delta
        except Exception as e:  # noqa: BLE001
            raise LLMError(f"local model {Path(self.gguf_path).name} failed: {_one_line(str(e))}") from None

    def complete(self, messages: Messages) -> str:
        return "".join(self.stream(messages))


def client_from_settings(settings: Settings) -> ChatClient | None:
    """The configured client, or None when no model is configured (the default).

    An API key alone does not switch generative mode on (OPENAI_API_KEY is often set
    for other tools, and documents would leave the machine): a base URL or a GGUF
    path does. For OpenAI itself set ASSISTANT_LLM_BASE_URL=https://api.openai.com/v1.
    """
    if settings.llm_base_url.strip():
        return OpenAICompatibleClient(settings.llm_base_url, settings.llm_model, settings.llm_api_key,
                                      settings.llm_timeout, settings.llm_max_tokens)
    if settings.llm_gguf_path.strip():
        return LlamaCppClient(settings.llm_gguf_path, max_tokens=settings.llm_max_tokens)
    return None
