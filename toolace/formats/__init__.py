"""Dataset formats in and out (DESIGN §1.5, FORMATS.md): one module per format, registered by name.

An exporter module has ``export_rows(dialog, notes) -> rows`` (raising ``RowProblem`` when the
format cannot carry a dialog), ``parquet_schema()`` and ``JSON_COLUMNS`` (columns stored as JSON
text in Parquet); an importer module has ``import_row(row, where) -> Dialog`` (``*_import`` beside
the exporter where reading a format's dialects takes more than writing it). Tool definitions
convert in ``tools``, ToolACE call strings in ``callsyntax``, augmentations live in ``augment``.
"""

from toolace.formats import (
    granite, hermes, hermes_import, mcp, openai_chat, openai_import, openapi, sharegpt, sharegpt_import,
    tool_sources, toolace_rows, xlam,
)

EXPORTERS = {"toolace": toolace_rows, "openai": openai_chat, "sharegpt": sharegpt, "hermes": hermes,
             "xlam": xlam, "granite": granite}
IMPORTERS = {"toolace": toolace_rows, "sharegpt": sharegpt_import, "openai": openai_import, "xlam": xlam,
             "hermes": hermes_import}
# Where ``import-apis`` reads tool definitions from (see ``tool_sources``).
TOOL_SOURCES = {"bfcl": tool_sources.BFCL, "toolace": tool_sources.TOOLACE, "openai": tool_sources.OPENAI,
                "xlam": tool_sources.XLAM, "mcp": mcp.SOURCE, "openapi": openapi.SOURCE}
