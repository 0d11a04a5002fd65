"""Dialog generation (DESIGN §1.3): plan, then user, assistant and tool agents write each dialog."""

from toolace.dialogs.generate import gen_dialogs, kind_rows, kind_summary

__all__ = ["gen_dialogs", "kind_rows", "kind_summary"]
