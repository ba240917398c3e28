"""Command-line interface: a thin layer that parses options, calls the library and prints."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from glossary.errors import GlossaryError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="rich",
    help="Build, review and use a multilingual glossary keyed to Vietnamese source terms.",
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=False)
err = Console(stderr=True)

JSON_OPTION = typer.Option(False, "--json", help="Print JSON for scripts instead of a table.")
GLOSSARY_OPTION = typer.Option(
    Path("terms.xlsx"), "--glossary", "-g", help="The glossary workbook.", envvar="GLOSSARY_FILE"
)


def print_json(data) -> None:
    """Write data as JSON to stdout (UTF-8, not ASCII-escaped)."""
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- commands
# Each command: parse, call the library, print. Keep logic in the library modules.

# (commands are added below, one section per stage)


def main() -> None:
    """Entry point: run the app and turn user-fixable errors into one line and exit code 2."""
    try:
        app(standalone_mode=False)
    except GlossaryError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            err.print("[red]aborted[/red]")
            sys.exit(1)
        if os.environ.get("GLOSSARY_DEBUG"):
            raise
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(set GLOSSARY_DEBUG=1 for the traceback and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(3)


if __name__ == "__main__":
    main()
