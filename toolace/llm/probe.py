"""Which structured-output modes an endpoint honours: one small request per mode (``toolace doctor``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from toolace.errors import RequestRefused, StructuredOutputError
from toolace.llm.base import ChatResult
from toolace.llm.openai_client import STRUCTURED_MODES, OpenAIClient

# `check` takes one value the model cannot guess: only a server that enforces the schema (json_schema) or
# a model that reads it in the prompt (json_object, prompt) produces it.
PROBE_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 60}, "country": {"type": "string", "maxLength": 60},
                   "population_millions": {"type": "number"}, "check": {"type": "string", "enum": ["tq-probe-7"]}},
    "required": ["city", "country", "population_millions", "check"],
    "additionalProperties": False,
}
PROBE_MESSAGES = [{"role": "user", "content": "Name one large city as JSON with its country and population."}]


@dataclass
class Probe:
    """How one mode fared: honoured (valid at once), reasked (valid after re-asks), refused or failed."""

    mode: str
    status: str
    detail: str
    seconds: float
    result: ChatResult | None = None

    @property
    def usable(self) -> bool:
        return self.status in ("honoured", "reasked")


async def probe_structured(llm: OpenAIClient, modes: tuple[str, ...] = STRUCTURED_MODES) -> list[Probe]:
    """Ask the probe question once in each mode, one after another.

    A refused request (HTTP 4xx) marks its mode refused; a key refused (``AuthError``) or an engine that
    keeps failing (``EngineError`` after retries) stops the probing: no mode can be judged then.
    """
    probes = []
    for mode in modes:
        client = llm.with_structured(mode)
        started = time.perf_counter()
        try:
            result = await client.chat(PROBE_MESSAGES, schema=PROBE_SCHEMA, schema_name="city", max_tokens=120,
                                       temperature=0.0)
        except StructuredOutputError as e:
            probes.append(Probe(mode, "failed", f"{e.attempts} attempts, {e.reason}", time.perf_counter() - started))
            continue
        except RequestRefused as e:  # 4xx: this mode (or this schema) is not accepted; other faults stop the probe
            probes.append(Probe(mode, "refused", str(e).splitlines()[0][:160], time.perf_counter() - started))
            continue
        status = "honoured" if result.attempts == 1 else "reasked"
        detail = "valid at once" if result.attempts == 1 else f"valid after {result.attempts} attempts"
        probes.append(Probe(mode, status, detail, time.perf_counter() - started, result))
    return probes


def recommend(probes: list[Probe]) -> Probe | None:
    """The mode to use: the first (in json_schema, json_object, prompt order) honoured at once, else re-asked."""
    for status in ("honoured", "reasked"):
        for probe in probes:
            if probe.status == status:
                return probe
    return None
