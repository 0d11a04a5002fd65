"""The text agents read: compact tool descriptions, result fields and the transcript.

Each agent's prompt file (``prompts/dialog_*.txt``) holds ``## name`` sections: ``prompt`` is the
template sent (static instructions first, so the engine's prefix cache serves them; variable parts
last) and the other sections are task lines filled into it (``toolace.prompts``).
"""

from __future__ import annotations

from typing import Any

import orjson

from toolace.dialogs.budget import COMPACT, Budget
from toolace.records import Api
from toolace.schema_reading import resolved

DESCRIPTION_CHARS = 250  # a synthesised API's description is never cut (its spec allows 200)
PARAM_CHARS = 160  # nor a parameter's or a field's (150)


def _clip(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut).rstrip(" ,;:") + "…"


def _type_text(schema: Any) -> str:
    if not isinstance(schema, dict):
        return "any"
    if "const" in schema:
        return orjson.dumps(schema["const"]).decode()
    if isinstance(schema.get("enum"), list):
        return " | ".join(orjson.dumps(v).decode() for v in schema["enum"][:8])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type_text(schema.get('items'))}"
    return "/".join(kind) if isinstance(kind, list) else str(kind)


def api_text(api: Api) -> str:
    """One tool in a few lines: name, what it does, each parameter with type and need, and the
    fields of a record or list-of-records parameter indented under it (a caller must know them)."""
    parameters = resolved(api.parameters) if isinstance(api.parameters, dict) else {}
    return "\n".join([f"- {api.name}: {_clip(api.description, DESCRIPTION_CHARS)}",
                      *_parameter_lines(parameters, "    ")])


def _parameter_lines(schema: dict[str, Any], indent: str) -> list[str]:
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    lines = []
    for name, sub in props.items():
        sub = sub if isinstance(sub, dict) else {}
        about = _clip(sub.get("description", ""), PARAM_CHARS)
        need = ", required" if name in required else ""
        inner = _record(sub)
        kind = (("array of records, each with the fields below" if sub.get("type") == "array"
                 else "record with the fields below") if inner else _type_text(sub) + _constraints(sub))
        lines.append(f"{indent}{name} ({kind}{need}){': ' + about if about else ''}")
        if inner and len(indent) < 12:
            lines += _parameter_lines(inner, indent + "    ")
    return lines


def _constraints(schema: dict[str, Any]) -> str:
    """What a value must look like beyond its type, as the call's schema will enforce it (a model that
    is not told a pattern or a range has to guess it)."""
    parts = [f"format {schema['format']}"] if isinstance(schema.get("format"), str) else []
    if isinstance(schema.get("pattern"), str):
        parts.append(f"pattern {schema['pattern']}")
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        parts.append(f"{low} to {high}")
    elif isinstance(low, (int, float)) or isinstance(high, (int, float)):
        parts.append(f"at least {low}" if isinstance(low, (int, float)) else f"at most {high}")
    if "default" in schema:
        parts.append(f"default {orjson.dumps(schema['default']).decode()}")
    return "".join(f", {part}" for part in parts)


def _record(schema: Any) -> dict[str, Any] | None:
    """The record ``schema`` holds: itself when it is an object with declared fields, its items when it
    is a list of such objects, else None."""
    if isinstance(schema, dict) and schema.get("type") == "array":
        schema = schema.get("items")
    ok = isinstance(schema, dict) and isinstance(schema.get("properties"), dict) and schema["properties"]
    return schema if ok else None


def tools_text(apis: list[Api]) -> str:
    return "\n".join(api_text(api) for api in apis)


def fields_text(schema: dict[str, Any], indent: str = "") -> str:
    """The result fields a tool returns, one per line with type and description, nested fields
    indented under their list or record (the decoding schema itself constrains the values)."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not props:
        return f"{indent}- ({_type_text(schema)})"
    lines = []
    required = schema.get("required")
    for name, sub in props.items():
        about = _clip(sub.get("description", ""), PARAM_CHARS) if isinstance(sub, dict) else ""
        if isinstance(required, list) and name not in required:
            about = f"optional, only when it applies; {about}" if about else "optional, only when it applies"
        inner, listed = _record(sub), isinstance(sub, dict) and sub.get("type") == "array"
        kind = ("list of records" if listed else "record") if inner else _type_text(sub)
        lines.append(f"{indent}- {name} ({kind}){': ' + about if about else ''}"
                     + (", each with:" if inner and listed else ", with:" if inner else ""))
        if inner:
            lines.append(fields_text(inner, indent + "    "))
    return "\n".join(lines)


def call_history(messages: list[dict[str, Any]], budget: Budget = COMPACT) -> str:
    """The calls made so far in a dialog and their results, for the tool agent (ids stay consistent)."""
    lines = [line for line in transcript(messages, budget).splitlines()
             if line.startswith(("System: ", "Assistant calls: ", "Result of "))] if messages else []
    return "\n".join(lines) or "(none)"


def call_text(name: str, arguments: dict[str, Any]) -> str:
    args = ", ".join(f"{k}={orjson.dumps(v).decode()}" for k, v in arguments.items())
    return f"{name}({args})"


def transcript(messages: list[dict[str, Any]], budget: Budget = COMPACT) -> str:
    """The conversation so far as plain lines, the same for every agent (and every chat template):
    each tool result cut to ``budget.result_chars``, the oldest lines left out beyond
    ``budget.transcript_chars`` (the system line, which says what day it is, is always kept)."""
    if not messages:
        return "(nothing yet)"
    lines, system = [], []
    for m in messages:
        role = m["role"]
        if role == "system":
            system.append(f"System: {m['content']}")  # kept whatever is cut: it says what day it is
        elif role == "user":
            lines.append(f"User: {m['content']}")
        elif role == "assistant" and m.get("tool_calls"):
            calls = (f"[{c['id']}] " * bool(c.get("id")) + call_text(c["name"], c["arguments"])
                     for c in m["tool_calls"])
            lines.append("Assistant calls: " + "; ".join(calls))
        elif role == "assistant":
            lines.append(f"Assistant: {m['content']}")
        elif role == "tool":
            # the call's id ties each result to its call (two parallel calls of one tool differ only by it)
            call_id = f" [{m['tool_call_id']}]" if m.get("tool_call_id") else ""
            content = _clip(orjson.dumps(m["content"]).decode(), budget.result_chars)
            lines.append(f"Result of {m['name']}{call_id}: {content}")
    text = "\n".join(lines)
    if len(text) > budget.transcript_chars:
        text = "(earlier turns left out)\n" + text[-budget.transcript_chars:].split("\n", 1)[-1]
    return "\n".join([*system, text]) if text else "\n".join(system) or "(nothing yet)"


def about(api: Api, parameter: str) -> str:
    """What one parameter means, for asking or supplying it."""
    schema = api.properties.get(parameter)
    text = schema.get("description", "") if isinstance(schema, dict) else ""
    text = _clip(text, PARAM_CHARS) or parameter.replace("_", " ")
    if isinstance(schema, dict) and schema.get("format") == "date-time":
        # the call needs an offset, so the user gives one (an example without it misled the strong model)
        text += " (a date and time with its UTC offset, such as 15:00 UTC-5)"
    return text
