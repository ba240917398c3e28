"""The review page (`glossary report`): build time, file size and time to render in Chromium.

    python benchmarks/page_bench.py [--terms 10000] [--repeat 5]
    python benchmarks/page_bench.py --screenshot docs/review-page.png   # README's picture

For the repository's terms.xlsx (the seeds) and a synthetic glossary of --terms terms (the
store benchmark's generator, with a share of rows reviewed), writes the page and opens it in
headless Chromium --repeat times. "ready" is the page's own mark (data-ready on <html>):
milliseconds from navigation start to the matrix built and laid out, which includes reading
the file and parsing its data. "update" is the matrix's own rebuild (filter, sort, first rows,
layout), what a reader waits for after changing a filter. Writes benchmarks/results/page.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import lxml.html

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import ROOT, machine, now, write_result  # noqa: E402
from benchmarks.browser import dump_dom, find_chromium, screenshot, with_script  # noqa: E402
from benchmarks.store_bench import make_glossary  # noqa: E402
from glossary import report, store  # noqa: E402
from glossary.models import Glossary  # noqa: E402

# Filters a reviewer might set; each is one full pass of the page's filter-and-render code.
QUERIES = ("", "?lang=sv&status=proposed", "?min=0.2&max=0.6&sort=unsure", "?q=bo%20y%20te%201234")
# A reviewer's decisions on a spread of synthetic rows (percent of rows), for plots and details.
REVIEW_SHARE = (("preferred", 15), ("rejected", 4), ("admitted", 3), ("deprecated", 2))


def reviewed(glossary: Glossary) -> Glossary:
    """The synthetic glossary with about a quarter of its rows decided by a reviewer."""
    terms = []
    for i, t in enumerate(glossary.terms):
        draw, status = (i * 2654435761) % 100, "proposed"  # Knuth's hash spreads the rows
        for name, share in REVIEW_SHARE:
            if draw < share:
                status = name
                break
            draw -= share
        terms.append(replace(t, status=status))
    return replace(glossary, terms=terms)


def browse(exe: str, page: Path, query: str, repeat: int) -> dict:
    """Median and all of the page's ready and update times, and Chromium's wall time."""
    ready, update, wall, shown = [], [], [], ""
    for _ in range(repeat):
        began = time.perf_counter()
        dom = lxml.html.fromstring(dump_dom(exe, page.resolve().as_uri() + query))
        wall.append(time.perf_counter() - began)
        ready.append(float(dom.get("data-ready")))
        update.append(float(dom.get("data-update-ms")))
        shown = dom.get("data-shown")
    return {
        "query": query or "(none)",
        "concepts_shown": int(shown),
        "ready_ms_median": statistics.median(ready),
        "update_ms_median": statistics.median(update),
        "chromium_process_s_median": round(statistics.median(wall), 2),
        "ready_ms": ready,
        "update_ms": update,
    }


def measure(exe: str, glossary: Glossary, folder: Path, name: str, repeat: int) -> dict:
    page = folder / f"{name}.html"
    corpus = ROOT / "seeds" if name == "seeds" else None  # line numbers, as `glossary report`
    began = time.perf_counter()
    written = report.write(glossary, page, corpus)
    build = time.perf_counter() - began
    print(f"{name}: {written.terms} terms, {written.bytes:,} bytes, built in {build:.2f} s")
    runs = [browse(exe, page, query, repeat) for query in (QUERIES if name != "seeds" else ("",))]
    for r in runs:
        print(
            f"  {r['query']}: ready {r['ready_ms_median']:.0f} ms, update {r['update_ms_median']:.0f} ms"
        )
    return {
        "concepts": written.concepts,
        "terms": written.terms,
        "contexts": len(glossary.contexts),
        "file_bytes": written.bytes,
        "build_seconds": round(build, 3),
        "browser": runs,
    }


# The picture opens one term's details, as a reader would by clicking it.
CLICK = (
    "addEventListener('load',()=>document.querySelector("
    "'div[data-concept=dan_van_kheo] div[data-lang=fr] button.term').click());"
)


def picture(exe: str, png: Path) -> None:
    """A screenshot of the seeds' review page, built from the repository's terms.xlsx."""
    with tempfile.TemporaryDirectory() as folder:
        seeds = store.load(ROOT / "terms.xlsx")
        title = "Glossary review: terms.xlsx"  # as `glossary report` titles it
        page = report.write(seeds, Path(folder) / "report.html", ROOT / "seeds", title)
        screenshot(exe, with_script(page.path, CLICK).as_uri(), png, size=(1600, 1200))
    print(f"wrote {png}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--terms", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, help="only write this PNG of the seeds' page")
    args = parser.parse_args()
    exe = find_chromium()
    if not exe:
        sys.exit("chromium is not installed (apt-get install chromium)")
    if args.screenshot:
        picture(exe, args.screenshot)
        return
    result = {"date": now(), "machine": machine(), "repeat": args.repeat, "sizes": {}}
    with tempfile.TemporaryDirectory() as folder:
        seeds = store.load(ROOT / "terms.xlsx")
        result["sizes"]["seeds"] = measure(exe, seeds, Path(folder), "seeds", args.repeat)
        big = reviewed(make_glossary(args.terms))
        name = f"synthetic_{args.terms // 1000}k"
        result["sizes"][name] = measure(exe, big, Path(folder), name, args.repeat)
    result["chromium"] = exe
    print(f"wrote {write_result('page', result).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
