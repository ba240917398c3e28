"""User-facing errors. The CLI prints any GlossaryError as one line and exits with code 2."""

from __future__ import annotations


class GlossaryError(Exception):
    """Base class: a problem the user can fix. The message says what, where, and what to do."""


class UsageError(GlossaryError):
    """Bad arguments: unknown language, empty query, unknown format."""


class CorpusError(GlossaryError):
    """A corpus file or path cannot be used."""


class StoreError(GlossaryError):
    """The glossary workbook is missing, corrupt, invalid, locked or cannot be written."""


class ValidationError(StoreError):
    """The workbook loaded but breaks a rule; carries every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        first = self.problems[0] if self.problems else "invalid glossary"
        more = f" (and {len(self.problems) - 1} more problems)" if len(self.problems) > 1 else ""
        super().__init__(first + more)


class ModelError(GlossaryError):
    """The embedding model cannot be loaded or used."""


class FormatError(GlossaryError):
    """An import file (TBX, CSV, concept list) is malformed."""


class OutputError(GlossaryError):
    """An output file (export, report) or cache cannot be written; nothing half-written is left."""


def first_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's message as one short line for an error message (its type if it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0][:limit] if text else type(exc).__name__
