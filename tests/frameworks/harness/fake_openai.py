"""A fake OpenAI-compatible server on loopback: `/v1/chat/completions` and
`/v1/responses` (for the OpenAI Agents SDK), answering from the story's script
so that every run is deterministic and offline.

The agent is recognised by its system prompt ("You are the <agent>."); the
step by the number of tool results already in the conversation.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .story import Drift, Step, ToolCall, script

MODEL = "fake-model"
_AGENT = re.compile(r"You are the (\w+)")


class ScriptError(Exception):
    """The request does not fit the script (unknown agent, too many steps)."""


class FakeOpenAI:
    """The server; `base_url` is what the OpenAI clients are given."""

    def __init__(self, drift: Drift) -> None:
        self.drift = drift
        self._script = script(drift)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                try:
                    if self.path.endswith("/chat/completions"):
                        reply = server.chat(body)
                    elif self.path.endswith("/responses"):
                        reply = server.responses(body)
                    else:
                        self._send(404, {"error": {"message": f"no route {self.path}"}})
                        return
                except ScriptError as e:
                    self._send(400, {"error": {"message": str(e), "type": "invalid_request_error"}})
                    return
                self._send(200, reply)

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._http.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._http.shutdown()
        self._http.server_close()

    def _next_id(self, prefix: str) -> str:
        with self._lock:
            return f"{prefix}_{next(self._ids)}"

    def _step(self, system: str, tool_results: list[str]) -> list[ToolCall] | str:
        match = _AGENT.search(system)
        if not match or match.group(1) not in self._script:
            raise ScriptError(f"no script for the agent of system prompt {system[:80]!r}")
        steps: list[Step] = self._script[match.group(1)]
        if len(tool_results) >= len(steps):
            raise ScriptError(f"{match.group(1)}: no step after {len(tool_results)} tool results")
        return steps[len(tool_results)](tool_results)

    def chat(self, body: dict[str, Any]) -> dict[str, Any]:
        messages = body.get("messages", [])
        system = " ".join(_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer"))
        results = [_text(m.get("content")) for m in messages if m.get("role") == "tool"]
        step = self._step(system, results)
        if isinstance(step, str):
            message: dict[str, Any] = {"role": "assistant", "content": step}
            finish = "stop"
        else:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": self._next_id("call"),
                        "type": "function",
                        "function": {"name": c.name, "arguments": json.dumps(c.arguments)},
                    }
                    for c in step
                ],
            }
            finish = "tool_calls"
        return {
            "id": self._next_id("chatcmpl"),
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body.get("model", MODEL),
            "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 20, "total_tokens": 70},
        }

    def responses(self, body: dict[str, Any]) -> dict[str, Any]:
        items = body.get("input", [])
        if isinstance(items, str):
            items = [{"role": "user", "content": items}]
        system = str(body.get("instructions") or "") + " ".join(
            _text(i.get("content")) for i in items if i.get("role") in ("system", "developer")
        )
        results = [_text(i.get("output")) for i in items if i.get("type") == "function_call_output"]
        step = self._step(system, results)
        if isinstance(step, str):
            output: list[dict[str, Any]] = [
                {
                    "type": "message",
                    "id": self._next_id("msg"),
                    "role": "assistant",
                    "status": "completed",
                    "content": [{"type": "output_text", "text": step, "annotations": []}],
                }
            ]
        else:
            output = [
                {
                    "type": "function_call",
                    "id": self._next_id("fc"),
                    "call_id": self._next_id("call"),
                    "name": c.name,
                    "arguments": json.dumps(c.arguments),
                    "status": "completed",
                }
                for c in step
            ]
        return {
            "id": self._next_id("resp"),
            "object": "response",
            "created_at": 1_700_000_000,
            "status": "completed",
            "model": body.get("model", MODEL),
            "output": output,
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": body.get("tools", []),
            "instructions": body.get("instructions"),
            "usage": {
                "input_tokens": 50,
                "output_tokens": 20,
                "total_tokens": 70,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
        }


def _text(content: Any) -> str:
    """The text of a message content: a string, or a list of text parts."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text(p.get("text") if isinstance(p, dict) else p) for p in content)
    return str(content)
