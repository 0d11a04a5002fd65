"""The ToolACE call-string parser and printer: real shapes, hostile strings, errors, and round trips."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolace.formats.callsyntax import (
    CallSyntaxError, looks_like_calls, parse_calls, parse_literal, print_calls, print_literal, printable_name,
)


def test_the_shapes_formats_md_documents():
    assert parse_calls('[get_weather(location="Boston")]') == [{"name": "get_weather", "arguments": {"location": "Boston"}}]
    assert parse_calls('[f(a=1), g(b="x")]') == [{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b": "x"}}]
    assert parse_calls('[Market Trends API(trend_type="MARKET_INDEXES", country="us")]') == [
        {"name": "Market Trends API", "arguments": {"trend_type": "MARKET_INDEXES", "country": "us"}}]


def test_names_with_parentheses():
    assert parse_calls('[User Feed (Video Posts) V2(username="x", limit=2), f(a=1)]') == [
        {"name": "User Feed (Video Posts) V2", "arguments": {"username": "x", "limit": 2}},
        {"name": "f", "arguments": {"a": 1}}]
    assert parse_calls("[a(b)()]") == [{"name": "a(b)", "arguments": {}}]
    assert parse_calls("[M4.5+ Earthquakes, Past 7 Days(start_string='us'), g()]") == [
        {"name": "M4.5+ Earthquakes, Past 7 Days", "arguments": {"start_string": "us"}}, {"name": "g", "arguments": {}}]
    assert print_calls([{"name": "User Feed (Video Posts) V2", "arguments": {"a": 1}}]) == "[User Feed (Video Posts) V2(a=1)]"


def test_names_with_spaces_dots_hyphens_and_apostrophes():
    calls = parse_calls("[Search Strong's Number API(include-lxx=True, strongs-number='G25'), "
                        "triangle_properties.get(side1=5), _ErVZ.BD4gF96H(.67xDKY=40, 9WuTjwqnv=[1])]")
    assert [c["name"] for c in calls] == ["Search Strong's Number API", "triangle_properties.get", "_ErVZ.BD4gF96H"]
    assert calls[0]["arguments"] == {"include-lxx": True, "strongs-number": "G25"}
    assert calls[2]["arguments"] == {".67xDKY": 40, "9WuTjwqnv": [1]}


def test_literals_nested_and_hostile():
    text = ("[f(a=[1, (2, 3), {'k': (4,)}], b='it\\'s, a [test] = ok', c=None, d=-1.5e-3, e=True, "
            "f={\"x\": {\"y\": [[], {}, ()]}}, g=\"say \\\"hi\\\"\\n\", h=r'C:\\path', i=0x1F, j=+7, k=.5, "
            "l=\"\\u00e9\\ud83d\\ude00\", m=false, n=null, o='')]")
    (call,) = parse_calls(text)
    assert call["arguments"] == {
        "a": [1, [2, 3], {"k": [4]}], "b": "it's, a [test] = ok", "c": None, "d": -0.0015, "e": True,
        "f": {"x": {"y": [[], {}, []]}}, "g": 'say "hi"\n', "h": "C:\\path", "i": 31, "j": 7, "k": 0.5,
        "l": "é😀", "m": False, "n": None, "o": ""}
    assert isinstance(call["arguments"]["d"], float) and isinstance(call["arguments"]["i"], int)


def test_whitespace_trailing_commas_and_empty_calls():
    assert parse_calls("  [ f ( a = 1 , ) , g() ]  ") == [{"name": "f", "arguments": {"a": 1}},
                                                          {"name": "g", "arguments": {}}]
    assert parse_calls("[]") == []


@pytest.mark.parametrize("text, fragment", [
    ("[f(1)]", "keyword arguments only"),
    ("[f(a=1]", "expected ','"),
    ("[f(a=1) g()]", "expected ','"),
    ("[f(x), g(b=1)]", "keyword arguments only"),
    ("[f(a=x)]", "a literal value"),
    ("[(a=1)]", "a function name"),
    ("[f]", "'(' after the function name"),
    ("[f(a=1, a=2)]", "given twice"),
    ("[f(a='open)]", "closing '"),
    ("[f(a=1)] extra", "end of text"),
    ("[f(a={1: 2})]", "string dict key"),
    ("[f(a=1e999)]", "a number"),
])
def test_errors_say_where_and_what(text, fragment):
    with pytest.raises(CallSyntaxError, match="at character") as caught:
        parse_calls(text)
    assert fragment in str(caught.value)


def test_nothing_is_evaluated():
    with pytest.raises(CallSyntaxError):
        parse_calls("[f(a=__import__('os').system('echo pwned'))]")


def test_looks_like_calls_tells_calls_from_text():
    assert looks_like_calls('[Market Trends API(country="us")]')
    assert not looks_like_calls("Sure, the weather in Boston is 22 °C.")
    assert not looks_like_calls("[Note] this is text")
    assert not looks_like_calls("[1, 2, 3]")


def test_tool_turn_literals_in_json_or_python_spelling():
    assert parse_literal('[{"name": "f", "results": {"temp": 22, "ok": true}}]') == [
        {"name": "f", "results": {"temp": 22, "ok": True}}]
    assert parse_literal("[{'name': 'f', 'results': {'ok': True, 'v': None}}]") == [
        {"name": "f", "results": {"ok": True, "v": None}}]


def test_printer_writes_the_released_style():
    assert print_calls([{"name": "get_weather", "arguments": {"location": "Boston"}}]) == '[get_weather(location="Boston")]'
    assert print_literal({"a": [1, 2.5, None, True]}) == '{"a": [1, 2.5, None, True]}'
    with pytest.raises(ValueError, match="cannot be written"):
        print_calls([{"name": "bad=name", "arguments": {}}])
    with pytest.raises(ValueError, match="cannot be written"):
        print_calls([{"name": "f", "arguments": {"has space": 1}}])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
# Real ToolACE names include "User Feed (Video Posts) V2"; parentheses must round-trip too.
function_names = st.from_regex(r"[A-Za-z_.][A-Za-z0-9_. '(),+\-]{0,20}[A-Za-z0-9_.)]", fullmatch=True)
argument_names = st.from_regex(r"[A-Za-z0-9_.\-]{1,12}", fullmatch=True)
calls = st.lists(st.fixed_dictionaries({"name": function_names,
                                        "arguments": st.dictionaries(argument_names, json_values, max_size=5)}),
                 max_size=4)


def _typed(value):
    """Values with their JSON types made visible, so 1 and 1.0 and True differ."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, value)


@settings(max_examples=200, deadline=None)
@given(calls)
def test_parse_of_print_is_identity(generated):
    try:
        text = print_calls(generated)
    except ValueError:  # refused up front, never written ambiguously (e.g. "x(y, z")
        assert not all(printable_name(c["name"]) for c in generated)
        return
    assert _typed(parse_calls(text)) == _typed(generated)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True), json_values, max_size=5))
def test_python_repr_spelling_parses_to_the_same_values(arguments):
    # ToolACE rows are often written with Python's own repr: single quotes, True/None, escapes.
    text = "[f(" + ", ".join(f"{k}={v!r}" for k, v in arguments.items()) + ")]"
    assert _typed(parse_calls(text)[0]["arguments"]) == _typed(arguments)
