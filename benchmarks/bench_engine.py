"""Embedded engine: cold start to a healthy /health, and tokens/s of 32 concurrent requests.

Target: cold start <= 30 s. The engine layout toolace uses on the CPU (one worker inside the engine-core
process, ``--distributed-executor-backend uni``) is measured side by side with vLLM's default CPU layout
(a separate worker process, ``mp``), alternating runs so that machine noise hits both alike.

Usage: .venv/bin/python benchmarks/bench_engine.py [--runs N] [--requests 32] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from _result import result  # noqa: E402

from toolace.engine import Engine, EngineSpec  # noqa: E402

LAYOUTS = {
    "uni": EngineSpec(),  # toolace's default on the CPU
    "mp": EngineSpec(extra_args=["--distributed-executor-backend", "mp"],
                     extra_env={"VLLM_ENABLE_V1_MULTIPROCESSING": "1"}),  # vLLM's default on the CPU
}


async def throughput(engine: Engine, requests: int, max_tokens: int) -> float:
    """Completion tokens/s of ``requests`` concurrent fixed-length chat requests (after one warm-up)."""

    async def one(client: httpx.AsyncClient, i: int) -> int:
        reply = await client.post(f"{engine.base_url}/chat/completions", timeout=600, json={
            "model": engine.model, "max_tokens": max_tokens, "ignore_eos": True,
            "messages": [{"role": "user", "content": f"Describe a day in the life of traveller number {i}."}]})
        reply.raise_for_status()
        return reply.json()["usage"]["completion_tokens"]

    async with httpx.AsyncClient() as client:
        await one(client, -1)
        started = time.perf_counter()
        tokens = sum(await asyncio.gather(*(one(client, i) for i in range(requests))))
        return tokens / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="start-ups per layout")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    cold: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    tps: dict[str, list[float]] = {name: [] for name in LAYOUTS}
    for _ in range(args.runs):
        for name, spec in LAYOUTS.items():
            engine = Engine(spec)
            started = time.perf_counter()
            engine.start()
            cold[name].append(time.perf_counter() - started)
            try:
                tps[name].append(asyncio.run(throughput(engine, args.requests, args.max_tokens)))
            finally:
                engine.stop()
            print(f"{name:>3}: healthy after {cold[name][-1]:.1f} s, {args.requests} concurrent requests "
                  f"{tps[name][-1]:.0f} tokens/s", flush=True)
    runs = ", ".join(f"{t:.1f}" for t in cold["uni"])
    result("embedded engine cold start", min(cold["uni"]), "s", 30, higher_is_better=False,
           note=f"best of {args.runs}: {runs}; vLLM's mp layout {min(cold['mp']):.1f}")
    result(f"engine tokens/s, {args.requests} requests (toolace layout)", statistics.median(tps["uni"]), "tok/s",
           note=f"vLLM's mp layout {statistics.median(tps['mp']):.0f} tok/s")


if __name__ == "__main__":
    main()
