"""Agent schemas: built from the APIs, bounded for constrained decoding, valid JSON Schema."""

import json

import pytest
from jsonschema import Draft202012Validator

from dialog_apis import library
from toolace.dialogs.budget import COMPACT
from toolace.dialogs.schemas import GENERIC_RETURNS, OPEN_KEYS, assistant_schema, decodable, error_schema, result_schema
from toolace.records import Api

APIS = {a.name: a for a in library()}


def grammar_safe(schema):
    """What vLLM's xgrammar backend refuses with HTTP 400, asked of vLLM itself, and xgrammar compiles it."""
    from vllm.v1.structured_output.backend_xgrammar import has_xgrammar_unsupported_json_features
    import xgrammar

    xgrammar.Grammar.from_json_schema(json.dumps(schema))
    return not has_xgrammar_unsupported_json_features(schema) and "allOf" not in json.dumps(schema)


def valid(schema, instance):
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema).is_valid(instance)


def test_decodable_bounds_strings_arrays_and_free_objects():
    schema = decodable({"type": "object", "properties": {
        "q": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 5}},
        "when": {"type": "string", "format": "date"},
        "re": {"type": "string", "pattern": "^(?=x).*$"},  # lookahead: grammar engines refuse it
        "code": {"type": "string", "pattern": "^[A-Z]{3}$", "maxLength": 3},
        "slug": {"type": "string", "pattern": "^[a-z]+$", "maxLength": 30},  # unbounded pattern: length wins
        "n": {"type": "integer", "multipleOf": 5, "maximum": 50},
        "ids": {"type": "array", "items": {"type": "string", "format": "uuid"}, "uniqueItems": True},
        "free": {"type": "object"},
        "opt": {"type": ["integer", "null"], "minimum": 1, "description": "dropped"},
        "nested": {"type": "object", "properties": {"a": {"type": "object", "properties": {
            "b": {"type": "object", "properties": {"c": {"type": "object", "properties": {"d": {}}}}}}}}},
    }, "required": ["q", "ghost"]})
    props = schema["properties"]
    assert schema["additionalProperties"] is False and schema["required"] == ["q"]
    assert props["q"] == {"type": "string", "maxLength": COMPACT.arg_string}
    assert props["tags"] == {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": COMPACT.arg_items}
    assert props["when"] == {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
    assert props["re"] == {"type": "string", "maxLength": COMPACT.arg_string}
    assert props["code"] == {"type": "string", "pattern": "^[A-Z]{3}$"}
    assert props["slug"] == {"type": "string", "maxLength": 30}
    assert props["n"] == {"type": "integer", "maximum": 50}
    assert props["ids"] == {"type": "array", "items": {"type": "string", "format": "uuid"}, "maxItems": COMPACT.arg_items}
    assert grammar_safe(schema)
    assert props["free"]["maxProperties"] == OPEN_KEYS and "minProperties" not in props["free"]  # bounded, open
    assert valid(props["free"], {"level": "high", "count": 3}) and not valid(props["free"], {"deep": {"x": 1}})
    assert props["opt"] == {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
    deepest = props["nested"]["properties"]["a"]["properties"]["b"]["properties"]["c"]
    assert deepest == {"type": "string", "maxLength": COMPACT.arg_string}  # depth limit
    Draft202012Validator.check_schema(schema)


def test_call_schema_fixes_names_order_and_pinned_values():
    weather, forecast = APIS["get_weather"], APIS["get_forecast"]
    schema = assistant_schema("call", [(weather, None), (forecast, {"city": "Oslo"})])
    good = {"thought": {"intent": "weather then forecast", "tools": ["get_weather", "get_forecast"],
                        "sources": [{"argument": "city", "source": "user"}]},
            "action": {"type": "call", "calls": [
                {"name": "get_weather", "arguments": {"city": "Oslo", "unit": "c"}},
                {"name": "get_forecast", "arguments": {"city": "Oslo", "days": 3}}]}}
    assert valid(schema, good)
    swapped = {**good, "action": {"type": "call", "calls": good["action"]["calls"][::-1]}}
    assert not valid(schema, swapped)
    other_city = {**good, "action": {"type": "call", "calls": [
        good["action"]["calls"][0], {"name": "get_forecast", "arguments": {"city": "Rome", "days": 3}}]}}
    assert not valid(schema, other_city)  # the pinned value is a const
    wrong_type = {**good, "action": {"type": "call", "calls": [
        good["action"]["calls"][0], {"name": "get_forecast", "arguments": {"city": "Oslo", "days": "3"}}]}}
    assert not valid(schema, wrong_type)
    assert not valid(schema, {**good, "action": {"type": "call", "calls": good["action"]["calls"][:1]}})


@pytest.mark.parametrize("action", ["ask", "answer", "summarize"])
def test_text_actions_carry_a_bounded_message(action):
    schema = assistant_schema(action)
    assert valid(schema, {"thought": {"intent": "reply"}, "action": {"type": action, "message": "Hello there"}})
    assert not valid(schema, {"thought": {"intent": "reply"}, "action": {"type": "call", "message": "x"}})
    thought = schema["properties"]["thought"]["properties"]["intent"]["maxLength"]
    # Even at one token per character (a weak model's odd characters) the reply fits its token budget.
    assert schema["properties"]["action"]["properties"]["message"]["maxLength"] + thought + 40 <= COMPACT.text_tokens


def test_results_follow_returns_or_a_generic_object_and_pinned_fields_are_required():
    translate = APIS["translate_text"]
    assert translate.returns is None
    assert result_schema(translate)["required"] == GENERIC_RETURNS["required"]
    find_user = APIS["find_user"]
    pinned = result_schema(find_user, {"user_id": {"type": "string", "description": "Account id"}})
    assert "user_id" in pinned["required"] and pinned["properties"]["user_id"]["maxLength"] == COMPACT.arg_string
    assert valid(pinned, {"user_id": "u-1", "name": "Ana"}) and not valid(pinned, {"name": "Ana"})
    assert not valid(result_schema(APIS["get_forecast"]), {})  # every documented field is returned
    assert valid(error_schema("NOT_FOUND"), {"error": {"code": "NOT_FOUND", "message": "No such user"}})
    assert not valid(error_schema("NOT_FOUND"), {"error": {"code": "TIMEOUT", "message": "Took too long"}})


def test_every_library_api_gives_valid_bounded_schemas():
    for api in APIS.values():
        for schema in (assistant_schema("call", [(api, None)]), result_schema(api)):
            Draft202012Validator.check_schema(schema)
            assert grammar_safe(schema)
    weird = Api(name="odd", parameters={"type": "object", "properties": {"x": {"anyOf": [{"type": "string"}, {}]}}})
    Draft202012Validator.check_schema(assistant_schema("call", [(weird, None)]))


# Patterns as synthesised and imported APIs write them; the first junk one is from a synth-apis run on the
# 135M model, which made the engine answer HTTP 400 to every request whose schema carried it.
PATTERNS = [r"^[A-Z]{3}$", r"^\d{1,6}\.\d{2}$", r"^[A-Z]{2}[0-9{2}[A-Z]{3}[A-Z]{4}[A-Z{2}[A-T]{", r"a{", r"a{,3}",
            r"{2}a", r"a{3,1}", r"(a|{2})", r"[{]x", r"\{x\}", r"a}", r"^(?:ab){2}$", r"(a)\1", r"\bword\b",
            r"\p{L}{2}", r"a{2}{3}", r"^[a-z]{1,8}$", "[", r"^\w{3,5}-\d{4}$"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_goes_to_the_engine_only_if_its_grammar_compiler_takes_it(pattern):
    import xgrammar  # the engine's structured-output backend (installed with vLLM)

    from toolace.dialogs.schemas import decodable_pattern
    schema = {"type": "object", "properties": {"v": {"type": "string", "pattern": pattern}}}
    try:
        xgrammar.Grammar.from_json_schema(json.dumps(schema))
        compiles = True
    except RuntimeError:
        compiles = False
    if decodable_pattern(pattern):
        assert compiles, pattern  # never send what the engine refuses
    sent = decodable({"type": "string", "pattern": pattern})
    assert sent.get("pattern") in (None, pattern) and ("pattern" in sent) == decodable_pattern(pattern)


def test_the_junk_pattern_seen_on_the_engine_is_dropped_but_a_good_one_kept():
    from toolace.dialogs.schemas import decodable_pattern
    assert not decodable_pattern(PATTERNS[2]) and decodable_pattern(PATTERNS[0]) and decodable_pattern(PATTERNS[1])


def test_a_tuple_parameter_is_decoded_position_by_position():
    """Pydantic writes ``tuple[float, float]`` as prefixItems; read as an array of strings, every call failed."""
    schema = decodable({"type": "object", "properties": {"point": {
        "type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "description": "lat, lon"}},
        "required": ["point"]})
    point = schema["properties"]["point"]
    assert point == {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}], "items": False,
                     "minItems": 2, "maxItems": 2}
    assert valid(schema, {"point": [59.9, 10.7]}) and not valid(schema, {"point": ["59.9", "10.7"]})
    assert grammar_safe(schema)


def test_an_email_a_person_gives_is_accepted_exactly():
    """Review round 5: 'dana.whitfield@northbanklending.com' (a 16-character domain label) was refused,
    so the strong model had to send a corrupted address."""
    validator = Draft202012Validator(decodable({"type": "string", "format": "email"}))
    for good in ("dana.whitfield@northbanklending.com", "Ana.Lopez+travel@mail.example.co.uk", "x@a-b.io"):
        assert validator.is_valid(good), good
    for bad in ("dana.whitfield", "a@b", "a b@example.com", "a@example.c"):
        assert not validator.is_valid(bad), bad


def test_a_result_list_has_room_for_the_items_a_call_asks_for():
    """Review round 5: top_products_limit=10 against a cap of 8 forced an incomplete result."""
    from toolace.dialogs.schemas import asked_items
    api = Api(name="top_products", description="Best-selling products of a store.",
              parameters={"type": "object", "properties": {"top_products_limit": {"type": "integer"},
                                                           "store": {"type": "string"}}},
              returns={"type": "object", "properties": {
                  "top_products": {"type": "array", "items": {"type": "string"}},
                  "badges": {"type": "array", "maxItems": 12, "items": {"type": "string"}}}})
    assert asked_items({"top_products_limit": 18, "store": "s1"}) == 18 and asked_items({"store": "s1"}) == 0
    assert asked_items({"limit": True, "count": 0}) == 0  # a flag or zero asks for nothing
    props = result_schema(api, arguments={"top_products_limit": 18})["properties"]
    assert props["top_products"]["maxItems"] == 18 and props["badges"]["maxItems"] == 12  # the API's own bound
    assert result_schema(api, arguments={"top_products_limit": 500})["properties"]["top_products"]["maxItems"] \
        == COMPACT.asked_items
    assert result_schema(api, arguments={"top_products_limit": 3})["properties"]["top_products"]["maxItems"] \
        == COMPACT.result_items  # a page is never smaller than usual (the model returns what was asked)
    assert result_schema(api, arguments={"top_products_limit": 18}, empty=True)["properties"]["top_products"] \
        == {"type": "array", "maxItems": 0}


def test_a_search_fails_with_a_service_error_never_not_found():
    """Review round 5: NOT_FOUND from a search is unnatural; a search that finds nothing returns an empty list."""
    from toolace.dialogs.schemas import ERROR_CODES, error_codes
    search = Api(name="search_fact_checks", description="Search fact checks.",
                 parameters={"type": "object", "properties": {"q": {"type": "string"}}},
                 returns={"type": "object", "properties": {"items": {"type": "array", "items": {"type": "string"}}}})
    details = Api(name="get_fact_check", description="One fact check.",
                  parameters={"type": "object", "properties": {"id": {"type": "string"}}},
                  returns={"type": "object", "properties": {"verdict": {"type": "string"}}})
    assert "NOT_FOUND" not in error_codes(search) and set(error_codes(search)) == set(ERROR_CODES) - {"NOT_FOUND"}
    assert error_codes(details) == ERROR_CODES
    # Review round 6: PERMISSION_DENIED on a quote the same session had just made was judged implausible.
    assert error_codes(details, consumer=True) == ["RATE_LIMITED", "TIMEOUT", "UNAVAILABLE"]


def test_only_a_search_may_come_back_empty():
    """Review round 6: a planned empty result emptied a solver's list of steps."""
    from toolace.dialogs.schemas import is_search
    lists = {"type": "object", "properties": {"steps": {"type": "array", "items": {"type": "string"}}}}
    plain = {"type": "object", "properties": {"answer": {"type": "string"}}}
    assert is_search(Api(name="search_fact_checks", description="Search.", returns=lists))
    assert is_search(Api(name="list_orders", description="List.", returns=lists))
    assert not is_search(Api(name="solve_time_zone_word_problem", description="Solve.", returns=lists))
    assert not is_search(Api(name="find_user", description="Find.", returns=plain))


def test_every_format_pattern_compiles_in_the_engines_grammar_compiler():
    import xgrammar

    from toolace.dialogs.schemas import _FORMAT_PATTERNS
    for fmt, pattern in _FORMAT_PATTERNS.items():
        assert decodable({"type": "string", "format": fmt}) == {"type": "string", "pattern": pattern}
        xgrammar.Grammar.from_json_schema(json.dumps({"type": "object", "properties": {"v": {"type": "string",
                                                                                           "pattern": pattern}}}))


def test_a_result_list_that_says_it_may_be_empty_may_be_empty():
    """Review round 8: 'failing_jobs' ("empty when none failed") was forced to one item, so a
    succeeded run could not be simulated."""
    returns = {"type": "object", "properties": {
        "failing_jobs": {"type": "array", "description": "Failing jobs; empty when none failed.",
                         "items": {"type": "string"}},
        "warnings": {"type": "array", "description": "Warnings, if any.", "items": {"type": "string"}},
        "tables": {"type": "array", "description": "Tables written.", "items": {"type": "string"}}}}
    returns["properties"]["skipped_signers"] = {"type": "array", "description": "Already signed or declined.",
                                                "items": {"type": "string"}}
    returns["properties"]["abuse_reports"] = {"type": "array", "description": "Recent reports.", "items": {
        "type": "object", "properties": {"category": {"type": "string"}}}}
    props = result_schema(Api(name="get_run", description="A CI run.", returns=returns))["properties"]
    assert "minItems" not in props["failing_jobs"] and "minItems" not in props["warnings"]
    assert "minItems" not in props["skipped_signers"] and "minItems" not in props["abuse_reports"]
    assert props["tables"]["minItems"] == 1
