"""A scripted fake LLM for tests and benchmarks: enqueue replies, then assert on what was sent."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from toolace.llm.base import account, BaseLLM, Completion, Messages, Usage


@dataclass
class Reply:
    """One scripted reply: text (or an object sent as JSON) and how the engine says it ended."""

    content: Any
    finish_reason: str = "stop"


@dataclass
class Request:
    """What the code under test sent."""

    messages: Messages
    schema: dict[str, Any] | None
    schema_name: str
    temperature: float | None
    max_tokens: int | None
    seed: int | None


Responder = Callable[[Request], Any]


class ScriptedLLM(BaseLLM):
    """Replies from a queue, else from a responder function; every request is recorded.

    A queued item may be a string, an object (sent as its JSON), a ``Reply``, an exception (raised
    as if the transport failed), or a callable taking the ``Request``. ``delay`` seconds pass before
    each reply, so requests overlap as on an engine; ``peak_in_flight`` says how many did at most.
    """

    supports_prompt_logprobs = True

    def __init__(self, replies: list[Any] | None = None, *, responder: Responder | None = None,
                 model: str = "scripted", record: bool = True, delay: float = 0.0,
                 context_window: int | None = None):
        super().__init__()
        self.model = model
        self.context_window = context_window
        self.queue: deque[Any] = deque(replies or [])
        self.responder = responder
        self.requests: list[Request] = []
        self.record = record
        self.delay = delay
        self.in_flight = self.peak_in_flight = 0

    def enqueue(self, *replies: Any) -> "ScriptedLLM":
        self.queue.extend(replies)
        return self

    async def _complete(self, messages, *, schema, schema_name, temperature, max_tokens, seed):
        request = Request(list(messages), schema, schema_name, temperature, max_tokens, seed)
        if self.record:
            self.requests.append(request)
        if self.delay:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
            finally:
                self.in_flight -= 1
        if self.queue:
            item = self.queue.popleft()
        elif self.responder is not None:
            item = self.responder
        else:
            raise AssertionError(f"ScriptedLLM has no reply left for request #{len(self.requests)}")
        if callable(item) and not isinstance(item, Reply):
            item = item(request)
        if isinstance(item, BaseException):
            raise item
        reply = item if isinstance(item, Reply) else Reply(item)
        text = reply.content if isinstance(reply.content, str) else orjson.dumps(reply.content).decode()
        prompt = sum(len(str(m.get("content") or "")) for m in messages) // 4
        usage = Usage(prompt_tokens=prompt, completion_tokens=max(1, len(text) // 4), requests=1)
        return Completion(text, reply.finish_reason, usage)

    # Logprob of each token in ``prompt_logprobs``; tests replace it to script a learner's loss.
    token_logprob: Callable[[str], float] = staticmethod(lambda token: -1.0)

    async def prompt_logprobs(self, messages: Messages, *, model: str | None = None) -> tuple[list[tuple[str, float]], Usage]:
        """Like ``OpenAIClient.prompt_logprobs``: ChatML-rendered prompt split at word starts."""
        if self.record:
            self.requests.append(Request(list(messages), None, "prompt_logprobs", None, None, None))
        text = "".join(f"<|im_start|>{m['role']}\n{m.get('content') or ''}<|im_end|>\n" for m in messages)
        tokens = [(t, self.token_logprob(t)) for t in re.findall(r"\s*\S+|\s+", text)][1:]
        usage = Usage(prompt_tokens=len(tokens) + 1, completion_tokens=1, requests=1)
        account(self.usage, usage)
        return tokens, usage
