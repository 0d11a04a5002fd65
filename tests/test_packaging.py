"""A built wheel (a non-editable install) carries the prompt templates and the seed tree."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_a_wheel_installed_elsewhere_finds_its_prompts_and_the_seed_tree(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                            "-q", "-w", str(tmp_path / "wheel")], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next((tmp_path / "wheel").glob("toolace-*.whl"))
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    names = {p.name for p in (site / "toolace" / "_bundled" / "prompts").iterdir()}
    assert names == {p.name for p in (ROOT / "prompts").iterdir()}
    assert not (site / "toolace" / "_bundled" / "prompts").is_symlink()  # the files, not a link
    # Run from a directory with no prompts/ or api_trees/ beside it, the installed copy first on the path.
    check = ("import toolace, toolace.prompts as p, toolace.tree as t, toolace.apis.evolve as e;"
             "print(toolace.__file__);"
             "print(p.load_prompt('dialog_user').hash, len(e.load_examples()));"
             "print(t.load_tree('api_trees/seed.json').number_of_nodes())")
    ran = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=tmp_path,
                         env={"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stderr[-2000:]
    where, prompt, nodes = ran.stdout.split("\n")[:3]
    assert where.startswith(str(site))
    assert prompt.split()[0] == __import__("toolace.prompts").prompts.load_prompt("dialog_user").hash
    assert int(prompt.split()[1]) > 0 and nodes == "731"
