"""The one prompt mechanism: a file is one template or ``## name`` sections; one content hash; the values
of a rendered text read back through its template (what a scripted test model reads from a request)."""

import hashlib

import pytest

from toolace.apis.evolve import CHAIN, MUTATIONS
from toolace.apis.writer import mutation_instructions, synthesis_messages
from toolace.prompts import PROMPTS_DIR, load_prompt, prompt_versions


def test_a_file_without_sections_is_its_one_template_as_written():
    prompt = load_prompt("judge_repetition")
    assert list(prompt.sections) == ["prompt"] and prompt.sections["prompt"].template == prompt.text
    assert prompt.render(tools="T", conversation="C").endswith("Conversation:\nC\n")  # nothing trimmed


def test_sections_are_split_at_their_headers_and_trimmed():
    prompt = load_prompt("dialog_tool")
    assert list(prompt.sections) == ["prompt", "result", "empty", "error"]
    assert prompt.render("error", code="E42").startswith("The call fails with error code E42, ")
    assert not prompt.sections["prompt"].template.endswith("\n")
    mutations = load_prompt("api_mutations")
    assert set(mutations.sections) == set(mutation_instructions()) == {*MUTATIONS, CHAIN}
    assert mutations.render("chain", field="order_id").count('"order_id"') == 2


def test_the_version_is_the_hash_of_the_whole_file_and_provenance_is_one_shape():
    for name in ("dialog_user", "api_mutations", "tree_expand"):
        expected = hashlib.sha256((PROMPTS_DIR / f"{name}.txt").read_bytes()).hexdigest()[:12]
        assert load_prompt(name).hash == expected
    assert prompt_versions("tree_expand", "judge_consistency") == {
        "tree_expand": load_prompt("tree_expand").hash, "judge_consistency": load_prompt("judge_consistency").hash}


def test_the_values_of_a_rendered_text_read_back_through_its_template():
    messages = synthesis_messages("- Travel > Flights > search flights: Lets a user search flights.", "single",
                                  '{"name": "x"}', "add_nesting")
    values = load_prompt("api_synth_task").values(messages[1]["content"])
    assert values["subtree"] == "- Travel > Flights > search flights: Lets a user search flights."
    assert values["operation"] == "add nesting" and values["example"] == '{"name": "x"}'
    assert values["instruction"] == load_prompt("api_mutations").render("add_nesting")
    user = load_prompt("dialog_user")
    text = user.render("prompt", style="brief", wording="W", transcript="(nothing yet)", task="Ask: a. b.")
    assert user.values(text)["task"] == "Ask: a. b."
    with pytest.raises(ValueError, match="not a rendering of dialog_user"):
        user.values("Something else entirely")
