"""What each session open in this process has seen, by session id.

One `SessionScorer` per session, as the collector keeps one per session: the
root session, its delegates and a delegate resumed in the same process share
it. `ReshimuSpanProcessor` feeds it every span of the session that ends, so
`check` judges an action knowing what the agent was given (a recipient from a
CRM lookup is data; one that an instruction in a web page introduced is not).
Held weakly: a session's memory goes with its last `Session` object.
"""

from __future__ import annotations

import threading
import weakref

from ._native import SessionScorer

_live: weakref.WeakValueDictionary[str, SessionScorer] = weakref.WeakValueDictionary()
_lock = threading.Lock()


def memory_for(session_id: str) -> SessionScorer:
    """The memory of `session_id`, made on first use."""
    with _lock:
        memory = _live.get(session_id)
        if memory is None:
            memory = SessionScorer()
            _live[session_id] = memory
        return memory


def live_memory(session_id: object) -> SessionScorer | None:
    """The memory of a session open in this process, if `session_id` names one."""
    if not _live or not isinstance(session_id, str):
        return None
    return _live.get(session_id)
