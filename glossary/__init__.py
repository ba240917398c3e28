"""glossary: build, review and use a multilingual glossary keyed to Vietnamese source terms.

The Python API (everything the CLI does, one import away):

    read_corpus(paths, lang=None) -> Corpus          articles as Documents, bad files skipped
    extract_candidates(documents) -> [Candidate]     recurring terms, names, codes, slogans
    align(corpus_paths, glossary_path, ...)          the whole `glossary align` job -> AlignRun
                                                     (cluster=ClusterOptions(workers=4): on Dask)
    align_candidates(candidates, embedder, concepts) alignment alone -> AlignResult
    load(path) / save(glossary, path) / update(path, proposal) / validate(path)
                                                     the terms.xlsx review store
    load_concept_list(path) -> [ConceptEntry]        a CSV/TSV/XLSX concept list
    load_index(path) / build_index(glossary)         the lookup index of a workbook
    lookup_term(index, query, to=...) -> [LookupResult]  a concept from any language or form
    check_file(path, glossary, lang) -> [Finding]    terminology QA of a translation
    export_glossary(glossary, fmt, ...) -> str       TBX v3/v2, CSV, memoQ/Trados, OmegaT, JSON
    import_into(file, workbook) -> ImportReport      bring a TBX/CSV termbase into the workbook

Records: Document, Candidate, ConceptEntry, TermEntry, ContextEntry, Glossary (glossary.models).
Errors: GlossaryError and its subclasses (glossary.errors); each message says what to fix.

Heavy modules (torch, sentence-transformers, openpyxl) load only when a function needs them.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# public name -> "module:attribute"; resolved on first use so `import glossary` stays light
# (No public name may equal a submodule's: `from glossary import lookup` is the module.)
_API = {
    "read_corpus": "glossary.corpus:read_corpus",
    "extract_candidates": "glossary.extract:extract_candidates",
    "align": "glossary.pipeline:run_align",
    "align_candidates": "glossary.alignment:align",
    "AlignSettings": "glossary.alignment.settings:AlignSettings",
    "ClusterOptions": "glossary.cluster:ClusterOptions",
    "load": "glossary.store:load",
    "save": "glossary.store:save",
    "update": "glossary.store:update",
    "validate": "glossary.store:validate_file",
    "load_concept_list": "glossary.store:load_concept_list",
    "load_index": "glossary.lookup:load_index",
    "build_index": "glossary.lookup:build_index",
    "lookup_term": "glossary.lookup:lookup",
    "check_file": "glossary.check:check_file",
    "check_text": "glossary.check:check_text",
    "export_glossary": "glossary.export:export",
    "import_file": "glossary.importer:import_file",
    "import_into": "glossary.importer:import_into",
    "Glossary": "glossary.models:Glossary",
    "ConceptEntry": "glossary.models:ConceptEntry",
    "TermEntry": "glossary.models:TermEntry",
    "ContextEntry": "glossary.models:ContextEntry",
    "Candidate": "glossary.models:Candidate",
    "Document": "glossary.models:Document",
    "GlossaryError": "glossary.errors:GlossaryError",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    """Resolve an API name on first use."""
    target = _API.get(name)
    if target is None:
        raise AttributeError(f"module 'glossary' has no attribute {name!r}")
    module, attribute = target.split(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
