"""`make bench` / `make bench-quick`: run the benchmarks, print every figure next to its target.

Each benchmark is a script that prints ``RESULT {...}`` lines (see ``_result.py``); this runner
starts them in turn (the fake-LLM ones pinned to one core with ``taskset`` when available), collects
the figures into ``outputs/bench/results.json`` and prints a table. ``--quick`` runs only the
fake-LLM benchmarks (under a minute); the full run also measures the embedded engine: cold start,
gen-dialogs saturation against raw requests, judge throughput, and memory over 100k dialogs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

PY = sys.executable
ONE_CORE = ["taskset", "-c", "0"] if shutil.which("taskset") else []

QUICK = [
    ("synth-apis, instant fake LLM", ONE_CORE + [PY, "benchmarks/bench_apis.py", "3000"]),
    ("gen-dialogs, instant fake LLM", [PY, "benchmarks/bench_dialogs.py", "--count", "2000"]),
    ("verify rule layer", ONE_CORE + [PY, "benchmarks/bench_verify.py", "--dialogs", "10000"]),
]


def engine_benchmarks(url: str, model: str) -> list[tuple[str, list[str]]]:
    return [
        ("gen-dialogs vs raw engine (saturation)",
         [PY, "benchmarks/bench_dialogs.py", "--count", "500", "--engine", url, "--model", model, "--workers", "32",
          "--seconds", "120", "--rounds", "1", "--engine-only"]),
        ("judge on the engine", [PY, "benchmarks/bench_verify.py", "--dialogs", "200", "--engine", url,
                                 "--model", model, "--judge-dialogs", "16", "--workers", "32", "--engine-only"]),
    ]


def run(label: str, cmd: list[str], console: Console) -> list[dict]:
    console.rule(label)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    figures = []
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            figures.append(json.loads(line[7:]))
        else:
            console.print(line, highlight=False)
    if proc.returncode != 0:
        console.print(f"[red]{label} failed (exit {proc.returncode})[/red]\n{proc.stderr[-2000:]}")
        figures.append({"name": label, "value": None, "unit": "", "target": None, "ok": False,
                        "note": f"failed: exit {proc.returncode}"})
    console.print(f"[dim]{time.perf_counter() - started:.1f} s[/dim]")
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the fake-LLM benchmarks")
    args = parser.parse_args()
    console = Console()
    figures: list[dict] = []
    for label, cmd in QUICK:
        figures += run(label, cmd, console)
    if not args.quick:
        figures += run("memory over 100k dialogs", ONE_CORE + [PY, "benchmarks/bench_memory.py"], console)
        figures += run("engine cold start", [PY, "benchmarks/bench_engine.py"], console)
        from toolace.engine import Engine, EngineSpec

        with Engine(EngineSpec()) as engine:
            for label, cmd in engine_benchmarks(engine.base_url, engine.model):
                figures += run(label, cmd, console)

    table = Table(title="toolace benchmarks" + (" (quick)" if args.quick else ""), title_justify="left")
    for column in ("figure", "value", "target", ""):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for f in figures:
        value = "-" if f["value"] is None else f"{f['value']:,.2f} {f['unit']}"
        target = "" if f["target"] is None else f"{f['target_op']} {f['target']:,} {f['unit']}"
        mark = {True: "[green]ok[/green]", False: "[red]MISSED[/red]", None: ""}[f["ok"]]
        table.add_row(f["name"] + (f" [dim]({f['note']})[/dim]" if f.get("note") else ""), value, target, mark)
    console.print(table)
    out = ROOT / "outputs" / "bench" / "results.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"quick": args.quick, "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "figures": figures}, indent=2))
    console.print(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
