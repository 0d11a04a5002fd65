"""Shared fixtures: the real CPU engine is started once per test session and stopped at its end.

Set ``TOOLACE_TEST_BASE_URL`` (and optionally ``TOOLACE_TEST_MODEL``) to run the engine tests against
an already running server instead, e.g. one from `toolace serve` while developing.
"""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest

from toolace.engine import EMBEDDED_MODEL_NAME, Engine, EngineSpec


@pytest.fixture(scope="session")
def engine():
    """A healthy engine for the whole session: ``.base_url`` and ``.model``."""
    external = os.environ.get("TOOLACE_TEST_BASE_URL")
    if external:
        yield SimpleNamespace(base_url=external, model=os.environ.get("TOOLACE_TEST_MODEL", EMBEDDED_MODEL_NAME))
        return
    spec = EngineSpec(startup_timeout=float(os.environ.get("TOOLACE_ENGINE_TIMEOUT", "300")))
    eng = Engine(spec)
    eng.start()
    try:
        yield eng
    finally:
        eng.stop()
