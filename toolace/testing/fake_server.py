"""A real local HTTP server that speaks the OpenAI chat-completions wire format, scripted per request.

Used by tests and fault benchmarks to prove retries, re-asks and error handling over a real socket:
each request takes the next scripted action (a reply, an HTTP status, a hang, a dropped connection,
a non-JSON body), else the default responder's. Every request body and its headers are recorded. With
``api_key`` every route but ``/health`` answers 401 to a request without ``Authorization: Bearer KEY``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Action:
    kind: str  # reply | status | hang | drop | garbage
    content: Any = None
    finish_reason: str = "stop"
    status: int = 200
    seconds: float = 0.0
    delay: float = 0.0  # seconds to wait before answering, like a real engine generating
    reasoning: str | None = None  # sent as the message's reasoning_content (vLLM with a reasoning parser)


def reply(content: Any, finish_reason: str = "stop", reasoning: str | None = None) -> Action:
    return Action("reply", content, finish_reason, reasoning=reasoning)


def status(code: int) -> Action:
    return Action("status", status=code)


def hang(seconds: float) -> Action:
    return Action("hang", seconds=seconds)


def drop() -> Action:
    return Action("drop")


def garbage(text: str = "<html>bad gateway</html>") -> Action:
    return Action("garbage", text)


def requested_schema(body: dict) -> tuple[str | None, dict | None]:
    """``(mode, schema)`` a chat request asks its reply to follow: from ``response_format`` json_schema, else
    from the schema toolace writes into the last user turn (json_object and prompt modes); ``(None, None)``."""
    from toolace.llm.openai_client import SCHEMA_PROMPT

    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        return "json_schema", fmt["json_schema"]["schema"]
    text = next((m.get("content") for m in reversed(body.get("messages") or []) if m.get("role") == "user"), "")
    if isinstance(text, str) and SCHEMA_PROMPT in text:
        mode = "json_object" if fmt.get("type") == "json_object" else "prompt"
        return mode, json.loads(text.rpartition(SCHEMA_PROMPT)[2])
    return None, None


def completion(content: str, finish_reason: str, model: str, prompt_tokens: int = 10,
               reasoning: str | None = None) -> dict:
    message = {"role": "assistant", "content": content}
    if reasoning is not None:
        message["reasoning_content"] = reasoning
    generated = max(1, (len(content) + len(reasoning or "")) // 4)  # thinking is generated tokens too
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": generated,
                  "total_tokens": prompt_tokens + generated,
                  "prompt_tokens_details": {"cached_tokens": prompt_tokens // 2}},
    }


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: server.base_url ...``; script with ``server.enqueue``."""

    def __init__(self, responder: Callable[[dict], Action] | None = None, model: str = "fake-model",
                 api_key: str | None = None, port: int = 0, max_model_len: int | None = None):
        self.model = model
        self.max_model_len = max_model_len  # reported in /models as vLLM reports it
        self.api_key = api_key
        self.headers: list[dict[str, str]] = []  # of every request but /health, names in lower case
        self.actions: deque[Action] = deque()
        self.responder = responder or (lambda body: reply('{"ok": true}'))
        self.requests: list[dict] = []
        self.connections: set[int] = set()  # client ports seen: how many TCP connections the client opened
        self._lock = threading.Lock()
        self._stop = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _refused(self) -> bool:
                """Record the headers; answer 401 (as vLLM with --api-key does) when the key is wrong."""
                with server._lock:
                    server.headers.append({k.lower(): v for k, v in self.headers.items()})
                if server.api_key is None or self.headers.get("Authorization") == f"Bearer {server.api_key}":
                    return False
                self._send(401, json.dumps({"error": {"message": "Unauthorized", "type": "invalid_api_key"}}).encode())
                return True

            def do_GET(self) -> None:
                if self.path.endswith("/health"):
                    self._send(200, b"")
                elif self._refused():
                    return
                elif self.path.endswith("/models"):
                    card = {"id": server.model}
                    if server.max_model_len:
                        card["max_model_len"] = server.max_model_len
                    self._send(200, json.dumps({"object": "list", "data": [card]}).encode())
                else:
                    self._send(404, b"{}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if self._refused():
                    return
                with server._lock:
                    server.requests.append(body)
                    server.connections.add(self.client_address[1])
                    action = server.actions.popleft() if server.actions else None
                if action is None:
                    action = server.responder(body)
                if action.delay:
                    server._stop.wait(action.delay)
                if action.kind == "hang":
                    server._stop.wait(action.seconds)
                    self.close_connection = True
                    return
                if action.kind == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                if action.kind == "status":
                    self._send(action.status, json.dumps({"error": {"message": f"fake {action.status}"}}).encode())
                    return
                if action.kind == "garbage":
                    self._send(200, str(action.content).encode())
                    return
                content = action.content if isinstance(action.content, str) else json.dumps(action.content)
                self._send(200, json.dumps(completion(content, action.finish_reason, server.model,
                                                      reasoning=action.reasoning)).encode())

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # a client with hundreds of requests in flight connects at once

            def handle_error(self, request, client_address):  # a client killed mid-reply is expected here
                pass

        self._httpd = Server(("127.0.0.1", port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def enqueue(self, *actions: Action) -> "FakeOpenAIServer":
        with self._lock:
            self.actions.extend(actions)
        return self

    def start(self) -> "FakeOpenAIServer":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> "FakeOpenAIServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
