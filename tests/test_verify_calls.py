"""Call executability and API clarity: each check id fails on a broken call and passes a good one."""

import pytest

from toolace.verify.config import RuleConfig
from verify_samples import WEATHER, api, call_dialog, checks, failures, good, only, verdict

BOOKING = api({
    "passengers": {"type": "array", "maxItems": 4, "items": {
        "type": "object", "required": ["name", "age"], "additionalProperties": False,
        "properties": {"name": {"type": "string", "minLength": 1}, "age": {"type": "integer", "minimum": 0},
                       "meals": {"type": "array", "items": {"type": "string", "enum": ["veg", "meat"]}}}}},
    "seat": {"type": "object", "properties": {"row": {"type": "integer"}, "code": {"type": "string",
                                                                                  "pattern": "^[A-F]$"}}},
    "price": {"type": "number", "exclusiveMinimum": 0},
    "date": {"type": "string", "format": "date"},
}, required=["passengers"])

GOOD_BOOKING = {"passengers": [{"name": "Ann", "age": 30, "meals": ["veg"]}, {"name": "Bo", "age": 4}],
                "seat": {"row": 12, "code": "C"}, "price": 99.5, "date": "2025-03-01"}


def booking(**changes):
    arguments = {**GOOD_BOOKING, **changes}
    return call_dialog(BOOKING, {k: v for k, v in arguments.items() if v is not ...})


def test_good_dialogs_pass():
    assert failures(good()) == []
    assert failures(booking()) == []


def test_unknown_function_suggests_the_near_name():
    dialog = good()
    dialog["messages"][1]["tool_calls"][0]["name"] = "get_wether"
    dialog["messages"][2]["name"] = "get_wether"
    failure = only(dialog, "unknown_function")
    assert failure.path == "messages[1].tool_calls[0].name" and "did you mean 'get_weather'" in failure.message


def test_unknown_argument_top_level_even_without_additional_properties_false():
    failure = only(booking(loyalty="gold"), "unknown_argument")
    assert failure.path == "messages[1].tool_calls[0].arguments.loyalty"


def test_unknown_key_inside_an_array_of_objects():
    passengers = [{"name": "Ann", "age": 30}, {"name": "Bo", "age": 4, "pet": "cat"}]
    failure = only(booking(passengers=passengers), "unknown_argument")
    assert failure.path == "messages[1].tool_calls[0].arguments.passengers[1].pet"
    assert "arguments.passengers[1].pet" in failure.message


def test_open_nested_object_accepts_extra_keys():
    assert failures(booking(seat={"row": 1, "code": "A", "window": True})) == []


def test_missing_required_top_level_and_nested():
    assert only(booking(passengers=...), "missing_required").path == "messages[1].tool_calls[0].arguments.passengers"
    failure = only(booking(passengers=[{"name": "Ann"}]), "missing_required")
    assert failure.path == "messages[1].tool_calls[0].arguments.passengers[0].age"
    assert "passengers[0].age" in failure.message


@pytest.mark.parametrize("value, ok", [(3, True), (3.0, True), (True, False), (3.5, False), ("3", False),
                                       (None, False)])
def test_integer_vs_number_vs_boolean_vs_null(value, ok):
    dialog = booking(passengers=[{"name": "Ann", "age": value}])
    if ok:
        assert failures(dialog) == []
    else:
        failure = only(dialog, "wrong_type")
        assert failure.path.endswith("passengers[0].age") and "expected integer" in failure.message


def test_number_accepts_integers_but_not_booleans():
    assert failures(booking(price=100)) == []
    assert "got boolean true" in only(booking(price=True), "wrong_type").message


def test_null_only_where_the_type_allows_it():
    nullable = api({"note": {"type": ["string", "null"]}, "tag": {"type": "string", "nullable": True},
                    "name": {"type": "string"}})
    assert failures(call_dialog(nullable, {"note": None, "tag": None, "name": "x"})) == []
    assert "got null null" in only(call_dialog(nullable, {"name": None}), "wrong_type").message


def test_enum_inside_an_array():
    passengers = [{"name": "Ann", "age": 30, "meals": ["veg", "fish"]}]
    failure = only(booking(passengers=passengers), "enum_violation")
    assert failure.path == "messages[1].tool_calls[0].arguments.passengers[0].meals[1]"
    assert '"fish" is not one of ["veg","meat"]' in failure.message


def test_enum_is_type_strict_and_const_counts_as_enum():
    levels = api({"level": {"type": "integer", "enum": [1, 2]}, "mode": {"const": "fast"}})
    assert failures(call_dialog(levels, {"level": 1, "mode": "fast"})) == []
    assert sorted(checks(call_dialog(levels, {"level": True}))) == ["enum_violation", "wrong_type"]
    assert only(call_dialog(levels, {"mode": "slow"}), "enum_violation").path.endswith("arguments.mode")


def test_pattern_in_a_nested_object():
    failure = only(booking(seat={"row": 3, "code": "Z"}), "pattern_mismatch")
    assert failure.path.endswith("arguments.seat.code") and "^[A-F]$" in failure.message


@pytest.mark.parametrize("changes, path", [
    ({"price": 0}, "arguments.price"),
    ({"passengers": [{"name": "", "age": 1}]}, "arguments.passengers[0].name"),
    ({"passengers": [{"name": "A", "age": -1}]}, "arguments.passengers[0].age"),
    ({"passengers": [{"name": "A", "age": 1}] * 5}, "arguments.passengers"),
])
def test_out_of_range(changes, path):
    assert only(booking(**changes), "out_of_range").path.endswith(path)


def test_bad_format():
    assert only(booking(date="2025-02-30"), "bad_format").path.endswith("arguments.date")
    formats = api({"at": {"type": "string", "format": "date-time"}, "mail": {"type": "string", "format": "email"},
                   "site": {"type": "string", "format": "uri"}})
    fine = {"at": "2025-03-01T10:00:00Z", "mail": "a@b.org", "site": "https://example.org/x"}
    assert failures(call_dialog(formats, fine)) == []
    assert checks(call_dialog(formats, {"at": "tomorrow", "mail": "nope", "site": "not a uri"})) == ["bad_format"] * 3


def test_local_date_time_is_accepted_unless_strict():
    formats = api({"at": {"type": "string", "format": "date-time"}, "t": {"type": "string", "format": "time"}})
    local = call_dialog(formats, {"at": "2025-03-01T10:00", "t": "14:30"})
    assert failures(local) == []
    assert checks(local, RuleConfig(strict_formats=True)) == ["bad_format", "bad_format"]


def test_parameters_named_like_schema_keywords():
    odd = api({"type": {"type": "string", "enum": ["a", "b"]},
               "properties": {"type": "object", "properties": {"required": {"type": "boolean"}}},
               "required": {"type": "integer"}}, required=["type"])
    assert failures(call_dialog(odd, {"type": "a", "properties": {"required": True}, "required": 2})) == []
    found = failures(call_dialog(odd, {"type": "c", "properties": {"required": "yes"}, "required": True}))
    assert sorted((f.check, f.path.split(".", 2)[2]) for f in found) == [
        ("enum_violation", "arguments.type"), ("wrong_type", "arguments.properties.required"),
        ("wrong_type", "arguments.required")]


def test_every_failure_is_listed():
    dialog = booking(passengers=[{"name": "", "age": True, "meals": ["fish"]}], seat={"code": "Z"},
                     price=-1, date="someday", extra=1)
    assert sorted(checks(dialog)) == ["bad_format", "enum_violation", "out_of_range", "out_of_range",
                                      "pattern_mismatch", "unknown_argument", "wrong_type"]


def test_invalid_schema_is_reported_and_names_are_still_checked():
    broken = api({"city": {"type": "str"}}, required=["city"])
    found = failures(call_dialog(broken, {"town": "Paris"}))
    assert {f.check for f in found} == {"invalid_schema", "unknown_argument", "missing_required"}
    assert any(f.path.startswith("tools[0].parameters") for f in found if f.check == "invalid_schema")


def test_missing_description_and_the_switch_for_parameters():
    bare = call_dialog({"name": "ping", "parameters": {"type": "object", "properties": {
        "host": {"type": "string"}}}}, {"host": "x"})
    found, warnings = verdict(bare)  # an undescribed parameter is a blemish; an undescribed tool is not
    assert [f.path for f in found] == ["tools[0].description"]
    assert [w.path for w in warnings] == ["tools[0].parameters.properties.host.description"]
    assert sorted(f.path for f in failures(bare, RuleConfig(strict=True))) == [
        "tools[0].description", "tools[0].parameters.properties.host.description"]
    lenient = verdict(bare, RuleConfig(require_parameter_descriptions=False))
    assert [f.path for f in lenient[0]] == ["tools[0].description"] and lenient[1] == []


def test_bad_name():
    spaced = {**WEATHER, "name": "Market Trends API"}
    assert failures(call_dialog(spaced, {"city": "Oslo"})) == []  # real ToolACE names have spaces
    control = {**WEATHER, "name": "get\nweather"}
    assert "bad_name" in checks(call_dialog(control, {"city": "Oslo"}))
    strict = RuleConfig(name_pattern=r"[A-Za-z0-9_-]{1,64}")
    assert checks(call_dialog(spaced, {"city": "Oslo"}), strict) == ["bad_name"]
    twins = call_dialog(WEATHER, {"city": "Oslo"})
    twins["tools"].append(dict(WEATHER))
    assert only(twins, "bad_name").path == "tools[1].name"


def test_require_returns():
    assert checks(booking(), RuleConfig(require_returns=True)) == ["missing_returns"]
    assert failures(good(), RuleConfig(require_returns=True)) == []
