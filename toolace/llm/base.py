"""The small protocol every LLM backend implements, and the structured-reply loop they share."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass, field, fields
from functools import lru_cache
from typing import Any, NamedTuple, Protocol, runtime_checkable

import json
import re

import orjson
from jsonschema import Draft202012Validator

Messages = list[dict[str, Any]]


@dataclass
class Usage:
    """Token and request counters; instances add up (``a + b``) across calls and workers."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    reasoning_tokens: int = 0  # part of completion_tokens: thinking (server-reported, else by character share)
    cached_tokens: int = 0
    requests: int = 0
    retries: int = 0  # transport-level retries (5xx, timeouts, refused connections)
    reasks: int = 0  # structured replies asked again (cut off, not JSON, schema broken)
    abandoned: int = 0  # requests in flight when their job was cancelled as surplus (no reply read)
    failures: dict[str, int] = field(default_factory=dict)

    def __add__(self, other: "Usage") -> "Usage":
        out = Usage()
        out.add(self)
        out.add(other)
        return out

    def add(self, other: "Usage") -> None:
        for f in fields(self):
            if f.name == "failures":
                for reason, n in other.failures.items():
                    self.failures[reason] = self.failures.get(reason, 0) + n
            else:
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def fail(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class ChatResult:
    """One finished chat request: the text, the parsed object (structured replies), and costs."""

    text: str
    parsed: Any = None
    finish_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    attempts: int = 1
    reasoning: str | None = None  # a reasoning model's thinking, kept apart from ``text`` (never parsed)


class Completion(NamedTuple):
    """One raw reply of a backend: its text, how it ended, what it cost, and reasoning sent apart."""

    text: str
    finish_reason: str | None
    usage: Usage
    reasoning: str | None = None


def split_reasoning(text: str) -> tuple[str, str | None]:
    """``(answer, reasoning)`` of a reply that may open with ``<think>...</think>``.

    Also a reply whose chat template opened the tag in the prompt (only ``...</think>`` is generated),
    and one cut off while thinking (no answer). A reply starting as JSON is never split.
    """
    stripped = text.lstrip()
    if stripped.startswith(("{", "[", '"')):
        return text, None
    head, closed, tail = stripped.partition("</think>")
    if closed:
        return tail.strip(), head.removeprefix("<think>").strip()
    if stripped.startswith("<think>"):
        return "", stripped.removeprefix("<think>").strip()
    return text, None


@runtime_checkable
class LLMClient(Protocol):
    """What stages need from a model: one async chat call, optionally constrained to a schema, and
    the capabilities a backend declares (simonw/llm's ``supports_schema``): a stage that needs one
    checks the flag before the run, not at the first request."""

    model: str
    usage: Usage
    supports_prompt_logprobs: bool  # ``prompt_logprobs`` works (vLLM's extension; the learner-loss measure)

    async def chat(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        schema_name: str = "reply",
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> ChatResult: ...

    async def prompt_logprobs(self, messages: Messages, *,
                              model: str | None = None) -> tuple[list[tuple[str, float]], Usage]:
        """The prompt's tokens with their log-probabilities under ``model`` (when supported)."""
        ...

    async def context(self) -> int | None:
        """The model's context window in tokens (prompt and reply), or None when the backend does not say."""
        ...


# The usage of the job (runner task) in progress: every request adds to it, so a job that fails
# half-way still reports what it spent and which faults it met.
job_usage: ContextVar[Usage | None] = ContextVar("job_usage", default=None)


def account(total: Usage, usage: Usage) -> None:
    """Add ``usage`` to a client's running total and to the current job's usage."""
    total.add(usage)
    current = job_usage.get()
    if current is not None:
        current.add(usage)


# Bounded small: assistant schemas pin per-dialog values, so most are never seen twice, and a
# compiled validator costs ~10 kB; 4096 of them made a 100k-dialog run grow by ~60 MB.
@lru_cache(maxsize=256)
def _validator(schema_bytes: bytes) -> Draft202012Validator:
    return Draft202012Validator(orjson.loads(schema_bytes))


def validator_for(schema: dict[str, Any]) -> Draft202012Validator:
    """A compiled validator for a schema, cached by its canonical bytes."""
    return _validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))


_FENCED = re.compile(r"```(?:json)?\s*\n?(.*?)```", re.S)


def _int64_or_float(digits: str) -> int | float:
    """An integer literal as orjson reads it: a float beyond the signed/unsigned 64-bit range."""
    value = int(digits)
    return value if -(2**63) <= value < 2**64 else float(value)


def _loads(text: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # grammar-constrained engines can let raw control characters (tabs) into strings; numbers
        # are read as orjson reads them, so a record parsed here can always be written back
        return json.loads(text, strict=False, parse_int=_int64_or_float)


def parse_structured(text: str, schema: dict[str, Any]) -> tuple[Any, str | None]:
    """Parse a structured reply: ``(object, None)`` or ``(None, why it is unusable)``.

    Without constrained decoding a model may wrap its JSON in a code fence or a sentence: the fenced
    block, else the span from the first ``{`` to the last ``}``, is read then.
    """
    try:
        obj = _loads(text)
    except ValueError as e:
        fenced = _FENCED.search(text)
        inner = fenced.group(1) if fenced else text[text.find("{"):text.rfind("}") + 1]
        try:
            obj = _loads(inner) if inner.strip() else _loads(text)
        except ValueError:
            return None, f"not valid JSON ({e})"
    error = next(iter(validator_for(schema).iter_errors(obj)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        return None, f"breaks the schema at {where}: {error.message}"
    return obj, None


def reask_messages(messages: Messages, text: str, problem: str) -> Messages:
    """A *new* message list asking again after an unusable structured reply."""
    return [
        *messages,
        {"role": "assistant", "content": text[:2000]},
        {
            "role": "user",
            "content": f"Your reply was unusable: {problem}. Reply again with only one JSON object "
            "that matches the required schema, and keep it short.",
        },
    ]


class BaseLLM:
    """Shared structured-output loop over a backend's single ``_complete`` call.

    A reply cut by ``max_tokens``, not JSON, or breaking the schema is asked again with the problem
    on a new message list, at most ``max_attempts`` times; then ``StructuredOutputError`` carries
    the attempts, the last raw text and the usage spent.
    """

    model: str
    max_attempts: int = 3
    supports_prompt_logprobs: bool = False
    context_window: int | None = None

    def __init__(self) -> None:
        self.usage = Usage()

    async def context(self) -> int | None:
        return self.context_window

    async def prompt_logprobs(self, messages: Messages, *,
                              model: str | None = None) -> tuple[list[tuple[str, float]], Usage]:
        raise NotImplementedError(f"{type(self).__name__} cannot score prompts (supports_prompt_logprobs is false)")

    async def _complete(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None,
        schema_name: str,
        temperature: float | None,
        max_tokens: int | None,
        seed: int | None,
    ) -> Completion:
        raise NotImplementedError

    async def chat(
        self,
        messages: Messages,
        *,
        schema: dict[str, Any] | None = None,
        schema_name: str = "reply",
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> ChatResult:
        from toolace.errors import StructuredOutputError

        spent = Usage()
        asked = messages
        text, problem, reason = "", "", ""
        for attempt in range(1, self.max_attempts + 1):
            try:
                raw, finish, usage, reasoning = await self._complete(
                    asked, schema=schema, schema_name=schema_name, temperature=temperature,
                    max_tokens=max_tokens, seed=seed,
                )
            except BaseException:
                account(self.usage, spent)
                raise
            text, inline = split_reasoning(raw)
            reasoning = "\n".join(r for r in (reasoning, inline) if r) or None
            if reasoning and not usage.reasoning_tokens and usage.completion_tokens:
                share = len(reasoning) / (len(reasoning) + len(text))
                usage.reasoning_tokens = round(usage.completion_tokens * share)
            spent.add(usage)
            if schema is None:
                account(self.usage, spent)
                return ChatResult(text, None, finish, spent, self.model, attempt, reasoning)
            if finish == "length":
                reason, problem = "truncated", "it was cut off at the token limit before the JSON ended"
            else:
                obj, problem = parse_structured(text, schema)
                if problem is None:
                    account(self.usage, spent)
                    return ChatResult(text, obj, finish, spent, self.model, attempt, reasoning)
                reason = "invalid_json" if problem.startswith("not valid JSON") else "schema_violation"
            spent.fail(reason)
            if attempt < self.max_attempts:
                spent.reasks += 1
                asked = reask_messages(messages, text, problem)
        account(self.usage, spent)
        raise StructuredOutputError(
            f"no valid structured reply after {self.max_attempts} attempts: {problem}",
            attempts=self.max_attempts, last_text=text, usage=spent, reason=reason,
        )
