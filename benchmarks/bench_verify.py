"""Benchmark of `toolace verify`: rule-layer dialogs/s on one core, and judge requests/s on an engine.

    .venv/bin/python benchmarks/bench_verify.py [--dialogs 20000] [--apis 300]
    .venv/bin/python benchmarks/bench_verify.py --engine http://127.0.0.1:8000/v1 --judge-dialogs 24

Dialogs are generated from a library of APIs with nested objects, arrays of objects, enums, bounds,
patterns and formats; about one in five is broken on purpose (wrong type, unknown argument, enum
violation, missing result), so that failure paths are measured too.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _result import result  # noqa: E402
from toolace.jsonl import JsonlWriter  # noqa: E402
from toolace.verify.config import RuleConfig  # noqa: E402
from toolace.verify.rules import check_rules  # noqa: E402
from toolace.verify.run import verify_dialogs  # noqa: E402
from toolace.verify.sample import load_sample  # noqa: E402

CITIES = ["Paris", "Lagos", "Osaka", "Lima", "Oslo", "Cairo", "Quito", "Perth"]


def make_api(i: int, rng: random.Random) -> dict:
    props = {
        "city": {"type": "string", "description": "City name."},
        "limit": {"type": "integer", "description": "How many.", "minimum": 1, "maximum": 50},
        "unit": {"type": "string", "description": "Unit.", "enum": ["metric", "imperial"]},
        "date": {"type": "string", "description": "Day.", "format": "date"},
        "filters": {"type": "array", "description": "Filters.", "maxItems": 5, "items": {
            "type": "object", "description": "One filter.", "required": ["field", "op"],
            "properties": {"field": {"type": "string", "description": "Field.", "pattern": "^[a-z_]+$"},
                           "op": {"type": "string", "description": "Operator.", "enum": ["eq", "lt", "gt"]},
                           "value": {"type": "number", "description": "Value."}}}},
        "flag": {"type": "boolean", "description": "A switch."},
    }
    keep = rng.sample(sorted(props), rng.randint(2, len(props)))
    if "city" not in keep:
        keep.append("city")
    return {"name": f"api_{i}", "description": f"Does thing {i} for a city.",
            "parameters": {"type": "object", "properties": {k: props[k] for k in keep}, "required": ["city"]},
            "returns": {"type": "object", "properties": {"ok": {"type": "boolean"}, "count": {"type": "integer"}}}}


def make_args(api: dict, rng: random.Random) -> dict:
    values = {"city": rng.choice(CITIES), "limit": rng.randint(1, 50), "unit": rng.choice(["metric", "imperial"]),
              "date": f"2025-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}", "flag": rng.random() < 0.5,
              "filters": [{"field": "price", "op": rng.choice(["eq", "lt", "gt"]), "value": rng.randint(1, 99)}
                          for _ in range(rng.randint(0, 3))]}
    return {k: values[k] for k in api["parameters"]["properties"] if k == "city" or rng.random() < 0.7}


def make_dialog(i: int, apis: list[dict], rng: random.Random) -> dict:
    tools = rng.sample(apis, 3)
    calls = [{"id": f"call_{j}", "name": tool["name"], "arguments": make_args(tool, rng)}
             for j, tool in enumerate(rng.sample(tools, rng.randint(1, 2)))]
    broken = rng.random() < 0.2
    if broken:
        kind = rng.randrange(4)
        if kind == 0:
            calls[0]["arguments"]["city"] = 7
        elif kind == 1:
            calls[0]["arguments"]["extra"] = "x"
        elif kind == 2:
            calls[0]["arguments"]["filters"] = [{"field": "price", "op": "ne"}]
    city = calls[0]["arguments"]["city"]
    messages = [{"role": "user", "content": f"Please look up {city} for me, thanks."},
                {"role": "assistant", "content": None, "tool_calls": calls}]
    results = calls[:-1] if broken and kind == 3 else calls
    messages += [{"role": "tool", "tool_call_id": c["id"], "name": c["name"], "content": {"ok": True, "count": 3}}
                 for c in results]
    messages.append({"role": "assistant", "content": f"I found 3 results for {city}. Anything else?"})
    return {"id": f"d{i}", "kind": "single", "tools": tools, "messages": messages}


def dialogs(n: int, n_apis: int, seed: int = 0) -> list[dict]:
    rng = random.Random(seed)
    apis = [make_api(i, rng) for i in range(n_apis)]
    return [make_dialog(i, apis, rng) for i in range(n)]


def bench_rules(data: list[dict], profile: bool) -> float:
    config = RuleConfig()
    for obj in data[:200]:  # warm the caches the way a long run would
        check_rules(load_sample(obj).dialog, config)
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler:
        profiler.enable()
    failed = 0
    for obj in data:
        sample = load_sample(obj)
        failed += bool(sample.failures + check_rules(sample.dialog, config))
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU time is the one-core figure; wall time also counts other processes sharing the core.
    print(f"rule layer: {len(data)} dialogs, {cpu:.2f} s CPU = {len(data) / cpu:,.0f} dialogs/s on one core "
          f"(wall {elapsed:.2f} s = {len(data) / elapsed:,.0f}/s; {failed} rejected)")
    result("rule-layer dialogs/s (one core, CPU time)", len(data) / cpu, "dialogs/s", 5000)
    return len(data) / cpu


async def bench_pipeline(data: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dialogs.jsonl"
        with JsonlWriter(path) as writer:
            for obj in data:
                writer.write(obj)
        started, cpu = time.perf_counter(), time.process_time()
        stats = await verify_dialogs([path], out=Path(tmp) / "verified.jsonl", workers=4)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"verify --rules-only end to end (scan, read, check, write): {len(data)} dialogs, {cpu:.2f} s CPU = "
              f"{len(data) / cpu:,.0f} dialogs/s (wall {elapsed:.2f} s; {stats.kept} kept, {stats.rejected} rejected)")


async def bench_judge(base_url: str, model: str | None, n: int, workers: int) -> None:
    from toolace.llm.openai_client import OpenAIClient
    from toolace.verify.judge import DialogJudge

    llm = OpenAIClient([base_url], model or "smollm2-135m", timeout=300)
    judge = DialogJudge(llm, concurrency=workers)
    sample = [load_sample(obj).dialog for obj in dialogs(n, 30, seed=1)]
    started = time.perf_counter()
    results = await asyncio.gather(*(judge.judge(d) for d in sample))
    elapsed = time.perf_counter() - started
    calls = sum(r.counters["judge_calls"] for r in results)
    saved = sum(r.counters["judge_saved"] for r in results)
    tokens = sum(r.usage.completion_tokens for r in results)
    rejected = sum(bool(r.failures) for r in results)
    print(f"judge: {n} dialogs, {calls} requests ({saved} saved by the pre-pass) in {elapsed:.1f} s = "
          f"{calls / elapsed:.2f} requests/s, {tokens / elapsed:.0f} completion tok/s, workers {workers}; "
          f"{rejected} dialogs judged bad")
    result("judge requests/s (engine)", calls / elapsed, "requests/s", note=f"{workers} workers, {n} dialogs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dialogs", type=int, default=20000)
    parser.add_argument("--apis", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the rule layer")
    parser.add_argument("--engine", help="OpenAI-compatible base URL: also measure judge requests/s")
    parser.add_argument("--model")
    parser.add_argument("--judge-dialogs", type=int, default=24)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--engine-only", action="store_true", help="skip the rule-layer figures")
    args = parser.parse_args()
    if not args.engine_only:
        data = dialogs(args.dialogs, args.apis)
        bench_rules(data, args.profile)
        asyncio.run(bench_pipeline(data))
    if args.engine:
        asyncio.run(bench_judge(args.engine, args.model, args.judge_dialogs, args.workers))


if __name__ == "__main__":
    main()
