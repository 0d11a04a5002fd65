"""Shared fixtures: the real CPU engine is started once per test session and stopped at its end."""

from __future__ import annotations

import os

import pytest

from toolace.engine import Engine, EngineSpec


@pytest.fixture(scope="session")
def engine():
    """The embedded vLLM CPU engine with the bundled model, healthy, for the whole session."""
    spec = EngineSpec(startup_timeout=float(os.environ.get("TOOLACE_ENGINE_TIMEOUT", "300")))
    eng = Engine(spec)
    eng.start()
    try:
        yield eng
    finally:
        eng.stop()
