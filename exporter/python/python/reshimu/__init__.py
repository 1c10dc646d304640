"""Reshimu for Python: declare intents, stamp spans, check actions.

::

    import reshimu
    provider.add_span_processor(reshimu.ReshimuSpanProcessor())
    with reshimu.session(spec, agent="coordinator") as s:
        with s.delegate("query-agent", "List customers inactive for 90 days") as q:
            reshimu.check(reshimu.Action.sql("SELECT id FROM customers ..."))

The spec validation, digest, guard parsing and scorer are the Rust crate
`reshimu-intent` (the collector's), compiled into `reshimu._native`.
"""

from ._native import (
    SCORER_VERSION,
    Action,
    IntentChain,
    IntentSpec,
    ReshimuError,
    Score,
    SessionScorer,
    SpecError,
    parse_guard,
)
from ._scope import BAGGAGE_KEYS, IntentIds, context_with_ids
from .errors import NoSession, Refused
from .guard import guarded
from .http import install_http_propagation, uninstall_http_propagation
from .processor import ReshimuSpanProcessor
from .propagation import extract, inject
from .session import (
    DECLARE_SPAN_NAME,
    GUARD_EVENT,
    TRACER_NAME,
    Mode,
    Session,
    check,
    current_session,
    resume,
    session,
)

__all__ = [
    "BAGGAGE_KEYS",
    "DECLARE_SPAN_NAME",
    "GUARD_EVENT",
    "SCORER_VERSION",
    "TRACER_NAME",
    "Action",
    "IntentChain",
    "IntentIds",
    "IntentSpec",
    "Mode",
    "NoSession",
    "Refused",
    "ReshimuError",
    "ReshimuSpanProcessor",
    "Score",
    "Session",
    "SessionScorer",
    "SpecError",
    "check",
    "context_with_ids",
    "current_session",
    "extract",
    "guarded",
    "inject",
    "install_http_propagation",
    "parse_guard",
    "resume",
    "session",
    "uninstall_http_propagation",
]

__version__ = "0.1.0"
