"""The typer app, its console, and the CLI options made from the config sections."""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, Optional, get_args, get_origin

import click
import typer
from rich.console import Console
from rich.markup import escape

from toolace.config import EngineConfig
from toolace.options import Section, flag, settle

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


def _default_text(value: Any) -> str:
    """A default as it would be typed on the command line."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v:.3g}" for k, v in value.items())
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _cli_option(model: type[Section], name: str, param: str) -> inspect.Parameter:
    field = model.model_fields[name]
    extra = field.json_schema_extra or {}
    kind = next((a for a in get_args(field.annotation) if a is not type(None)), field.annotation)
    choices = get_args(field.annotation) if get_origin(field.annotation) is Literal else ()
    help_text = field.description + (f" One of: {', '.join(choices)}." if choices else "")
    default = field.get_default(call_default_factory=True)
    if default not in (None, "", [], {}) and "default" not in help_text:  # else the help says it
        help_text += " " + escape(f"[default: {_default_text(default)}]")
    # JSON, secrets, choices, mappings and lists arrive as text; the section's validators read them.
    cli_type = kind if kind in (int, float, bool) else str
    option = typer.Option(str(extra.get("flag", flag(model, name))), envvar=extra.get("envvar"), help=help_text,
                          show_default=False)
    return inspect.Parameter(param, inspect.Parameter.KEYWORD_ONLY, default=None,
                             annotation=Annotated[Optional[cli_type], option])


def options(model: type[Section], into: str, names: tuple[str, ...] = ()) -> Callable:
    """Give a command the options of a config section (default: every field that is not ``config_only``).

    The command declares ``<into>: <model>`` and receives one validated section built from the options
    given; its ``model_fields_set`` says which were given (``toolace run`` and ``toolace report`` lay them
    over a run's config). Flags, help, defaults and validation all come from the section: defined once,
    for the CLI, the run config and the library.
    """
    names = names or tuple(n for n, f in model.model_fields.items()
                           if "config_only" not in (f.json_schema_extra or {}))

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        params = [p for p in signature.parameters.values() if p.name != into]
        params += [_cli_option(model, name, f"{into}_{name}") for name in names]

        @functools.wraps(command)
        def wrapper(**kwargs: Any) -> Any:
            given = {name: kwargs.pop(f"{into}_{name}") for name in names}
            return command(**{into: settle(model, given)}, **kwargs)

        wrapper.__signature__ = signature.replace(parameters=params)
        wrapper.__annotations__ = {p.name: p.annotation for p in params}
        wrapper.toolace_sections = {**getattr(command, "toolace_sections", {}), into: (model, names)}
        return wrapper

    return decorate


def engine_options(*names: str) -> Callable:
    """Give a command the shared engine options (default: all of ``ENGINE_OPTIONS``) as ``engine``."""
    return options(EngineConfig, "engine", names or ENGINE_OPTIONS)


def parse_sections(command: str, args: list[str]) -> dict[str, Section]:
    """The sections a command's options make of ``args``, without running it (what tests compare with the
    run config)."""
    cli = typer.main.get_command(app)
    context = cli.get_command(click.Context(cli), command).make_context(command, list(args))
    callback = next(c.callback for c in app.registered_commands
                    if (c.name or c.callback.__name__.replace("_", "-")) == command)
    return {into: settle(model, {name: context.params[f"{into}_{name}"] for name in names})
            for into, (model, names) in callback.toolace_sections.items()}


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
