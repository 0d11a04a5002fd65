"""Memory stays flat as a run grows: RSS after 1,000 fake dialogs vs after 100,000 (same process).

gen-dialogs runs with an instant scripted model over 200 synthesised APIs, first to 1,000 dialogs,
then resumed to ``--count`` in the same process; the figure is the growth of the resident set.
Target: < 50 MB.   Usage: .venv/bin/python benchmarks/bench_memory.py [--count 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from rich.console import Console  # noqa: E402

from _result import result  # noqa: E402
from api_fakes import SpecWriter  # noqa: E402
from toolace.apis.synth import synth_apis  # noqa: E402
from toolace.testing.responders import agent_responder  # noqa: E402
from toolace.dialogs.generate import gen_dialogs  # noqa: E402
from toolace.jsonl import read_jsonl  # noqa: E402
from toolace.llm.fake import ScriptedLLM  # noqa: E402
from toolace.records import Api  # noqa: E402


def rss_mb() -> float:
    gc.collect()
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def main(count: int) -> None:
    quiet = Console(file=open("/dev/null", "w"))
    with tempfile.TemporaryDirectory() as tmp:
        apis_path, out = Path(tmp) / "apis.jsonl", Path(tmp) / "dialogs.jsonl"
        await synth_apis(ScriptedLLM(responder=SpecWriter(), record=False), ROOT / "api_trees" / "seed.json",
                         count=200, workers=32, out=apis_path, seed=1, console=quiet)
        apis = list(read_jsonl(apis_path, Api))
        llm = ScriptedLLM(responder=agent_responder, record=False)
        await gen_dialogs(llm, apis, count=1000, out=out, workers=32, seed=1, consistency=1, console=quiet)
        at_1k = rss_mb()
        started = time.perf_counter()
        await gen_dialogs(llm, apis, count=count, out=out, workers=32, seed=1, consistency=1, console=quiet)
        elapsed = time.perf_counter() - started
        at_end = rss_mb()
        size = out.stat().st_size / 1e6
    print(f"RSS after 1,000 dialogs: {at_1k:.1f} MB; after {count:,}: {at_end:.1f} MB "
          f"(output {size:.0f} MB, {count - 1000:,} dialogs in {elapsed:.0f} s)")
    result(f"RSS growth 1k -> {count // 1000}k fake dialogs", at_end - at_1k, "MB", 50, higher_is_better=False,
           note=f"{at_1k:.0f} -> {at_end:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().count))
