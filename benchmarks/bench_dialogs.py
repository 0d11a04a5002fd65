"""How fast gen-dialogs is: orchestration overhead with an instant fake LLM, and engine saturation.

    python benchmarks/bench_dialogs.py                       # dialogs/s on one core, fake LLM
    python benchmarks/bench_dialogs.py --engine http://127.0.0.1:8000/v1 [--seconds 60]

With ``--engine``, the same engine serves, alternately, gen-dialogs with 32 dialogs in flight and 32
raw concurrent requests replaying the very requests gen-dialogs sent (same prompts, schemas and
limits); each phase's generated tokens/s is measured over a steady window and the ratio printed
(DESIGN §4 target: >= 0.9). Targets: >= 500 dialogs/s with the fake LLM on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import itertools
import os
import statistics
import tempfile
import time
from pathlib import Path

from rich.console import Console

from _result import result

from toolace.dialogs import gen_dialogs
from toolace.testing.responders import agent_responder
from toolace.llm.fake import ScriptedLLM
from toolace.records import Api

QUIET = Console(file=io.StringIO())


def library() -> list[Api]:
    """A small library with related APIs, a dependent pair and required parameters."""
    def api(name, description, domain, params, required, returns):
        return Api(name=name, description=description, domain=domain, returns=returns,
                   parameters={"type": "object", "properties": params, "required": required})
    text, count = {"type": "string"}, {"type": "integer", "minimum": 1, "maximum": 9}
    return [
        api("get_weather", "Current weather in a city.", ["Travel", "Weather"], {"city": text}, ["city"],
            {"type": "object", "properties": {"temp_c": {"type": "number"}, "sky": text}}),
        api("get_forecast", "Forecast for a city.", ["Travel", "Weather"], {"city": text, "days": count},
            ["city", "days"], {"type": "object", "properties": {"summary": text}}),
        api("find_hotels", "Hotels in a city.", ["Travel", "Lodging"], {"city": text, "nights": count},
            ["city", "nights"], {"type": "object", "properties": {"hotel_id": text, "price": {"type": "number"}}}),
        api("book_hotel", "Book a hotel.", ["Travel", "Lodging"], {"hotel_id": text, "guests": count},
            ["hotel_id", "guests"], {"type": "object", "properties": {"reservation": text}}),
        api("convert_currency", "Convert money.", ["Finance"], {"amount": {"type": "number"}, "to": text},
            ["amount", "to"], {"type": "object", "properties": {"converted": {"type": "number"}}}),
        api("translate_text", "Translate a text.", ["Language"], {"text": text, "target": text},
            ["text", "target"], None),
    ]


async def fake_rate(count: int, consistency: int) -> tuple[float, float]:
    llm = ScriptedLLM(responder=agent_responder, record=False)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        stats = await gen_dialogs(llm, library(), count=count, out=Path(tmp) / "d.jsonl", workers=32,
                                  consistency=consistency, console=QUIET)
        elapsed = time.perf_counter() - started
    return stats.kept / elapsed, stats.usage.requests / elapsed


class Recorder:
    """Passes requests to the engine client; remembers them and counts the ones in flight."""

    def __init__(self, llm, keep: int = 2000):
        self.llm, self.model, self.usage = llm, llm.model, llm.usage
        self.requests: list[dict] = []
        self.keep = keep
        self.in_flight = 0

    async def chat(self, messages, **kw):
        if len(self.requests) < self.keep:
            self.requests.append({"messages": messages, **kw})
        self.in_flight += 1
        try:
            return await self.llm.chat(messages, **kw)
        finally:
            self.in_flight -= 1


async def window(recorder_or_llm, warmup: float, seconds: float, samples: list[int]) -> float:
    """Completion tokens/s of the client over ``seconds`` after ``warmup``.

    Tokens count when their request finishes, so the window must be long against one request's
    latency (tens of seconds with 32 requests on a CPU engine).
    """
    await asyncio.sleep(warmup)
    usage = recorder_or_llm.usage
    before = (usage.completion_tokens, usage.prompt_tokens, usage.cached_tokens)
    started = time.perf_counter()
    end = started + seconds
    while time.perf_counter() < end:
        await asyncio.sleep(0.5)
        samples.append(getattr(recorder_or_llm, "in_flight", 0))
    elapsed = time.perf_counter() - started
    completion, prompt, cached = (now - then for now, then in zip(
        (usage.completion_tokens, usage.prompt_tokens, usage.cached_tokens), before))
    print(f"    {completion / elapsed:6.1f} completion tok/s, {prompt / elapsed:6.1f} prompt tok/s "
          f"({cached / prompt if prompt else 0:.0%} from the prefix cache)")
    return completion / elapsed


async def dialogs_phase(base_url: str, model: str, apis: list[Api], workers: int, warmup: float,
                        seconds: float) -> tuple[float, float, list[dict]]:
    """gen-dialogs' tokens/s, its mean requests in flight, and the requests it sent."""
    from toolace.llm.openai_client import OpenAIClient

    recorder = Recorder(OpenAIClient(base_url, model))
    with tempfile.TemporaryDirectory() as tmp:
        run = asyncio.create_task(gen_dialogs(recorder, apis, count=10**6, out=Path(tmp) / "d.jsonl",
                                              workers=workers, consistency=1, console=QUIET))
        samples: list[int] = []
        rate = await window(recorder, warmup, seconds, samples)
        run.cancel()
        await asyncio.gather(run, return_exceptions=True)
    return rate, statistics.mean(samples) if samples else 0.0, recorder.requests


async def raw_phase(base_url: str, model: str, requests: list[dict], workers: int, warmup: float,
                    seconds: float) -> float:
    from toolace.llm.openai_client import OpenAIClient

    llm = OpenAIClient(base_url, model)
    replay = itertools.cycle(requests)
    nonce = itertools.count()

    async def worker():
        while True:
            request = dict(next(replay))
            request["messages"] = fresh(request["messages"], next(nonce))
            try:
                await llm.chat(request.pop("messages"), **request)
            except Exception:  # a failed structured reply still generated tokens; keep the load steady
                pass

    tasks = [asyncio.create_task(worker()) for _ in range(workers)]
    rate = await window(llm, warmup, seconds, [])
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return rate


# Where the per-dialog part of each dialog prompt starts (prompts/dialog_*.txt): the static text before
# it may come from the prefix cache, as it does for gen-dialogs; a replayed request must not hit the
# cache beyond it, or the raw side would skip the prefill that gen-dialogs pays.
_VARIABLE_PARTS = ("Your style:", "Tools:", "API:")


def fresh(messages: list[dict], n: int) -> list[dict]:
    """``messages`` with a unique line where their variable part starts."""
    text = messages[-1]["content"]
    at = min((i for i in (text.find(m) for m in _VARIABLE_PARTS) if i >= 0), default=0)
    return [*messages[:-1], {**messages[-1], "content": f"{text[:at]}(request {n})\n{text[at:]}"}]


async def served_model(base_url: str) -> str:
    import httpx

    async with httpx.AsyncClient() as client:
        return (await client.get(f"{base_url.rstrip('/')}/models")).json()["data"][0]["id"]


async def engine_comparison(base_url: str, model: str | None, workers: int, seconds: float, rounds: int) -> None:
    model = model or await served_model(base_url)
    apis = library()
    pairs = []
    for round_ in range(rounds):  # alternate phases so that a neighbour's load hits both alike
        dialog_rate, in_flight, requests = await dialogs_phase(base_url, model, apis, workers, 10.0, seconds)
        raw_rate = await raw_phase(base_url, model, requests, workers, 10.0, seconds)
        pairs.append((dialog_rate, raw_rate))
        print(f"round {round_ + 1}: gen-dialogs {dialog_rate:7.1f} tok/s (mean {in_flight:.1f} requests in flight)"
              f" | raw {workers} concurrent {raw_rate:7.1f} tok/s | ratio {ratio(dialog_rate, raw_rate)}")
    dialog_rate = statistics.mean(p[0] for p in pairs)
    raw_rate = statistics.mean(p[1] for p in pairs)
    print(f"generated tokens/s: gen-dialogs {dialog_rate:.1f}, raw {raw_rate:.1f}, "
          f"ratio {ratio(dialog_rate, raw_rate)} (target >= 0.9)")
    if raw_rate:
        result("saturation: gen-dialogs tok/s / raw tok/s", dialog_rate / raw_rate, "ratio", 0.9,
               note=f"{dialog_rate:.0f} vs {raw_rate:.0f} tok/s, {workers} in flight")


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else "n/a (no raw request finished in the window: make --seconds longer)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000, help="dialogs per fake run")
    parser.add_argument("--engine", help="OpenAI-compatible base URL for the saturation comparison")
    parser.add_argument("--model", help="model name on the engine (default: the first served)")
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=180.0,
                        help="measured window per phase; keep it many times one request's latency")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--core", type=int, help="the core the fake-LLM runs are pinned to (default: the last)")
    parser.add_argument("--engine-only", action="store_true", help="skip the fake-LLM figures")
    args = parser.parse_args()
    cores = os.sched_getaffinity(0)
    # One core, as the target says; the last by default (a local CPU engine pins its worker to core 0).
    os.sched_setaffinity(0, {args.core if args.core is not None else max(cores)})
    for consistency in () if args.engine_only else (1, 3):
        dialogs, requests = asyncio.run(fake_rate(args.count, consistency))
        print(f"fake LLM, consistency {consistency}: {dialogs:7.0f} dialogs/s ({requests:,.0f} requests/s) "
              "on one core (target >= 500 dialogs/s)")
        result(f"gen-dialogs dialogs/s (instant fake LLM, one core, consistency {consistency})", dialogs,
               "dialogs/s", 500 if consistency == 1 else None)
    if args.engine:
        os.sched_setaffinity(0, cores)
        asyncio.run(engine_comparison(args.engine, args.model, args.workers, args.seconds, args.rounds))


if __name__ == "__main__":
    main()
