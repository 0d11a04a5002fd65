"""Renaming functions and parameters in a whole dialog: tools, calls, results, thoughts, and text.

Function masking (``augment``) and fitting names to a format's rules (``names``) both rename, and
both must rename the same way everywhere a name occurs: the tool list, the calls and their argument
keys (nested ones too, as the schema nests them), the tool results' names, the names in the
assistant's recorded thoughts (``meta.thoughts``), and, for masking, the free text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

from toolace.records import Api, AssistantMessage, Dialog, ToolCall, ToolMessage

# new_name(old, taken, depth) -> the new name of a parameter at nesting ``depth`` (0: top level);
# ``taken`` holds the old names of that level and the new names given so far; add the new one.
NewName = Callable[[str, set[str], int], str]


class SchemaRename:
    """The parameter renames of one schema node: object properties, and array items below."""

    def __init__(self, schema: Any, new_name: NewName, depth: int = 0):
        self.names: dict[str, str] = {}
        self.children: dict[str, SchemaRename] = {}
        self.items: SchemaRename | None = None
        self.schema = schema
        if not isinstance(schema, dict):
            return
        if isinstance(schema.get("properties"), dict):
            taken = set(schema["properties"])
            for name, sub in schema["properties"].items():
                self.names[name] = new_name(name, taken, depth)
                self.children[name] = SchemaRename(sub, new_name, depth + 1)
        if isinstance(schema.get("items"), dict):
            self.items = SchemaRename(schema["items"], new_name, depth)

    def changed(self) -> dict[str, Any]:
        """What this rename changes, as ``{old: new}`` with nested changes under ``"old.*"`` keys."""
        out: dict[str, Any] = {old: new for old, new in self.names.items() if old != new}
        for old, child in self.children.items():
            if child.changed():
                out[f"{old}.*"] = child.changed()
        if self.items is not None and self.items.changed():
            out["[]"] = self.items.changed()
        return out

    def apply_schema(self) -> Any:
        if not isinstance(self.schema, dict):
            return self.schema
        out = dict(self.schema)
        if self.names:
            out["properties"] = {self.names[k]: self.children[k].apply_schema() for k in self.schema["properties"]}
            if isinstance(out.get("required"), list):
                out["required"] = [self.names.get(r, r) for r in out["required"]]
        if self.items is not None:
            out["items"] = self.items.apply_schema()
        # Values written in the schema itself hold the same (nested) names as arguments do.
        for key in ("default", "const"):
            if key in out:
                out[key] = self.apply_value(out[key])
        for key in ("enum", "examples"):
            if isinstance(out.get(key), list):
                out[key] = [self.apply_value(v) for v in out[key]]
        return out

    def apply_value(self, value: Any) -> Any:
        if isinstance(value, dict) and self.names:
            return {self.names.get(k, k): (self.children[k].apply_value(v) if k in self.children else v)
                    for k, v in value.items()}
        if isinstance(value, list) and self.items is not None:
            return [self.items.apply_value(v) for v in value]
        return value


def _looks_like_identifier(name: str) -> bool:
    """Names worth replacing in free text: not a plain dictionary word like "search"."""
    return bool(re.search(r"[_.\d\s]|[a-z][A-Z]", name))


def _text_replacer(dialog: Dialog, functions: dict[str, str]) -> Callable[[Any], Any]:
    """Function names replaced in free text, also inside tool results (error messages name them)."""
    texts = [orjson.dumps(m.content).decode() if m.role == "tool" else m.content for m in dialog.messages
             if m.content is not None]
    names = sorted((n for n in functions if _looks_like_identifier(n) and any(n in t for t in texts)),
                   key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names)) if names else None

    def text(value: Any) -> Any:
        if pattern is None or not value:
            return value
        if isinstance(value, str):
            return pattern.sub(lambda m: functions[m.group(0)], value)
        if isinstance(value, list):
            return [text(v) for v in value]
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        return value
    return text


def _thoughts(thoughts: Any, functions: dict[str, str], parameters: dict[str, SchemaRename]) -> Any:
    """``meta.thoughts`` with the chosen tools and the argument names of their sources renamed."""
    if not isinstance(thoughts, list):
        return thoughts
    out = []
    for thought in thoughts:
        if not isinstance(thought, dict):
            out.append(thought)
            continue
        chosen = [t for t in thought.get("tools", []) if isinstance(t, str)]
        argument_names = {old: new for t in chosen if t in parameters for old, new in parameters[t].names.items()}
        thought = dict(thought)
        if "tools" in thought:
            thought["tools"] = [functions.get(t, t) if isinstance(t, str) else t for t in thought["tools"]]
        if isinstance(thought.get("sources"), list):
            thought["sources"] = [{**s, "argument": argument_names.get(s.get("argument"), s.get("argument"))}
                                  if isinstance(s, dict) else s for s in thought["sources"]]
        out.append(thought)
    return out


def rename_dialog(dialog: Dialog, functions: dict[str, str], parameters: dict[str, SchemaRename], *,
                  in_text: bool, schemas: dict[str, dict] | None = None) -> Dialog:
    """The dialog with function names mapped by ``functions`` and each API's parameters by ``parameters``.

    ``parameters`` is keyed by the old function name; ``schemas`` may give an API's new parameter
    schema (masking changes defaults too), else the rename is applied to the old one. ``in_text``
    also replaces identifier-like function names in the messages' text.
    """
    tools = []
    for api in dialog.tools:
        rename = parameters.get(api.name)
        new_parameters = (schemas or {}).get(api.name) or (rename.apply_schema() if rename else api.parameters)
        # Renaming properties keeps a valid schema valid, so the costly meta-schema check is skipped.
        tools.append(Api.model_construct(name=functions.get(api.name, api.name), description=api.description,
                                         domain=api.domain, parameters=new_parameters, returns=api.returns,
                                         meta=api.meta))
    text = _text_replacer(dialog, functions) if in_text else (lambda value: value)
    messages = []
    for message in dialog.messages:
        if isinstance(message, AssistantMessage):
            calls = [ToolCall(id=c.id, name=functions.get(c.name, c.name),
                              arguments=parameters[c.name].apply_value(c.arguments) if c.name in parameters
                              else c.arguments) for c in message.tool_calls]
            messages.append(AssistantMessage(role="assistant", content=text(message.content), tool_calls=calls))
        elif isinstance(message, ToolMessage):
            messages.append(message.model_copy(update={"name": functions.get(message.name, message.name),
                                                       "content": text(message.content)}))
        else:
            messages.append(message.model_copy(update={"content": text(message.content)}))
    meta = dict(dialog.meta)
    if "thoughts" in meta:
        meta["thoughts"] = _thoughts(meta["thoughts"], functions, parameters)
    return Dialog(id=dialog.id, kind=dialog.kind, tools=tools, messages=messages, meta=meta)
