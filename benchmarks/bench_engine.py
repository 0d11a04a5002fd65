"""Embedded engine: cold start to a healthy /health, and tokens/s of 32 concurrent requests in bf16 and float32.

Target: cold start <= 30 s. bfloat16 and float32 weights are measured side by side on the machine it runs
on, alternating runs so that machine noise hits both alike, and the dtype toolace picks from this CPU's
flags (``toolace.engine.cpu_dtype``: bfloat16 only with avx512_bf16 or amx_bf16) is named beside them: on a
CPU without bf16 instructions vLLM emulates bf16 and float32 is 2-3x faster (DESIGN §3).

Usage: .venv/bin/python benchmarks/bench_engine.py [--runs N] [--requests 32] [--max-tokens 128]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402
from _result import result  # noqa: E402

from toolace.engine import BF16_FLAGS, Engine, EngineSpec, cpu_dtype, cpu_flags  # noqa: E402

DTYPES = ("bfloat16", "float32")


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


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=2, help="start-ups per dtype")
    parser.add_argument("--requests", type=int, default=32)
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    picked = cpu_dtype()
    flags = sorted(f for f in BF16_FLAGS if f in cpu_flags()) or ["none"]
    print(f"CPU: {cpu_name()}; bf16 flags: {', '.join(flags)}; toolace picks {picked}", flush=True)
    cold: dict[str, list[float]] = {name: [] for name in DTYPES}
    tps: dict[str, list[float]] = {name: [] for name in DTYPES}
    for _ in range(args.runs):
        for dtype in DTYPES:
            engine = Engine(EngineSpec(dtype=dtype))
            started = time.perf_counter()
            engine.start()
            cold[dtype].append(time.perf_counter() - started)
            try:
                tps[dtype].append(asyncio.run(throughput(engine, args.requests, args.max_tokens)))
            finally:
                engine.stop()
            print(f"{dtype:>8}: healthy after {cold[dtype][-1]:.1f} s, {args.requests} concurrent requests "
                  f"{tps[dtype][-1]:.0f} tokens/s", flush=True)
    runs = ", ".join(f"{t:.1f}" for t in cold[picked])
    result("embedded engine cold start", min(cold[picked]), "s", 30, higher_is_better=False,
           note=f"{picked}, best of {args.runs}: {runs}")
    for dtype in DTYPES:
        each = ", ".join(f"{t:.0f}" for t in tps[dtype])
        result(f"engine tokens/s, {args.requests} requests, {dtype}", statistics.median(tps[dtype]), "tok/s",
               note=f"runs {each}" + ("; toolace's pick on this CPU" if dtype == picked else ""))
    faster = max(DTYPES, key=lambda d: statistics.median(tps[d]))
    print(f"toolace picked {picked} on {cpu_name()} (bf16 flags: {', '.join(flags)}); "
          f"faster here: {faster} ({statistics.median(tps[faster]):.0f} against "
          f"{min(statistics.median(tps[d]) for d in DTYPES):.0f} tok/s)", flush=True)


if __name__ == "__main__":
    main()
