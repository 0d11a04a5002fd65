"""Runs inside LLaMA-Factory's own environment (see llamafactory_check.py): load a sharegpt export.

    python _llamafactory_load.py EXPORT_DIR DATASET_NAME TEMPLATE [TEMPLATE ...]

For each LLaMA-Factory template: ``get_dataset`` on the export and its ``dataset_info.json`` (what a
training run does; it aborts on the first row a formatter refuses), then every row alone through
LLaMA-Factory's converter and template, to count the rows it refuses and why. The token ids are
decoded back to text (a byte-level tokenizer with no merges), so what the model would see is checked:
one ``<tool_response>`` per result for templates that wrap results so (Qwen's). Prints one JSON object
per template.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from llamafactory.data import get_dataset
from llamafactory.data.converter import SharegptDatasetConverter
from llamafactory.data.parser import get_dataset_list
from llamafactory.data.template import get_template_and_fix_tokenizer
from llamafactory.hparams import DataArguments, ModelArguments
from transformers import Seq2SeqTrainingArguments


def byte_tokenizer() -> PreTrainedTokenizerFast:
    """Every byte is a token: decode(encode(text)) == text, whatever special tokens a template adds."""
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {ch: i for i, ch in enumerate(sorted(alphabet))}
    inner = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    inner.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    inner.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=inner, eos_token="</s>", pad_token="</s>")


def main(export_dir: str, dataset: str, templates: list[str]) -> None:
    rows = [json.loads(line) for line in open(f"{export_dir}/{json.load(open(f'{export_dir}/dataset_info.json'))[dataset]['file_name']}")]
    for name in templates:
        tokenizer = byte_tokenizer()
        data_args = DataArguments(template=name, dataset=dataset, dataset_dir=export_dir, cutoff_len=1_000_000,
                                  overwrite_cache=True, preprocessing_num_workers=None)
        model_args = ModelArguments(model_name_or_path="unused")
        template = get_template_and_fix_tokenizer(tokenizer, data_args)
        report = {"template": name, "rows": len(rows)}
        with tempfile.TemporaryDirectory() as out:
            training_args = Seq2SeqTrainingArguments(output_dir=out, do_train=True, report_to=[])
            try:
                module = get_dataset(template, model_args, data_args, training_args, "sft", tokenizer)
                report["get_dataset"] = len(module["train_dataset"])
            except Exception as e:  # the run aborts: say with what
                report["get_dataset"] = f"aborted: {type(e).__name__}: {e}"[:200]
        attr = get_dataset_list([dataset], export_dir)[0]
        converter = SharegptDatasetConverter(attr, data_args)
        refused, dropped, split_results, joined_results = Counter(), 0, 0, 0
        wraps_results = "<tool_response>" in str(template.format_observation.slots)
        for row in rows:
            example = converter(row)
            if not example["_prompt"]:
                dropped += 1
                continue
            messages = example["_prompt"] + example["_response"]
            try:
                prompt_ids, answer_ids = template.encode_oneturn(tokenizer, messages, example["_system"],
                                                                 example["_tools"])
            except Exception as e:
                refused[f"{type(e).__name__}: {e}"[:120]] += 1
                continue
            text = tokenizer.decode(prompt_ids + answer_ids)
            for message in messages:
                if wraps_results and message["role"] == "observation" \
                        and "\n</tool_response>\n<tool_response>\n" in message["content"]:
                    parts = message["content"].count("\n</tool_response>\n<tool_response>\n") + 1
                    blocks = text.count("<tool_response>\n")
                    split_results += blocks >= parts
                    joined_results += 1
        report.update({"rows_encoded": len(rows) - dropped - sum(refused.values()), "dropped_by_converter": dropped,
                       "refused": dict(refused)})
        if joined_results:
            report["parallel_results_rendered_one_block_each"] = f"{split_results}/{joined_results}"
        print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
