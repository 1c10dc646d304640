"""What every framework module provides to the harness."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from opentelemetry.sdk.trace import TracerProvider


@dataclass(frozen=True)
class CoordinatorTools:
    """The coordinator's tools: they run the delegates (in process, or over HTTP)."""

    delegate_query: Callable[[str], str]
    delegate_summary: Callable[[str], str]


@dataclass(frozen=True)
class QueryTools:
    run_sql: Callable[[str], str]


@dataclass(frozen=True)
class SummaryTools:
    send_email: Callable[[str, str, str], str]


class Agents(Protocol):
    """One framework's agents for the story."""

    def instrument(self, provider: TracerProvider) -> None:
        """Installs the framework's OpenTelemetry instrumentation."""

    def coordinator(self, base_url: str, request: str, tools: CoordinatorTools) -> str:
        """Runs the coordinator on the user's request; its final answer."""

    def query_agent(self, base_url: str, task: str, tools: QueryTools) -> str:
        """Runs the query agent on a task; its final answer."""

    def summarizer(self, base_url: str, task: str, tools: SummaryTools) -> str:
        """Runs the summarizer on a task; its final answer."""
