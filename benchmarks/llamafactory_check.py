"""LLaMA-Factory's own loader on toolace's sharegpt export: rows kept per template, and why others fail.

    .venv/bin/python benchmarks/llamafactory_check.py [--dialogs 400] [--templates qwen qwen3 ...]

LLaMA-Factory 0.9.5 pins versions toolace's venv cannot hold (transformers <= 5.6, datasets <= 4.0,
trl <= 0.24, torchvision/torchaudio that break `import transformers` beside the CPU torch), so it is
installed with `pip --no-deps --target` into `$TOOLACE_HOME/llamafactory-0.9.5` (about 15 MB, seconds;
torchaudio, imported by its multimodal plugin only, is a stub there) and run in a subprocess with the
venv's own torch, transformers and datasets. Dialogs: every kind (the format tests' generator) and
BFCL-style ones (dotted names, integer enums, parallel calls).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from test_formats_data import make_dialogs, write_dialogs  # noqa: E402
from toolace.formats.export import export_dialogs  # noqa: E402
from toolace.testing import bfcl_like  # noqa: E402

VERSION = "0.9.5"
PACKAGES = [f"llamafactory=={VERSION}", "peft==0.18.1", "omegaconf==2.3.0", "antlr4-python3-runtime==4.9.3"]
TEMPLATES = ["qwen", "qwen3", "qwen3_5", "llama3", "mistral", "glm4", "default", "gpt_oss", "deepseek3"]


def install(home: Path) -> Path:
    target = home / f"llamafactory-{VERSION}"
    if not (target / "llamafactory").is_dir():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *PACKAGES],
                       check=True)
        stub = target / "torchaudio"
        stub.mkdir(exist_ok=True)
        (stub / "__init__.py").write_text("# stub: LLaMA-Factory's audio plugin only; text templates never use it\n")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogs", type=int, default=400, help="half generated (every kind), half BFCL-style")
    parser.add_argument("--templates", nargs="+", default=TEMPLATES)
    args = parser.parse_args()
    home = Path(os.environ.get("TOOLACE_HOME", Path.home() / ".cache" / "toolace"))
    target = install(home)
    with tempfile.TemporaryDirectory() as tmp:
        half = args.dialogs // 2
        source = write_dialogs(Path(tmp) / "dialogs.jsonl", make_dialogs(half, seed=4) + bfcl_like.make_dialogs(half, 4))
        stats = asyncio.run(export_dialogs(source, "sharegpt", Path(tmp) / "export" / "sharegpt.jsonl"))
        print(f"sharegpt export: {stats.kept} rows, {stats.rejected} skipped {dict(stats.reasons)}", flush=True)
        env = {**os.environ, "DISABLE_VERSION_CHECK": "1", "PYTHONPATH": str(target)}
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "_llamafactory_load.py"),
                               str(Path(tmp) / "export"), "toolace_sharegpt", *args.templates],
                              env=env, capture_output=True, text=True)
        reports = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"template"')]
        if done.returncode or not reports:
            sys.exit(f"LLaMA-Factory run failed:\n{done.stderr[-3000:]}")
    for r in reports:
        extra = f", parallel results one block each: {r['parallel_results_rendered_one_block_each']}" \
            if "parallel_results_rendered_one_block_each" in r else ""
        print(f"{r['template']:10s} get_dataset: {r['get_dataset']}; rows alone: {r['rows_encoded']}/{r['rows']} "
              f"encoded{extra}; refused: {r['refused'] or 'none'}")


if __name__ == "__main__":
    main()
