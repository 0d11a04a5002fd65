"""Augmentations applied to canonical dialogs before export (DESIGN §1.5).

- Function masking (Hammer): every function name becomes a random 5–15 character string and every
  parameter name (nested object properties too) a random 4–10 character one; the same rename is
  applied to the tools, the calls, the tool results and the recorded thoughts, and descriptions
  are kept so the trained model must read them. Hammer drew from ``[A-Za-z0-9_.]``; toolace drops
  the ``.`` and starts with a letter, so that a masked name is a valid name in every format (a
  Python identifier for call syntax, ``^[a-zA-Z0-9_-]{1,64}$`` for OpenAI) and one seed gives the
  same masked names whatever the format. A default that equals the value a
  call passes is changed (or dropped when no other valid value is known), so the answer cannot
  be copied from it.
- Irrelevance (Hammer): the called API is removed from the tool list of a single-call dialog and
  the answer becomes "no suitable function"; each exporter writes that in its own way.

Which dialogs are augmented is decided per dialog from ``seed`` and the dialog id, so the result
does not depend on file order or sharding. What was applied lands in ``meta["augment"]``.
"""

from __future__ import annotations

import keyword
import random
import string
from typing import Any

from toolace.formats.rename import SchemaRename, rename_dialog
from toolace.formats.turns import NO_FUNCTION_REPLY
from toolace.records import Api, AssistantMessage, Dialog, ToolCall

MASK_ALPHABET = string.ascii_letters + string.digits + "_"
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
    meta = _augment_meta(dialog, "irrelevance", True)
    if isinstance(meta.get("thoughts"), list):  # the thoughts behind the removed turns no longer hold
        meta["thoughts"] = [t for t in meta["thoughts"] if isinstance(t, dict) and t.get("message", cut) < cut]
    return _rebuild(dialog, kind="irrelevance", tools=tools, messages=messages, meta=meta)


# -- masking ----------------------------------------------------------------------------------

def _random_name(rng: random.Random, low: int, high: int, taken: set[str]) -> str:
    """A fresh random name: a letter, then letters, digits or ``_``; never a Python keyword."""
    while True:
        length = rng.randint(low, high)
        name = rng.choice(string.ascii_letters) + "".join(rng.choice(MASK_ALPHABET) for _ in range(length - 1))
        if name not in taken and not keyword.iskeyword(name):
            taken.add(name)
            return name


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


def mask_functions(dialog: Dialog, rng: random.Random) -> Dialog:
    """The dialog with every function and parameter name replaced by random strings."""
    counts = {"functions": 0, "parameters": 0, "defaults_changed": 0, "defaults_dropped": 0}
    calls = dialog.calls()
    names = list(dict.fromkeys([api.name for api in dialog.tools] + [c.name for c in calls]))
    taken = set(names)
    fn = {name: _random_name(rng, 5, 15, taken) for name in names}
    counts["functions"] = len(fn)

    def parameter(old: str, taken_here: set[str], depth: int) -> str:
        counts["parameters"] += 1
        return _random_name(rng, 4, 10, taken_here)

    renames: dict[str, SchemaRename] = {}
    schemas: dict[str, dict] = {}
    for api in dialog.tools:
        own_calls = [c for c in calls if c.name == api.name]
        rename = SchemaRename(_fix_defaults(api, own_calls, rng, counts), parameter)
        renames[api.name] = rename
        schemas[api.name] = rename.apply_schema()
    masked = rename_dialog(dialog, fn, renames, in_text=True, schemas=schemas)
    return _rebuild(masked, meta=_augment_meta(masked, "mask", counts))


def augment(dialog: Dialog, *, seed: int, mask: float = 0.0, irrelevance: float = 0.0) -> tuple[Dialog, list[str]]:
    """Apply each augmentation to its share of dialogs (irrelevance first, then masking).

    Returns the dialog and the names of the augmentations applied to it.
    """
    applied = []
    if irrelevance and irrelevance_eligible(dialog) and chance(seed, dialog.id, "irrelevance", irrelevance):
        dialog = make_irrelevant(dialog, random.Random(f"{seed}:irrelevance-text:{dialog.id}"))
        applied.append("irrelevance")
    if chance(seed, dialog.id, "mask", mask):
        dialog = mask_functions(dialog, random.Random(f"{seed}:mask-names:{dialog.id}"))
        applied.append("mask")
    return dialog, applied
