"""The execution check (APIGen-style): run calls against real Python functions, safely apart.

The functions come from a file the *user* names (``--exec-tools tools.py``); it is imported in a
separate spawned process, never in the verifier. Only functions defined in that file (not imported
into it, not starting with ``_``) can be called, always with keyword arguments, each call with a
timeout; a call that hangs gets its process killed and a fresh one started. Model output is only
ever passed as argument *values*: nothing is evaluated.

The check judges whether a call *ran*: any return value is fine (one that is not JSON is sent back
as its ``repr``), raising or hanging is ``execution_error``, and a call to a function the file does
not define is ``execution_undefined`` (the dialog cannot be said to run).
"""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import multiprocessing
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from toolace.errors import InputError

_MODULE = "toolace_exec_tools"
EXECUTION_CHECKS = {
    "execution_error": "a call raised, hung past the timeout, or killed the tool process",
    "execution_undefined": "a call names a function that the --exec-tools file does not define",
}


def _serve(path: str, conn) -> None:
    """Worker process: import the tools file, then answer ``(name, kwargs)`` requests until closed."""
    try:
        spec = importlib.util.spec_from_file_location(_MODULE, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[_MODULE] = module
        spec.loader.exec_module(module)
    except BaseException as e:  # the user's file failed to import: say why
        conn.send(("error", f"cannot import {path}: {type(e).__name__}: {e}"))
        return
    functions = {name: fn for name, fn in vars(module).items()
                 if inspect.isfunction(fn) and fn.__module__ == _MODULE and not name.startswith("_")}
    conn.send(("ready", sorted(functions)))
    while True:
        try:
            name, arguments = conn.recv()
        except (EOFError, OSError):
            return
        try:
            result = functions[name](**orjson.loads(arguments))
        except BaseException as e:  # the function's own failure is the finding
            conn.send(("error", f"raised {type(e).__name__}: {e}"[:500]))
            continue
        try:
            conn.send(("ok", orjson.dumps(result, default=_jsonable, option=orjson.OPT_NON_STR_KEYS)))
        except TypeError:  # e.g. an int beyond 64 bits inside the value: the call still ran
            conn.send(("ok", orjson.dumps(repr(result))))


def _jsonable(value: Any) -> Any:
    """What a returned Python object becomes when it has no JSON form: sets as lists, else its repr."""
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return repr(value)


class ToolExecutor:
    """One worker process holding the user's functions; calls go one at a time with a timeout."""

    def __init__(self, path: str | Path, *, timeout: float = 5.0, startup_timeout: float = 60.0):
        self.path = Path(path)
        if not self.path.is_file():
            raise InputError(f"--exec-tools {path}: no such file")
        self.timeout = timeout
        self.startup_timeout = startup_timeout
        self.names: frozenset[str] = frozenset()
        self._context = multiprocessing.get_context("spawn")
        self._process = None
        self._conn = None
        self._lock = asyncio.Lock()

    def start(self) -> None:
        """Start the worker and learn which functions it offers; a broken file is an input error."""
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_serve, args=(str(self.path.resolve()), child), daemon=True)
        process.start()
        child.close()
        self._process, self._conn = process, parent
        if not parent.poll(self.startup_timeout):
            self.close()
            raise InputError(f"--exec-tools {self.path}: importing it took over {self.startup_timeout:g} s")
        try:
            kind, value = parent.recv()
        except EOFError:
            kind, value = "error", f"{self.path}: the tool process died while importing it"
        if kind == "error":
            self.close()
            raise InputError(f"--exec-tools {value}")
        self.names = frozenset(value)

    async def call(self, name: str, arguments: dict[str, Any]) -> tuple[bool, Any]:
        """``(True, result)`` or ``(False, why it failed)``; a hung call is killed at the timeout."""
        async with self._lock:
            if self._process is None or not self._process.is_alive():
                await asyncio.to_thread(self.start)
            self._conn.send((name, orjson.dumps(arguments)))
            if not await asyncio.to_thread(self._conn.poll, self.timeout):
                self.close()
                return False, f"timed out after {self.timeout:g} s"
            try:
                kind, value = self._conn.recv()
            except (EOFError, OSError):
                self.close()
                return False, "the tool process died during the call"
        return (True, orjson.loads(value)) if kind == "ok" else (False, value)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            if self._process.is_alive():
                self._process.kill()
            self._process.join(5)
        self._process, self._conn = None, None

    def __enter__(self) -> "ToolExecutor":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def execution_failures(dialog, executor: ToolExecutor):
    """``(failures, counters)``: execution_error for calls that raise or hang, execution_undefined for
    calls to functions the tools file does not define."""
    # Imported here, not at the top: the spawned worker imports this module and should start
    # without pydantic.
    from toolace.jsonpaths import join
    from toolace.records import AssistantMessage, Failure

    failures, counters = [], Counter()
    for mi, message in enumerate(dialog.messages):
        if not isinstance(message, AssistantMessage):
            continue
        for ci, call in enumerate(message.tool_calls):
            path = f"messages[{mi}].tool_calls[{ci}]"
            if call.name not in executor.names:
                counters["exec_not_defined"] += 1
                failures.append(Failure(check="execution_undefined", path=join(path, "name"),
                                        message=f"{call.name!r} is not defined in {executor.path.name}, so the "
                                                "call cannot run"))
                continue
            counters["exec_calls"] += 1
            ok, value = await executor.call(call.name, call.arguments)
            if not ok:
                failures.append(Failure(check="execution_error", path=path, message=f"{call.name}: {value}"))
    return failures, counters
