"""The run configuration: one TOML file per run, validated when loaded, overridable from the CLI.

Unknown keys and bad values fail with the key's path (``toolace.toml: dialogs.workers: ...``). The
resolved configuration (file + overrides) is saved in the run directory as ``config.json``.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from toolace.apis.synth import DEFAULT_CHAIN_SHARE
from toolace.dialogs.plan import DEFAULT_TURNS, parse_turns
from toolace.errors import InputError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EngineConfig(Section):
    base_url: str = ""  # empty: start the embedded engine; several endpoints comma-separated
    model: str = ""  # served model name (remote) or model to serve (embedded); empty = bundled
    device: Literal["cpu", "gpu"] = "cpu"
    timeout: float = Field(300.0, gt=0)


class TreeConfig(Section):
    path: str = "api_trees/seed.json"
    grow: bool = False
    depth: int = Field(3, ge=1, le=8)
    branching: int = Field(4, ge=1, le=50)
    docs: str = ""
    workers: int = Field(16, ge=1)


class ApisConfig(Section):
    count: int = Field(24, ge=1)
    workers: int = Field(16, ge=1)
    levels: dict[str, float] = Field(default_factory=dict)
    mutations: dict[str, float] = Field(default_factory=dict)
    dedup_threshold: float = Field(0.85, gt=0, le=1)
    chain: float = Field(DEFAULT_CHAIN_SHARE, ge=0, le=1)  # share of jobs writing the next API of a family
    import_files: list[str] = Field(default_factory=list)  # import these instead of synthesising
    import_format: Literal["bfcl", "toolace", "openai", "xlam"] = "toolace"


class DialogsConfig(Section):
    count: int = Field(24, ge=1)
    workers: int = Field(32, ge=1)
    mix: dict[str, float] = Field(default_factory=dict)
    turns: str = DEFAULT_TURNS  # user turns of a multi_turn dialog: MIN-MAX, MIN >= 2
    consistency: int | None = Field(None, ge=1, le=9)  # None: 3 on remote engines, 1 embedded
    tool_error_rate: float = Field(0.1, ge=0, le=1)

    @field_validator("turns")
    @classmethod
    def _turns(cls, value: str) -> str:
        try:
            parse_turns(value)  # the one definition, shared with --turns
        except InputError as e:
            raise ValueError(str(e).removeprefix("--turns ")) from None
        return value


class VerifyConfig(Section):
    rules_only: bool = False
    workers: int = Field(16, ge=1)
    exec_tools: str = ""


class ExportConfig(Section):
    formats: list[str] = Field(default_factory=lambda: list(_export_formats()))
    parquet: bool = False
    mask_functions: float = Field(0.0, ge=0, le=1)
    irrelevance: float = Field(0.0, ge=0, le=1)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, formats: list[str]) -> list[str]:
        unknown = [f for f in formats if f not in _export_formats()]
        if unknown:
            raise ValueError(f"unknown format {unknown[0]!r}; choose from {', '.join(_export_formats())}")
        return formats


def _export_formats() -> tuple[str, ...]:
    from toolace.formats import EXPORT_FORMATS  # the one registry of formats
    return EXPORT_FORMATS


class ReportConfig(Section):
    license: str = "apache-2.0"


class RunConfig(Section):
    """Everything a run needs; every section has sensible defaults."""

    name: str = "run"
    seed: int = 0
    engine: EngineConfig = Field(default_factory=EngineConfig)
    tree: TreeConfig = Field(default_factory=TreeConfig)
    apis: ApisConfig = Field(default_factory=ApisConfig)
    dialogs: DialogsConfig = Field(default_factory=DialogsConfig)
    verify: VerifyConfig = Field(default_factory=VerifyConfig)
    export: ExportConfig = Field(default_factory=ExportConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)


def _describe(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{source}: {where}: {message}"


def parse_override(text: str) -> tuple[list[str], Any]:
    """``dialogs.count=50`` -> (["dialogs", "count"], 50); the value is read as TOML."""
    key, sep, raw = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--set {text!r}: expected KEY=VALUE, e.g. dialogs.count=50")
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()  # a bare word is a string
    return key.strip().split("."), value


def load_config(path: str | Path | None, overrides: list[str] = ()) -> RunConfig:
    """Read a TOML run config (or the defaults), apply ``KEY=VALUE`` overrides, validate."""
    data: dict[str, Any] = {}
    source = "<defaults>"
    if path is not None:
        source = str(path)
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror}") from None
        except tomllib.TOMLDecodeError as e:
            raise InputError(f"{path}: not valid TOML: {e}") from None
    for text in overrides:
        keys, value = parse_override(text)
        node = data
        for key in keys[:-1]:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise InputError(f"--set {text}: {key} is not a section")
        node[keys[-1]] = value
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        raise InputError(_describe(e, source)) from None
