"""A fake engine for whole-pipeline tests: valid replies for every stage, plus scripted faults."""

from __future__ import annotations

import random
import threading
import zlib

import orjson
from api_fakes import SpecWriter

from toolace.testing.instances import instance
from toolace.testing.fake_server import Action, drop, garbage, hang, reply, status

FAULTS = ["http_500", "http_503", "hang", "drop", "non_json", "schema_break", "truncated"]


class PipelineResponder:
    """Answers chat requests by their schema name; ``fault_rate`` of them fail in one of ``FAULTS``."""

    def __init__(self, fault_rate: float = 0.0, seed: int = 0, hang_seconds: float = 3.0, delay: float = 0.0):
        self.delay = delay
        self.fault_rate = fault_rate
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.specs = SpecWriter()
        self.hang_seconds = hang_seconds
        self.faults: dict[str, int] = {}

    def __call__(self, body: dict) -> Action:
        with self.lock:
            fault = self.rng.choice(FAULTS) if self.rng.random() < self.fault_rate else None
            if fault:
                self.faults[fault] = self.faults.get(fault, 0) + 1
            fmt = body.get("response_format") or {}
            name = fmt.get("json_schema", {}).get("name", "")
            schema = fmt.get("json_schema", {}).get("schema")
            if name == "api_spec":
                content = self.specs.write(body["messages"])
            elif schema is not None:
                # Varied values, but the same for the same messages: self-consistency samples agree.
                tag = zlib.crc32(orjson.dumps(body.get("messages"))) % 1000
                content = instance(schema, f" {tag}")
            else:
                content = "A plain reply."
        text = content if isinstance(content, str) else orjson.dumps(content).decode()
        if fault == "http_500":
            return status(500)
        if fault == "http_503":
            return status(503)
        if fault == "hang":
            return hang(self.hang_seconds)
        if fault == "drop":
            return drop()
        if fault == "non_json":
            return garbage()
        if fault == "schema_break":
            return reply('{"unexpected": true}' if schema is not None else text)
        if fault == "truncated":
            return reply(text[: max(1, len(text) // 2)], "length")
        action = reply(text)
        action.delay = self.delay
        return action


