"""Engine commands: ``serve`` runs a local vLLM server, ``doctor`` checks the whole chain."""

from __future__ import annotations

import asyncio
import json
import platform
import signal
import time
from typing import Annotated, Optional

import typer
from rich.table import Table

from toolace import __version__
from toolace.cli_app import app, console, engine_options, llm_session
from toolace.config import EngineConfig
from toolace.engine import Engine, EngineSpec
from toolace.errors import ToolaceError
from toolace.model_setup import bundled_model_dir, is_ready


@app.command()
@engine_options("model", "device", "dtype")
def serve(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    served_name: Annotated[Optional[str], typer.Option(help="Name clients use for the model.")] = None,
    max_model_len: Annotated[int, typer.Option(help="Context length.")] = 4096,
    vllm_args: Annotated[Optional[list[str]], typer.Argument(
        metavar="[-- VLLM_ARGS...]", help="Further arguments for vLLM's server, after --, e.g. "
        "-- --tensor-parallel-size 2 --reasoning-parser qwen3", show_default=False)] = None,
    *, engine: EngineConfig,
) -> None:
    """Run a local vLLM OpenAI-compatible server in the foreground until Ctrl-C."""
    spec = EngineSpec.from_config(engine, served_name=served_name, port=port, max_model_len=max_model_len,
                                  extra_args=list(vllm_args or []))
    server = Engine(spec)
    console.print(f"starting vLLM ({spec.describe()}) with {spec.resolved_model()} on port {port}...")
    started = time.monotonic()
    # Stop cleanly on Ctrl-C and on SIGTERM, also when started in the background (where shells
    # start programs with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with server:
            console.print(f"[green]healthy[/green] in {time.monotonic() - started:.1f} s: "
                          f"--base-url {server.base_url} --model {server.model}  (log: {server.log_path})")
            while server.process is not None and server.process.poll() is None:
                time.sleep(1)
            raise ToolaceError(f"engine stopped unexpectedly; log {server.log_path}: {server.log_tail()}")
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
@engine_options()
def doctor(*, engine: EngineConfig) -> None:
    """Check the installation and the engine, and probe which structured-output modes it honours."""
    from toolace.llm.probe import probe_structured, recommend

    table = Table(show_header=False, box=None)
    table.add_row("python", platform.python_version())
    table.add_row("toolace", __version__)
    table.add_row("engine", f"remote {engine.base_url}" if engine.base_url else "embedded (vLLM CPU)")
    if not engine.base_url:
        folder = bundled_model_dir()
        ready = engine.model or is_ready(folder)
        table.add_row("model", f"{engine.model or folder} ({'ready' if ready else 'NOT prepared: run make setup'})")
    if engine.extra_body:
        table.add_row("extra body", json.dumps(engine.extra_body))
    console.print(table)
    with llm_session(engine) as llm:
        probes = asyncio.run(probe_structured(llm))
    chosen = next((p for p in probes if p.mode == engine.structured), None)
    report = Table(show_header=False, box=None)
    report.add_row("model", llm.model)
    if chosen and chosen.result:
        result = chosen.result
        report.add_row("reply", str(result.parsed))
        if result.reasoning:
            report.add_row("reasoning", f"{len(result.reasoning)} characters, kept out of the reply")
        report.add_row("latency", f"{chosen.seconds:.2f} s")
        report.add_row("tokens", f"{result.usage.prompt_tokens} prompt, {result.usage.completion_tokens} completion")
        report.add_row("speed", f"{result.usage.completion_tokens / chosen.seconds:.1f} tokens/s")
    for probe in probes:
        colour = {"honoured": "green", "reasked": "yellow"}.get(probe.status, "red")
        report.add_row(f"--structured {probe.mode}", f"[{colour}]{probe.status}[/{colour}]: {probe.detail}")
    console.print(report)
    best = recommend(probes)
    if best is None:
        raise ToolaceError("no structured-output mode gave a valid reply on this endpoint; "
                           "try a stronger model, or check the engine's log")
    if best.mode == engine.structured:
        console.print(f"[green]ok[/green]: --structured {best.mode} (the setting in use) works here")
    else:
        now = chosen.status if chosen else "untested"
        console.print(f"[yellow]use --structured {best.mode}[/yellow] (engine.structured = \"{best.mode}\" in a "
                      f"run config) with this endpoint; {engine.structured} is {now}")
