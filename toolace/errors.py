"""Errors that the CLI turns into one-line messages and exit codes."""

from __future__ import annotations

from typing import Any


class ToolaceError(Exception):
    """A failure the user should read as one line; exit code 1 (runtime)."""

    exit_code = 1


class InputError(ToolaceError):
    """Bad input (file, line, option): exit code 2."""

    exit_code = 2


class EngineError(ToolaceError):
    """The engine could not be reached, started or kept answering."""


class RequestRefused(EngineError):
    """The endpoint answered 4xx to a request: sent again as it is, it would be refused again."""


class AuthError(ToolaceError):
    """The endpoint refused the API key (HTTP 401/403): every further request would be refused too.

    Not an ``EngineError``: runners stop at once instead of counting it as one job's fault and retrying.
    """


class StructuredOutputError(ToolaceError):
    """The model did not produce a valid structured reply within the allowed attempts."""

    def __init__(self, message: str, *, attempts: int, last_text: str | None, usage: Any, reason: str):
        super().__init__(message)
        self.attempts = attempts
        self.last_text = last_text
        self.usage = usage
        self.reason = reason
