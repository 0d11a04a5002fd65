"""Output -> input links (what dependent dialogs follow): names and types match, echoes do not count."""

from toolace.apis.links import find_links, handles


def api(name, params, returns, domain=("Ops",)):
    return {"name": name, "domain": list(domain),
            "parameters": {"type": "object", "properties": {p: {"type": t} for p, t in params.items()}},
            "returns": {"type": "object", "properties": {f: {"type": t} for f, t in returns.items()}}}


def test_a_found_id_links_to_the_api_that_takes_it():
    search = api("search_orders", {"email": "string"}, {"order_id": "string", "total": "number"})
    cancel = api("cancel_order", {"order_id": "string"}, {"cancelled": "boolean"})
    assert [(l.producer, l.field, l.consumer, l.parameter) for l in find_links([search, cancel])] == \
        [(0, "order_id", 1, "order_id")]
    assert handles(search) == [("order_id", "string")]


def test_a_result_field_repeating_the_producers_own_input_links_nothing():
    """Seen in the strong-model review: a trace API taking trace_id and echoing it was linked to an API
    taking trace_id, so the user was told to let the first step 'find' an id it needs as input."""
    trace = api("get_trace", {"trace_id": "string"}, {"trace_id": "string", "user_id": "string"})
    revoke = api("revoke_sessions", {"trace_id": "string", "user_id": "string"}, {"revoked": "integer"})
    links = [(l.field, l.parameter) for l in find_links([trace, revoke])]
    assert links == [("user_id", "user_id")]
    assert handles(trace) == [("user_id", "string")]


def test_types_must_fit_and_generic_names_stay_in_their_domain():
    a = api("make_code", {}, {"code": "string", "ticket_no": "integer"}, domain=("Ops",))
    b = api("use_code", {"code": "string", "ticket_no": "string"}, {}, domain=("Travel",))
    c = api("read_code", {"code": "string"}, {}, domain=("Ops",))
    assert [(l.consumer, l.parameter) for l in find_links([a, b, c])] == [(2, "code")]
