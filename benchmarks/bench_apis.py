"""APIs per second of synth-apis on one core with an instant scripted model (orchestration cost only).

Everything but the model runs for real: subtree sampling, prompt building, structured-reply
validation, spec conversion, rule checks, MinHash de-duplication, JSONL writing and the runner.
Target: >= 500 APIs/s.   Usage: .venv/bin/python benchmarks/bench_apis.py [COUNT] [--profile]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from api_fakes import SpecWriter  # noqa: E402
from rich.console import Console  # noqa: E402

from _result import result  # noqa: E402
from toolace.apis.synth import synth_apis  # noqa: E402
from toolace.llm.fake import ScriptedLLM  # noqa: E402
from toolace.tree import load_tree  # noqa: E402

TREE = Path(__file__).resolve().parent.parent / "api_trees" / "seed.json"


async def main(count: int) -> None:
    tree = load_tree(TREE)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "apis.jsonl"
        llm = ScriptedLLM(responder=SpecWriter(duplicate_every=10, invalid_every=13), record=False)
        quiet = Console(file=open("/dev/null", "w"))
        started = time.perf_counter()
        stats = await synth_apis(llm, tree, count=count, workers=32, out=out, seed=1, console=quiet)
        elapsed = time.perf_counter() - started
    jobs = stats.kept + stats.rejected
    print(f"synth-apis, instant scripted model, seed tree ({len(tree)} nodes), 32 workers, one process")
    print(f"  kept {stats.kept} APIs, rejected {stats.rejected} ({dict(stats.reasons)}) in {elapsed:.2f} s")
    print(f"  {stats.kept / elapsed:.0f} APIs/s kept, {jobs / elapsed:.0f} jobs/s (target >= 500 APIs/s)")
    result("synth-apis APIs/s (instant fake LLM, one core)", stats.kept / elapsed, "APIs/s", 500,
           note=f"{jobs / elapsed:.0f} jobs/s")


if __name__ == "__main__":
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "5000"))
    if "--profile" in sys.argv:
        import cProfile
        import pstats
        cProfile.run("asyncio.run(main(n))", "/tmp/bench_apis.prof")
        pstats.Stats("/tmp/bench_apis.prof").sort_stats("cumulative").print_stats(30)
    else:
        asyncio.run(main(n))
