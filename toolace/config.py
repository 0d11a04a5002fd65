"""The run configuration: one TOML file per run, validated when loaded, overridable from the CLI.

Each section is the options of one stage (``toolace.options``): its command's CLI options are made
from it and its library function takes it, so a key, its flag and its keyword argument share one
default and one validation. Unknown keys and bad values fail with the key's path
(``toolace.toml: dialogs.workers: ...``). The resolved configuration (file + overrides) is saved in
the run directory as ``config.json``.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator

from toolace.apis.adapt import LEVELS
from toolace.apis.checks import DEFAULT_NAME_PATTERN
from toolace.apis.evolve import MUTATIONS
from toolace.dialogs.budget import BUDGETS, ROOMY_CONTEXT
from toolace.dialogs.complexity import parse_band
from toolace.dialogs.plan import DEFAULT_MIX, DEFAULT_TURNS, KINDS, mix_weights, parse_turns
from toolace.errors import InputError
from toolace.grow_tree import MAX_BRANCHING
from toolace.options import PathText, Pattern, Section, checked, config_only, one_of, proportions, settle
from toolace.tree import MAX_DEPTH
from toolace.verify.config import RuleConfig

DEFAULT_LEVELS = {"single": 0.4, "siblings": 0.35, "cross": 0.25}
DEFAULT_MUTATIONS = {name: 1 / len(MUTATIONS) for name in MUTATIONS}
DEFAULT_CHAIN_SHARE = 0.34
DEFAULT_LICENSE = "apache-2.0"


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
    """The engine and how requests reach it: one definition for the run config, the CLI and the library."""

    base_url: str = Field("", description="OpenAI-compatible endpoint(s), comma-separated; none = start the "
                          "embedded engine.", json_schema_extra={"envvar": "TOOLACE_BASE_URL"})
    model: str = Field("", description="Model name on the endpoint (or model to serve); none = bundled SmolLM2-135M.",
                       json_schema_extra={"envvar": "TOOLACE_MODEL"})
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


class TreeConfig(Section):
    """The run's domain tree, and how ``grow-tree`` grows one."""

    path: str = Field("api_trees/seed.json", description="Tree file the run starts from.",
                      json_schema_extra=config_only("synth-apis and grow-tree take the tree as --tree TREE "
                                                    "(grow-tree with --docs may start from none)"))
    grow: bool = Field(False, description="Grow the tree with the LLM first (into <run>/tree.json).",
                       json_schema_extra=config_only("toolace run only: grow-tree is the command that grows"))
    depth: int = Field(3, ge=1, le=MAX_DEPTH, description="No node deeper than this below the root.")
    branching: int = Field(4, ge=1, le=MAX_BRANCHING, description="At most this many children per node.")
    docs: PathText = Field("", description="Folder (or file) of plain-text documents to extract domains and "
                                           "functionalities from.")
    workers: int = Field(16, ge=1, description="Requests in flight.")

    def grow_options(self) -> dict[str, Any]:
        """The ``grow_tree`` keyword arguments these settings make."""
        return {"depth": self.depth, "branching": self.branching, "docs": Path(self.docs) if self.docs else None,
                "workers": self.workers}


class ApisConfig(Section):
    """``synth-apis``: how the API library is written (or, in a run, imported)."""

    count: int = Field(100, ge=1, description="Number of APIs the library must hold.")
    workers: int = Field(16, ge=1, description="Requests in flight.")
    levels: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_LEVELS),
                                     description=f"Diversity levels and their shares: {', '.join(LEVELS)}.")
    mutations: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MUTATIONS),
                                        description=f"Mutation operations and their shares: {', '.join(MUTATIONS)}.")
    dedup_threshold: float = Field(0.85, gt=0, le=1, description="Jaccard similarity at which two APIs are "
                                                                 "duplicates.")
    chain: float = Field(DEFAULT_CHAIN_SHARE, ge=0, le=1, description="Share of jobs that write the next API of a "
                         "family (takes an earlier API's id field: search -> details/book).")
    name_pattern: Pattern = Field(DEFAULT_NAME_PATTERN, description="Regular expression names must match.")
    temperature: float = Field(0.8, ge=0, le=2, description="Sampling temperature of the API writer.")
    import_files: list[str] = Field(default_factory=list, description="Import these instead of synthesising.",
                                    json_schema_extra=config_only("import-apis takes them as its arguments"))
    import_format: str = Field("toolace", description="Format of import_files.",
                               json_schema_extra=config_only("import-apis --format"))

    _levels = field_validator("levels", mode="before")(proportions(LEVELS))
    _mutations = field_validator("mutations", mode="before")(proportions(MUTATIONS))
    _import_format = field_validator("import_format")(one_of(lambda: _registry("TOOL_SOURCES"), "format"))


class DialogsConfig(Section):
    """``gen-dialogs``: how many dialogs of which kinds, and how they are simulated."""

    count: int = Field(100, ge=1, description="Dialogs to keep (per shard).")
    workers: int = Field(32, ge=1, description="Dialogs in flight.")
    mix: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MIX), description=(
        f"Kinds and their shares (10% of non_tool is irrelevance unless given); kinds: {', '.join(KINDS)}."))
    turns: str = Field(DEFAULT_TURNS, description="MIN-MAX user turns of a multi_turn dialog (MIN >= 2).")
    consistency: int | None = Field(None, ge=1, le=9, description="Samples per assistant call step that must agree "
                                    "(default: 3; 1 on the embedded CPU engine).")
    tool_error_rate: float = Field(0.1, ge=0, le=1, description="Share of tool calls that return an error.")
    budget: str = Field("auto", description="Room for each part of a dialog (strings, result lists, replies): "
                        "compact for a small context, roomy for a long one; auto: compact below "
                        f"{ROOMY_CONTEXT:,} tokens of context (the embedded engine), else roomy.")
    _budget = field_validator("budget")(one_of(lambda: BUDGETS, "budget"))
    complexity_model: str = Field("", description="Model on the endpoint whose loss on the assistant turns is "
                                  "recorded (vLLM prompt_logprobs).")
    complexity_band: str = Field("", description="LO-HI: keep only dialogs whose learner loss is inside.")

    @field_validator("mix", mode="before")
    @classmethod
    def _mix(cls, value: Any) -> Any:
        return checked(mix_weights, "--mix")(value) if isinstance(value, (str, dict)) else value

    @field_validator("turns", mode="before")
    @classmethod
    def _turns_pair(cls, value: Any) -> Any:
        if isinstance(value, (tuple, list)) and len(value) == 2:  # (MIN, MAX), as parse_turns gives them
            return "-".join(map(str, value))
        return value

    @field_validator("turns")
    @classmethod
    def _turns(cls, value: str) -> str:
        checked(parse_turns, "--turns")(value)  # the one definition, shared with gen_dialogs
        return value

    @field_validator("complexity_band")
    @classmethod
    def _band(cls, value: str, info: ValidationInfo) -> str:
        checked(parse_band, "--complexity-band")(value)
        if value and not info.data.get("complexity_model"):
            raise ValueError("needs --complexity-model (the model whose loss is the measure)")
        return value

    def consistency_on(self, embedded: bool) -> int:
        """Samples per call step: as set, else 3, or 1 on the embedded CPU engine (too slow for more)."""
        return self.consistency or (1 if embedded else 3)


class VerifyConfig(Section):
    """``verify``: the rule layer, the optional execution check and the LLM judge."""

    rules_only: bool = Field(False, description="Skip the LLM judge (no engine needed).")
    workers: int = Field(16, ge=1, description="Judge requests in flight.")
    exec_tools: PathText = Field("", description="Python file whose functions the calls are executed against "
                                                 "(in a separate process).")
    exec_timeout: float = Field(5.0, gt=0, description="Seconds one executed call may take.")
    rules: PathText = Field("", description="JSON file overriding rule thresholds (max_reply_chars, "
                                            "name_pattern, ...).")
    strict: bool = Field(False, description="Reject on warnings too (flaws of tool declarations the dialog does "
                                            "not depend on).")

    def rule_config(self) -> RuleConfig:
        """The rule layer's thresholds: the ``rules`` file (else the defaults), ``strict`` laid over them."""
        config = RuleConfig.load(self.rules) if self.rules else RuleConfig()
        return config.model_copy(update={"strict": True}) if self.strict else config


class ExportConfig(Section):
    """``export``: the training formats written and how dialogs are augmented and fitted to them."""

    formats: list[str] = Field(default_factory=lambda: list(_registry("EXPORT_FORMATS")),
                               description="Formats to write.",
                               json_schema_extra=config_only("export writes one format per call: --format"))
    parquet: bool = Field(False, description="Write Parquet instead of JSONL.")
    mask_functions: float = Field(0.0, ge=0, le=1, description="Share of dialogs with masked function/parameter "
                                                               "names.")
    irrelevance: float = Field(0.0, ge=0, le=1, description="Share of single-call dialogs turned into 'no "
                                                            "function fits'.")
    granite_tasks: list[str] = Field(default_factory=lambda: list(_registry("TASKS", "granite")),
                                     description="Granite tasks, comma-separated (default: all seven).")
    meta: bool = Field(True, description="Keep the provenance column 'meta' in each row.",
                       json_schema_extra={"flag": "--meta/--no-meta"})
    reasoning: bool = Field(False, description="Write the assistant's recorded thought as reasoning_content "
                                               "(hf, openai).")
    chat_template: PathText = Field("", description="A chat template (.jinja, tokenizer_config.json or model "
                                    "folder): every hf row is rendered with it, adapted to it, and skipped when it "
                                    "renders wrong.")
    names: str = Field("rewrite", description="Names the format refuses: rewrite or skip (rewritten ones are listed "
                                              "in meta.renamed).")

    _formats = field_validator("formats")(one_of(lambda: _registry("EXPORT_FORMATS"), "format"))
    _tasks = field_validator("granite_tasks")(one_of(lambda: _registry("TASKS", "granite"), "task"))
    _names = field_validator("names")(one_of(lambda: _registry("NAME_POLICIES", "names"), "policy"))

    @field_validator("granite_tasks", mode="before")
    @classmethod
    def _task_list(cls, tasks: Any) -> Any:
        return [t.strip() for t in tasks.split(",") if t.strip()] if isinstance(tasks, str) else tasks


def _registry(name: str, module: str = "") -> tuple[str, ...]:
    """A name list of the formats package (its one registry of formats, tool sources, Granite tasks and name
    policies), imported late: the formats modules are heavy to import."""
    import importlib
    return tuple(getattr(importlib.import_module("toolace.formats" + (f".{module}" if module else "")), name))


class ReportConfig(Section):
    """``report``: the dataset card."""

    license: str = Field(DEFAULT_LICENSE, description="Licence id for the card (Hugging Face ids, e.g. apache-2.0, "
                         "cc-by-4.0); toolace report uses the run's report.license unless given.")


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
    message = "unknown key" if first["type"] == "extra_forbidden" else first["msg"].removeprefix("Value error, ")
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
