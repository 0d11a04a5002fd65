"""A small hand-written API library for the dialog tests: related domains, a dependent pair, enums."""

from toolace.records import Api


def _api(name, description, domain, params, required, returns=None):
    return Api(name=name, description=description, domain=domain,
               parameters={"type": "object", "properties": params, "required": required},
               returns=returns)


def library() -> list[Api]:
    city = {"type": "string", "description": "City name, e.g. Paris"}
    return [
        _api("get_weather", "Current weather for a city.", ["Travel", "Weather"],
             {"city": city, "unit": {"type": "string", "enum": ["c", "f"], "description": "Temperature unit"}},
             ["city"], {"type": "object", "properties": {"temp": {"type": "number"}, "sky": {"type": "string"}},
                        "required": ["temp", "sky"]}),
        _api("get_forecast", "Weather forecast for the next days in a city.", ["Travel", "Weather"],
             {"city": city, "days": {"type": "integer", "minimum": 1, "maximum": 7}}, ["city", "days"],
             {"type": "object", "properties": {"days": {"type": "array", "items": {"type": "string"}}}}),
        _api("find_user", "Find a user account by email address.", ["Accounts", "Users"],
             {"email": {"type": "string", "description": "The user's email"}}, ["email"],
             {"type": "object", "properties": {"user_id": {"type": "string"}, "name": {"type": "string"}},
              "required": ["user_id"]}),
        _api("list_orders", "List the recent orders of a user.", ["Accounts", "Orders"],
             {"user_id": {"type": "string", "description": "Account id"},
              "limit": {"type": "integer", "minimum": 1, "maximum": 20}}, ["user_id"],
             {"type": "object", "properties": {"orders": {"type": "array", "items": {
                 "type": "object", "properties": {"order_id": {"type": "string"}, "total": {"type": "number"}}}}}}),
        _api("convert_currency", "Convert an amount between two currencies.", ["Finance", "Currency"],
             {"amount": {"type": "number"}, "from": {"type": "string", "description": "ISO code"},
              "to": {"type": "string", "description": "ISO code"}}, ["amount", "from", "to"],
             {"type": "object", "properties": {"converted": {"type": "number"}}}),
        _api("translate_text", "Translate a text into another language.", ["Language", "Translation"],
             {"text": {"type": "string"}, "target": {"type": "string", "description": "Language code"}},
             ["text", "target"]),  # no returns: imported APIs often lack one
        _api("random_joke", "Tell a random joke.", ["Entertainment", "Humor"], {}, []),
    ]


def nested_library() -> list[Api]:
    """APIs whose results are structured (lists of records, records of lists) or left open, and a
    producer -> consumer pair: what a tool simulator must fill without going hollow."""
    station = {"type": "string", "description": "Station code, e.g. 8011160"}
    return [
        _api("search_trains", "Train connections from a station on a date.", ["Travel", "Rail"],
             {"origin": station, "date": {"type": "string", "format": "date", "description": "Travel date"}},
             ["origin", "date"],
             {"type": "object", "properties": {
                 "origin": station,
                 "connections": {"type": "array", "description": "Connections found", "items": {
                     "type": "object", "properties": {
                         "connection_id": {"type": "string", "description": "Id to book it"},
                         "stops": {"type": "array", "items": {"type": "string"}, "description": "Stops"},
                         "price": {"type": "object", "description": "Fare", "properties": {
                             "amount": {"type": "number", "description": "Amount"},
                             "currency": {"type": "string", "description": "ISO code"}}}}}},
                 "fares": {"type": "object", "description": "Fares by class (fields not documented)"},
                 "operators": {"type": "array", "description": "Operators", "items": {"type": "object"}},
                 "booking_id": {"type": "string", "description": "Id of a hold on the first connection"}}}),
        _api("book_connection", "Book a held train connection.", ["Travel", "Rail"],
             {"booking_id": {"type": "string", "description": "Id of the hold"},
              "seats": {"type": "integer", "minimum": 1, "maximum": 4, "description": "Seats"}},
             ["booking_id", "seats"],
             {"type": "object", "properties": {
                 "ticket": {"type": "object", "description": "The ticket", "properties": {
                     "ticket_number": {"type": "string", "description": "Ticket number"},
                     "passengers": {"type": "array", "description": "Names", "items": {"type": "string"}}}},
                 "total": {"type": "number", "description": "Amount charged"}}}),
        _api("station_info", "Facilities of a station.", ["Travel", "Rail"], {"origin": station}, ["origin"],
             {"type": "object", "properties": {"facilities": {"type": "array", "description": "Facilities",
                                                               "items": {"type": "string"}}}}),
    ]
