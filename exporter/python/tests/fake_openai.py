"""A scripted OpenAI-compatible server on loopback (`/v1/chat/completions`),
so the framework examples run deterministically and offline.

Each agent is recognized by `You are <agent>` in its system (or developer)
message and answers its script turn by turn: a tool call (`{"tool": name,
"args": {...}}`) or a final text (`{"text": ...}`); past the end of its
script it says "Done.". Streaming is refused with a clear error: none of
the examples asks for it.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AGENT = re.compile(r"You are (\w+)")


def _texts(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


class FakeOpenAI:
    """The server; `base_url` is what `OPENAI_BASE_URL` should be."""

    def __init__(self, script: dict[str, list[dict[str, Any]]]) -> None:
        self.script = script
        self.turns: dict[str, int] = {}
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                status, reply = fake.answer(self.path, body)
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if not path.endswith("/chat/completions"):
            return 404, {"error": {"message": f"no route {path}", "type": "invalid_request"}}
        if body.get("stream"):
            return 400, {"error": {"message": "streaming is not scripted", "type": "invalid"}}
        system = " ".join(
            _texts(m.get("content"))
            for m in body.get("messages", [])
            if m.get("role") in ("system", "developer")
        )
        found = AGENT.search(system)
        agent = found.group(1) if found else "?"
        with self._lock:
            self.requests.append({"agent": agent, "body": body})
            turn = self.turns.get(agent, 0)
            self.turns[agent] = turn + 1
        steps = self.script.get(agent, [])
        step = steps[turn] if turn < len(steps) else {"text": "Done."}
        message: dict[str, Any] = {"role": "assistant", "content": None}
        if "tool" in step:
            message["tool_calls"] = [
                {
                    "id": f"call_{agent}_{turn}",
                    "type": "function",
                    "function": {"name": step["tool"], "arguments": json.dumps(step["args"])},
                }
            ]
            finish = "tool_calls"
        else:
            message["content"] = step["text"]
            finish = "stop"
        return 200, {
            "id": f"chatcmpl-{agent}-{turn}",
            "object": "chat.completion",
            "created": 1_762_000_000,
            "model": body.get("model", "fake-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }
