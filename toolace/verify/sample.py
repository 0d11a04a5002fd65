"""A dialog loaded for checking: what can be read is typed, what cannot becomes a failure.

``toolace verify`` takes dialogs from any source, so a broken part must be *reported* (with the
check id and path a user can act on) rather than refuse the whole file. Only a line that is not a
dialog at all (not an object, no id, no messages) is an input error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import TypeAdapter, ValidationError

from toolace.records import Api, Dialog, Failure, Message
from toolace.jsonpaths import join_all, short

# Broken schemas and call-id problems load, so that the rules can name them.
LENIENT = {"lenient_schema": True, "lenient_calls": True}
_MESSAGE = TypeAdapter(Message)
_TAGS = {"system", "user", "assistant", "tool"}
_API_FIELD_CHECKS = {"parameters": "invalid_schema", "returns": "invalid_schema", "name": "bad_name",
                     "description": "missing_description"}


@dataclass
class Sample:
    """One input line: the raw object (written back with its verdict), its dialog, load failures."""

    raw: dict[str, Any]
    dialog: Dialog
    failures: list[Failure] = field(default_factory=list)


def malformed(obj: Any) -> str | None:
    """Why a JSON line cannot be checked at all (an input error), or None."""
    if not isinstance(obj, dict):
        return "a dialog must be a JSON object"
    if not isinstance(obj.get("id"), str) or not obj["id"].strip():
        return "a dialog needs a non-empty string 'id'"
    if not isinstance(obj.get("messages"), list) or not obj["messages"]:
        return "a dialog needs a non-empty 'messages' list"
    return None


def load_sample(obj: dict[str, Any]) -> Sample:
    """Type a dialog leniently; parts that do not validate are dropped and reported."""
    try:
        return Sample(obj, Dialog.model_validate(obj, context=LENIENT))
    except ValidationError:
        return _load_parts(obj)


def _load_parts(obj: dict[str, Any]) -> Sample:
    failures: list[Failure] = []
    tools: list[Api] = []
    raw_tools = obj.get("tools", [])
    if not isinstance(raw_tools, list):
        failures.append(Failure(check="missing_field", message="tools must be a list of APIs", path="tools"))
        raw_tools = []
    for index, raw in enumerate(raw_tools):
        try:
            tools.append(Api.model_validate(raw, context=LENIENT))
        except ValidationError as e:
            failures += _failures(e, f"tools[{index}]", api=True)
    messages = []
    for index, raw in enumerate(obj["messages"]):
        try:
            messages.append(_MESSAGE.validate_python(raw, context=LENIENT))
        except ValidationError as e:
            failures += _failures(e, f"messages[{index}]")
    rest = {k: v for k, v in obj.items() if k not in ("tools", "messages")}
    probe = {**rest, "messages": [{"role": "user", "content": "-"}]}
    kind, meta = "imported", {}
    try:
        top = Dialog.model_validate(probe, context=LENIENT)
        kind, meta = top.kind, top.meta
    except ValidationError as e:
        failures += _failures(e, "")
    dialog = Dialog.model_construct(id=obj["id"], kind=kind, tools=tools, messages=messages, meta=meta)
    return Sample(obj, dialog, failures)


def _failures(error: ValidationError, base: str, *, api: bool = False) -> list[Failure]:
    failures = []
    for detail in error.errors():
        loc = [p for p in detail["loc"] if not (isinstance(p, str) and p in _TAGS)]
        path = join_all(base, loc)
        check = _API_FIELD_CHECKS.get(str(loc[0]), "missing_field") if api and loc else "missing_field"
        value = "" if detail["type"] == "missing" else f" (got {short(detail.get('input'))})"
        failures.append(Failure(check=check, message=f"{path or 'dialog'}: {detail['msg']}{value}", path=path or None))
    return failures
