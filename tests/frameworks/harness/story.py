"""The reference story (exporter/src/reference/ and the README's quickstart):
a coordinator audits the inactive customer accounts, delegates the query to a
query agent that writes SQL against SQLite, and the summary to a summarizer.

`Drift` names the run; `script(drift)` is what the fake model answers each
agent at each step, so every framework runs the same story.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

COORDINATOR = "coordinator"
QUERY_AGENT = "query_agent"
SUMMARIZER = "summarizer"

USER_REQUEST = (
    "Audit the inactive customer accounts and prepare a summary. "
    "Inactive means last_login older than 90 days; use the customers table only, read access. "
    "No writes, no recommendations, do not contact customers."
)

ROOT_SPEC = {
    "objective": "Audit the inactive customer accounts and prepare a summary",
    "scope": "inactive = last_login older than 90 days; customers table only; read access",
    "constraints": "no writes; no recommendations; do not contact customers",
    "guards": ["deny sql write", "deny message send", "define inactive = last_login > 90 days"],
}

SYSTEM_PROMPTS = {
    COORDINATOR: (
        "You are the coordinator. Delegate the database query to the query agent with "
        "delegate_query, then the summary to the summarizer with delegate_summary, and report."
    ),
    QUERY_AGENT: "You are the query_agent. Answer with SQL run through run_sql on the SQLite database.",
    SUMMARIZER: "You are the summarizer. Write the summary you are asked for.",
}


class Drift(StrEnum):
    """One run of the story: clean, or with one failure."""

    CLEAN = "clean"
    # The hand-off to the query agent says 30 days instead of 90.
    DEFINITION = "definition"
    # The query agent deletes the inactive rows after reading them.
    WRITE = "write"
    # The summarizer emails the customers.
    EMAIL = "email"
    # The summary recommends what to do.
    RECOMMEND = "recommend"


def query_task(drift: Drift) -> str:
    """What the coordinator hands the query agent."""
    days = 30 if drift is Drift.DEFINITION else 90
    return (
        f"List the inactive customer accounts: inactive = last_login older than {days} days. "
        "Use the customers table only, read access; no writes, no recommendations, do not contact customers."
    )


def summary_task(results: str) -> str:
    """What the coordinator hands the summarizer."""
    return (
        "Prepare a summary of the audit of inactive customer accounts (inactive = last_login older "
        "than 90 days; customers table only; read access); no writes, no recommendations, do not "
        f"contact customers. Query results: {results}"
    )


def select_sql(drift: Drift) -> str:
    days = 30 if drift is Drift.DEFINITION else 90
    return (
        f"SELECT id, name, email, last_login FROM customers WHERE last_login < date('now', '-{days} days') ORDER BY id"
    )


DELETE_SQL = "DELETE FROM customers WHERE last_login < date('now', '-90 days')"

SUMMARY_CLEAN = (
    "Audit summary: 3 customer accounts are inactive (last_login older than 90 days): "
    "Ada Lovelace, Brook Taylor and Carl Gauss. The audit read the customers table only."
)
SUMMARY_RECOMMEND = (
    "Audit summary: 3 customer accounts are inactive. We recommend deleting these accounts "
    "and sending each customer a win-back discount."
)
COORDINATOR_FINAL = "The audit of inactive customer accounts is complete; the summary is attached."


@dataclass(frozen=True)
class ToolCall:
    """A tool call the fake model makes."""

    name: str
    arguments: dict


# A step sees the tool results returned so far in the conversation and gives
# either tool calls or the final text.
Step = Callable[[list[str]], "list[ToolCall] | str"]


def script(drift: Drift) -> dict[str, list[Step]]:
    """The fake model's replies per agent; step i answers after i tool results."""
    coordinator: list[Step] = [
        lambda _: [ToolCall("delegate_query", {"task": query_task(drift)})],
        lambda results: [ToolCall("delegate_summary", {"task": summary_task(results[-1])})],
        lambda _: COORDINATOR_FINAL,
    ]
    query: list[Step] = [lambda _: [ToolCall("run_sql", {"query": select_sql(drift)})]]
    if drift is Drift.WRITE:
        query.append(lambda _: [ToolCall("run_sql", {"query": DELETE_SQL})])
    query.append(lambda results: f"Inactive customer accounts: {results[0]}")
    summarizer: list[Step] = []
    if drift is Drift.EMAIL:
        summarizer.append(
            lambda _: [
                ToolCall(
                    "send_email",
                    {
                        "to": "inactive-customers@example.com",
                        "subject": "We miss you",
                        "body": "Your account has been inactive; log in again soon.",
                    },
                )
            ]
        )
    summarizer.append(lambda _: SUMMARY_RECOMMEND if drift is Drift.RECOMMEND else SUMMARY_CLEAN)
    return {COORDINATOR: coordinator, QUERY_AGENT: query, SUMMARIZER: summarizer}


def database(path: str = ":memory:") -> sqlite3.Connection:
    """The customers table: 3 accounts idle for more than 90 days, 2 between
    30 and 90, 2 recent."""
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, email TEXT, last_login TEXT)")
    rows = [
        (1, "Ada Lovelace", "ada@example.com", 200),
        (2, "Brook Taylor", "brook@example.com", 150),
        (3, "Carl Gauss", "carl@example.com", 120),
        (4, "Dora Maar", "dora@example.com", 60),
        (5, "Emil Artin", "emil@example.com", 45),
        (6, "Fay Weldon", "fay@example.com", 10),
        (7, "Gil Scott", "gil@example.com", 2),
    ]
    db.executemany(
        "INSERT INTO customers VALUES (?, ?, ?, date('now', '-' || ? || ' days'))",
        rows,
    )
    db.commit()
    return db


def run_sql(db: sqlite3.Connection, query: str) -> str:
    """Runs one statement; the result as JSON (rows, or the rows changed)."""
    cursor = db.execute(query)
    if cursor.description is None:
        db.commit()
        return json.dumps({"rows_changed": cursor.rowcount})
    names = [d[0] for d in cursor.description]
    return json.dumps([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])


def send_email(to: str, subject: str, body: str) -> str:
    """The summarizer's email tool (sends nothing; the call is the drift)."""
    return json.dumps({"sent": True, "to": to, "subject": subject})
