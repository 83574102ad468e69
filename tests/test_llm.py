"""The chat clients, over real HTTP on 127.0.0.1 (tests/llm_server.py), and their configuration."""

from __future__ import annotations

import importlib.util
import socket
import time

import pytest

from assistant.llm import ChatClient, LLMError, LlamaCppClient, OpenAICompatibleClient, client_from_settings
from assistant.settings import Settings, load_settings

try:
    from llm_server import LLMServer, Reply
except ImportError:  # tests/ imported as a package
    from tests.llm_server import LLMServer, Reply

MESSAGES = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Say hello."}]


@pytest.fixture
def server():
    with LLMServer() as s:
        yield s


def client_for(server: LLMServer, **kw) -> OpenAICompatibleClient:
    return OpenAICompatibleClient(server.base_url, kw.pop("model", "test-model"), kw.pop("api_key", ""),
                                  kw.pop("timeout", 5.0), **kw)


def test_stream_yields_deltas_over_sse(server):
    text = "Ofsted judged the services good [1]. The inspection ended on 25 October 2024 [1]."
    server.script(Reply(text))
    deltas = list(client_for(server).stream(MESSAGES))
    assert "".join(deltas) == text
    assert len(deltas) > 5  # streamed piece by piece, not in one block
    req = server.requests[0]
    assert req.path == "/v1/chat/completions"
    assert req.json["stream"] is True
    assert req.json["model"] == "test-model"
    assert req.json["messages"] == MESSAGES
    assert req.json["max_tokens"] == 400 and req.json["temperature"] == 0.0


def test_stream_arrives_while_the_server_is_still_writing(server):
    server.script(Reply("one two three four five six", chunk_delay=0.15))
    t0 = time.perf_counter()
    stream = client_for(server).stream(MESSAGES)
    first = next(stream)
    first_at = time.perf_counter() - t0
    rest = "".join(stream)
    total = time.perf_counter() - t0
    assert first == "one"
    assert first + rest == "one two three four five six"
    assert first_at < total - 0.4  # the first word came well before the last


def test_complete_returns_the_whole_message(server):
    server.script(Reply("Hello there."))
    assert client_for(server).complete(MESSAGES) == "Hello there."
    assert server.requests[0].json["stream"] is False


def test_server_that_ignores_stream_flag_still_works(server):
    server.script(Reply("A whole reply at once.", ignore_stream=True))
    assert "".join(client_for(server).stream(MESSAGES)) == "A whole reply at once."


def test_api_key_is_sent_as_bearer_token_and_never_shown(server):
    server.script(Reply("ok"), Reply("ok"))
    client = client_for(server, api_key="sk-secret-123")
    assert "".join(client.stream(MESSAGES)) == "ok"
    assert server.requests[0].headers["authorization"] == "Bearer sk-secret-123"
    assert "sk-secret" not in repr(client)
    client_for(server).complete(MESSAGES)
    assert "authorization" not in server.requests[1].headers


def test_model_is_omitted_when_not_configured(server):
    server.script(Reply("ok"))
    client_for(server, model="").complete(MESSAGES)
    assert "model" not in server.requests[0].json  # llama.cpp's server needs none


def test_base_url_forms(server):
    server.script(Reply("a"), Reply("b"))
    assert OpenAICompatibleClient(server.base_url + "/", "m").complete(MESSAGES) == "a"
    assert OpenAICompatibleClient(server.base_url + "/chat/completions", "m").complete(MESSAGES) == "b"
    assert [r.path for r in server.requests] == ["/v1/chat/completions"] * 2


def test_http_error_is_one_clear_line(server):
    server.script(Reply(status=500, error="model crashed\nwith a traceback"))
    with pytest.raises(LLMError) as e:
        list(client_for(server).stream(MESSAGES))
    message = str(e.value)
    assert "HTTP 500" in message and "model crashed" in message and server.base_url in message
    assert "\n" not in message


def test_http_401_from_complete(server):
    server.script(Reply(status=401, error="Incorrect API key provided"))
    with pytest.raises(LLMError, match=r"HTTP 401: Incorrect API key provided"):
        client_for(server).complete(MESSAGES)


def test_wrong_path_is_reported_with_its_status(server):
    client = OpenAICompatibleClient(f"http://127.0.0.1:{server.port}/nope", "m", timeout=5)
    with pytest.raises(LLMError, match="HTTP 404"):
        client.complete(MESSAGES)


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    client = OpenAICompatibleClient(f"http://127.0.0.1:{port}/v1", "m", timeout=5)
    for call in (lambda: list(client.stream(MESSAGES)), lambda: client.complete(MESSAGES)):
        with pytest.raises(LLMError) as e:
            call()
        assert "cannot reach the language model" in str(e.value)
        assert "connection refused" in str(e.value)
        assert "\n" not in str(e.value)


def test_timeout_when_the_server_is_silent(server):
    server.script(Reply("too late", delay=3.0))
    client = client_for(server, timeout=0.4)
    t0 = time.perf_counter()
    with pytest.raises(LLMError, match=r"timed out: no reply within 0.4 s"):
        list(client.stream(MESSAGES))
    assert time.perf_counter() - t0 < 2.5


def test_timeout_between_streamed_pieces(server):
    server.script(Reply("slow words here", chunk_delay=1.5))
    with pytest.raises(LLMError, match="timed out"):
        list(client_for(server, timeout=0.4).stream(MESSAGES))


def test_error_event_mid_stream(server):
    server.script(Reply("partial answer", error_mid_stream="out of memory"))
    with pytest.raises(LLMError, match="failed mid-stream: out of memory"):
        list(client_for(server).stream(MESSAGES))


def test_malformed_event_is_an_llm_error(server):
    server.script(Reply(raw_events=["{not json"]))
    with pytest.raises(LLMError, match="not JSON"):
        list(client_for(server).stream(MESSAGES))


def test_usage_only_and_empty_chunks_are_skipped(server):
    server.script(Reply(raw_events=['{"choices": []}', '{"choices": [{"delta": {"content": null}}]}',
                                    '{"choices": [{"delta": {"content": "hi"}}]}', '{"usage": {"total_tokens": 3}}',
                                    "[DONE]", '{"choices": [{"delta": {"content": "after done"}}]}']))
    assert list(client_for(server).stream(MESSAGES)) == ["hi"]


def test_openai_client_satisfies_the_protocol():
    assert isinstance(OpenAICompatibleClient("http://127.0.0.1:1/v1", "m"), ChatClient)
    assert isinstance(LlamaCppClient("/nowhere.gguf"), ChatClient)


# ---------------------------------------------------------------- configuration


def blank() -> Settings:
    return Settings().replace(llm_base_url="", llm_model="", llm_api_key="", llm_gguf_path="")


def test_nothing_configured_means_no_client():
    assert client_from_settings(blank()) is None


def test_api_key_alone_does_not_switch_generation_on():
    assert client_from_settings(blank().replace(llm_api_key="sk-x")) is None


def test_base_url_gives_an_openai_compatible_client():
    s = blank().replace(llm_base_url="http://127.0.0.1:8080/v1", llm_model="qwen", llm_api_key="k",
                        llm_timeout=12.5, llm_max_tokens=123)
    c = client_from_settings(s)
    assert isinstance(c, OpenAICompatibleClient)
    assert (c.url, c.model, c.api_key, c.timeout, c.max_tokens) == (
        "http://127.0.0.1:8080/v1/chat/completions", "qwen", "k", 12.5, 123)


def test_gguf_path_gives_a_llama_cpp_client():
    c = client_from_settings(blank().replace(llm_gguf_path="/models/tiny.gguf"))
    assert isinstance(c, LlamaCppClient) and c.gguf_path == "/models/tiny.gguf"


def test_environment_configures_the_client(monkeypatch):
    for name in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_API_KEY", "ASSISTANT_LLM_MODEL", "ASSISTANT_LLM_GGUF_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "ollama")
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "llama3.2")
    c = client_from_settings(load_settings())
    assert isinstance(c, OpenAICompatibleClient)
    assert (c.url, c.model, c.api_key) == ("http://127.0.0.1:11434/v1/chat/completions", "llama3.2", "ollama")


def test_settings_client_talks_to_the_server(server):
    server.script(Reply("configured"))
    c = client_from_settings(blank().replace(llm_base_url=server.base_url, llm_api_key="abc"))
    assert c.complete(MESSAGES) == "configured"
    assert server.requests[0].headers["authorization"] == "Bearer abc"


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is not None, reason="llama-cpp-python is installed")
def test_llama_cpp_missing_is_a_clear_error():
    with pytest.raises(LLMError, match=r"llama-cpp-python is not installed: pip install 'assistant\[llm\]'"):
        list(LlamaCppClient("/models/tiny.gguf").stream(MESSAGES))


@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None, reason="llama-cpp-python is not installed")
def test_llama_cpp_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(LLMError, match="GGUF model file not found"):
        LlamaCppClient(tmp_path / "absent.gguf").complete(MESSAGES)
