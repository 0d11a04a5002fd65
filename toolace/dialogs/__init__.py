"""Dialog generation (DESIGN §1.3): plan, then user, assistant and tool agents write each dialog."""

from toolace.dialogs.generate import dialog_figures, gen_dialogs, kind_rows

__all__ = ["dialog_figures", "gen_dialogs", "kind_rows"]
