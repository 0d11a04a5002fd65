"""The typer app, its console and the engine options every LLM command shares."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, Optional, get_args, get_origin

import typer
from rich.console import Console

from toolace.config import EngineConfig, engine_from_options

app = typer.Typer(
    help="Synthetic function-calling training data, the ToolACE way, on a local vLLM engine.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)

# The engine options of a model-using command, in --help order; each is an ``EngineConfig`` field.
ENGINE_OPTIONS = ("base_url", "model", "api_key", "timeout", "max_in_flight", "structured", "extra_body",
                  "device", "dtype")
_ENVVARS = {"base_url": "TOOLACE_BASE_URL", "model": "TOOLACE_MODEL"}  # the key's variables are read by the client


def _cli_option(name: str) -> inspect.Parameter:
    field = EngineConfig.model_fields[name]
    kind = next((a for a in get_args(field.annotation) if a is not type(None)), field.annotation)
    choices = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
    help_text = field.description + (f" One of: {', '.join(choices)}." if choices else "")
    cli_type = kind if kind in (int, float) else str  # JSON, secrets and choices arrive as text; the model checks
    option = typer.Option("--" + name.replace("_", "-"), envvar=_ENVVARS.get(name), help=help_text, show_default=False)
    return inspect.Parameter(f"engine_{name}", inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[Optional[cli_type], option])


def engine_options(*names: str) -> Callable:
    """Give a command the shared engine options (default: all of ``ENGINE_OPTIONS``).

    The command declares ``engine: EngineConfig`` and receives one validated config built from the options;
    its ``model_fields_set`` says which options were given (``toolace run`` lays them over its config file).
    Options, help, defaults and validation all come from ``EngineConfig``: defined once, for CLI and library.
    """
    names = names or ENGINE_OPTIONS

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        params = [p for p in signature.parameters.values() if p.name != "engine"]
        params += [_cli_option(name) for name in names]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(f"engine_{name}") for name in names}
            return command(engine=engine_from_options(given), **kwargs)

        wrapper.__signature__ = signature.replace(parameters=params)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        return wrapper

    return decorate


@contextlib.contextmanager
def llm_session(engine: EngineConfig) -> Iterator:
    """An OpenAI client on the configured endpoint, or on an embedded engine started for the block."""
    from toolace.engine import open_llm

    if not engine.base_url:
        console.print("[dim]no --base-url: starting the embedded CPU engine (about 30 s)...[/dim]")

    def started(running) -> None:
        console.print(f"[dim]engine healthy at {running.base_url} ({running.spec.describe()}; "
                      f"log: {running.log_path})[/dim]")

    with open_llm(engine, on_started=started) as llm:
        yield llm
