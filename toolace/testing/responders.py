"""Responders for ``ScriptedLLM(responder=...)``: any agent request answered with a valid instance.

They read only the request's schema (never its wording), so they answer user, assistant and tool
requests alike, instantly and deterministically.
"""

from __future__ import annotations

from typing import Any

from toolace.testing.instances import instance


def agent_responder(request: Any) -> Any:
    """Reply to any structured agent request with a valid instance of its schema."""
    return instance(request.schema)


def full_responder(request: Any) -> Any:
    """Reply with every field the schema allows filled (``instance(full=True)``): the "full" fake."""
    return instance(request.schema, full=True)


def numbered_responder(tagged: tuple[str, ...] = ("user_turn", "tool_result")) -> Any:
    """Like ``agent_responder``, but the strings of ``tagged`` replies end with the request's number.

    Tool results then differ from each other, so a test can tell which result a value came from;
    assistant replies stay the same, so self-consistency samples agree.
    """
    count = 0

    def respond(request: Any) -> Any:
        nonlocal count
        count += 1
        return instance(request.schema, f" #{count}" if request.schema_name in tagged else "")

    return respond
