"""Cases from BFCL's ground truth that verify used to reject although their calls are valid."""

import json

from toolace.formats.tools import api_from_bfcl
from verify_samples import call_dialog, verdict

# live_simple_78-39-0: the system prompt carries an older tool listing whose *parameters* are objects
# with a "name"; they are not functions missing from the tool list.
GORILLA_PROMPT = ('If your response contains function you have to put <<function>> infront of it.\n### Instruction: '
                  '<<function>>[[{"name": "send_email", "api_name": "send_email", "description": "template to have '
                  'an email sent.", "parameters": [{"name": "to_address", "description": "To address for email"}, '
                  '{"name": "subject", "description": "the subject of the email"}]}]]')
SEND_EMAIL = {"name": "send_email", "description": "Send an email.", "parameters": {"type": "dict", "properties": {
    "to_address": {"type": "string", "description": "To."}, "subject": {"type": "string", "description": "Subject."}},
    "required": ["to_address"]}}


def _with_system(text):
    dialog = call_dialog(api_from_bfcl(SEND_EMAIL).to_dict(), {"to_address": "andy@gorilla.ai", "subject": "Hi"})
    dialog["messages"].insert(0, {"role": "system", "content": text})
    return dialog


def test_parameter_objects_in_a_system_prompt_are_not_offered_functions():
    assert verdict(_with_system(GORILLA_PROMPT)) == ([], [])


def test_a_function_the_prompt_offers_but_the_tool_list_lacks_is_still_a_conflict():
    extra = json.dumps([{"name": "send_fax", "description": "Fax.", "parameters": {"type": "dict", "properties": {}}}])
    failures, _ = verdict(_with_system(GORILLA_PROMPT + "\nAlso: " + extra))
    assert [(f.check, f.message.rsplit(": ", 1)[1]) for f in failures] == [("system_format_conflict", "send_fax")]


def test_a_called_tool_with_an_undescribed_parameter_is_kept_with_a_warning():
    # parallel_9: find_movie_showing's "time" parameter has no description
    tool = api_from_bfcl({"name": "find_movie_showing", "description": "Find local movie theatres and their schedule.",
                          "parameters": {"type": "dict", "properties": {
                              "location": {"type": "string", "description": "The city."},
                              "time": {"type": "array", "items": {"type": "string", "description": "Show time."}}},
                              "required": ["location", "time"]}}).to_dict()
    failures, warnings = verdict(call_dialog(tool, {"location": "San Diego, CA", "time": ["5 pm", "7:30 pm"]}))
    assert failures == [] and [w.path for w in warnings] == ["tools[0].parameters.properties.time.description"]
