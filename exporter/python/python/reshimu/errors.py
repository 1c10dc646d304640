"""Errors of the Reshimu SDK."""

from __future__ import annotations

from ._native import ReshimuError, Score, SpecError

__all__ = ["NoSession", "Refused", "ReshimuError", "SpecError"]


class Refused(ReshimuError):
    """`enforce` mode refused an action that violates the intent, or a thin,
    redefining or violating contraction. `score` says why; `action` is the
    action's name or `delegate <agent>`."""

    def __init__(self, action: str, score: Score, delegation: bool = False) -> None:
        what = "delegation to" if delegation else "action"
        target = action.removeprefix("delegate ") if delegation else action
        super().__init__(f"{what} `{target}` refused ({score.verdict}): {score.explanation}")
        self.action = action
        self.score = score
        self.delegation = delegation

    @property
    def verdict(self) -> str:
        """The verdict behind the refusal."""
        return self.score.verdict


class NoSession(ReshimuError):
    """`reshimu.check` or a framework helper ran outside any Reshimu session."""
