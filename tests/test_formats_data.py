"""Generated canonical dialogs for the format tests, and the real ToolACE samples as rows.

The generator makes every shape the formats must carry: single, parallel, dependent and
multi-turn calls, clarify, non-tool and irrelevance replies, nested argument values, strings full
of commas, brackets, quotes, ``=`` and backslashes, names with spaces and dots. Names are
distinctive (``fnq…``, ``pq…``) so a test can search a whole exported row for them.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema

from toolace.records import Api, Dialog

DATA = Path("/work/shared/reference/data")
NASTY = ["a, b", "x=1", "[not a call]", "it's", 'say "hi"', "back\\slash", "line\nbreak", "tab\there",
         "(paren)", "{brace}", "ünïcödé ✓", "", "   ", "None", "True", "42", "-3.5", "a'b\"c", "},{", "\\\"", "😀"]
WORDS = ["alpha", "bravo", "delta", "omega", "sigma", "kappa", "lambda", "zeta"]


def _name(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz") for _ in range(6))


def _function_name(rng: random.Random) -> str:
    base = _name(rng, "fnq")
    return rng.choice([base, f"{base}.{rng.choice(WORDS)}", f"{base.capitalize()} {rng.choice(WORDS).title()} API"])


def _schema(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    kind = rng.choice(["string", "string", "integer", "number", "boolean", "array", "object", "enum"]
                      if depth < 2 else ["string", "integer", "number", "boolean"])
    description = f"The {rng.choice(WORDS)} value."
    if kind == "enum":
        return {"type": "string", "enum": rng.sample(["up", "down", "left, right", "it's"], 3), "description": description}
    if kind == "array":
        return {"type": "array", "items": _schema(rng, depth + 1), "description": description}
    if kind == "object":
        props = {_name(rng, "pq"): _schema(rng, depth + 1) for _ in range(rng.randint(1, 3))}
        return {"type": "object", "properties": props, "required": list(props)[:1], "description": description}
    schema = {"type": kind, "description": description}
    if kind == "integer" and rng.random() < 0.3:
        schema |= {"minimum": 0, "maximum": 100}
    return schema


def make_api(rng: random.Random) -> Api:
    props = {_name(rng, "pq"): _schema(rng) for _ in range(rng.randint(1, 4))}
    required = [p for p in props if rng.random() < 0.6] or [next(iter(props))]
    api = Api(name=_function_name(rng), description=f"Does the {rng.choice(WORDS)} job.",
              parameters={"type": "object", "properties": props, "required": required})
    # Some defaults, equal to what calls will often pass, for the masking test.
    for pname, schema in props.items():
        if pname not in required and rng.random() < 0.5:
            schema["default"] = value_for(schema, random.Random(pname))
    return api


@lru_cache(maxsize=8)
def api_pool(seed: int, size: int = 40) -> tuple[Api, ...]:
    """A small library the dialogs draw their tools from, as generated dialogs do from a real one."""
    rng = random.Random(f"pool:{seed}")
    return tuple(make_api(rng) for _ in range(size))


def value_for(schema: dict[str, Any], rng: random.Random) -> Any:
    if "enum" in schema:
        return rng.choice(schema["enum"])
    kind = schema.get("type")
    if kind == "string":
        return rng.choice(NASTY + WORDS)
    if kind == "integer":
        return rng.randint(schema.get("minimum", -10**6), schema.get("maximum", 10**6))
    if kind == "number":
        return rng.choice([0.5, -1e-7, 3.14159, 1e16, -0.0, 12.0, rng.uniform(-1e3, 1e3)])
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "array":
        return [value_for(schema["items"], rng) for _ in range(rng.randint(0, 3))]
    if kind == "object":
        return {p: value_for(s, rng) for p, s in schema["properties"].items() if p in schema["required"] or rng.random() < 0.5}
    return None


def arguments_for(api: Api, rng: random.Random) -> dict[str, Any]:
    args = {}
    for pname, schema in api.properties.items():
        if pname in api.required or rng.random() < 0.5:
            args[pname] = schema["default"] if ("default" in schema and rng.random() < 0.5) else value_for(schema, rng)
    return args


def _result(rng: random.Random) -> Any:
    return rng.choice([
        {"rk_status": "ok", "rk_items": [{"rk_id": rng.randint(1, 99), "rk_note": rng.choice(NASTY)}]},
        {"rk_value": rng.uniform(-5, 5), "rk_flag": None},
        "plain text result, with commas",
        "42",
        [1, "two", {"rk_three": [3.0]}],
        {"rk_error": "not found"},
    ])


def make_dialog(index: int, seed: int = 0) -> Dialog:
    """One generated canonical dialog; the kind cycles so every shape is present."""
    rng = random.Random(f"{seed}:{index}")
    tools = rng.sample(api_pool(seed), rng.randint(2, 4))
    kind = ["single", "parallel", "dependent", "multi_turn", "non_tool", "irrelevance", "clarify", "single"][index % 8]
    messages: list[dict[str, Any]] = []
    if rng.random() < 0.2:
        messages.append({"role": "system", "content": "You help with " + rng.choice(WORDS) + " tasks."})
    counter = iter(range(100))

    def call_turn(n: int, content: str | None = None, answer: bool = True) -> None:
        calls = []
        for _ in range(n):
            api = rng.choice(tools)
            calls.append({"id": f"call_{next(counter)}", "name": api.name, "arguments": arguments_for(api, rng)})
        messages.append({"role": "assistant", "content": content, "tool_calls": calls})
        if answer:
            for call in calls:
                messages.append({"role": "tool", "tool_call_id": call["id"], "name": call["name"], "content": _result(rng)})

    def user() -> None:
        messages.append({"role": "user", "content": f"Please help, {rng.choice(NASTY)} {rng.choice(WORDS)}."})

    def answer() -> None:
        messages.append({"role": "assistant", "content": f"Done: {rng.choice(NASTY)}."})

    user()
    if kind == "single":
        call_turn(1, answer=rng.random() < 0.8)
        if messages[-1]["role"] == "tool":
            answer()
    elif kind == "parallel":
        call_turn(rng.randint(2, 3), content="Checking several things." if rng.random() < 0.3 else None)
        answer()
    elif kind == "dependent":
        call_turn(1)
        call_turn(1)
        answer()
    elif kind == "multi_turn":
        call_turn(1)
        answer()
        user()
        call_turn(rng.randint(1, 2))
        answer()
    elif kind == "non_tool":
        answer()
    elif kind == "irrelevance":
        messages.append({"role": "assistant", "content": "None of the available functions can do that."})
    elif kind == "clarify":
        messages.append({"role": "assistant", "content": "Which one do you mean?"})
        user()
        call_turn(1)
        answer()
    return Dialog.model_validate({"id": f"gen-{seed}-{index}", "kind": kind, "tools": [t.to_dict() for t in tools],
                                  "messages": messages})


def make_dialogs(count: int, seed: int = 0) -> list[Dialog]:
    return [make_dialog(i, seed) for i in range(count)]


def write_dialogs(path: Path, dialogs: list[Dialog]) -> Path:
    path.write_text("".join(json.dumps(d.to_dict()) + "\n" for d in dialogs))
    return path


def toolace_sample_tools() -> list[list[dict[str, Any]]]:
    """The raw tool lists of the 100 real ToolACE system prompts."""
    from toolace.formats.toolace_rows import tools_in_system
    return [tools_in_system(json.loads(line)["system"])
            for line in (DATA / "toolace_system_prompts.jsonl").read_text().splitlines() if line.strip()]


def test_generated_dialogs_are_valid_and_cover_every_kind():
    dialogs = make_dialogs(80)
    assert {d.kind for d in dialogs} == {"single", "parallel", "dependent", "multi_turn", "non_tool",
                                         "irrelevance", "clarify"}
    for dialog in dialogs:
        for call in dialog.calls():
            jsonschema.validate(call.arguments, dialog.tool(call.name).parameters)
