"""Rendering hf rows with a model's chat template, as a trainer will, and keeping only rows it renders right.

``export --format hf --chat-template FILE`` renders every row through transformers' own renderer
(``render_jinja_template``, what ``tokenizer.apply_chat_template`` calls) with the row's tools, and
checks the text: every call (its name and each argument) and every result must appear in the
part of the text its message produced, and no arguments or JSON result may appear encoded twice
(``"{\\"a\\": 1}"``). A row the template raises on, or renders without one of its calls or results
(Llama 3.1 refuses parallel calls; GPT-OSS writes only the first call of a turn), is refused with
the template's reason.

Templates differ in what they want, so the row is first adapted to a faithful *variant*, chosen
once per template by rendering a small probe dialog: the first variant, in order of fewest changes,
whose probe renders and passes the check. The changes are: call ids of 9 alphanumeric characters
(Mistral raises on others), arguments as JSON text (DeepSeek-V3 concatenates them as a string),
tool results as JSON values (Llama 3.1 and GPT-OSS apply ``tojson`` to the content), and the field
the template reads the assistant's reasoning from (``reasoning_content``, ``thinking`` or
``reasoning``).
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import os
from collections import Counter
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from toolace.errors import InputError
from toolace.formats.jsontext import decode_content
from toolace.formats.turns import RowProblem

REASONING_FIELDS = ("reasoning_content", "thinking", "reasoning")
_ALNUM = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Template:
    """A chat template's text, where it came from, and the special tokens it is rendered with."""

    source: str
    text: str
    tokens: dict[str, str]


def _token(value: Any) -> str | None:
    if isinstance(value, dict):  # an AddedToken as tokenizer_config.json writes it
        value = value.get("content")
    return value if isinstance(value, str) else None


def load_template(path: Path) -> Template:
    """A ``.jinja`` file, a ``tokenizer_config.json``, or a model folder holding either."""
    path = Path(path)
    config: dict[str, Any] = {}
    folder = path if path.is_dir() else None
    if folder is not None:
        if (folder / "tokenizer_config.json").exists():
            path = folder / "tokenizer_config.json"
        elif (folder / "chat_template.jinja").exists():
            path = folder / "chat_template.jinja"
        else:
            raise InputError(f"{folder}: no chat_template.jinja or tokenizer_config.json in this folder")
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(f"--chat-template {path}: cannot read: {e.strerror}") from None
    text = raw
    if path.suffix == ".json":
        try:
            config = json.loads(raw)
        except ValueError as e:
            raise InputError(f"{path}: not valid JSON: {e}") from None
        text = config.get("chat_template")
        if isinstance(text, list):  # named templates: the default one, else the tool-use one
            named = {t.get("name"): t.get("template") for t in text if isinstance(t, dict)}
            text = named.get("tool_use") or named.get("default")
        if not isinstance(text, str) and (path.parent / "chat_template.jinja").exists():
            text = (path.parent / "chat_template.jinja").read_text(encoding="utf-8")
        if not isinstance(text, str):
            raise InputError(f"{path}: holds no chat_template")
    tokens = {key: "" for key in ("bos_token", "eos_token")}
    tokens.update({k: t for k, v in config.items() if k.endswith("_token") and (t := _token(v)) is not None})
    return Template(source=str(path), text=text, tokens=tokens)


def render(template: Template, messages: list[dict], tools: list[dict] | None) -> str:
    """The training text of one conversation, exactly as ``apply_chat_template(tokenize=False)`` makes it."""
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    from transformers.utils.chat_template_utils import render_jinja_template

    rendered, _ = render_jinja_template(conversations=[messages], tools=tools or None, chat_template=template.text,
                                        add_generation_prompt=False, **template.tokens)
    return rendered[0]


# -- what must appear --------------------------------------------------------------------------

def _json_forms(value: Any) -> set[str]:
    return {json.dumps(value, ensure_ascii=a, separators=s) for a in (False, True) for s in (None, (",", ":"))}


def _scalar_forms(value: Any) -> list[str]:
    if isinstance(value, bool):
        return ["true", "True"] if value else ["false", "False"]
    if value is None:
        return ["null", "None", "none"]
    if isinstance(value, (int, float)):
        return list({json.dumps(value), repr(value), str(value)})
    text = str(value)
    return [text, json.dumps(text, ensure_ascii=False)[1:-1], json.dumps(text)[1:-1]]


def _parts(value: Any, keys: list[str], scalars: list[Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            keys.append(str(k))
            _parts(v, keys, scalars)
    elif isinstance(value, list):
        for v in value:
            _parts(v, keys, scalars)
    else:
        scalars.append(value)


def shown(text: str, value: Any) -> bool:
    """Whether ``value`` appears in ``text``: as JSON, or key by key and leaf by leaf in any syntax."""
    if any(form in text for form in _json_forms(value)):
        return True
    keys: list[str] = []
    scalars: list[Any] = []
    _parts(value, keys, scalars)
    return all(k in text for k in keys) and all(any(f in text for f in _scalar_forms(s)) for s in scalars)


def _twice(value_json: str) -> set[str]:
    """``value_json`` written as a JSON string literal: what a template that re-encodes it shows."""
    return {json.dumps(value_json, ensure_ascii=a)[1:-1] for a in (False, True)}


def _as_python(segment: str, value: Any) -> bool:
    """Whether a structured ``value`` is written as a Python literal (``{'a': 'x'}``), not as JSON."""
    return isinstance(value, (dict, list)) and bool(value) and repr(value) not in _json_forms(value) \
        and repr(value) in segment


def _call_problem(segment: str, name: str, arguments: dict) -> RowProblem | None:
    if name not in segment:
        return RowProblem("template_drops_call", f"the call to {name} does not appear in the rendered text")
    if arguments and any(t in segment for form in _json_forms(arguments) for t in _twice(form)):
        return RowProblem("template_double_encodes", f"the arguments of {name} are rendered as an encoded string")
    if _as_python(segment, arguments):
        return RowProblem("template_python_repr", f"the arguments of {name} are rendered as a Python literal")
    if not shown(segment, arguments):
        return RowProblem("template_drops_call", f"the arguments of {name} do not appear in the rendered text")
    return None


def _result_problem(segment: str, name: str, content: str, as_string: bool) -> RowProblem | None:
    """Whether the result ``content`` (text) appears; ``as_string``: also as a JSON string literal."""
    value = decode_content(content)
    if _as_python(segment, value):
        return RowProblem("template_python_repr", f"the result of {name} is rendered as a Python literal")
    if content in segment:
        return None
    encoded = any(t in segment for t in _twice(content))
    if isinstance(value, str):  # a plain text result, which a template may quote as a JSON string
        if any(form in segment for form in _scalar_forms(value)):
            return None
    elif (as_string and encoded) or (not encoded and shown(segment, value)):
        return None
    if encoded:
        return RowProblem("template_double_encodes", f"the result of {name} is rendered as an encoded string")
    return RowProblem("template_drops_result", f"the result of {name} does not appear in the rendered text")


def _common_prefix(a: str, b: str) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def check(template: Template, messages: list[dict], tools: list[dict] | None,
          canonical: list[dict] | None = None, results_as_strings: bool = False) -> str:
    """The rendered text of a row; raises ``RowProblem`` when the template fails it.

    ``messages`` are what the template gets (an adapted variant); ``canonical`` the hf messages they
    came from, holding the arguments as objects and the results as text, which must appear.
    ``results_as_strings`` accepts a JSON result written as a JSON string literal, for templates
    that embed every result so (Mistral's ``[TOOL_RESULTS] {"content": "...", "call_id": ...}``).
    """
    canonical = canonical or messages
    try:
        full = render(template, messages, tools)
    except Exception as e:  # a template raises TemplateError, TypeError, UndefinedError, ...
        raise RowProblem("template_raised", f"{type(e).__name__}: {e}"[:500]) from None
    prefixes: dict[int, str | None] = {}

    def prefix(k: int) -> str | None:
        if k not in prefixes:
            try:
                prefixes[k] = render(template, messages[:k], tools) if k else ""
            except Exception:
                prefixes[k] = None
        return prefixes[k]

    for i, message in enumerate(canonical):
        if not (message.get("tool_calls") or message.get("role") == "tool"):
            continue
        before, after = prefix(i), prefix(i + 1)
        # What adding message i added to the text; the whole text if a prefix does not render.
        segment = full if before is None or after is None else after[_common_prefix(before, after):]
        if message.get("role") == "tool":
            problem = _result_problem(segment, message.get("name") or "a tool", message["content"],
                                      results_as_strings)
        else:
            problem = next((p for call in message["tool_calls"] if (p := _call_problem(
                segment, call["function"]["name"], call["function"]["arguments"]))), None)
            names = Counter(call["function"]["name"] for call in message["tool_calls"])
            # Each call shows its name: a template writing only the first of two same-name calls drops one.
            short = next((n for n, count in names.items() if segment.count(n) < count), None)
            if problem is None and short is not None:
                problem = RowProblem("template_drops_call", f"{names[short]} calls to {short} in one turn, "
                                                            f"fewer in the rendered text")
        if problem is not None:
            raise problem
    return full


# -- variants ----------------------------------------------------------------------------------

def nine_char_id(seed: str) -> str:
    """A 9-character alphanumeric call id derived from ``seed`` (Mistral's templates require one)."""
    number = int.from_bytes(hashlib.blake2b(seed.encode(), digest_size=8).digest(), "big")
    out = []
    for _ in range(9):
        number, digit = divmod(number, len(_ALNUM))
        out.append(_ALNUM[digit])
    return "".join(out)


@dataclass(frozen=True)
class Variant:
    """How a row is adapted for one template; the default changes nothing."""

    nine_char_ids: bool = False
    string_arguments: bool = False
    json_results: bool = False
    reasoning_field: str = "reasoning_content"

    def apply(self, messages: list[dict], row_key: str = "") -> list[dict]:
        out = copy.deepcopy(messages)
        ids: dict[str, str] = {}
        if self.nine_char_ids:
            taken: set[str] = set()
            for message in out:
                for call in message.get("tool_calls") or []:
                    new, n = nine_char_id(f"{row_key}:{call.get('id')}"), 0
                    while new in taken:
                        n += 1
                        new = nine_char_id(f"{row_key}:{call.get('id')}:{n}")
                    taken.add(new)
                    ids[call.get("id")] = new
        for message in out:
            for call in message.get("tool_calls") or []:
                call["id"] = ids.get(call.get("id"), call.get("id"))
                if self.string_arguments:
                    call["function"]["arguments"] = json.dumps(call["function"]["arguments"], ensure_ascii=False)
            if message.get("role") == "tool":
                message["tool_call_id"] = ids.get(message.get("tool_call_id"), message.get("tool_call_id"))
                if self.json_results:
                    message["content"] = decode_content(message["content"])
            if "reasoning_content" in message and self.reasoning_field != "reasoning_content":
                message[self.reasoning_field] = message.pop("reasoning_content")
        return out

    def changes(self) -> dict[str, Any]:
        """What differs from the plain hf row, for the stats."""
        default = Variant()
        return {k: v for k, v in asdict(self).items() if v != getattr(default, k)}


# A probe: one call, a JSON result, and a reply, each with reasoning; what every tool template can express.
PROBE_TOOLS = [{"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name."},
                                                    "days": {"type": "integer", "description": "Days ahead."}},
                   "required": ["city"]}}}]
PROBE = [
    {"role": "user", "content": "What is the weather in Paris in 2 days?"},
    {"role": "assistant", "content": "", "reasoning_content": "PROBE-THOUGHT-ONE",
     "tool_calls": [{"id": "call_0", "type": "function",
                     "function": {"name": "get_weather", "arguments": {"city": "Paris", "days": 2}}}]},
    {"role": "tool", "tool_call_id": "call_0", "name": "get_weather", "content": "{\"temp_c\": 21, \"sky\": \"clear\"}"},
    {"role": "assistant", "content": "It will be 21 °C and clear in Paris.", "reasoning_content": "PROBE-THOUGHT-TWO"},
]


class TemplateAdapter:
    """Adapts and checks hf rows for one chat template; the variant is chosen once, from the probe."""

    def __init__(self, template: Template, reasoning: bool = False):
        self.template = template
        self.variant = Variant()
        self.probe_problem: str | None = None
        self.reasoning_rendered: bool | None = None
        plain = [{k: v for k, v in m.items() if k != "reasoning_content"} for m in PROBE]
        self.results_as_strings = False
        candidates = sorted((Variant(nine_char_ids=a, string_arguments=b, json_results=c)
                             for a, b, c in itertools.product((False, True), repeat=3)),
                            key=lambda v: len(v.changes()))  # fewest changes first
        errors = []
        # A JSON result written as a string literal is accepted only when no variant avoids it.
        for as_strings, candidate in itertools.product((False, True), candidates):
            try:
                check(template, candidate.apply(plain, "probe"), PROBE_TOOLS, plain, as_strings)
            except RowProblem as e:
                errors.append(e)
                continue
            self.variant, self.results_as_strings = candidate, as_strings
            break
        else:
            self.probe_problem = f"{errors[0].reason}: {errors[0].detail}"
        if reasoning:
            self._choose_reasoning_field()

    def _choose_reasoning_field(self) -> None:
        for field in REASONING_FIELDS:
            variant = replace(self.variant, reasoning_field=field)
            try:
                text = render(self.template, variant.apply(PROBE, "probe"), PROBE_TOOLS)
            except Exception:
                continue
            if "PROBE-THOUGHT" in text:
                self.variant, self.reasoning_rendered = variant, True
                return
        self.reasoning_rendered = False

    def adapt(self, row: dict[str, Any], row_key: str) -> dict[str, Any]:
        """The row as this template needs it; raises ``RowProblem`` when the template fails it."""
        tools = json.loads(row["tools"]) if isinstance(row.get("tools"), str) else row.get("tools")
        messages = self.variant.apply(row["messages"], row_key)
        check(self.template, messages, tools, row["messages"], self.results_as_strings)
        return {**row, "messages": messages}

    def summary(self) -> dict[str, Any]:
        """What the stats file records about the template and the variant chosen for it."""
        out: dict[str, Any] = {"source": self.template.source, "variant": self.variant.changes()}
        if self.results_as_strings:
            out["results_as_json_strings"] = True
        if self.probe_problem:
            out["probe_problem"] = self.probe_problem
        if self.reasoning_rendered is not None:
            out["reasoning_rendered"] = self.reasoning_rendered
        return out
