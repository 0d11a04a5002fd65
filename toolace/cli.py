"""The ``toolace`` command line: thin commands that parse options and call library functions."""

from __future__ import annotations

import logging
import sys

from rich.logging import RichHandler

from toolace.cli_app import app, console
from toolace.errors import ToolaceError

# Each module registers its commands on `app`.
from toolace.commands import engine  # noqa: F401,E402
from toolace.commands import dialogs  # noqa: F401,E402
from toolace.commands import verify  # noqa: F401,E402
from toolace.commands import apis  # noqa: F401,E402
from toolace.commands import tree  # noqa: F401,E402
from toolace.commands import report  # noqa: F401,E402
from toolace.commands import formats  # noqa: F401,E402
from toolace.commands import pipeline  # noqa: F401,E402


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(message)s",
                        handlers=[RichHandler(console=console, show_path=False, show_time=False)])
    try:
        app()
    except ToolaceError as e:
        console.print(f"[red]error:[/red] {e}", soft_wrap=True, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        console.print("interrupted")
        sys.exit(130)
