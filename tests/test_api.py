"""The Python API: what README promises a Python user, run as written."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from conftest import ROOT


def test_readme_python_example_runs_as_written():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- python-api -->\s*```python\n(.*?)```", readme, re.S)
    assert block, "README.md has no python-api example"
    proc = subprocess.run(
        [sys.executable, "-c", block.group(1)], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "5 documents" in proc.stdout


def test_help_lists_the_api():
    proc = subprocess.run(
        [sys.executable, "-c", "import glossary; help(glossary)"], cwd=ROOT, capture_output=True,
        text=True, env={**os.environ, "PAGER": "cat", "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    for name in ("read_corpus", "extract_candidates", "align", "load", "save", "update",
                 "validate", "lookup_term", "check_file", "export_glossary", "import_into"):  # fmt: skip
        assert re.search(rf"^    {name}\b", proc.stdout, re.M), name


def test_api_names_do_not_hide_submodules():
    import importlib

    import glossary

    for name in glossary.__all__:
        assert importlib.util.find_spec(f"glossary.{name}") is None, name


def test_import_glossary_stays_light():
    code = "import glossary, sys; print(sorted(m for m in ('torch', 'numpy', 'openpyxl') if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.stdout.strip() == "[]"
