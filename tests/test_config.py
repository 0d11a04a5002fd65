import pytest

from toolace.config import load_config
from toolace.errors import InputError


def write(tmp_path, text):
    path = tmp_path / "toolace.toml"
    path.write_text(text)
    return path


def test_file_values_defaults_and_overrides(tmp_path):
    path = write(tmp_path, 'name = "demo"\nseed = 3\n[dialogs]\ncount = 10\nmix = {single = 0.5, parallel = 0.5}\n')
    config = load_config(path, ["dialogs.count=40", "engine.base_url=http://h:1/v1", "export.formats=['xlam']"])
    assert (config.name, config.seed, config.dialogs.count) == ("demo", 3, 40)
    assert config.dialogs.mix == {"single": 0.5, "parallel": 0.5}
    assert config.engine.base_url == "http://h:1/v1" and config.export.formats == ["xlam"]
    assert config.apis.count == 100  # default, the same as synth-apis --count


@pytest.mark.parametrize("text, message", [
    ("[dialogs]\nworkerz = 3\n", r"toolace.toml: dialogs.workerz: unknown key"),
    ("[dialogs]\nworkers = 0\n", r"toolace.toml: dialogs.workers: Input should be greater than or equal to 1"),
    ("[dialogs]\nturns = '3-1'\n", r"dialogs.turns: 3-1: need 2 <= MIN <= MAX"),
    ("[dialogs]\nturns = '1-2'\n", r"dialogs.turns: .*a multi-turn dialog has 2\+ user turns"),
    ("[export]\nformats = ['csv']\n", r"export.formats: unknown format 'csv'; choose from toolace, hf"),
    ("[engine\n", r"toolace.toml: not valid TOML"),
])
def test_bad_values_name_the_key(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        load_config(write(tmp_path, text))


def test_bad_override():
    with pytest.raises(InputError, match="expected KEY=VALUE"):
        load_config(None, ["dialogs.count"])
