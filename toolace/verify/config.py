"""The thresholds and switches of the rule layer, validated when loaded (unknown keys refused)."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from toolace.errors import InputError
from toolace.jsonl import load_json_file
from toolace.options import Pattern

# Any printable name without leading or trailing blanks: real tool sets (ToolACE's among them) use
# spaces, dots, slashes and brackets in names ("Market Trends API", "recipes/list"). Tighten it,
# e.g. to OpenAI's "[A-Za-z0-9_-]{1,64}", when the target trainer needs that.
PERMISSIVE_NAME_PATTERN = r"[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]{0,126}[^\s\x00-\x1f\x7f])?"


class RuleConfig(BaseModel):
    """What the rule layer accepts; every field has a default that keeps correct real data."""

    model_config = ConfigDict(extra="forbid")

    name_pattern: Pattern = Field(PERMISSIVE_NAME_PATTERN,
                                  description="regex every function and parameter name must match")
    require_returns: bool = Field(False, description="an API without a returns schema fails (missing_returns)")
    require_parameter_descriptions: bool = Field(True, description="a parameter without description fails")
    max_reply_chars: int = Field(4000, gt=0, description="longest assistant text (reply_too_long)")
    mixed_language_tolerance: float = Field(0.15, ge=0, le=1,
                                            description="largest share of words in a second script")
    mixed_language_min_words: int = Field(3, ge=1, description="fewer second-script words are always fine")
    # 5 = toolace.dialogs.leak.LEAK_WORDS, not imported here: this module stays light to import.
    prompt_leak_words: int = Field(5, ge=0, description="this many words in a row from toolace's agent "
                                                        "instructions make a text a prompt_leak (0: off)")
    require_terminal_punctuation: bool = Field(False, description="a final reply must end like a sentence")
    strict_formats: bool = Field(False, description="date-time/time need a UTC offset and seconds (RFC 3339)")
    allow_trailing_calls: bool = Field(True, description="a dialog may end on a call turn without results "
                                                         "(xLAM/BFCL-style call-only samples)")
    strict: bool = Field(False, description="warnings (flaws of tool declarations the dialog does not depend "
                                            "on) reject the dialog too")

    @classmethod
    def load(cls, path: str | Path) -> "RuleConfig":
        """Read a JSON file of overrides; errors name the file and the key."""
        path = Path(path)
        data = load_json_file(path)
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(map(str, first["loc"]))
            raise InputError(f"{path}: {where + ': ' if where else ''}{first['msg']}") from None
