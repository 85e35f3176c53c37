"""ChatModel contract, run against every adapter: the real llama.cpp model, the OpenAI-compatible
client (against an OpenAI-style server on loopback), and the scripted double."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from assistant.adapters.openai_chat import OpenAICompatibleChat
from assistant.domain import ChatMessage
from assistant.errors import UpstreamError
from assistant.settings import Settings
from assistant.testing import ScriptedChat

pytestmark = pytest.mark.integration
MESSAGES = [
    ChatMessage(role="system", content="你是助手。只回答一个词。"),
    ChatMessage(role="user", content="中国的首都是哪座城市？"),
]


class _OpenAIStyle(BaseHTTPRequestHandler):
    seen: ClassVar[list[dict]] = []

    def log_message(self, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        _OpenAIStyle.seen.append({"body": body, "auth": self.headers.get("authorization")})
        if body["model"] == "broken":
            self.send_response(500)
            self.end_headers()
            return
        words = ["北", "京"]
        if body.get("stream"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            for w in words:
                chunk = {"choices": [{"delta": {"content": w}}]}
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
        else:
            out = json.dumps({"choices": [{"message": {"role": "assistant", "content": "".join(words)}}]})
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(out.encode())


@pytest.fixture(scope="module")
def openai_server() -> Iterator[str]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _OpenAIStyle)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}/v1"
    srv.shutdown()


@pytest.fixture(params=["llama_cpp", "openai", "scripted"])
def chat_model(request: pytest.FixtureRequest, openai_server: str, real_settings: Settings):  # type: ignore[no-untyped-def]
    if request.param == "llama_cpp":
        from assistant.wiring import build_chat_model

        return build_chat_model(real_settings)
    if request.param == "openai":
        return OpenAICompatibleChat(openai_server, "qwen-test", "sk-test-123")
    return ScriptedChat(fn=lambda _m: "北京")


def test_chat_model_contract(chat_model) -> None:  # type: ignore[no-untyped-def]
    chat_model.warm_up()
    assert isinstance(chat_model.name, str) and chat_model.name
    text = chat_model.complete(MESSAGES, max_tokens=16)
    assert "北京" in text
    streamed = "".join(chat_model.stream(MESSAGES, max_tokens=16))
    assert streamed == text  # temperature 0: streaming and completing agree


def test_openai_adapter_sends_model_key_and_limits(openai_server: str) -> None:
    _OpenAIStyle.seen.clear()
    OpenAICompatibleChat(openai_server, "qwen-test", "sk-test-123").complete(MESSAGES, max_tokens=7)
    req = _OpenAIStyle.seen[-1]
    assert req["auth"] == "Bearer sk-test-123"
    assert req["body"]["model"] == "qwen-test" and req["body"]["max_tokens"] == 7
    assert req["body"]["messages"][1]["content"] == MESSAGES[1].content


def test_openai_adapter_turns_server_failure_into_upstream_error(openai_server: str) -> None:
    chat = OpenAICompatibleChat(openai_server, "broken")
    with pytest.raises(UpstreamError):
        chat.complete(MESSAGES, max_tokens=4)
    with pytest.raises(UpstreamError):
        list(chat.stream(MESSAGES, max_tokens=4))
    with pytest.raises(UpstreamError):  # nothing listening
        OpenAICompatibleChat("http://127.0.0.1:9/v1", "m", timeout_s=2).complete(MESSAGES, max_tokens=4)
