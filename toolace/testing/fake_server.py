"""A real local HTTP server that speaks the OpenAI chat-completions wire format, scripted per request.

Used by tests and fault benchmarks to prove retries, re-asks and error handling over a real socket:
each request takes the next scripted action (a reply, an HTTP status, a hang, a dropped connection,
a non-JSON body), else the default responder's. Every request body is recorded.
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


def reply(content: Any, finish_reason: str = "stop") -> Action:
    return Action("reply", content, finish_reason)


def status(code: int) -> Action:
    return Action("status", status=code)


def hang(seconds: float) -> Action:
    return Action("hang", seconds=seconds)


def drop() -> Action:
    return Action("drop")


def garbage(text: str = "<html>bad gateway</html>") -> Action:
    return Action("garbage", text)


def completion(content: str, finish_reason: str, model: str, prompt_tokens: int = 10) -> dict:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": max(1, len(content) // 4),
                  "total_tokens": prompt_tokens + max(1, len(content) // 4),
                  "prompt_tokens_details": {"cached_tokens": prompt_tokens // 2}},
    }


class FakeOpenAIServer:
    """``with FakeOpenAIServer() as server: server.base_url ...``; script with ``server.enqueue``."""

    def __init__(self, responder: Callable[[dict], Action] | None = None, model: str = "fake-model"):
        self.model = model
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

            def do_GET(self) -> None:
                if self.path.endswith("/health"):
                    self._send(200, b"")
                elif self.path.endswith("/models"):
                    self._send(200, json.dumps({"object": "list", "data": [{"id": server.model}]}).encode())
                else:
                    self._send(404, b"{}")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
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
                self._send(200, json.dumps(completion(content, action.finish_reason, server.model)).encode())

        class Server(ThreadingHTTPServer):
            request_queue_size = 1024  # a client with hundreds of requests in flight connects at once

            def handle_error(self, request, client_address):  # a client killed mid-reply is expected here
                pass

        self._httpd = Server(("127.0.0.1", 0), Handler)
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
