"""The canonical records of DESIGN §2: API, tool call, message, dialog and verdict.

Every stage reads and writes these. Inputs forbid unknown fields; provenance, complexity and other
annotations live in the ``meta`` map and never change a record's meaning.

Loading an API checks its ``parameters`` against the JSON Schema 2020-12 meta-schema. A checker
that wants to *report* a broken schema instead of refusing the record (``toolace verify``) loads
with ``context={"lenient_schema": True}``; ``"lenient_calls": True`` likewise lets a dialog with
duplicate call ids or results answering unknown calls load, so that it can be reported.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any, Literal, Union

import orjson
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_serializer, model_validator

JSON = Any


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


@lru_cache(maxsize=65536)
def _schema_problem(schema_bytes: bytes) -> str | None:
    """The first meta-schema error of a JSON Schema (cached: libraries repeat schemas a lot)."""
    schema = orjson.loads(schema_bytes)
    error = next(iter(Draft202012Validator(Draft202012Validator.META_SCHEMA).iter_errors(schema)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path)
        return f"not a valid JSON Schema at '{where or '/'}': {error.message}"
    return None


def parameters_problems(parameters: Any) -> list[str]:
    """Every reason why ``parameters`` is not a usable tool-parameter schema (empty when fine)."""
    if not isinstance(parameters, dict):
        return ["parameters must be a JSON object"]
    problems = []
    meta = _schema_problem(orjson.dumps(parameters, option=orjson.OPT_SORT_KEYS))
    if meta:
        problems.append(meta)
    if parameters.get("type") != "object":
        problems.append(f"parameters must have type 'object', not {parameters.get('type')!r}")
    properties = parameters.get("properties", {})
    required = parameters.get("required", [])
    if isinstance(properties, dict) and isinstance(required, list):
        missing = [name for name in required if name not in properties]
        if missing:
            problems.append(f"required names unknown properties: {', '.join(map(str, missing))}")
    return problems


def schema_problem(schema: Any) -> str | None:
    """Why ``schema`` is not a valid JSON Schema, or None."""
    if not isinstance(schema, (dict, bool)):
        return "a schema must be a JSON object"
    return _schema_problem(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


def _drop_empty(*keys: str):
    """A serializer that leaves out ``keys`` whose value is empty (no ``"warnings": []`` on every line)."""
    @model_serializer(mode="wrap")
    def serialize(self, handler):
        data = handler(self)
        for key in keys:
            if data.get(key) is None or data.get(key) == []:
                data.pop(key, None)
        return data
    return serialize


def _lenient(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("lenient_schema"))


class Api(Record):
    """One callable tool: a name, what it does, its JSON Schema parameters and result."""

    name: str
    description: str = ""
    domain: list[str] = Field(default_factory=list)
    parameters: dict[str, JSON] = Field(default_factory=lambda: {"type": "object", "properties": {}})
    returns: dict[str, JSON] | None = None
    meta: dict[str, JSON] = Field(default_factory=dict)

    @field_validator("name")
    @classmethod
    def _name_present(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("name must not be empty")
        return name

    @field_validator("parameters")
    @classmethod
    def _parameters_schema(cls, parameters: dict, info: ValidationInfo) -> dict:
        if not _lenient(info):
            problems = parameters_problems(parameters)
            if problems:
                raise ValueError("; ".join(problems))
        return parameters

    @field_validator("returns")
    @classmethod
    def _returns_schema(cls, returns: dict | None, info: ValidationInfo) -> dict | None:
        if returns is not None and not _lenient(info):
            problem = schema_problem(returns)
            if problem:
                raise ValueError(f"returns: {problem}")
        return returns

    @property
    def properties(self) -> dict[str, Any]:
        props = self.parameters.get("properties")
        return props if isinstance(props, dict) else {}

    @property
    def required(self) -> list[str]:
        required = self.parameters.get("required")
        return required if isinstance(required, list) else []


class ToolCall(Record):
    """One function call made by the assistant; arguments are a JSON object, never a string."""

    id: str
    name: str
    arguments: dict[str, JSON] = Field(default_factory=dict)


class SystemMessage(Record):
    role: Literal["system"]
    content: str


class UserMessage(Record):
    role: Literal["user"]
    content: str


class AssistantMessage(Record):
    role: Literal["assistant"]
    content: str | None = None
    tool_calls: list[ToolCall] = Field(default_factory=list)

    @model_validator(mode="after")
    def _says_something(self) -> "AssistantMessage":
        if self.content is None and not self.tool_calls:
            raise ValueError("an assistant message needs content or tool_calls")
        return self

    _drop_empty_calls = _drop_empty("tool_calls")


class ToolMessage(Record):
    role: Literal["tool"]
    tool_call_id: str
    name: str
    content: JSON


Message = Annotated[
    Union[SystemMessage, UserMessage, AssistantMessage, ToolMessage], Field(discriminator="role")
]

DialogKind = Literal[
    "single", "parallel", "dependent", "non_tool", "irrelevance", "clarify", "multi_turn", "imported"
]


class Failure(Record):
    """One failed check: its stable id, a readable message, and the JSON path it concerns."""

    check: str
    message: str
    path: str | None = None

    _drop_empty_path = _drop_empty("path")


class Verdict(Record):
    """A check's outcome: the failures that reject the dialog, and warnings that do not."""

    passed: bool
    layer: Literal["rules", "model", "execution"]
    failures: list[Failure] = Field(default_factory=list)
    warnings: list[Failure] = Field(default_factory=list)

    _drop_empty_warnings = _drop_empty("warnings")


class Dialog(Record):
    """One conversation over a tool list: the unit of training data."""

    id: str
    kind: DialogKind = "imported"
    tools: list[Api] = Field(default_factory=list)
    messages: list[Message]
    meta: dict[str, JSON] = Field(default_factory=dict)
    verdict: Verdict | None = None

    @model_validator(mode="after")
    def _calls_are_answered_consistently(self, info: ValidationInfo) -> "Dialog":
        if not self.messages:
            raise ValueError("messages must not be empty")
        if info.context and info.context.get("lenient_calls"):
            return self  # the checker (toolace verify) reports these as orphan_result etc. itself
        seen: set[str] = set()
        for index, message in enumerate(self.messages):
            if isinstance(message, AssistantMessage):
                for call in message.tool_calls:
                    if call.id in seen:
                        raise ValueError(f"messages[{index}]: duplicate tool_call id {call.id!r}")
                    seen.add(call.id)
            elif isinstance(message, ToolMessage) and message.tool_call_id not in seen:
                raise ValueError(
                    f"messages[{index}]: tool message answers unknown call id {message.tool_call_id!r}"
                )
        return self

    def calls(self) -> list[ToolCall]:
        return [c for m in self.messages if isinstance(m, AssistantMessage) for c in m.tool_calls]

    def tool(self, name: str) -> Api | None:
        return next((api for api in self.tools if api.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        if data.get("verdict") is None:
            data.pop("verdict", None)
        return data
