"""The names a format accepts, and fitting a dialog's names to them.

OpenAI (and every layout served behind an OpenAI-compatible API) accepts function names matching
``^[a-zA-Z0-9_-]{1,64}$``; a call-syntax format (``[func(a=1)]``, read with Python's ``ast`` as BFCL
does) needs each function name to be dotted Python identifiers and each parameter to be a keyword
argument name. BFCL's ``math.factorial`` and ToolACE's ``Market Trends API`` break one or both.

``fit_names`` rewrites what breaks a rule the same way in the tools, the calls, the results and the
recorded thoughts, and returns the mapping, which the exporter stores in the row's
``meta["renamed"]``; with ``policy="skip"`` such a dialog is refused instead.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from toolace.formats.rename import SchemaRename, rename_dialog
from toolace.formats.turns import RowProblem
from toolace.records import Dialog

NAME_POLICIES = ("rewrite", "skip")


def _identifier(name: str) -> bool:
    return name.isidentifier() and not keyword.iskeyword(name)


def _as_identifier(name: str) -> str:
    name = re.sub(r"\W+", "_", name.strip()).strip("_") or "x"
    if name[0].isdigit():
        name = "_" + name
    return name + "_" if keyword.iskeyword(name) else name


def _dotted(name: str) -> bool:
    return all(_identifier(part) for part in name.split("."))


def _as_dotted(name: str) -> str:
    return ".".join(_as_identifier(part) for part in name.split(".") if part.strip()) or "x"


_OPENAI = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _as_openai(name: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_-]+", "_", name.strip()).strip("_")[:64] or "x"


@dataclass(frozen=True)
class NameRule:
    """What a format accepts as a function name and as a (top-level) parameter name."""

    label: str
    function_ok: Callable[[str], bool]
    as_function: Callable[[str], str]
    parameter_ok: Callable[[str], bool] | None = None
    as_parameter: Callable[[str], str] | None = None
    max_length: int | None = None


OPENAI_NAMES = NameRule("OpenAI function names ^[a-zA-Z0-9_-]{1,64}$", lambda n: bool(_OPENAI.fullmatch(n)),
                        _as_openai, max_length=64)
CALL_SYNTAX_NAMES = NameRule("Python call syntax: dotted identifiers, keyword-argument parameters",
                             _dotted, _as_dotted, _identifier, _as_identifier)


def _unique(name: str, taken: set[str], max_length: int | None) -> str:
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        suffix = f"_{n}"
        candidate = (name[:max_length - len(suffix)] if max_length else name) + suffix
    taken.add(candidate)
    return candidate


def fit_names(dialog: Dialog, rule: NameRule, policy: str = "rewrite") -> tuple[Dialog, dict[str, Any]]:
    """The dialog with every name ``rule`` refuses rewritten, and ``{"functions": ..., "parameters": ...}``.

    The mapping is empty when nothing changed. Raises ``RowProblem("unfit_name")`` under
    ``policy="skip"`` when a name breaks the rule.
    """
    names = list(dict.fromkeys([api.name for api in dialog.tools] + [c.name for c in dialog.calls()]))
    bad_functions = [n for n in names if not rule.function_ok(n)]
    bad_parameters = {api.name: [p for p in api.properties if not rule.parameter_ok(p)]
                      for api in dialog.tools} if rule.parameter_ok else {}
    bad_parameters = {k: v for k, v in bad_parameters.items() if v}
    if not bad_functions and not bad_parameters:
        return dialog, {}
    if policy == "skip":
        first = bad_functions[0] if bad_functions else next(iter(bad_parameters.values()))[0]
        raise RowProblem("unfit_name", f"{first!r} breaks the format's rule ({rule.label})")
    taken = {n for n in names if n not in bad_functions}
    functions = {n: _unique(rule.as_function(n), taken, rule.max_length) for n in bad_functions}

    def parameter(old: str, taken_here: set[str], depth: int) -> str:
        if depth > 0 or rule.parameter_ok is None or rule.parameter_ok(old):
            return old
        return _unique(rule.as_parameter(old), taken_here, None)

    parameters = {api.name: SchemaRename(api.parameters, parameter) for api in dialog.tools
                  if api.name in bad_parameters}
    mapping: dict[str, Any] = {}
    if functions:
        mapping["functions"] = functions
    if parameters:
        mapping["parameters"] = {functions.get(n, n): r.changed() for n, r in parameters.items()}
    return rename_dialog(dialog, functions, parameters, in_text=False), mapping


def restore_names(dialog: Dialog) -> Dialog:
    """The dialog with the names ``fit_names`` rewrote (recorded in ``meta["renamed"]``) given back."""
    renamed = dialog.meta.get("renamed")
    if not isinstance(renamed, dict):
        return dialog
    functions = {new: old for old, new in renamed.get("functions", {}).items()}
    inverse = {fn: {new: old for old, new in changed.items() if not old.endswith(".*")}
               for fn, changed in renamed.get("parameters", {}).items()}
    parameters = {fn: SchemaRename(api.parameters, lambda old, taken, depth, back=back: back.get(old, old)
                                   if depth == 0 else old)
                  for api in dialog.tools if (back := inverse.get(fn := api.name))}
    restored = rename_dialog(dialog, functions, parameters, in_text=False)
    restored.meta.pop("renamed", None)
    return restored
