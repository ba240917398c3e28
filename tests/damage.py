"""Bad workbooks, made the way an adversarial reviewer (or a broken tool) would make them."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from glossary.store.guard import MAX_UNPACKED_BYTES, sheet_parts


def _rewrite_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as z:
        members = [(info, z.read(info)) for info in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info.filename, change(data) if info.filename == part else data)


def huge_declared_row(path: Path) -> None:
    """A Terms sheet with a cell in row 2,000,000,000 (a reader would pad rows up to it)."""
    row = b'<row r="2000000000"><c r="A2000000000" t="inlineStr"><is><t>x</t></is></c></row>'
    _rewrite_part(
        path,
        sheet_parts(path)["Terms"],
        lambda xml: xml.replace(b"</sheetData>", row + b"</sheetData>"),
    )


def zip_bomb(path: Path) -> None:
    """A Terms sheet that unpacks to more than the reading limit (it zips to a few hundred KB)."""
    pad = b" " * (MAX_UNPACKED_BYTES + 1024)
    _rewrite_part(
        path,
        sheet_parts(path)["Terms"],
        lambda xml: xml.replace(b"</worksheet>", pad + b"</worksheet>"),
    )


def empty_lock_file(path: Path) -> None:
    """The empty lock file LibreOffice can leave behind."""
    path.with_name(f".~lock.{path.name}#").write_bytes(b"")


def read_only(path: Path) -> None:
    os.chmod(path, 0o444)


def add_to_terms_sheet(path: Path, xml: bytes) -> None:
    """Append raw rows to the Terms sheet's cells, as a broken tool might write them."""
    _rewrite_part(
        path,
        sheet_parts(path)["Terms"],
        lambda sheet: sheet.replace(b"</sheetData>", xml + b"</sheetData>"),
    )


def declared_size(path: Path, ref: bytes) -> None:
    """A Terms sheet whose <dimension> declares the size `ref` (e.g. b"A1:XFD1048576")."""
    import re

    _rewrite_part(
        path,
        sheet_parts(path)["Terms"],
        lambda sheet: re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="' + ref + b'"', sheet),
    )
