"""The tool agent: simulates one API call, returning a result its ``returns`` schema allows, or an error.

Nothing is executed: the LLM writes a plausible result under constrained decoding. With the error
code chosen beforehand (by ``--tool-error-rate``), it writes a realistic error object instead,
which the assistant must then handle.
"""

from __future__ import annotations

from typing import Any

import orjson

from toolace.dialogs.render import fields_text, sectioned
from toolace.dialogs.schemas import error_schema, result_schema
from toolace.llm.base import ChatResult
from toolace.records import Api

PROMPT = "dialog_tool"
MAX_TOKENS = 600


def tool_messages(api: Api, arguments: dict[str, Any], schema: dict[str, Any], error: str | None) -> list[dict]:
    prompt = sectioned(PROMPT)
    task = prompt.render("error", code=error) if error else prompt.render("result")
    text = prompt.render("prompt", name=api.name, description=api.description, fields=fields_text(schema),
                         arguments=orjson.dumps(arguments).decode(), task=task)
    return [{"role": "user", "content": text}]


async def run_tool(llm: Any, api: Api, arguments: dict[str, Any], *, error: str | None = None,
                   pinned: dict[str, dict[str, Any]] | None = None, temperature: float = 0.7) -> tuple[Any, ChatResult]:
    """The simulated result of calling ``api`` with ``arguments`` (``pinned`` result fields required)."""
    schema = error_schema(error) if error else result_schema(api, pinned)
    result = await llm.chat(tool_messages(api, arguments, schema, error), schema=schema,
                            schema_name="tool_result", temperature=temperature, max_tokens=MAX_TOKENS)
    return result.parsed, result
