"""The real CPU vLLM engine: start, 16 concurrent structured requests, stop, nothing left behind."""

import asyncio
from pathlib import Path

import pytest

from toolace.engine import endpoint
from toolace.llm.base import parse_structured
from toolace.llm.openai_client import OpenAIClient

pytestmark = pytest.mark.engine

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 40}, "age": {"type": "integer", "minimum": 0},
                   "hobbies": {"type": "array", "items": {"type": "string", "maxLength": 30}, "maxItems": 3}},
    "required": ["name", "age", "hobbies"], "additionalProperties": False,
}


def processes_with(marker: str) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                pids.append(int(proc.name))
    return pids


def test_embedded_engine_serves_concurrent_structured_requests_and_leaves_nothing():
    with endpoint(None, None) as (urls, model, engine):
        marker = f"--port {engine.port}"
        assert processes_with(marker), "the engine process should be running"
        llm = OpenAIClient(urls, model, timeout=120)
        prompts = [[{"role": "user", "content": f"Invent person number {i} as JSON."}] for i in range(16)]

        async def run():
            return await asyncio.gather(*[llm.chat(p, schema=SCHEMA, max_tokens=120, temperature=0.8) for p in prompts])

        results = asyncio.run(run())
    assert len(results) == 16
    for result in results:
        obj, problem = parse_structured(result.text, SCHEMA)
        assert problem is None and obj == result.parsed
    assert llm.usage.requests >= 16
    assert llm.usage.prompt_tokens > 16 * 5 and llm.usage.completion_tokens > 16 * 3
    assert engine.process is None
    assert processes_with(marker) == []
