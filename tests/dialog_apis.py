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
