"""The run configuration: one TOML file per run, validated when loaded, overridable from the CLI.

Unknown keys and bad values fail with the key's path (``toolace.toml: dialogs.workers: ...``). The
resolved configuration (file + overrides) is saved in the run directory as ``config.json``.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from toolace.apis.synth import DEFAULT_CHAIN_SHARE
from toolace.dialogs.plan import DEFAULT_TURNS, parse_turns
from toolace.errors import InputError


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Request fields toolace sets per request, or that would break reading the reply: --extra-body may not set them.
RESERVED_BODY_FIELDS = {
    "model": "use --model", "messages": "toolace writes the prompts", "stream": "toolace reads whole replies",
    "n": "toolace asks for one choice", "response_format": "use --structured",
    "temperature": "toolace sets it per step", "max_tokens": "toolace sets it per step", "seed": "toolace sets it",
}
# The slowest CPU measured (2-core AVX2, bf16 emulated) gave ~50 tok/s over 32 requests, ~1.5 tok/s each: a
# 1,200-token API spec takes ~770 s there. Beyond 32 in flight a 2-core engine gains no tok/s, only latency.
StructuredMode = Literal["json_schema", "json_object", "prompt"]
EMBEDDED_CPU_TIMEOUT = 900.0
EMBEDDED_CPU_IN_FLIGHT = 32
REMOTE_TIMEOUT = 300.0


class EngineConfig(Section):
    """The engine and how requests reach it: one definition for the run config, the CLI and the library.

    Each field's description is its CLI option's help (``toolace.cli_app.engine_options``).
    """

    base_url: str = Field("", description="OpenAI-compatible endpoint(s), comma-separated; "
                          "none = start the embedded engine.")
    model: str = Field("", description="Model name on the endpoint (or model to serve); none = bundled SmolLM2-135M.")
    # Never saved (exclude) nor shown (SecretStr); None = TOOLACE_API_KEY, else OPENAI_API_KEY, read by the client.
    api_key: SecretStr | None = Field(None, exclude=True, description="API key of the endpoint "
                                      "(default: TOOLACE_API_KEY, else OPENAI_API_KEY); never saved.")
    device: Literal["cpu", "gpu"] = Field("cpu", description="Device of the embedded engine.")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = Field(
        "auto", description="Weights dtype of the embedded engine; auto: bfloat16 where the CPU has bf16 "
        "instructions (avx512_bf16, amx_bf16), else float32; on a GPU vLLM's choice.")
    timeout: float | None = Field(None, gt=0, description=f"Seconds before one request is abandoned (default "
                                  f"{REMOTE_TIMEOUT:.0f}; {EMBEDDED_CPU_TIMEOUT:.0f} on the embedded CPU engine).")
    max_in_flight: int | None = Field(None, ge=1, description="Requests in flight per endpoint; more wait in "
                                      f"toolace, off the timeout's clock (default {EMBEDDED_CPU_IN_FLIGHT} on the "
                                      "embedded CPU engine, else no limit).")
    structured: StructuredMode = Field(
        "json_schema", description="How structured replies are asked for: json_schema (constrained decoding); "
        "json_object or prompt: the schema in the prompt, checked by toolace, re-asked on failure.")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="JSON object merged into every "
                                       """request, e.g. '{"chat_template_kwargs": {"enable_thinking": false}}'.""")

    @field_validator("extra_body", mode="before")
    @classmethod
    def _extra_body(cls, value: Any) -> Any:
        if isinstance(value, str):  # from the CLI or a --set override
            try:
                value = json.loads(value or "{}")
            except ValueError as e:
                raise ValueError(f"not valid JSON ({e})") from None
            if not isinstance(value, dict):
                raise ValueError("must be a JSON object")
        if isinstance(value, dict):
            for key in value:
                if key in RESERVED_BODY_FIELDS:
                    raise ValueError(f"{key!r} cannot be set here: {RESERVED_BODY_FIELDS[key]}")
        return value

    def resolved_timeout(self, embedded_cpu: bool) -> float:
        return self.timeout or (EMBEDDED_CPU_TIMEOUT if embedded_cpu else REMOTE_TIMEOUT)

    def resolved_in_flight(self, embedded_cpu: bool) -> int | None:
        return self.max_in_flight or (EMBEDDED_CPU_IN_FLIGHT if embedded_cpu else None)

    def key(self) -> str | None:
        return self.api_key.get_secret_value() if self.api_key else None


def engine_from_options(given: dict[str, Any], base: EngineConfig | None = None) -> EngineConfig:
    """An ``EngineConfig`` from CLI option values (None = not given) over ``base``; errors name the option."""
    given = {k: v for k, v in given.items() if v is not None}
    data = {**(base.model_dump() if base else {}), **({"api_key": base.api_key} if base and base.api_key else {}),
            **given}
    try:
        config = EngineConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-")
        raise InputError(f"{flag}: {first['msg'].removeprefix('Value error, ')}") from None
    return config


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
    if isinstance(data.get("engine"), dict) and "api_key" in data["engine"]:
        raise InputError(f"{source}: engine.api_key: keys stay out of run configs (they are shared and saved); "
                         "use --api-key or TOOLACE_API_KEY")
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        raise InputError(_describe(e, source)) from None
