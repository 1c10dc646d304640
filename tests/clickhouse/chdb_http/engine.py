"""The chDB session behind the server: one per process, used by one request at a time."""

from __future__ import annotations

import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass

from chdb import session as chdb_session

from .errors import ClickHouseError, ErrorCatalog
from .request import Statement


@dataclass
class Outcome:
    """What a statement produced, for the response body and X-ClickHouse-Summary."""

    data: bytes
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    elapsed_ns: int = 0


class Engine:
    """Serializes access to the chDB session and scopes per-request database and settings.

    chDB allows a single session per process and its connection runs one
    statement at a time, so requests take a lock. Settings and the current
    database are session state: they are set before a statement and reset after
    it, so one request never sees another's.
    """

    def __init__(self, data_dir: str):
        self._session = chdb_session.Session(data_dir)
        # Insert bodies are spilled here for `FROM INFILE` (see `_insert`).
        self._spill_dir = os.path.join(os.path.abspath(data_dir), "insert-spill")
        os.makedirs(self._spill_dir, exist_ok=True)
        self._lock = threading.Lock()
        self.version = self._scalar("SELECT version()")
        names = self._session.query(
            "SELECT errorCodeToName(number), number FROM numbers(2000) WHERE errorCodeToName(number) != ''",
            "TabSeparated",
        ).bytes()
        code_by_name = {}
        for line in names.decode().splitlines():
            name, code = line.split("\t")
            code_by_name[name] = int(code)
        self.errors = ErrorCatalog(code_by_name, self.version)

    def _scalar(self, sql: str) -> str:
        return self._session.query(sql, "TabSeparated").bytes().decode().strip()

    def execute(self, stmt: Statement) -> Outcome:
        """Runs one statement with its database, settings and parameters applied."""
        with self._lock:
            applied: list[str] = []
            try:
                if stmt.database:
                    self._run(f"USE {_quote_identifier(stmt.database)}")
                for name, value in stmt.settings.items():
                    self._run(f"SET {_quote_identifier(name)} = {_quote_string(value)}")
                    applied.append(name)
                started = time.monotonic_ns()
                if stmt.insert_format is not None:
                    return self._insert(stmt, started)
                result = self._run(stmt.sql, stmt.output_format, stmt.params)
                return Outcome(
                    data=result.bytes(),
                    read_rows=result.rows_read(),
                    read_bytes=result.bytes_read(),
                    written_rows=result.rows_written(),
                    written_bytes=result.bytes_written(),
                    elapsed_ns=time.monotonic_ns() - started,
                )
            finally:
                self._reset(applied, stmt.database is not None)

    def _insert(self, stmt: Statement, started: int) -> Outcome:
        # chDB's streaming inserter (`send_insert`) can report success for rows
        # it did not store: a block over `max_partitions_per_insert_block`
        # comes back "written" while the engine threw TOO_MANY_PARTS. Real
        # ClickHouse refuses such an insert, and the collector's handling of
        # bad batches depends on seeing that refusal, so the data goes through
        # `INSERT ... FROM INFILE`, which runs the ordinary insert pipeline and
        # raises every engine error. The body is already buffered whole.
        with tempfile.NamedTemporaryFile(dir=self._spill_dir, suffix=".bin") as spill:
            spill.write(stmt.insert_data)
            spill.flush()
            sql = f"{stmt.sql} FROM INFILE {_quote_string(spill.name)} FORMAT {stmt.insert_format}"
            try:
                result = self._run(sql)
            except ClickHouseError as err:
                # The spill file is ours, not the client's: keep it out of the message.
                err.message = _SPILL_RE.sub("", err.message)
                raise
        return Outcome(
            data=b"",
            written_rows=result.rows_written(),
            written_bytes=result.bytes_written(),
            elapsed_ns=time.monotonic_ns() - started,
        )

    def _run(self, sql: str, fmt: str = "TabSeparated", params: dict[str, str] | None = None):
        try:
            return self._session.query(sql, fmt, params=params or None)
        except RuntimeError as exc:
            raise self.errors.from_engine(str(exc)) from exc

    def _reset(self, settings: list[str], database_changed: bool) -> None:
        for name in settings:
            try:
                self._session.query(f"SET {_quote_identifier(name)} = DEFAULT")
            except RuntimeError:
                # A setting that failed to apply has nothing to reset.
                pass
        if database_changed:
            self._session.query("USE default")

    def close(self) -> None:
        """Flushes and closes the session; data stays in the data folder."""
        with self._lock:
            self._session.close()


_SPILL_RE = re.compile(r"\s*\(in file/uri [^)]*\)\s*:?")


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


__all__ = ["ClickHouseError", "Engine", "Outcome"]
