"""Edit cells of a workbook in headless LibreOffice, as a reviewer would, and save it as xlsx.

Run with Debian's /usr/bin/python3 (it has the `uno` module):
    python3 lo_edit.py IN.xlsx OUT.xlsx '[["Terms", "E2", "preferred"], ["Terms", "J3", "a note"]]'
Each edit sets a cell's text; a sheet that is not there is added. The profile, HOME and TMPDIR live in a private folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import uno  # noqa: F401 - registers the com.sun.star importer
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def main() -> int:
    src, dst = Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve()
    edits = json.loads(sys.argv[3])
    work = Path(tempfile.mkdtemp(prefix="lo-edit-"))
    pipe = f"glossary_test_{os.getpid()}"
    env = dict(os.environ, HOME=str(work), TMPDIR=str(work))
    proc = subprocess.Popen(
        [
            "soffice",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nodefault",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],  # fmt: skip
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        local = uno.getComponentContext()
        resolver = local.ServiceManager.createInstanceWithContext(
            "com.sun.star.bridge.UnoUrlResolver", local
        )
        deadline = time.time() + 60
        while True:
            try:
                ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
                break
            except NoConnectException:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)
        desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        doc = desktop.loadComponentFromURL(src.as_uri(), "_blank", 0, (prop("Hidden", True),))
        if doc is None:
            print(f"LibreOffice could not open {src}", file=sys.stderr)
            return 1
        sheets = doc.Sheets
        for sheet, cell, value in edits:
            if not sheets.hasByName(sheet):  # a sheet of the reviewer's own
                sheets.insertNewByName(sheet, sheets.getCount())
            sheets.getByName(sheet).getCellRangeByName(cell).setString(value)
        doc.storeToURL(
            dst.as_uri(), (prop("FilterName", "Calc MS Excel 2007 XML"), prop("Overwrite", True))
        )
        doc.close(True)
        # The bridge drops as soffice exits, which raises here.
        with contextlib.suppress(Exception):
            desktop.terminate()
        return 0
    finally:
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


if __name__ == "__main__":
    sys.exit(main())
