"""Embedded engine cold start: from launching vLLM CPU with the bundled model to a healthy /health.

Target: <= 30 s.   Usage: .venv/bin/python benchmarks/bench_engine.py [--runs N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _result import result  # noqa: E402
from toolace.engine import Engine, EngineSpec  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    times = []
    for _ in range(args.runs):
        engine = Engine(EngineSpec())
        started = time.perf_counter()
        engine.start()
        times.append(time.perf_counter() - started)
        engine.stop()
        print(f"cold start to healthy: {times[-1]:.1f} s")
    result("embedded engine cold start", min(times), "s", 30, higher_is_better=False,
           note=f"best of {len(times)}: {', '.join(f'{t:.1f}' for t in times)}")


if __name__ == "__main__":
    main()
