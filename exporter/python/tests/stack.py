"""The collector and ClickHouse for the end-to-end tests: a real
`reshimu-collector run` on a free loopback port, writing to a fresh database
of the ClickHouse that `./tests/run.sh` started (`CLICKHOUSE_URL`,
`CLICKHOUSE_USER`, `CLICKHOUSE_PASSWORD`), and queries over its HTTP interface."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from workspace import collector_binary

# The line `run` prints once its receivers are bound, and the log line once
# the schema is applied (spans sent before are held and retried, which under
# load can outlast a test's wait).
LISTENING = re.compile(r"listening: .*OTLP/HTTP (\d+\.\d+\.\d+\.\d+:\d+)")
SCHEMA_READY = "ClickHouse schema ready"


class ClickHouse:
    """Queries over the ClickHouse HTTP interface."""

    def __init__(self) -> None:
        url = os.environ.get("CLICKHOUSE_URL")
        if not url:
            raise RuntimeError(
                "CLICKHOUSE_URL is not set: run the end-to-end tests through ./tests/run.sh "
                "(or point CLICKHOUSE_URL at a ClickHouse), or deselect them with -m 'not e2e'"
            )
        self.url = url.rstrip("/")
        self.user = os.environ.get("CLICKHOUSE_USER", "default")
        self.password = os.environ.get("CLICKHOUSE_PASSWORD", "")

    def query(self, sql: str, **params: str) -> list[dict[str, Any]]:
        """Rows of `sql` (JSONEachRow); `{name:String}` placeholders from `params`."""
        args = {"default_format": "JSONEachRow"}
        args.update({f"param_{k}": v for k, v in params.items()})
        request = urllib.request.Request(
            f"{self.url}/?{urllib.parse.urlencode(args)}",
            data=sql.encode(),
            headers={"X-ClickHouse-User": self.user, "X-ClickHouse-Key": self.password},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read().decode()
        return [json.loads(line) for line in body.splitlines() if line.strip()]


class Collector:
    """`reshimu-collector run` with a config of its own; `endpoint` is its OTLP/HTTP base."""

    def __init__(self, clickhouse: ClickHouse) -> None:
        self.database = f"pysdk_{secrets.token_hex(4)}"
        self.clickhouse = clickhouse
        self._dir = tempfile.TemporaryDirectory(prefix="reshimu-pysdk-")
        config = Path(self._dir.name) / "collector.yaml"
        config.write_text(
            json.dumps(
                {
                    "receivers": {
                        "grpc": {"enabled": False},
                        "http": {"endpoint": "127.0.0.1:0"},
                    },
                    "lineage": {"wait": "500ms"},
                    "clickhouse": {
                        "url": clickhouse.url,
                        "database": self.database,
                        "user": clickhouse.user,
                        "password": clickhouse.password,
                        "ttl_days": 0,
                        "batch": {"max_delay": "100ms"},
                        "retry": {"initial_backoff": "100ms", "max_backoff": "500ms"},
                    },
                    "telemetry": {"listen": ""},
                }
            )
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKHOUSE_")}
        self._process = subprocess.Popen(
            [str(collector_binary()), "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        self.log: list[str] = []
        threading.Thread(target=self._drain, daemon=True).start()
        self.endpoint = self._wait_listening()

    def _wait_listening(self) -> str:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self._process.poll() is None:
            lines = list(self.log)
            ready = any(SCHEMA_READY in line for line in lines)
            for line in lines:
                found = LISTENING.search(line)
                if found and ready:
                    return f"http://{found.group(1)}"
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("the collector did not start:\n" + "".join(self.log))

    def _drain(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self.log.append(line)

    def spans(
        self, where: str, expect: int, timeout: float = 60.0, **params: str
    ) -> list[dict[str, Any]]:
        """The rows of `spans` matching `where`, once there are `expect` of them
        (or whatever is there after `timeout`, for the assertion to show)."""
        sql = f"SELECT * FROM {self.database}.spans WHERE {where} ORDER BY Timestamp"
        deadline = time.monotonic() + timeout
        while True:
            try:
                rows = self.clickhouse.query(sql, **params)
            except OSError:
                rows = []
            if len(rows) >= expect or time.monotonic() > deadline:
                return rows
            time.sleep(0.2)

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
        self._dir.cleanup()
