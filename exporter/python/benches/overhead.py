"""Overhead of the SDK in CPython: the processor's `on_start` per span and
`check` per proposed action.

    RESHIMU_WHEEL_PROFILE=release exporter/python/tests/run.sh -m "not e2e"
    target/pysdk-venv/bin/python exporter/python/benches/overhead.py

(the first line installs the release wheel into the test virtualenv;
`./tests/run.sh` installs a debug one, whose scorer is much slower).

Prints the median of several timed runs of each, in microseconds:
- `on_start`, called directly on a started span, with the intent in a
  session's context (the fast path) and only in W3C Baggage (the fallback);
- a whole span start + end, on a provider with only a no-op processor and
  with only `ReshimuSpanProcessor`, in a session's context (the difference is
  what an app pays per span);
- `check` of an aligned SELECT and of a violating DELETE (observe: the
  DELETE also records its `reshimu.guard` event on the current span).
"""

from __future__ import annotations

import statistics
import timeit
from typing import Callable

import reshimu
from opentelemetry import baggage, context, trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

REPEATS = 7


def median_us(fn: Callable[[], object], number: int) -> float:
    """Median of the runs, per call. The machine is shared: read the spread
    between runs of this script, not the last digit."""
    runs = timeit.repeat(fn, number=number, repeat=REPEATS)
    return statistics.median(runs) / number * 1e6


class NoOp(SpanProcessor):
    pass


def main() -> None:
    spec = reshimu.IntentSpec.reference()
    plain = TracerProvider()
    plain.add_span_processor(NoOp())
    stamped = TracerProvider()
    stamped.add_span_processor(reshimu.ReshimuSpanProcessor())
    processor = reshimu.ReshimuSpanProcessor()

    with reshimu.session(spec, agent="bench", tracer_provider=stamped) as s:
        ctx = s.context
        span = stamped.get_tracer("bench").start_span("target")
        fast = median_us(lambda: processor.on_start(span, ctx), 200_000)
        only_baggage = baggage.set_baggage("reshimu.intent.id", s.intent_id)
        only_baggage = baggage.set_baggage("reshimu.delegation.depth", "1", only_baggage)
        slow = median_us(lambda: processor.on_start(span, only_baggage), 100_000)
        span.end()

        t_plain = plain.get_tracer("bench")
        t_stamped = stamped.get_tracer("bench")
        base = median_us(lambda: t_plain.start_span("x").end(), 50_000)
        with_reshimu = median_us(lambda: t_stamped.start_span("x").end(), 50_000)

        select = reshimu.Action.sql(
            "SELECT id, name FROM customers WHERE last_login < date('now', '-90 days')"
        )
        delete = reshimu.Action.sql("DELETE FROM customers WHERE id = 3")
        aligned = median_us(lambda: s.check(select), 20_000)

        # A violating check records its event on the current span, which
        # holds at most 128 events: every 100 checks run in a fresh span
        # (1% of a span start+end counted in each check).
        def hundred_in_a_span() -> None:
            span = t_stamped.start_span("tool", context=ctx)
            token = context.attach(trace.set_span_in_context(span, ctx))
            for _ in range(100):
                s.check(delete)
            context.detach(token)
            span.end()

        violating = median_us(hundred_in_a_span, 200) / 100

    print(f"on_start, session context      {fast:6.2f} us  (target <= 5)")
    print(f"on_start, W3C Baggage only     {slow:6.2f} us  (target <= 5)")
    print(f"span start+end, no-op processor {base:6.2f} us")
    print(f"span start+end, Reshimu         {with_reshimu:6.2f} us  (+{with_reshimu - base:.2f})")
    print(f"check, aligned SELECT          {aligned:6.2f} us  (target <= 20)")
    print(f"check, violating DELETE        {violating:6.2f} us  (target <= 20, records an event)")


if __name__ == "__main__":
    main()
