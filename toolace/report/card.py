"""The Hugging Face dataset card (``README.md``) of a run: YAML front matter, then what is in it."""

from __future__ import annotations

import json
from typing import Any

import orjson

from toolace import __version__
from toolace.formats import FORMATS
from toolace.report import tables
from toolace.report.collect import RunSummary
from toolace.report.tables import Table

FORMAT_NOTES = {name: f.summary for name, f in FORMATS.items()}
# Hugging Face's buckets for the `size_categories` field.
SIZE_CATEGORIES = [(1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")]
LLAMA_FACTORY_ENTRY = {"formatting": "sharegpt",
                       "columns": {"messages": "conversations", "system": "system", "tools": "tools"}}


def size_category(n: int) -> str:
    return next((label for limit, label in SIZE_CATEGORIES if n < limit), "n>1B")


def sample_count(s: RunSummary) -> int:
    """The number of training samples the card describes: final dialogs, else exported rows."""
    if s.final is not None:
        return s.final.count
    return max((e.rows or 0 for e in s.exports), default=0)


def data_configs(s: RunSummary) -> list[tuple[str, str]]:
    """(config name, file) per exported format; Parquet wins when a format exists in both."""
    chosen: dict[str, str] = {}
    for e in s.exports:
        if e.format not in chosen or e.path.endswith(".parquet"):
            chosen[e.format] = e.path
    return list(chosen.items())


def _q(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def front_matter(s: RunSummary, license: str) -> str:
    lines = ["---", f"license: {_q(license)}", "task_categories:", "- text-generation", "tags:",
             "- function-calling", "- tool-use", "- synthetic", "- toolace",
             "size_categories:", f"- {_q(size_category(sample_count(s)))}"]
    configs = data_configs(s)
    if configs:
        lines.append("configs:")
        for i, (name, path) in enumerate(configs):
            lines += [f"- config_name: {_q(name)}", "  data_files:", "  - split: train", f"    path: {_q(path)}"]
            if i == 0:
                lines.append("  default: true")
    lines.append("---")
    return "\n".join(lines)


def markdown_table(table: Table) -> str:
    if not table.rows:
        return f"*{table.missing or 'nothing to show'}.*"

    def cells(row: list[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"

    return "\n".join([cells(table.columns), cells(["---"] * len(table.columns)), *map(cells, table.rows)])


def _loading(s: RunSummary) -> list[str]:
    configs = data_configs(s)
    if not configs:
        return ["No exported training files yet: run `toolace export` on `verified.jsonl` (or `dialogs.jsonl`)",
                "to write them in the format your trainer reads, then `toolace report` again."]
    out = ["| config | file | rows | exported from | format |", "| --- | --- | --- | --- | --- |"]
    exports = {e.path: e for e in s.exports}
    for name, path in configs:
        e = exports[path]
        count = f"{e.rows:,}" if e.rows is not None else "?"
        source = f"`{e.source}`" if e.source else "?"
        out.append(f"| `{name}` | `{path}` | {count} | {source} | {FORMAT_NOTES.get(name, '')} |")
    name, path = configs[0]
    loader = "parquet" if path.endswith(".parquet") else "json"
    out += ["", "Load a local file with 🤗 datasets, or a config of the dataset once pushed to the Hub:", "",
            "```python", "from datasets import load_dataset", "",
            f'ds = load_dataset("{loader}", data_files="{path}", split="train")',
            f'ds = load_dataset("YOUR_NAME/{_dataset_name(s)}", "{name}", split="train")', "```"]
    sharegpt = next((p for n, p in configs if n == "sharegpt"), None)
    if sharegpt:
        name, entry = _llama_factory_entry(s, sharegpt)
        out += ["", "LLaMA-Factory: copy the ShareGPT file into its `data/` folder and add this entry to "
                f"`data/dataset_info.json`, then train with `dataset: {name}`:", "", "```json", entry, "```"]
    return out


def _llama_factory_entry(s: RunSummary, path: str) -> tuple[str, str]:
    """The dataset name and the ``dataset_info.json`` entry for the ShareGPT export."""
    exported = s.run_dir / "export" / "dataset_info.json"
    if exported.is_file():  # the exporter's own entry is the truth when it wrote one
        try:
            entry = orjson.loads(exported.read_bytes())
            if isinstance(entry, dict) and entry:
                return next(iter(entry)), json.dumps(entry, indent=2, ensure_ascii=False)
        except orjson.JSONDecodeError:
            pass
    entry = {_dataset_name(s): {"file_name": path.rsplit("/", 1)[-1], **LLAMA_FACTORY_ENTRY}}
    return _dataset_name(s), json.dumps(entry, indent=2)


def _dataset_name(s: RunSummary) -> str:
    name = s.setting("name")
    return str(name) if name and name != "run" else s.run_dir.resolve().name


def _summary(s: RunSummary) -> str:
    parts = []
    if s.final is not None:
        which = "verified" if s.verified is not None else "generated (not yet verified)"
        parts.append(f"**{s.final.count:,} {which} tool-use dialogs**")
    if s.apis is not None:
        parts.append(f"over a library of **{s.apis.count:,} synthetic APIs** in {len(s.apis.domains):,} "
                     "top-level domains")
    what = " ".join(parts) or "the files listed below"
    return (f"Synthetic function-calling (tool-use) training data: {what}, generated with "
            f"toolace {__version__} following the ToolACE method (arXiv 2409.00920) by the model "
            f"`{tables.model_name(s)}`. Dialogs are played by LLM user, assistant and tool agents over sampled "
            f"APIs; {_verification_sentence(s)}")


def _verification_sentence(s: RunSummary) -> str:
    if s.verified is None:
        return "they have not been verified yet (run `toolace verify`)."
    if s.setting("verify", "rules_only"):
        return "a rule layer (schemas, calls, dialog form) verified them; the model judge was not run."
    return "a rule layer and a model judge verified them before they were kept."


def _limitations(s: RunSummary) -> list[str]:
    model = tables.model_name(s)
    out = [f"- All data is synthetic: the APIs, the user requests and the tool results were written by `{model}`; "
           "no real API was called, so results are plausible, not true.",
           "- Verification checks format, schema conformance and (unless rules-only) the judge's sub-questions; "
           "it does not guarantee that every answer is helpful or factually right.",
           "- Domains follow the domain tree used for the run; the domain tables above show what is covered "
           "and what is not."]
    if "smollm2" in model.lower() or "135m" in model.lower():
        out.append("- The generating model is the bundled SmolLM2-135M, meant for tests and demos: its output is "
                   "weak. Generate training data with a strong instruct model on a GPU.")
    out.append("- Check the licence of the generating model: data written by a model may carry its terms. "
               "The `license` field above is the one chosen when the card was written (`--license`).")
    return out


def render_card(s: RunSummary, license: str) -> str:
    """The full ``README.md`` text."""
    body: list[Any] = [front_matter(s, license), "", f"# {_dataset_name(s)}", "", _summary(s), "",
                       "## Formats and how to load them", "", *_loading(s), "",
                       "## Counts", "", markdown_table(tables.files(s)), "",
                       "## Kind mix", "", markdown_table(tables.kinds(s)), "",
                       "## Dialog shape", "", markdown_table(tables.dialog_shape(s)), "",
                       "## Domains", "", markdown_table(tables.domains(s)), "",
                       "## APIs", "", markdown_table(tables.api_shape(s)), "", markdown_table(tables.param_types(s)), "",
                       "## Generation settings", "", markdown_table(tables.settings(s)), ""]
    if s.config is not None:
        body += ["<details><summary>Resolved run config (" + str(s.config_file) + ")</summary>", "",
                 "```json", json.dumps(s.config, indent=2, ensure_ascii=False, default=str), "```", "</details>", ""]
    body += ["## Verification results", "", markdown_table(tables.verification(s)), "",
             markdown_table(tables.stage_rejections(s)), "",
             "## Tokens per kept sample", "", markdown_table(tables.tokens(s)), "", markdown_table(tables.stages(s)), "",
             "## Limitations", "", *_limitations(s), ""]
    return "\n".join(body)
