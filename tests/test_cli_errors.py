"""Every mistake a user can make on the command line gives one line on stderr and exit code 2."""

from __future__ import annotations

import subprocess
import sys

import pytest
from clirun import one_line, run

from glossary import __version__


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("allign", "seeds/"), "No such command 'allign'. Did you mean 'align'?"),
        (("read", "seeds/", "--langg", "fr"), "No such option: --langg"),
        (("candidates", "seeds/", "--top", "abc"), "Invalid value for '--top'"),
        (("lookup", "dân vận", "--limit", "0"), "Invalid value for '--limit'"),
        (("export", "--format"), "Option '--format' requires an argument"),
        (("read",), "Missing argument"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(monkeypatch, capsys, args, expected):
    code, _, err = run(monkeypatch, capsys, *args)
    assert code == 2
    line = one_line(err)
    assert line.startswith("error: ") and expected in line


def test_check_without_lang_says_so(monkeypatch, capsys, tmp_path):
    text = tmp_path / "translation.txt"
    text.write_text("Partikomiteen møttes.\n", encoding="utf-8")
    code, _, err = run(monkeypatch, capsys, "check", str(text))
    assert code == 2
    assert "--lang" in one_line(err)


def test_version_prints_the_version(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys, "--version")
    assert code == 0
    assert out.strip() == f"glossary {__version__}"
    assert not err


def test_no_arguments_print_the_help_and_exit_2(monkeypatch, capsys):
    code, out, err = run(monkeypatch, capsys)
    assert code == 2
    assert "Usage: glossary" in out and "align" in out
    assert "Traceback" not in err and "internal error" not in err


def test_help_has_no_hard_wraps_and_no_bool_metavar(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(monkeypatch, capsys, "--help")
    assert code == 0
    # at 200 columns the lookup summary fits on one line: no break left from the source
    line = next(ln for ln in out.splitlines() if " lookup " in ln)
    assert "English gloss, inflected" in line, out
    code, out, _ = run(monkeypatch, capsys, "export", "--help")
    assert "<bool>" not in out
    assert "--include-proposed" in out


def test_python_dash_m_glossary_runs_the_cli_in_a_real_process():
    proc = subprocess.run(
        [sys.executable, "-m", "glossary", "allign"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "Did you mean 'align'?" in one_line(proc.stderr)
    proc = subprocess.run(
        [sys.executable, "-m", "glossary", "--version"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"glossary {__version__}"
