"""The review page: one self-contained HTML file (no server, no network) that shows the whole
glossary as a concept x language matrix, with filters, details on click and inline SVG plots.

    from glossary import report, store
    html = report.render(store.load("terms.xlsx"))
    report.write(store.load("terms.xlsx"), "report.html")
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path

from glossary.errors import GlossaryError, UsageError
from glossary.models import Glossary
from glossary.report.payload import STATUS_COLOURS, payload
from glossary.report.plots import plots

__all__ = ["ReportFile", "corpus_folder", "render", "write"]

_DATA = resources.files("glossary") / "data"


@dataclass(frozen=True)
class ReportFile:
    """What `write` produced."""

    path: Path
    bytes: int
    concepts: int
    terms: int


def _script_json(data: object) -> str:
    """JSON that is safe inside a <script> element: no "</script>", no "<!--", no U+2028."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, code)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def render(glossary: Glossary, corpus: str | Path | None = None, title: str = "") -> str:
    """The review page of a glossary as HTML text. With `corpus` (the folder of the articles),
    contexts also give the line of the document they come from."""
    data = payload(glossary, Path(corpus) if corpus else None, title or "Glossary review")
    template = (_DATA / "report.html").read_text(encoding="utf-8")
    style = (_DATA / "report.css").read_text(encoding="utf-8")
    style = ":root{" + "".join(f"--st-{s}:{c};" for s, c in STATUS_COLOURS.items()) + "}\n" + style
    script = (_DATA / "report.js").read_text(encoding="utf-8")
    # The policy lets the page use only its own style and script and load nothing at all.
    policy = (
        f"default-src 'none'; img-src data:; style-src 'sha256-{_sha256(style)}'; "
        f"script-src 'sha256-{_sha256(script)}'; base-uri 'none'; form-action 'none'"
    )
    parts = {
        "{{policy}}": escape(policy, quote=False),  # single quotes are the policy's own
        "{{title}}": escape(data["title"]),
        "{{style}}": style,
        "{{plots}}": plots(glossary),
        "{{data}}": _script_json(data),
        "{{script}}": script,
    }
    # One pass, so text put in is never searched for markers again.
    return re.sub(r"\{\{[a-z]+\}\}", lambda m: parts.get(m.group(0), m.group(0)), template)


def corpus_folder(glossary: Glossary, glossary_path: Path) -> Path | None:
    """The corpus folder the glossary was built from (about["corpus"]), if it is still there:
    relative to the working folder or to the workbook's folder."""
    name = glossary.about.get("corpus", "").strip()
    if not name:
        return None
    for folder in (Path(name), glossary_path.parent / name):
        if folder.is_dir():
            return folder
    return None


def write(
    glossary: Glossary, output: str | Path, corpus: str | Path | None = None, title: str = ""
) -> ReportFile:
    """Write the review page atomically: an error leaves any existing file untouched."""
    output = Path(output)
    if output.is_dir():
        raise UsageError(f"{output} is a folder; give a file name such as {output / 'report.html'}")
    if output.suffix.lower() in (".xlsx", ".xlsm", ".ods"):
        raise UsageError(f"{output} looks like a workbook; the report is HTML (-o report.html)")
    if corpus is not None and not Path(corpus).is_dir():
        raise UsageError(f"--corpus {corpus}: no such folder (the folder of the articles)")
    if not output.parent.is_dir():
        raise UsageError(f"cannot write {output}: folder {output.parent} does not exist")
    html = render(glossary, corpus, title).encode("utf-8")
    try:
        handle, temp = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=output.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(html)
            os.chmod(temp, 0o644)
            os.replace(temp, output)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise GlossaryError(f"cannot write {output}: {exc.strerror or exc}") from None
    return ReportFile(output, len(html), len(glossary.concepts), len(glossary.terms))
