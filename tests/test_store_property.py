"""Property: whatever a reviewer does in the workbook, re-alignment and reload lose none of it."""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from glossary import store
from glossary.errors import ValidationError
from glossary.models import TERM_STATUSES, ConceptEntry, ContextEntry, Glossary, TermEntry

DATA = Path(__file__).parent / "data" / "store"
LANGS = ("nb", "nl", "cs", "sv", "fr")
LETTERS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    "ạảãàáâậầấẩẫăắằặẳẵđĐêếềệểễôồốộổỗơờớợởỡưừứựửữ"
    "čďěňřšťůžýČŘŠŽ«»’éèçœ=+-'\u00a0 "
)
text = st.text(alphabet=LETTERS, min_size=1, max_size=24).filter(lambda s: s.strip())
note_text = st.text(alphabet=LETTERS + "\n", max_size=40)


def proposal() -> Glossary:
    raw = json.loads((DATA / "proposal.json").read_text(encoding="utf-8"))
    return Glossary(
        concepts=[ConceptEntry(**c) for c in raw["concepts"]],
        terms=[TermEntry(**t, source="glossary align (test)") for t in raw["terms"]],
        contexts=[ContextEntry(**c) for c in raw["contexts"]],
        about=raw["about"],
    )


edit = st.one_of(
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(TERM_STATUSES)),
    st.tuples(st.just("note"), st.integers(0, 99), note_text),
    st.tuples(st.just("term"), st.integers(0, 99), text),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, 3)),
    st.tuples(st.just("add"), st.integers(0, 3), st.tuples(st.sampled_from(LANGS), text)),
    st.tuples(
        st.just("concept"),
        st.integers(0, 3),
        st.tuples(st.sampled_from(["en", "definition"]), text),
    ),
    st.tuples(st.just("sort"), st.just(0), st.just(0)),
)
new_terms = st.lists(st.tuples(st.integers(0, 3), st.sampled_from(LANGS), text), max_size=4)


def apply_edits(path: Path, edits) -> None:
    """Make the edits in the workbook as a reviewer would, cell by cell."""
    wb = openpyxl.load_workbook(path)
    terms, concepts = wb["Terms"], wb["Concepts"]
    cols = {c.value: c.column for c in terms[1]}
    ids = [concepts.cell(row=r, column=1).value for r in range(2, concepts.max_row + 1)]
    for op, a, b in edits:
        n = terms.max_row - 1
        row = 2 + a % n if n else None
        if op == "status":
            terms.cell(row=row, column=cols["status"]).value = b
        elif op == "note":
            terms.cell(row=row, column=cols["note"]).value = b
        elif op == "term":
            terms.cell(row=row, column=cols["term"]).value = b
        elif op == "move":
            terms.cell(row=row, column=cols["concept_id"]).value = ids[b]
        elif op == "add":
            lang, term = b
            terms.append(
                {
                    cols["concept_id"]: ids[a],
                    cols["lang"]: lang,
                    cols["term"]: term,
                    cols["status"]: "preferred",
                }
            )
        elif op == "concept":
            field, value = b
            column = [c.value for c in concepts[1]].index(field) + 1
            concepts.cell(row=2 + a, column=column).value = value
        elif op == "sort":
            rows = [[c.value for c in r] for r in terms.iter_rows(min_row=2)]
            for r, values in enumerate(reversed(rows), start=2):
                for c, value in enumerate(values, start=1):
                    terms.cell(row=r, column=c).value = value
    wb.save(path)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    edits=st.lists(edit, max_size=8),
    extra=new_terms,
)
def test_random_reviewer_edits_survive_realignment(edits, extra):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "terms.xlsx"
        store.update(path, proposal())
        apply_edits(path, edits)
        nxt = proposal()
        nxt.terms = [replace(t, confidence=0.5, frequency=t.frequency + 1) for t in nxt.terms]
        ids = [c.concept_id for c in nxt.concepts]
        nxt.terms += [TermEntry(ids[i], lang, term, confidence=0.3) for i, lang, term in extra]

        problems = store.validate_file(path)
        if problems:
            before = path.read_bytes()
            with pytest.raises(ValidationError):
                store.update(path, nxt)
            assert path.read_bytes() == before  # an invalid workbook is never written
            return

        reviewed = store.load(path)
        store.update(path, nxt)
        assert store.validate_file(path) == []
        after = store.load(path)

        kept = {(t.concept_id, t.lang, t.term, t.status, t.note) for t in after.terms}
        for t in reviewed.terms:
            assert (t.concept_id, t.lang, t.term, t.status, t.note) in kept
            last = reviewed.machine.get("term:" + t.row_id)
            machine_row = (
                t.status == "proposed"
                and last is not None
                and (last.concept_id, last.lang, last.term) == (t.concept_id, t.lang, t.term)
            )
            if not machine_row:  # the reviewer's: not even re-scored
                assert t in after.terms
        assert after.concepts == reviewed.concepts
        # every machine proposal is either in the workbook or was claimed by a reviewer's edit
        keys = {store.term_key(t.concept_id, t.lang, t.term) for t in after.terms}
        origins = {
            store.term_key(m.concept_id, m.lang, m.term)
            for m in reviewed.machine.values()
            if isinstance(m, TermEntry)
        }
        for p in nxt.terms:
            k = store.term_key(p.concept_id, p.lang, p.term)
            assert k in keys or k in origins


addition = st.one_of(
    st.tuples(st.just("column"), st.integers(0, 99), st.tuples(st.integers(0, 2), text)),
    st.tuples(st.just("sheet"), st.integers(0, 2), text),
    st.tuples(st.just("comment"), st.integers(0, 99), text),
    st.tuples(st.just("delete"), st.integers(0, 99), st.just(0)),
)


def add_things(path: Path, additions) -> set[tuple[str, str, str]]:
    """Add columns, sheets and comments, and delete rows, as a reviewer would; returns the keys
    of the rows deleted."""
    from openpyxl.comments import Comment

    wb = openpyxl.load_workbook(path)
    terms = wb["Terms"]
    deleted = set()
    for op, a, b in additions:
        cols = {c.value: c.column for c in terms[1]}
        n = terms.max_row - 1
        row = 2 + a % n if n else None
        if op == "column" and row:
            name = f"own {b[0]}"
            if name not in cols:
                cols[name] = terms.max_column + 1
                terms.cell(1, cols[name], name)
            terms.cell(row, cols[name], b[1].strip())
        elif op == "sheet":
            name = f"Notes {a}"
            ws = wb[name] if name in wb.sheetnames else wb.create_sheet(name)
            ws["A1"] = b.strip()
        elif op == "comment" and row:
            terms.cell(row, cols["term"]).comment = Comment(b, "reviewer")
        elif op == "delete" and n > 1:
            deleted.add(row_key(terms, row, cols))
            terms.delete_rows(row)
    wb.save(path)
    return deleted


def row_key(ws, r: int, cols: dict) -> tuple[str, str, str]:
    # The store trims ids and terms (a trailing space a reviewer typed is not part of the term).
    return tuple(
        str(ws.cell(r, cols[c]).value or "").strip() for c in ("concept_id", "lang", "term")
    )


def additions_of(path: Path) -> tuple[dict, dict, dict]:
    """(row key -> own column values, row key -> comment, sheet -> A1) of a workbook."""
    wb = openpyxl.load_workbook(path)
    terms = wb["Terms"]
    cols = {c.value: c.column for c in terms[1]}
    own, comments = {}, {}
    for r in range(2, terms.max_row + 1):
        k = row_key(terms, r, cols)
        own[k] = {c: terms.cell(r, i).value for c, i in cols.items() if str(c).startswith("own")}
        if terms.cell(r, cols["term"]).comment:
            comments[k] = terms.cell(r, cols["term"]).comment.text
    sheets = {n: wb[n]["A1"].value for n in wb.sheetnames if n.startswith("Notes")}
    return own, comments, sheets


@example(cycles=[([("term", 0, "0 ")], [])])  # a term typed with a trailing space
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cycles=st.lists(
        st.tuples(st.lists(edit, max_size=4), st.lists(addition, max_size=5)),
        min_size=1,
        max_size=3,
    )
)
def test_reviewer_additions_survive_edit_align_cycles(cycles):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "terms.xlsx"
        store.update(path, proposal())
        deleted: set[tuple[str, str, str]] = set()
        for n, (edits, additions) in enumerate(cycles):
            apply_edits(path, edits)
            deleted |= add_things(path, additions)
            if store.validate_file(path):
                return  # an invalid edit: refused, as the test above shows
            own, comments, sheets = additions_of(path)
            kept_keys = set(own)
            nxt = proposal()
            nxt.terms = [replace(t, confidence=0.4 + n / 10) for t in nxt.terms]
            report = store.update(path, nxt)
            own_after, comments_after, sheets_after = additions_of(path)
            for k, values in own.items():
                assert own_after[k] == values
            for k, text_ in comments.items():
                assert comments_after[k] == text_
            assert sheets_after == sheets
            for k in deleted - kept_keys:  # a deleted proposal does not come back
                assert k not in own_after
            assert len(report.deleted) <= len(deleted)
