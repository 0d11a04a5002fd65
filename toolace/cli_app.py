"""The typer app, its console and the options every LLM command shares."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Optional

import typer
from rich.console import Console

from toolace.engine import endpoint

app = typer.Typer(
    help="Synthetic function-calling training data, the ToolACE way, on a local vLLM engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

BaseUrl = Annotated[
    Optional[str],
    typer.Option("--base-url", envvar="TOOLACE_BASE_URL",
                 help="OpenAI-compatible endpoint(s), comma-separated; none = start the embedded engine."),
]
Model = Annotated[
    Optional[str],
    typer.Option("--model", envvar="TOOLACE_MODEL", help="Model name on the endpoint (or to serve)."),
]
Timeout = Annotated[float, typer.Option("--timeout", help="Seconds before one request is abandoned.")]


@contextlib.contextmanager
def llm_session(base_url: str | None, model: str | None, timeout: float = 300.0) -> Iterator:
    """An OpenAI client on the given endpoint, or on an embedded engine started for the block."""
    from toolace.llm.openai_client import OpenAIClient

    if not base_url:
        console.print("[dim]no --base-url: starting the embedded CPU engine (about 30 s)...[/dim]")
    with endpoint(base_url, model) as (urls, served, engine):
        if engine is not None:
            console.print(f"[dim]engine healthy at {engine.base_url} (log: {engine.log_path})[/dim]")
        yield OpenAIClient(urls, served, timeout=timeout)


