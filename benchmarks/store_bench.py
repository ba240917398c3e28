"""Load and save times of terms.xlsx for a glossary of 10,000 terms.

    python benchmarks/store_bench.py [--terms 10000] [--repeat 3] [--out FILE]

Writes benchmarks/results/store.json (median seconds of each step). Steps: save (a new
workbook), load, validate, update (a re-run with new evidence: load + merge + write + backup),
unchanged (a re-run that changes nothing) and, when the store has it, formatted (update of a
workbook a reviewer formatted by hand, written by openpyxl load-and-modify; timed once).

Also: where a load's time goes (load_parts), and `writers`: the same workbook written by the
store's writer and by each library's plain way, which is how the writer was chosen.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import openpyxl

from glossary import store
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.store.schema import MACHINE, MACHINE_COLUMNS, SHEETS

LANGS = ("nb", "nl", "cs", "sv", "fr")
RESULTS = Path(__file__).resolve().parent / "results" / "store.json"


def make_glossary(n_terms: int) -> Glossary:
    """A glossary shaped like real output: 5 languages per concept, one context per term."""
    g = Glossary(about={"corpus": "synthetic", "model": "none", "date": "2025-05-02"})
    for i in range(n_terms // len(LANGS)):
        cid = f"c{i:05d}"
        g.concepts.append(
            ConceptEntry(cid, vi=f"khái niệm số {i} của Bộ Y tế", en=f"concept {i}", kind="term")
        )
        for lang in LANGS:
            term = f"term {i} ({lang}) – «ví dụ» nr. {i * 7 % 1000}"
            sentence = f"Ifølge rapporten ble {term} nevnt av Helsedepartementet i går, {i}."
            g.terms.append(
                TermEntry(
                    cid,
                    lang,
                    term,
                    confidence=(i % 100) / 100,
                    frequency=i % 37 + 1,
                    documents=f"{lang}/article-{i % 300:03d}.txt; {lang}/article-{i % 17:03d}.txt",
                    context=sentence,
                    source="glossary align (benchmark)",
                    updated="2025-05-02T10:00:00",
                    evidence=f"similarity {(i % 100) / 100:.2f}",
                )  # fmt: skip
            )
            g.contexts.append(
                ContextEntry(cid, lang, term, f"{lang}/article-{i % 300:03d}.txt", i, sentence)
            )
    return g


def hand_format(path: Path) -> None:
    """Colour one cell, as a reviewer would, so the workbook holds formatting to keep."""
    from openpyxl.styles import PatternFill

    wb = openpyxl.load_workbook(path)
    wb["Terms"]["J2"].fill = PatternFill("solid", start_color="FFFF00")
    wb.save(path)


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median_of(fn, repeat: int) -> float:
    return round(statistics.median(timed(fn) for _ in range(repeat)), 3)


# ---------------------------------------------------------------- where a load's time goes
def load_parts(path: Path, repeat: int) -> dict[str, float]:
    """Median seconds of a load's stages, each timed on its own: sizing the file up (bounded
    reading); sizing up and parsing the tool's sheets (python-calamine); the whole read, which
    adds making the records from the cells and checking them."""
    from glossary.store.guard import scan
    from glossary.store.reader import TOOL_SHEETS, read, read_workbook

    return {
        "size_up": median_of(lambda: scan(path), repeat),
        "size_up_and_parse": median_of(lambda: read_workbook(path, TOOL_SHEETS), repeat),
        "read": median_of(lambda: read(path), repeat),
    }


# ---------------------------------------------------------------- writers compared
def sheet_cells(glossary: Glossary) -> dict[str, list[tuple]]:
    """Every data sheet's cells, header first, as the store writes them (About aside)."""
    from glossary.store.memory import memory_rows
    from glossary.store.writer import sheet_rows

    rows = sheet_rows(glossary)
    cells = {spec.name: [tuple(spec.names), *rows[spec.name]] for spec in SHEETS}
    cells[MACHINE] = [MACHINE_COLUMNS, *memory_rows(glossary)]
    return cells


def with_xlsxwriter(cells: dict[str, list[tuple]]) -> bytes:
    """The cells written one by one through xlsxwriter's own API, without any formatting."""
    import io

    import xlsxwriter

    buffer = io.BytesIO()
    options = {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False}
    wb = xlsxwriter.Workbook(buffer, {**options, "strings_to_urls": False})
    for name, rows in cells.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            ws.write_row(r, 0, [None if v == "" else v for v in row])
    wb.close()
    return buffer.getvalue()


def with_openpyxl(cells: dict[str, list[tuple]]) -> bytes:
    """The cells appended row by row in openpyxl's write-only mode, without any formatting."""
    import io

    wb = openpyxl.Workbook(write_only=True)
    for name, rows in cells.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append([None if v == "" else v for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def writers(glossary: Glossary, path: Path, repeat: int) -> dict[str, object]:
    """Seconds to write the same glossary: the store's writer (a new workbook), xlsxwriter and
    openpyxl by their plain APIs, and the store's writer for a workbook a reviewer formatted
    (openpyxl load-and-modify, timed once). `path` holds the glossary, saved by the store."""
    from glossary.store.patch import patch_bytes
    from glossary.store.reader import read

    cells = sheet_cells(glossary)
    found: dict[str, object] = {"note": "plain writers: the same cells, no formatting"}
    try:
        import xlsxwriter
    except ImportError:  # the store needs it; a bare checkout may still lack it
        print("writers: xlsxwriter is not installed; its figures are left out")
        xlsxwriter = None
    if xlsxwriter is not None:
        found["xlsxwriter_version"] = xlsxwriter.__version__
        found["store_new_workbook"] = median_of(lambda: store.to_bytes(glossary), repeat)
        found["xlsxwriter_cell_by_cell"] = median_of(lambda: with_xlsxwriter(cells), repeat)
    found["openpyxl_write_only"] = median_of(lambda: with_openpyxl(cells), repeat)
    reading = read(path)
    found["store_formatted_workbook"] = round(
        timed(lambda: patch_bytes(path, reading, glossary)), 3
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    proposal = make_glossary(args.terms)
    rerun = replace(proposal, terms=[replace(t, frequency=t.frequency + 1) for t in proposal.terms])
    steps: dict[str, list[float]] = {
        k: [] for k in ("save", "load", "validate", "update", "unchanged", "formatted")
    }
    size = 0
    load_before = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as folder:
        for r in range(args.repeat):
            path = Path(folder) / f"run{r}" / "terms.xlsx"
            glossary = store.merge(Glossary(), proposal)[0]
            steps["save"].append(timed(lambda: store.save(glossary, path)))  # noqa: B023
            steps["load"].append(timed(lambda: store.load(path)))  # noqa: B023
            steps["validate"].append(timed(lambda: store.validate_file(path)))  # noqa: B023
            # load + merge + save with backup, as `glossary align` does on an existing workbook
            steps["update"].append(timed(lambda: store.update(path, rerun)))  # noqa: B023
            steps["unchanged"].append(timed(lambda: store.update(path, rerun)))  # noqa: B023
            size = path.stat().st_size
            if r == 0:
                parts = load_parts(path, args.repeat)
                written = writers(store.load(path), path, args.repeat)
            if r == 0 and hasattr(store, "open_book"):
                hand_format(path)
                steps["formatted"].append(timed(lambda: store.update(path, proposal)))  # noqa: B023
    steps = {k: v for k, v in steps.items() if v}
    result = {
        "terms": len(proposal.terms),
        "concepts": len(proposal.concepts),
        "contexts": len(proposal.contexts),
        "file_bytes": size,
        "repeat": args.repeat,
        "median_seconds": {k: round(statistics.median(v), 3) for k, v in steps.items()},
        "all_seconds": {k: [round(x, 3) for x in v] for k, v in steps.items()},
        "load_parts": parts,
        "writers": written,
        "machine": {
            "python": platform.python_version(),
            "openpyxl": openpyxl.__version__,
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            # other work on the shared cores skews timings: 1-minute load before and after
            "load_average": [load_before, round(os.getloadavg()[0], 2)],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result["median_seconds"]), f"({result['terms']} terms, {size} bytes)")


if __name__ == "__main__":
    main()
