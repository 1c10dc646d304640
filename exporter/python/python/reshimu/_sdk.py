"""Two fast paths into opentelemetry-sdk internals, where its public API is
the measured cost (`benches/overhead.py`), and the public API everywhere else.

The SDK re-validates every attribute value as a generic `AnyValue` each time
one is set (`_clean_attribute_value`): about 6 us for the processor's four
ids at span start (the whole `on_start` budget is 5 us) and about 7 of the
11 us that `Span.add_event` takes for the nine attributes of a
`reshimu.guard` event. The values here are built valid (short strings, an
int, floats, a tuple of strings), so they are stored the way the SDK stores
values it has cleaned: under the attribute store's own lock, through its
`_setitem_locked`, and for an event, in an immutable `BoundedAttributes`
appended with the span's `_add_event` (which keeps the span's end check and
event limit).

Only on the SDK versions the tests run (`TESTED_SDK`, the pin in
`tests/requirements.txt`; `tests/test_sdk_paths.py` checks both paths give
the same spans and events), and only when the span, its attribute store and
its limits have the shape those versions have and cannot change a value
(no value-length limit, room for every attribute). Any other version or
shape takes the public API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry.attributes import BoundedAttributes
from opentelemetry.sdk import version as sdk_version
from opentelemetry.sdk.trace import Event
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.trace import Span

TESTED_SDK = ("1.45.",)
"""Version prefixes of opentelemetry-sdk the fast paths are tested against."""

enabled: bool = sdk_version.__version__.startswith(TESTED_SDK)
"""Whether the fast paths may be taken (tests switch them off)."""


def _open_store(bounded: object, count: int) -> Any | None:
    """`bounded` when it is a mutable `BoundedAttributes` of the known shape
    that stores `count` more values unchanged, else None."""
    if not isinstance(bounded, BoundedAttributes):
        return None
    if (
        getattr(bounded, "_immutable", True)
        or getattr(bounded, "max_value_len", None) is not None
        or getattr(bounded, "_setitem_locked", None) is None
        or getattr(bounded, "_lock", None) is None
    ):
        return None
    maxlen = bounded.maxlen
    if maxlen is not None and len(bounded) + count > maxlen:
        return None  # the SDK drops the oldest and counts it: let it
    return bounded


def set_attributes(span: Span, attributes: Mapping[str, Any]) -> None:
    """Adds already valid attributes to a span that has just started."""
    store = _open_store(getattr(span, "_attributes", None), len(attributes)) if enabled else None
    if store is None or getattr(span, "_end_time", None) is not None:
        span.set_attributes(attributes)
        return
    with store._lock:
        for key, value in attributes.items():
            store._setitem_locked(key, value)


def add_event(span: Span, name: str, attributes: Mapping[str, Any]) -> None:
    """Adds an event whose attributes are already valid (str, bool, int,
    float, or tuples of one of them) to `span`."""
    limits = getattr(span, "_limits", None)
    add = getattr(span, "_add_event", None)
    if (
        not enabled
        or not isinstance(span, SdkSpan)
        or add is None
        or limits is None
        or getattr(limits, "max_attribute_length", 0) is not None
    ):
        span.add_event(name, attributes)
        return
    bounded = BoundedAttributes(limits.max_event_attributes, None, immutable=False)
    store = _open_store(bounded, len(attributes))
    if store is None:
        span.add_event(name, attributes)
        return
    with store._lock:
        for key, value in attributes.items():
            store._setitem_locked(key, value)
    store._immutable = True
    add(Event(name=name, attributes=store))
