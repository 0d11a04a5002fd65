"""Canonical dialogs as turns (what exporters walk) and back (what importers build).

Exporters see a dialog as turns: text from the user or the assistant, one assistant turn of calls,
and one turn holding the results of those calls. Importers rebuild a canonical ``Dialog`` with
``DialogBuilder``, which numbers calls and ties each result to its call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from pydantic import ValidationError

from toolace.formats.jsontext import content_id, loads_text
from toolace.formats.tools import ToolConversionError
from toolace.records import (
    Api, AssistantMessage, Dialog, DialogKind, SystemMessage, ToolCall, ToolMessage, UserMessage,
)

# What a format without a "no call" marker writes when no available function fits.
NO_FUNCTION_REPLY = ("I'm sorry, but none of the available functions can help with this request, "
                     "so I cannot complete it with the tools I have.")


class RowProblem(ValueError):
    """One dialog or row that a format cannot carry or read: a countable reason and the detail."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass
class Turn:
    """One step of a dialog as formats see it."""

    kind: Literal["system", "user", "assistant", "calls", "results"]
    text: str | None = None
    calls: list[ToolCall] = field(default_factory=list)
    results: list[ToolMessage] = field(default_factory=list)


def turns(dialog: Dialog) -> list[Turn]:
    """The dialog's messages, with consecutive tool results grouped into one turn."""
    out: list[Turn] = []
    for message in dialog.messages:
        if isinstance(message, ToolMessage):
            if out and out[-1].kind == "results":
                out[-1].results.append(message)
            else:
                out.append(Turn("results", results=[message]))
        elif isinstance(message, AssistantMessage):
            if message.tool_calls:
                out.append(Turn("calls", text=message.content, calls=list(message.tool_calls)))
            else:
                out.append(Turn("assistant", text=message.content))
        else:
            out.append(Turn(message.role, text=message.content))
    return out


def call_dict(call: ToolCall) -> dict[str, Any]:
    return {"name": call.name, "arguments": call.arguments}


def is_no_function(dialog: Dialog) -> bool:
    """A dialog whose answer is "no available function fits" (generated or augmented irrelevance)."""
    return dialog.kind == "irrelevance" and not dialog.calls()


def row_meta(dialog: Dialog, **extra: Any) -> dict[str, Any]:
    """Provenance every exported row carries: the source dialog, its kind, the augmentations applied."""
    meta = {"id": dialog.id, "kind": dialog.kind}
    if dialog.meta.get("augment"):
        meta["augment"] = dialog.meta["augment"]
    return {**meta, **extra}


class DialogBuilder:
    """Collects messages read from a row and makes a canonical ``Dialog`` of them."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._pending: list[ToolCall] = []
        self._count = 0

    def system(self, text: str) -> None:
        self.messages.append(SystemMessage(role="system", content=text))

    def user(self, text: str) -> None:
        self.messages.append(UserMessage(role="user", content=_text(text, "user")))

    def assistant(self, text: str) -> None:
        self.messages.append(AssistantMessage(role="assistant", content=_text(text, "assistant")))

    def calls(self, calls: list[dict[str, Any]], content: str | None = None) -> None:
        """One assistant turn of calls: dicts with ``name``, ``arguments`` (or Llama's ``parameters``;
        a JSON object, or JSON or Python-literal text of one) and optionally ``id``."""
        made = []
        for call in calls:
            if not isinstance(call, dict) or not isinstance(call.get("name"), str):
                raise RowProblem("bad_call", f"a call must have a name: {call!r}"[:200])
            unread = set(call) - {"name", "arguments", "parameters", "id", "type"}
            if unread or ("arguments" in call and "parameters" in call):
                raise RowProblem("unread_field", f"call to {call['name']} has fields this format does not "
                                                 f"carry: {', '.join(sorted(unread or {'parameters'}))}")
            arguments = call.get("arguments", call.get("parameters", {}))
            if isinstance(arguments, str):
                arguments = read_value(arguments, f"arguments of {call['name']}", empty={})
            if arguments is None:
                arguments = {}
            if not isinstance(arguments, dict):
                raise RowProblem("bad_arguments", f"arguments of {call['name']} are not a JSON object")
            call_id = call.get("id") or f"call_{self._count}"
            self._count += 1
            made.append(ToolCall(id=str(call_id), name=call["name"], arguments=arguments))
        self.messages.append(AssistantMessage(role="assistant", content=content or None, tool_calls=made))
        self._pending = list(made)

    def result(self, content: Any, *, name: str | None = None, call_id: str | None = None) -> None:
        """The result of a pending call, found by id, else by name, else the next one in order."""
        if not self._pending:
            raise RowProblem("result_without_call", f"a tool result ({name or call_id or 'unnamed'}) answers no call")
        match = None
        if call_id is not None:
            match = next((c for c in self._pending if c.id == call_id), None)
        elif name is not None:
            match = next((c for c in self._pending if c.name == name), None)
        else:
            match = self._pending[0]
        if match is None:
            raise RowProblem("result_without_call", f"a tool result names {name or call_id!r}, which no pending call has")
        self._pending.remove(match)
        self.messages.append(ToolMessage(role="tool", tool_call_id=match.id, name=match.name, content=content))

    def build_from(self, row: dict[str, Any], prefix: str, tools: list[Api]) -> Dialog:
        """The dialog of ``row``: id, kind and provenance from its ``meta`` when our exporter wrote
        one, else a content hash id (the same row always gets the same id)."""
        dialog_id, kind, meta = meta_of(row)
        return self.build(dialog_id or content_id(prefix, row), tools, kind, meta)

    def build(self, dialog_id: str, tools: list[Api], kind: str = "imported", meta: dict | None = None) -> Dialog:
        if not self.messages:
            raise RowProblem("empty", "the row holds no messages")
        try:
            return Dialog(id=dialog_id, kind=kind, tools=tools, messages=self.messages, meta=meta or {})
        except ValidationError as e:
            first = e.errors()[0]
            raise RowProblem("invalid_dialog", f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def convert_tools(raws: Any, read: Callable[[Any], Api]) -> list[Api]:
    """A row's tool list as canonical APIs; the first tool that does not convert fails the row."""
    if not isinstance(raws, list):
        raise RowProblem("bad_tools", "the tool list is not a list")
    apis = []
    for index, raw in enumerate(raws):
        try:
            apis.append(read(raw))
        except ToolConversionError as e:
            raise RowProblem(f"tool_{e.reason}", f"tools[{index}]: {e.detail}") from None
    return apis


def read_value(text: str, what: str, empty: Any = None) -> Any:
    """A value that a row holds as text (JSON or a Python literal, see ``loads_text``); ``empty``
    for blank text."""
    if not text.strip() and empty is not None:
        return empty
    try:
        return loads_text(text, what)
    except ValueError as e:
        raise RowProblem("bad_json", str(e)) from None


def _text(value: Any, role: str) -> str:
    if not isinstance(value, str):
        raise RowProblem("bad_content", f"{role} content must be text, not {type(value).__name__}")
    return value


def meta_of(row: dict[str, Any]) -> tuple[str | None, str, dict[str, Any]]:
    """(id, kind, meta) recorded by our own exporters in a row's ``meta``, so a round trip keeps them."""
    meta = row.get("meta")
    if isinstance(meta, str):  # Parquet holds it as JSON text
        try:
            meta = json.loads(meta)
        except ValueError:
            meta = None
    if not isinstance(meta, dict):
        return None, "imported", {}
    kind = meta.get("kind") if meta.get("kind") in get_args(DialogKind) else "imported"
    kept = {k: v for k, v in meta.items() if k not in ("id", "kind")}
    return (str(meta["id"]) if meta.get("id") is not None else None), kind, kept

