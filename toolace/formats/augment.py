"""Augmentations applied to canonical dialogs before export (DESIGN §1.5).

- Function masking (Hammer): every function name becomes a random 5–15 character string from
  ``[A-Za-z0-9_.]`` and every parameter name (nested object properties too) a random 4–10
  character one; the same rename is applied to the tools, the calls and the tool results, and
  descriptions are kept so the trained model must read them. A default that equals the value a
  call passes is changed (or dropped when no other valid value is known), so the answer cannot
  be copied from it.
- Irrelevance (Hammer): the called API is removed from the tool list of a single-call dialog and
  the answer becomes "no suitable function"; each exporter writes that in its own way.

Which dialogs are augmented is decided per dialog from ``seed`` and the dialog id, so the result
does not depend on file order or sharding. What was applied lands in ``meta["augment"]``.
"""

from __future__ import annotations

import random
import re
import string
from typing import Any

import orjson

from toolace.formats.turns import NO_FUNCTION_REPLY
from toolace.records import Api, AssistantMessage, Dialog, ToolCall, ToolMessage

HAMMER_ALPHABET = string.ascii_letters + string.digits + "_."
REFUSALS = (
    NO_FUNCTION_REPLY,
    "None of the functions I have access to can do this, so I can't help with this request.",
    "I'm afraid no available function fits this request; I can't complete it with the given tools.",
)


def chance(seed: int, dialog_id: str, what: str, share: float) -> bool:
    """A per-dialog coin with probability ``share``, stable for a given seed."""
    return share > 0 and random.Random(f"{seed}:{what}:{dialog_id}").random() < share


def _rebuild(dialog: Dialog, **changes: Any) -> Dialog:
    data = {"id": dialog.id, "kind": dialog.kind, "tools": dialog.tools, "messages": dialog.messages,
            "meta": dialog.meta, **changes}
    return Dialog(**data)


def _augment_meta(dialog: Dialog, key: str, value: Any) -> dict[str, Any]:
    augment = {**dialog.meta.get("augment", {}), key: value}
    return {**dialog.meta, "augment": augment}


# -- irrelevance ------------------------------------------------------------------------------

def irrelevance_eligible(dialog: Dialog) -> bool:
    """One call in the whole dialog, to a listed API, with at least one other API left to offer."""
    calls = dialog.calls()
    return len(calls) == 1 and dialog.tool(calls[0].name) is not None and len(dialog.tools) > 1


def make_irrelevant(dialog: Dialog, rng: random.Random) -> Dialog:
    """The dialog up to the call's request, the called API removed, and a "no function fits" answer."""
    called = dialog.calls()[0]
    cut = next(i for i, m in enumerate(dialog.messages) if isinstance(m, AssistantMessage) and m.tool_calls)
    messages = dialog.messages[:cut] + [AssistantMessage(role="assistant", content=rng.choice(REFUSALS))]
    tools = [api for api in dialog.tools if api.name != called.name]
    return _rebuild(dialog, kind="irrelevance", tools=tools, messages=messages,
                    meta=_augment_meta(dialog, "irrelevance", True))


# -- masking ----------------------------------------------------------------------------------

def _random_name(rng: random.Random, low: int, high: int, alphabet: str, taken: set[str]) -> str:
    while True:
        name = "".join(rng.choice(alphabet) for _ in range(rng.randint(low, high)))
        if name not in taken:
            taken.add(name)
            return name


class _SchemaRename:
    """The parameter renames of one schema node: object properties, and array items below."""

    def __init__(self, schema: Any, rng: random.Random, alphabet: str, counts: dict):
        self.names: dict[str, str] = {}
        self.children: dict[str, _SchemaRename] = {}
        self.items: _SchemaRename | None = None
        self.schema = schema
        if not isinstance(schema, dict):
            return
        if isinstance(schema.get("properties"), dict):
            taken = set(schema["properties"])
            for name, sub in schema["properties"].items():
                self.names[name] = _random_name(rng, 4, 10, alphabet, taken)
                self.children[name] = _SchemaRename(sub, rng, alphabet, counts)
                counts["parameters"] += 1
        if isinstance(schema.get("items"), dict):
            self.items = _SchemaRename(schema["items"], rng, alphabet, counts)

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


def _other_default(schema: dict, used: Any, rng: random.Random) -> tuple[bool, Any]:
    """A different valid default for ``schema`` than ``used``: (found, value)."""
    if isinstance(schema.get("enum"), list):
        others = [v for v in schema["enum"] if v != used]
        return (True, rng.choice(others)) if others else (False, None)
    if isinstance(used, bool):
        return True, not used
    if isinstance(used, (int, float)):
        low, high = schema.get("minimum"), schema.get("maximum")
        for step in (rng.randint(1, 9), -rng.randint(1, 9)):
            value = used + step
            if not (isinstance(low, (int, float)) and value < low) and not (isinstance(high, (int, float)) and value > high):
                return True, value
        return False, None
    if isinstance(used, str) and not any(k in schema for k in ("pattern", "format", "minLength", "maxLength")):
        return True, "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 9)))
    return False, None


def _fix_defaults(api: Api, calls: list[ToolCall], rng: random.Random, counts: dict) -> dict:
    """Parameters of ``api`` whose default equals a value some call passes get another default."""
    parameters = api.parameters
    for pname, schema in api.properties.items():
        if not isinstance(schema, dict) or "default" not in schema:
            continue
        if not any(pname in c.arguments and c.arguments[pname] == schema["default"] for c in calls):
            continue
        found, value = _other_default(schema, schema["default"], rng)
        new = {**schema, "default": value} if found else {k: v for k, v in schema.items() if k != "default"}
        counts["defaults_changed" if found else "defaults_dropped"] += 1
        parameters = {**parameters, "properties": {**parameters["properties"], pname: new}}
    return parameters


def _looks_like_identifier(name: str) -> bool:
    """Names worth replacing in free text: not a plain dictionary word like "search"."""
    return bool(re.search(r"[_.\d\s]|[a-z][A-Z]", name))


def mask_functions(dialog: Dialog, rng: random.Random, alphabet: str = HAMMER_ALPHABET) -> Dialog:
    """The dialog with every function and parameter name replaced by random strings."""
    counts = {"functions": 0, "parameters": 0, "defaults_changed": 0, "defaults_dropped": 0}
    calls = dialog.calls()
    names = list(dict.fromkeys([api.name for api in dialog.tools] + [c.name for c in calls]))
    taken = set(names)
    fn = {name: _random_name(rng, 5, 15, alphabet, taken) for name in names}
    counts["functions"] = len(fn)
    renames: dict[str, _SchemaRename] = {}
    tools = []
    for api in dialog.tools:
        own_calls = [c for c in calls if c.name == api.name]
        unmasked = api.model_copy(update={"parameters": _fix_defaults(api, own_calls, rng, counts)})
        rename = _SchemaRename(unmasked.parameters, rng, alphabet, counts)
        renames[api.name] = rename
        # Renaming properties and replacing defaults keeps a valid schema valid, so the costly
        # meta-schema check is skipped (it dominated export time with masking on).
        tools.append(Api.model_construct(name=fn[api.name], description=api.description, domain=api.domain,
                                         parameters=rename.apply_schema(), returns=api.returns, meta=api.meta))
    texts = [orjson.dumps(m.content).decode() if m.role == "tool" else m.content for m in dialog.messages
             if m.content is not None]
    text_names = sorted((n for n in fn if _looks_like_identifier(n) and any(n in t for t in texts)),
                        key=len, reverse=True)
    pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in text_names)) if text_names else None

    def text(value: Any) -> Any:
        """Function names replaced in free text, also inside tool results (error messages name them)."""
        if pattern is None or not value:
            return value
        if isinstance(value, str):
            return pattern.sub(lambda m: fn[m.group(0)], value)
        if isinstance(value, list):
            return [text(v) for v in value]
        if isinstance(value, dict):
            return {k: text(v) for k, v in value.items()}
        return value

    messages = []
    for message in dialog.messages:
        if isinstance(message, AssistantMessage):
            masked_calls = [ToolCall(id=c.id, name=fn[c.name],
                                     arguments=renames[c.name].apply_value(c.arguments) if c.name in renames
                                     else c.arguments) for c in message.tool_calls]
            messages.append(AssistantMessage(role="assistant", content=text(message.content), tool_calls=masked_calls))
        elif isinstance(message, ToolMessage):
            messages.append(message.model_copy(update={"name": fn.get(message.name, message.name),
                                                       "content": text(message.content)}))
        else:
            messages.append(message.model_copy(update={"content": text(message.content)}))
    return _rebuild(dialog, tools=tools, messages=messages, meta=_augment_meta(dialog, "mask", counts))


def augment(dialog: Dialog, *, seed: int, mask: float = 0.0, irrelevance: float = 0.0,
            alphabet: str = HAMMER_ALPHABET) -> tuple[Dialog, list[str]]:
    """Apply each augmentation to its share of dialogs (irrelevance first, then masking).

    Returns the dialog and the names of the augmentations applied to it.
    """
    applied = []
    if irrelevance and irrelevance_eligible(dialog) and chance(seed, dialog.id, "irrelevance", irrelevance):
        dialog = make_irrelevant(dialog, random.Random(f"{seed}:irrelevance-text:{dialog.id}"))
        applied.append("irrelevance")
    if chance(seed, dialog.id, "mask", mask):
        dialog = mask_functions(dialog, random.Random(f"{seed}:mask-names:{dialog.id}"), alphabet)
        applied.append("mask")
    return dialog, applied
