"""Dialog generation (DESIGN §1.3): plan, then user, assistant and tool agents write each dialog."""

from typing import Any

__all__ = ["dialog_figures", "gen_dialogs", "kind_rows"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the run config reads the planner's kinds and parsers (toolace.dialogs.plan)
    # while toolace.dialogs.generate reads the run config's DialogsConfig.
    if name in __all__:
        from toolace.dialogs import generate
        return getattr(generate, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
