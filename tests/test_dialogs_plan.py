"""Planning: mix and turn options, related candidates, dependent pairs, distractors, irrelevance."""

import random
from collections import Counter

import pytest

from dialog_apis import library
from toolace.dialogs.complexity import distance, mean_nll, parse_band
from toolace.dialogs.generate import effective_mix
from toolace.dialogs.plan import DEFAULT_MIX, Library, parse_mix, parse_turns
from toolace.errors import InputError
from toolace.records import Api


def test_default_mix_is_normalised_and_splits_irrelevance_from_non_tool():
    mix = parse_mix(None)
    assert abs(sum(mix.values()) - 1) < 1e-9
    assert mix["irrelevance"] == pytest.approx(DEFAULT_MIX["non_tool"] * 0.1)
    assert mix["non_tool"] == pytest.approx(DEFAULT_MIX["non_tool"] * 0.9)
    assert parse_mix("single=3,irrelevance=1") == {"single": 0.75, "irrelevance": 0.25}
    assert parse_mix("single=1,non_tool=0") == {"single": 1.0}


@pytest.mark.parametrize("text, message", [
    ("single=0.5,chat=0.5", "unknown kind 'chat'"),
    ("single=x", "needs a number"),
    ("single=-1", "must not be negative"),
    ("single=0", "at least one kind"),
])
def test_bad_mix_names_the_option(text, message):
    with pytest.raises(InputError, match=message) as info:
        parse_mix(text)
    assert str(info.value).startswith("--mix")


def test_turns_and_band_options():
    assert parse_turns("2-4") == (2, 4) and parse_turns("3") == (3, 3) and parse_turns(None) == (2, 3)
    for bad in ("1-3", "4-2", "two"):
        with pytest.raises(InputError, match="--turns"):
            parse_turns(bad)
    assert parse_band("0.5-2.5") == (0.5, 2.5) and parse_band(None) is None
    with pytest.raises(InputError, match="--complexity-band"):
        parse_band("3-1")


def test_dependent_pairs_match_an_output_to_an_input_by_name_and_type():
    lib = Library(library())
    assert ("find_user", "user_id", "list_orders", "user_id") in {
        (lib.apis[p].name, f, lib.apis[c].name, a) for p, f, c, a in lib.links}
    # 'days' is an array in get_forecast's result and an integer parameter: types differ, no link.
    assert not any(f == "days" for _, f, _, _ in lib.links)
    nullable = [Api(name="make_ticket", domain=["Support"], returns={"type": "object", "properties": {
                    "ticketRef": {"type": ["string", "null"]}}}),
                Api(name="close_ticket", domain=["Support"], parameters={"type": "object", "properties": {
                    "ticket_ref": {"type": ["null", "string"]}}})]
    assert Library(nullable).links == [(0, "ticketRef", 1, "ticket_ref")]  # names match once normalised


def test_kinds_the_library_cannot_make_leave_the_mix_with_a_note():
    no_links = [a for a in library() if a.name != "list_orders"]
    mix, missing = effective_mix(parse_mix(None), Library(no_links))
    assert missing == ["dependent"] and "dependent" not in mix
    assert abs(sum(mix.values()) - 1) < 1e-9
    bare = [Api(name="ping", description="Ping.")]
    mix, missing = effective_mix(parse_mix("clarify=1,single=1"), Library(bare))
    assert missing == ["clarify"] and mix == {"single": 1.0}


def test_plans_are_deterministic_per_seed_and_index_and_keep_their_targets():
    lib = Library(library())
    mix = parse_mix(None)
    a = lib.plan(random.Random("0:5"), mix, (2, 3))
    b = lib.plan(random.Random("0:5"), mix, (2, 3))
    assert a.summary() == b.summary() and [t.name for t in a.tools] == [t.name for t in b.tools]
    for i in range(300):
        plan = lib.plan(random.Random(f"1:{i}"), mix, (2, 4))
        names = [t.name for t in plan.tools]
        assert len(names) == len(set(names)) <= 8
        for step in plan.steps:
            assert all(c.api.name in names for c in step.calls)
            if step.kind == "dependent":
                producer, consumer = step.calls
                assert consumer.link.field in producer.api.returns["properties"]
                assert consumer.link.argument in consumer.api.properties
            if step.kind == "clarify":
                assert step.missing in step.calls[0].api.required
        if plan.kind == "irrelevance":
            assert plan.steps[0].topic.name not in names and len(names) >= 2
        if plan.kind == "multi_turn":
            assert 2 <= len(plan.steps) <= 4
        else:
            assert len(plan.steps) == 1 and plan.steps[0].kind == plan.kind


def test_parallel_and_distractors_follow_the_complexity_level():
    lib = Library(library())
    by_level = Counter()
    for i in range(400):
        plan = lib.plan(random.Random(f"2:{i}"), {"parallel": 1.0}, (2, 3))
        calls = len(plan.steps[0].calls)
        assert calls == (3 if plan.level == "high" else 2)
        by_level[plan.level] += len(plan.tools) - len({c.api.name for c in plan.steps[0].calls})
    assert by_level["low"] / 120 < by_level["high"] / 120  # more distractors when harder


def test_request_distance_and_learner_loss_spans():
    assert distance("weather in paris", ["Current weather for a city"]) == 0.667  # 1 of current, weather, city
    assert distance("book me a table", ["Current weather for a city"]) == 1.0
    tokens = [("<sys>", -9.0), ("Hi", -5.0), ("Sure", -1.0), (" thing", -3.0), ("<end>", -7.0)]
    assert mean_nll(tokens, ["Sure thing"]) == 2.0
    assert mean_nll(tokens, ["absent"]) is None
