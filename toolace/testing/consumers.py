"""The real consumers of an hf export, for tests and benchmarks: TRL's templates, Mistral's, ``datasets``.

Needs the ``test`` extra (TRL, which brings ``datasets``, and ``mistral-common``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from toolace.formats.turns import turns
from toolace.records import Dialog

# TRL 1.16's shipped templates that render tool calls (trl/chat_templates/README.md): Qwen2.5, Qwen3,
# Qwen3.5, Qwen3.6, Llama 3.1, DeepSeek-V3, GPT-OSS, Gemma 4, GLM-4 (MoE), Nemotron 3.
TRL_TOOL_TEMPLATES = ["qwen2_5", "qwen3", "qwen3_5_think", "qwen3_6", "llama3_1", "deepseekv3", "gptoss", "gemma4",
                      "glm4moe", "nemotron_3_nano"]
MISTRAL_VERSIONS = ["v3", "v7", "v11", "v13"]


def parallel(dialog: Dialog) -> bool:
    return any(t.kind == "calls" and len(t.calls) > 1 for t in turns(dialog))


def text_beside_calls(dialog: Dialog) -> bool:
    return any(t.kind == "calls" and t.text for t in turns(dialog))


def enum_with_other_default(dialog: Dialog) -> bool:
    """GPT-OSS writes ``", // default: " + default`` for an enum parameter: a non-string default raises."""
    return any("enum" in s and "default" in s and not isinstance(s["default"], str)
               for api in dialog.tools for s in api.properties.values() if isinstance(s, dict))


# What each template cannot express, read off the template itself (and TRL's chat_templates/README.md).
CANNOT = {"llama3_1": parallel, "gptoss": lambda d: parallel(d) or enum_with_other_default(d),
          "mistral_v3": text_beside_calls}


def trl_template(name: str) -> Path:
    import trl
    return Path(trl.__file__).parent / "chat_templates" / f"{name}.jinja"


def mistral_template(version: str) -> str:
    """Mistral's official chat template for a tokenizer version, made by Mistral's own library."""
    from mistral_common.integrations.chat_templates.template_generator import TemplateConfig, build_chat_template
    from mistral_common.tokens.tokenizers.base import TokenizerVersion
    return build_chat_template(TemplateConfig(version=TokenizerVersion(version), spm=version == "v3"))


def template_file(name: str, folder: Path) -> Path:
    """``qwen3`` (TRL's) or ``mistral_v3`` (written into ``folder``) as a template file."""
    if name.startswith("mistral_"):
        path = Path(folder) / f"{name}.jinja"
        path.write_text(mistral_template(name.split("_", 1)[1]))
        return path
    return trl_template(name)


def tokenizer():
    """A minimal real tokenizer, to call transformers' ``apply_chat_template`` as a trainer does."""
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
    return PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]")),
                                   bos_token="<s>", eos_token="</s>", unk_token="[UNK]")


@dataclass
class Rendered:
    """What rendering a loaded export gave: rows, and the ones that raised or show encoded arguments."""

    rows: int = 0
    errors: list[str] = field(default_factory=list)
    double_encoded: list[str] = field(default_factory=list)
    null_content: int = 0


def render_loaded(path: Path, template: Path) -> Rendered:
    """Load an hf export with ``datasets`` and render every row as TRL's SFTTrainer does."""
    import datasets
    loaded = datasets.load_dataset("json" if Path(path).suffix == ".jsonl" else "parquet", data_files=str(path),
                                   split="train")
    out, tok, text_of = Rendered(), tokenizer(), Path(template).read_text()
    for index, row in enumerate(loaded):
        out.rows += 1
        tools = json.loads(row["tools"])  # what SFTTrainer's tokenize_fn does with a string column
        try:
            text = tok.apply_chat_template(row["messages"], tools=tools or None, chat_template=text_of, tokenize=False)
        except Exception as e:  # any template error is a finding
            out.errors.append(f"row {index}: {type(e).__name__}: {e}")
            continue
        for message in row["messages"]:
            out.null_content += message.get("content") is None
            for call in message.get("tool_calls") or []:
                arguments = call["function"]["arguments"]
                arguments = json.loads(arguments) if isinstance(arguments, str) else arguments
                if arguments and any(json.dumps(json.dumps(arguments, ensure_ascii=a))[1:-1] in text for a in (0, 1)):
                    out.double_encoded.append(f"row {index}: {call['function']['name']}")
    return out
