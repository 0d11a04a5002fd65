"""Dataset formats in and out (DESIGN §1.5, FORMATS.md): one module per format, registered by name.

An exporter module has ``export_rows(dialog, notes) -> rows`` (raising ``RowProblem`` when the
format cannot carry a dialog), ``parquet_schema()`` and ``JSON_COLUMNS`` (columns stored as JSON
text in Parquet); an importer module has ``import_row(row, where) -> Dialog`` (``*_import`` beside
the exporter where reading a format's dialects takes more than writing it). Tool definitions
convert in ``tools``, ToolACE call strings in ``callsyntax``, augmentations live in ``augment``,
the names each format accepts in ``names``; ``import-apis`` reads from ``TOOL_SOURCES``.

``FORMATS`` is the one list of format names: the CLI, the run config, the dataset card and the
docs read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from toolace.formats import (
    granite, hermes, hermes_import, hf, mcp, openai_chat, openai_import, openapi, sharegpt, sharegpt_import,
    tool_sources, toolace_rows, xlam,
)
from toolace.formats.names import CALL_SYNTAX_NAMES, OPENAI_NAMES, NameRule


@dataclass(frozen=True)
class Format:
    """One dataset format: what it is for, its exporter, its importer, the names it accepts."""

    name: str
    summary: str
    exporter: ModuleType
    importer: ModuleType | None = None
    names: NameRule | None = None  # None: any name the canonical record allows


FORMATS: dict[str, Format] = {f.name: f for f in [
    Format("toolace", "ToolACE rows: `system` prompt holding the tool list, calls written as `[func(a=1, b=\"x\")]`",
           toolace_rows, toolace_rows, CALL_SYNTAX_NAMES),
    Format("hf", "Hugging Face chat rows for TRL, axolotl and Unsloth: `messages` with `tool_calls` (arguments as "
                 "objects), `tools` as a JSON string", hf, None, OPENAI_NAMES),
    Format("openai", "OpenAI chat `messages` with `tools` and `tool_calls` (arguments as JSON strings), for "
                     "OpenAI's fine-tuning API", openai_chat, openai_import, OPENAI_NAMES),
    Format("sharegpt", "ShareGPT for LLaMA-Factory: `conversations` with `function_call` / `observation` turns, "
                       "`system`, `tools`", sharegpt, sharegpt_import),
    Format("hermes", "Qwen / Hermes chat template: `<tool_call>` JSON in assistant turns, `<tool_response>` turns",
           hermes, hermes_import),
    Format("xlam", "xLAM / APIGen `{query, tools, answers}` (single-turn samples only)", xlam, xlam),
    Format("granite", "Granite-style granular task views (function-name detection, parameter-value pairs, ...)",
           granite),
]}
EXPORTERS = {name: f.exporter for name, f in FORMATS.items()}
IMPORTERS = {name: f.importer for name, f in FORMATS.items() if f.importer is not None}
EXPORT_FORMATS = tuple(EXPORTERS)
# Where ``import-apis`` reads tool definitions from (see ``tool_sources``): one source yields many tools.
TOOL_SOURCES = {"bfcl": tool_sources.BFCL, "toolace": tool_sources.TOOLACE, "openai": tool_sources.OPENAI,
                "xlam": tool_sources.XLAM, "mcp": mcp.SOURCE, "openapi": openapi.SOURCE}
