"""ClickHouse exceptions as the HTTP interface reports them."""

from __future__ import annotations

import re

# Names whose HTTP status is not 500, as in ClickHouse's
# src/Server/HTTP/exceptionCodeToHTTPStatus.cpp. Codes are resolved from the
# names by the engine itself (errorCodeToName) so no numbers are duplicated here.
_STATUS_BY_NAME = {
    "REQUIRED_PASSWORD": 401,
    **dict.fromkeys(
        ["UNKNOWN_USER", "WRONG_PASSWORD", "AUTHENTICATION_FAILED", "SET_NON_GRANTED_ROLE", "ACCESS_DENIED"],
        403,
    ),
    **dict.fromkeys(
        [
            "BAD_ARGUMENTS", "CANNOT_COMPILE_REGEXP", "CANNOT_PARSE_TEXT", "CANNOT_PARSE_ESCAPE_SEQUENCE",
            "CANNOT_PARSE_QUOTED_STRING", "CANNOT_PARSE_DATE", "CANNOT_PARSE_DATETIME", "CANNOT_PARSE_NUMBER",
            "CANNOT_PARSE_DOMAIN_VALUE_FROM_STRING", "CANNOT_PARSE_IPV4", "CANNOT_PARSE_IPV6",
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED", "CANNOT_PARSE_UUID", "DUPLICATE_COLUMN", "ILLEGAL_COLUMN",
            "UNKNOWN_ELEMENT_IN_AST", "UNKNOWN_TYPE_OF_AST_NODE", "THERE_IS_NO_COLUMN", "TOO_DEEP_AST",
            "TOO_BIG_AST", "UNEXPECTED_AST_STRUCTURE", "SYNTAX_ERROR", "INCORRECT_DATA", "TYPE_MISMATCH",
            "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE",
        ],
        400,
    ),
    **dict.fromkeys(
        [
            "UNKNOWN_TABLE", "UNKNOWN_FUNCTION", "UNKNOWN_IDENTIFIER", "UNKNOWN_TYPE", "UNKNOWN_STORAGE",
            "UNKNOWN_DATABASE", "UNKNOWN_SETTING", "UNKNOWN_DIRECTION_OF_SORTING", "UNKNOWN_AGGREGATE_FUNCTION",
            "UNKNOWN_FORMAT", "UNKNOWN_DATABASE_ENGINE", "UNKNOWN_TYPE_OF_QUERY", "UNKNOWN_ROLE",
        ],
        404,
    ),
    "QUERY_IS_TOO_LARGE": 413,
    "NOT_IMPLEMENTED": 501,
    "SOCKET_TIMEOUT": 503,
    "CANNOT_OPEN_FILE": 503,
    "HTTP_LENGTH_REQUIRED": 411,
    "TIMEOUT_EXCEEDED": 408,
    "CANNOT_SCHEDULE_TASK": 503,
    "UNSUPPORTED_MEDIA_TYPE": 415,
}

# chDB messages look like "Code: 60. DB::Exception: <text>. (UNKNOWN_TABLE) (version 26.9.2.1)",
# sometimes wrapped ("Streaming insert finish failed: Code: ...") or nested
# ("Code: 115. DB::Exception: Code: 115. DB::Exception: ..."). The innermost one is the real one.
_CODE_RE = re.compile(r"Code: (\d+)\. DB::(\w*Exception): ")
_TAIL_RE = re.compile(r"(?:\s*\(version [^()]*(?:\([^()]*\))?\))+\.?\s*$")
_NAME_TAIL_RE = re.compile(r"\s*\(([A-Z0-9_]+)\)\s*$")


class ClickHouseError(Exception):
    """An exception with a ClickHouse error code, reported like the real server does."""

    def __init__(self, code: int, name: str, message: str):
        super().__init__(message)
        self.code = code
        self.name = name
        self.message = message


class ErrorCatalog:
    """Maps ClickHouse error names to codes (and back) and renders error responses."""

    def __init__(self, code_by_name: dict[str, int], version: str):
        self._code_by_name = code_by_name
        self._name_by_code = {code: name for name, code in code_by_name.items()}
        self._status_by_code = {
            code_by_name[name]: status for name, status in _STATUS_BY_NAME.items() if name in code_by_name
        }
        self.version = version

    def error(self, name: str, message: str) -> ClickHouseError:
        """Builds the exception ClickHouse raises under `name`."""
        return ClickHouseError(self._code_by_name[name], name, message)

    def http_status(self, code: int) -> int:
        """HTTP status ClickHouse answers with for an exception code."""
        return self._status_by_code.get(code, 500)

    def body(self, err: ClickHouseError) -> bytes:
        """Response body in the server's `Code: N. DB::Exception: ...` form."""
        return (
            f"Code: {err.code}. DB::Exception: {err.message}. ({err.name}) (version {self.version} (chdb))\n"
        ).encode()

    def from_engine(self, text: str) -> ClickHouseError:
        """Parses the error text chDB raises, keeping the engine's own code and message."""
        matches = list(_CODE_RE.finditer(text))
        if not matches:
            return ClickHouseError(1001, "STD_EXCEPTION", text.strip())
        last = matches[-1]
        code = int(last.group(1))
        message = _TAIL_RE.sub("", text[last.end():]).strip()
        # Strip the "(NAME)" suffixes the engine appended, possibly one per nesting level.
        while True:
            stripped = _NAME_TAIL_RE.sub("", message).rstrip()
            stripped = _TAIL_RE.sub("", stripped).rstrip()
            if stripped == message:
                break
            message = stripped
        message = message.rstrip(".")
        name = self._name_by_code.get(code, "UNKNOWN_EXCEPTION")
        return ClickHouseError(code, name, message)
