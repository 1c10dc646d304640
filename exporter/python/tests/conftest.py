"""Shared fixtures for the unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import reshimu
from recording import Recorded


@pytest.fixture
def rec() -> Iterator[Recorded]:
    r = Recorded()
    yield r
    r.provider.shutdown()


@pytest.fixture
def spec() -> reshimu.IntentSpec:
    return reshimu.IntentSpec.reference()
