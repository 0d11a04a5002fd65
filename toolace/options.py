"""Options defined once: a section model is the options of one stage for its command, the run config
and the library alike (simonw/llm's ``Options``, validated for CLI flags and Python callers alike).

A field's description is its CLI option's help (``toolace.cli_app.options``), its default and
constraints are the option's, and a field marked ``config_only`` is a run-config key no command takes,
with the reason. ``settle`` turns option values into a section with errors naming the option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, ValidationError

from toolace.errors import InputError


class Section(BaseModel):
    """A run-config section: the options of one stage; unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


S = TypeVar("S", bound=Section)


def settle(model: type[S], options: dict[str, Any], base: S | None = None) -> S:
    """A section from option values (field names; None = not given) over ``base``, else the defaults.

    The one way CLI options and library keyword arguments become a section: the same defaults and
    validation everywhere (the run config validates its sections with the same models), and errors
    that name the option (``--count: ...``).
    """
    given = {k: v for k, v in options.items() if v is not None}
    unknown = sorted(set(given) - set(model.model_fields))
    if unknown:
        raise TypeError(f"{model.__name__} has no option {', '.join(unknown)}")
    data = {**({k: getattr(base, k) for k in model.model_fields} if base is not None else {}), **given}
    try:
        return model.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = f"{flag(model, str(first['loc'][0]))}: " if first["loc"] else ""
        raise InputError(where + first["msg"].removeprefix("Value error, ")) from None


def flag(model: type[Section], name: str) -> str:
    """The CLI option of a field: ``--dedup-threshold``, or the one its ``flag`` metadata names (``--meta/--no-meta``)."""
    extra = model.model_fields[name].json_schema_extra or {}
    return str(extra.get("flag", "--" + name.replace("_", "-"))).split("/")[0]


def config_only(reason: str) -> dict[str, str]:
    """Field metadata of a run-config key that no command takes as an option, and why."""
    return {"config_only": reason}


def checked(parse: Callable[[Any], Any], option: str) -> Callable[[Any], Any]:
    """A field validator from one of the parsers the options share (``parse_turns``, ``parse_mix``, ...): its
    ``InputError`` becomes the field's error, named by the caller (``--turns`` or ``dialogs.turns``)."""
    def check(value: Any) -> Any:
        try:
            return parse(value)
        except InputError as e:
            raise ValueError(str(e).removeprefix(option).lstrip(": ")) from None
    return check


def proportions(allowed: tuple[str, ...]) -> Callable[[Any], dict[str, float]]:
    """A field validator: ``"a=0.4,b=0.6"`` or a mapping -> {a: 0.4, b: 0.6}; names from ``allowed``, each
    >= 0, one > 0 (a name not given is 0)."""
    def parse(value: Any) -> Any:
        if not isinstance(value, (str, dict)):
            return value  # the field's type refuses it
        pairs = [part.partition("=")[::2] for part in value.split(",") if part.strip()] \
            if isinstance(value, str) else list(value.items())
        weights: dict[str, float] = {}
        for name, number in pairs:
            name = str(name).strip()
            if name not in allowed:
                raise ValueError(f"unknown name {name!r} (choose from {', '.join(allowed)})")
            try:
                weights[name] = float(number)
            except (TypeError, ValueError):
                weights[name] = float("nan")
            if not weights[name] >= 0:
                raise ValueError(f"{name}={number} needs a number >= 0, like {name}=0.3")
        if not sum(weights.values()) > 0:
            raise ValueError("at least one proportion must be above 0")
        return weights
    return parse


def one_of(choices: Callable[[], Iterable[str]], what: str) -> Callable[[Any], Any]:
    """A field validator: the value (each value of a list) is one of ``choices()``, read when checked (the
    registries it reads import late)."""
    def check(value: Any) -> Any:
        allowed = tuple(choices())
        for item in value if isinstance(value, list) else [value]:
            if item not in allowed:
                raise ValueError(f"unknown {what} {item!r}; choose from {', '.join(allowed)}")
        return value
    return check


def _compiles(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as e:
        raise ValueError(f"not a regular expression: {e}") from None
    return pattern


def _path_text(value: Any) -> Any:
    return str(value) if isinstance(value, os.PathLike) else value


PathText = Annotated[str, BeforeValidator(_path_text)]  # a file or folder; "" = none
Pattern = Annotated[str, AfterValidator(_compiles)]  # a regular expression
