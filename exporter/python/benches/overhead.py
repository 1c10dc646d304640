"""Overhead of the SDK in CPython: the processor's `on_start` and `on_end` per
span and `check` per proposed action.

    RESHIMU_WHEEL_PROFILE=release exporter/python/tests/run.sh -m "not e2e"
    target/frameworks-venv/bin/python exporter/python/benches/overhead.py

(the first line installs the release wheel into the test virtualenv;
`./tests/run.sh` installs a debug one, whose scorer is much slower).

Prints, per call in microseconds, the median of several timed runs both in
wall-clock time and in the CPU time of this thread (on a shared machine the
wall clock also counts the time other processes held the core; CPU time is
what the call costs):
- `on_start`, called directly on a started span, with the intent in a
  session's context (the fast path) and only in W3C Baggage (the fallback);
- a whole span start + end, on a provider with only a no-op processor and
  with only `ReshimuSpanProcessor`, in a session's context (the difference is
  what an app pays per span, `on_end` learning included);
- `on_end` of a tool span with a 1 KB result and of a chat span with a 4 KB
  history (what the session learns when a span ends);
- `check` of an aligned SELECT and of a violating DELETE (observe: the
  DELETE also records its `reshimu.guard` event on the current span), with a
  session that has seen a few tool results;
- `check` of the violating DELETE in enforce (raises `Refused`, the event
  recorded first).
"""

from __future__ import annotations

import contextlib
import json
import statistics
import time
import timeit
from typing import Callable

import reshimu
from opentelemetry import baggage, context, trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

REPEATS = 7


def median_us(fn: Callable[[], object], number: int) -> tuple[float, float]:
    """Median per call over the runs: (wall clock, thread CPU time)."""
    wall = timeit.repeat(fn, number=number, repeat=REPEATS, timer=time.perf_counter)
    cpu = timeit.repeat(fn, number=number, repeat=REPEATS, timer=time.thread_time)
    return (statistics.median(wall) / number * 1e6, statistics.median(cpu) / number * 1e6)


class NoOp(SpanProcessor):
    pass


TOOL_RESULT = json.dumps(
    [{"id": i, "name": f"Customer {i}", "email": f"c{i}@shop.example"} for i in range(20)]
)
HISTORY = json.dumps(
    [
        {"role": "user", "parts": [{"type": "text", "content": "Audit the inactive accounts."}]},
        *(
            {"role": "tool", "parts": [{"type": "tool_call_response", "response": TOOL_RESULT}]}
            for _ in range(3)
        ),
    ]
)


def main() -> None:
    spec = reshimu.IntentSpec.reference()
    plain = TracerProvider()
    plain.add_span_processor(NoOp())
    stamped = TracerProvider()
    stamped.add_span_processor(reshimu.ReshimuSpanProcessor())
    processor = reshimu.ReshimuSpanProcessor()
    rows: list[tuple[str, tuple[float, float], str]] = []

    with reshimu.session(spec, agent="bench", tracer_provider=stamped) as s:
        ctx = s.context
        span = stamped.get_tracer("bench").start_span("target")
        rows.append(
            (
                "on_start, session context",
                median_us(lambda: processor.on_start(span, ctx), 200_000),
                "<= 5",
            )
        )
        only_baggage = baggage.set_baggage("reshimu.intent.id", s.intent_id)
        only_baggage = baggage.set_baggage("reshimu.delegation.depth", "1", only_baggage)
        rows.append(
            (
                "on_start, W3C Baggage only",
                median_us(lambda: processor.on_start(span, only_baggage), 100_000),
                "<= 5",
            )
        )
        span.end()

        t_plain = plain.get_tracer("bench")
        t_stamped = stamped.get_tracer("bench")
        base = median_us(lambda: t_plain.start_span("x").end(), 50_000)
        with_reshimu = median_us(lambda: t_stamped.start_span("x", context=ctx).end(), 50_000)
        rows.append(("span start+end, no-op processor", base, ""))
        rows.append(("span start+end, Reshimu", with_reshimu, ""))

        tool = t_stamped.start_span(
            "execute_tool crm_lookup",
            context=ctx,
            attributes={
                "gen_ai.operation.name": "execute_tool",
                "gen_ai.tool.name": "crm_lookup",
                "gen_ai.tool.call.result": TOOL_RESULT,
            },
        )
        tool.end()
        chat = t_stamped.start_span(
            "chat m",
            context=ctx,
            attributes={"gen_ai.operation.name": "chat", "gen_ai.input.messages": HISTORY},
        )
        chat.end()
        rows.append(
            ("on_end, tool span, 1 KB result", median_us(lambda: processor.on_end(tool), 5_000), "")
        )
        rows.append(
            (
                "on_end, chat span, 4 KB history",
                median_us(lambda: processor.on_end(chat), 2_000),
                "",
            )
        )

        select = reshimu.Action.sql(
            "SELECT id, name FROM customers WHERE last_login < date('now', '-90 days')"
        )
        delete = reshimu.Action.sql("DELETE FROM customers WHERE id = 3")
        rows.append(("check, aligned SELECT", median_us(lambda: s.check(select), 20_000), "<= 20"))

        # A violating check records its event on the current span, which
        # holds at most 128 events: every 100 checks run in a fresh span
        # (1% of a span start+end counted in each check).
        def hundred_in_a_span(session: reshimu.Session) -> Callable[[], None]:
            def run() -> None:
                span = t_stamped.start_span("tool", context=session.context)
                token = context.attach(trace.set_span_in_context(span, session.context))
                for _ in range(100):
                    with contextlib.suppress(reshimu.Refused):
                        session.check(delete)
                context.detach(token)
                span.end()

            return run

        wall, cpu = median_us(hundred_in_a_span(s), 200)
        rows.append(("check, violating DELETE, observe", (wall / 100, cpu / 100), "<= 20"))

    with reshimu.session(spec, agent="bench", mode="enforce", tracer_provider=stamped) as e:
        wall, cpu = median_us(hundred_in_a_span(e), 200)
        rows.append(("check, violating DELETE, enforce", (wall / 100, cpu / 100), "<= 20"))

    print(f"{'per call (us)':36} {'wall':>8} {'cpu':>8}  target")
    for name, (wall, cpu), target in rows:
        print(f"{name:36} {wall:8.2f} {cpu:8.2f}  {target}")


if __name__ == "__main__":
    main()
