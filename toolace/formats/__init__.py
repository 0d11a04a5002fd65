"""Dataset formats in and out (DESIGN §1.5, FORMATS.md): one module per format, registered by name.

An exporter module has ``export_rows(dialog, notes) -> rows`` (raising ``RowProblem`` when the
format cannot carry a dialog), ``parquet_schema()`` and ``JSON_COLUMNS`` (columns stored as JSON
text in Parquet); an importer module has ``import_row(row, where) -> Dialog``. Tool definitions
convert in ``tools``, ToolACE call strings in ``callsyntax``, augmentations live in ``augment``.
"""

from toolace.formats import granite, hermes, openai_chat, sharegpt, toolace_rows, xlam

EXPORTERS = {"toolace": toolace_rows, "openai": openai_chat, "sharegpt": sharegpt, "hermes": hermes,
             "xlam": xlam, "granite": granite}
IMPORTERS = {"toolace": toolace_rows, "sharegpt": sharegpt, "openai": openai_chat, "xlam": xlam,
             "hermes": hermes}
