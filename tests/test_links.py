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


def test_dependent_dialogs_follow_an_identifier_when_the_library_has_one():
    """A shared "currency" links a checkout to a product listing (seen in the review: an odd request);
    a found order_id links it to tracking. The planner takes the identifier link."""
    import random

    from toolace.dialogs.plan import Library
    from toolace.records import Api

    checkout = api("checkout", {"cart": "string"}, {"order_id": "string", "currency": "string"}, ("Shop",))
    track = api("track_order", {"order_id": "string"}, {"status": "string"}, ("Shop",))
    listing = api("create_listing", {"currency": "string", "title": "string"}, {"ok": "boolean"}, ("Shop",))
    for a in (checkout, track, listing):
        for schema in list(a["parameters"]["properties"].values()) + list(a["returns"]["properties"].values()):
            schema["description"] = "x"
    library = Library([Api.model_validate(a) for a in (checkout, track, listing)])
    assert {link.field for link in library.links} == {"order_id", "currency"}
    rng = random.Random(0)
    steps = [library.step("dependent", rng, "low") for _ in range(20)]
    assert {(s.calls[0].api.name, s.calls[1].api.name) for s in steps} == {("checkout", "track_order")}


def search_and_details():
    search = api("search_fact_checks", {"claim": "string"}, {"total": "integer"}, ("News",))
    search["returns"]["properties"]["fact_checks"] = {"type": "array", "items": {"type": "object", "properties": {
        "fact_check_id": {"type": "string"}, "rating": {"type": "string"}}}}
    details = api("get_fact_check", {"fact_check_id": "string"}, {"rating": "string", "url": "string"}, ("News",))
    return search, details


def test_a_search_links_through_the_ids_of_the_items_it_finds():
    """Review round 7: a library of 8 APIs had no link, because a search's ids sit in its list items
    (search -> id -> details, ToolACE's commonest chain) and only top-level fields were read."""
    from toolace.apis.links import path_text, value_at
    search, details = search_and_details()
    path = "fact_checks[].fact_check_id"
    assert [(l.producer, l.field, l.consumer, l.parameter) for l in find_links([search, details])] == \
        [(0, path, 1, "fact_check_id")]
    assert handles(search) == [(path, "string")]
    assert value_at({"fact_checks": [{"fact_check_id": "fc-1"}, {"fact_check_id": "fc-2"}]}, path) == "fc-1"
    assert path_text(path) == "fact_check_id of the top result in fact_checks" and path_text("order_id") == "order_id"
    # an item field repeating the search's own input is no more a find than a top-level echo
    search["parameters"]["properties"]["fact_check_id"] = {"type": "string"}
    assert find_links([search, details]) == [] and handles(search) == []


def test_a_field_of_a_record_parameter_echoed_in_the_result_is_not_found_either():
    """Review round 8: a family job chained on deal_id, which the booking API took inside its
    deliveries list and echoed in each booking, instead of the booking_id it made."""
    book = api("book_deliveries", {"store_id": "string"}, {"count": "integer"})
    book["parameters"]["properties"]["deliveries"] = {"type": "array", "items": {"type": "object", "properties": {
        "deal_id": {"type": "string"}, "address": {"type": "string"}}}}
    book["returns"]["properties"]["bookings"] = {"type": "array", "items": {"type": "object", "properties": {
        "booking_id": {"type": "string"}, "deal_id": {"type": "string"}}}}
    assert handles(book) == [("bookings[].booking_id", "string")]
