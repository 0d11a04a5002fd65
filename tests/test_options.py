"""Each option defined once: every run-config key has its CLI flag with the same default and validation
(or is documented as config-only), and the library takes the same section."""

import pytest

from toolace.cli import app  # every command registered
from toolace.cli_app import parse_sections
from toolace.config import DialogsConfig, RunConfig, load_config
from toolace.errors import InputError

# The command whose options each section is, and what else it needs to parse.
COMMANDS = {
    "engine": ["doctor"],
    "tree": ["grow-tree", "--out", "o.json"],
    "apis": ["synth-apis", "--tree", "t.json", "--out", "o.jsonl"],
    "dialogs": ["gen-dialogs", "--apis", "a.jsonl"],
    "verify": ["verify", "d.jsonl"],
    "export": ["export", "d.jsonl", "--format", "openai", "--out", "o.jsonl"],
    "report": ["report", "run"],
}
# Per key, as typed on the command line or after --set: values it takes (with the keys they need beside
# them) and a value it refuses (None: only its type can be wrong).
EXAMPLES = {
    "engine": {"base_url": ("http://h:1/v1", None), "model": ("m", None), "api_key": ("sk-1", None),
               "device": ("gpu", "tpu"), "dtype": ("float32", "int4"), "timeout": ("5", "0"),
               "max_in_flight": ("4", "0"), "structured": ("prompt", "xml"),
               "extra_body": ('{"top_k": 20}', '{"model": "x"}')},
    "tree": {"depth": ("5", "9"), "branching": ("60", "65"), "docs": ("docs", None), "workers": ("4", "0")},
    "apis": {"count": ("7", "0"), "workers": ("4", "0"), "levels": ("single=1", "solo=1"),
             "mutations": ("add_nesting=1,mutate_type=2", "fly=1"), "dedup_threshold": ("0.5", "0"),
             "chain": ("0", "1.5"), "name_pattern": ("[a-z_]+", "("), "temperature": ("0.3", "3")},
    "dialogs": {"count": ("7", "0"), "workers": ("4", "0"), "mix": ("single=1,non_tool=1", "chat=1"),
                "turns": ("2-4", "1-2"), "budget": ("roomy", "huge"), "consistency": ("5", "10"),
                "tool_error_rate": ("0.2", "2"),
                "complexity_model": ("learner", None),
                "complexity_band": ({"complexity_model": "learner", "complexity_band": "0.5-2.5"}, "2-1")},
    "verify": {"rules_only": (True, None), "workers": ("4", "0"), "exec_tools": ("tools.py", None),
               "exec_timeout": ("2", "0"), "rules": ("rules.json", None), "strict": (True, None)},
    "export": {"parquet": (True, None), "mask_functions": ("0.5", "2"), "irrelevance": ("0.1", "-1"),
               "granite_tasks": ("parallel_functions,nested_calling", "chat"), "meta": (False, None),
               "reasoning": (True, None), "chat_template": ("t.jinja", None), "names": ("skip", "drop")},
    "report": {"license": ("cc-by-4.0", None)},
}
KEYS_OUT_OF_RUN_CONFIGS = {("engine", "api_key")}  # shared and saved: refused with its own message


def section_model(section):
    return RunConfig.model_fields[section].annotation


def flags_of(command):
    import typer
    import click
    cli = typer.main.get_command(app)
    parsed = cli.get_command(click.Context(cli), command)
    return {opt for p in parsed.params for opt in (*p.opts, *p.secondary_opts)}


def cli_args(model, key, value):
    from toolace.options import flag
    extra = model.model_fields[key].json_schema_extra or {}
    if isinstance(value, bool):
        flags = str(extra.get("flag", flag(model, key))).split("/")
        return [flags[0]] if value else [flags[1]]
    return [flag(model, key), value]


def from_cli(section, pairs):
    model = section_model(section)
    args = [a for key, value in pairs.items() for a in cli_args(model, key, value)]
    command, *needed = COMMANDS[section]
    return next(s for s in parse_sections(command, [*needed, *args]).values() if isinstance(s, model))


def from_config(section, pairs):
    toml = {True: "true", False: "false"}
    return getattr(load_config(None, [f"{section}.{k}={toml.get(v, v)}" for k, v in pairs.items()]), section)


def keys():
    return [(section, key) for section in COMMANDS for key in section_model(section).model_fields]


def test_every_section_of_the_run_config_is_some_command_s_options():
    assert set(RunConfig.model_fields) - set(COMMANDS) == {"name", "seed"}
    assert "--seed" in flags_of("run")  # seed: toolace run --seed; name: the run directory, toolace run --out


@pytest.mark.parametrize("section, key", keys(), ids=lambda v: v)
def test_every_config_key_has_its_cli_flag_with_the_same_default_and_validation(section, key):
    model = section_model(section)
    extra = model.model_fields[key].json_schema_extra or {}
    if "config_only" in extra:  # documented: why no command takes it
        assert len(extra["config_only"]) > 10 and f"--{key.replace('_', '-')}" not in flags_of(COMMANDS[section][0])
        return
    assert key in EXAMPLES[section], f"give {section}.{key} an example value (and one it refuses)"
    taken, refused = EXAMPLES[section][key]
    pairs = taken if isinstance(taken, dict) else {key: taken}
    # The same default: the option not given is the key not set.
    assert getattr(from_cli(section, {}), key) == getattr(getattr(RunConfig(), section), key)
    if (section, key) in KEYS_OUT_OF_RUN_CONFIGS:
        assert from_cli(section, pairs).key() == taken
        with pytest.raises(InputError, match=f"{section}.{key}: keys stay out of run configs"):
            from_config(section, pairs)
        return
    # The same reading of a value, and the same refusal.
    assert getattr(from_cli(section, pairs), key) == getattr(from_config(section, pairs), key)
    assert getattr(from_cli(section, pairs), key) != getattr(from_cli(section, {}), key)
    if refused is not None:
        with pytest.raises(InputError) as cli_error:
            from_cli(section, {**pairs, key: refused})
        with pytest.raises(InputError) as config_error:
            from_config(section, {**pairs, key: refused})
        flag, message = str(cli_error.value).split(": ", 1)
        assert flag == cli_args(model, key, refused)[0]
        assert str(config_error.value) == f"<defaults>: {section}.{key}: {message}"


def test_the_library_takes_the_same_section_and_names_the_option():
    from toolace.options import settle
    assert settle(DialogsConfig, {"turns": (2, 4), "mix": "single=1"}) == DialogsConfig(turns="2-4", mix={"single": 1})
    with pytest.raises(InputError, match="--consistency: Input should be less than or equal to 9"):
        settle(DialogsConfig, {"consistency": 10})
    with pytest.raises(TypeError, match="DialogsConfig has no option rounds"):
        settle(DialogsConfig, {"rounds": 3})


def test_the_consistency_default_is_decided_in_one_place():
    assert DialogsConfig().consistency_on(embedded=True) == 1
    assert DialogsConfig().consistency_on(embedded=False) == 3
    assert DialogsConfig(consistency=5).consistency_on(embedded=True) == 5


@pytest.mark.parametrize("embedded, k", [(True, 1), (False, 3)])
async def test_a_run_hands_each_stage_its_whole_section(tmp_path, embedded, k):
    """toolace run passed the API writer neither name_pattern nor temperature, and decided the consistency
    default apart from gen-dialogs: the stages now take their sections."""
    from api_fakes import SpecWriter, small_tree

    from toolace.jsonl import read_jsonl
    from toolace.llm.fake import ScriptedLLM
    from toolace.pipeline import run_pipeline
    from toolace.testing.instances import instance
    from toolace.tree import save_tree

    save_tree(small_tree(), tmp_path / "tree.json")
    writer = SpecWriter()
    llm = ScriptedLLM(responder=lambda r: writer(r) if r.schema_name == "api_spec" else instance(r.schema))
    config = RunConfig(tree={"path": str(tmp_path / "tree.json")},
                       apis={"count": 3, "workers": 1, "temperature": 0.3, "name_pattern": "(?![a-z_]*_w0$)[a-z0-9_]+"},
                       dialogs={"count": 2, "mix": {"single": 1}}, verify={"rules_only": True},
                       export={"formats": ["openai"]})
    await run_pipeline(config, tmp_path / "run", llm_factory=lambda: llm, embedded=embedded)
    asked = [r for r in llm.requests if r.schema_name == "api_spec"]
    assert {r.temperature for r in asked} == {0.3}
    names = [api["name"] for api in read_jsonl(tmp_path / "run" / "apis.jsonl")]
    assert len(asked) == 4 and len(names) == 3 and not any(n.endswith("_w0") for n in names)  # the first refused
    assert {d["meta"]["consistency"]["k"] for d in read_jsonl(tmp_path / "run" / "dialogs.jsonl")} == {k}
