"""Running the CLI in this process, and the one-line-error promise every mistake keeps."""

from __future__ import annotations

import sys

from glossary import cli


def run(monkeypatch, capsys, *args: str):
    """Run `glossary ARGS` in this process through cli.main: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["glossary", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as done:
        code = done.code or 0
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line(stderr: str) -> str:
    """The single non-blank line of stderr; no traceback, no internal error."""
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    return lines[0]
