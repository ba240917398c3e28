"""terms.xlsx: the workbook reviewers edit, the merge that keeps their work, and validation."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from glossary import store
from glossary.cli import app
from glossary.errors import FormatError, StoreError, ValidationError
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry

DATA = Path(__file__).parent / "data" / "store"


def proposal(**about) -> Glossary:
    """The machine's proposal in tests/data/store/proposal.json, as `glossary align` makes it."""
    raw = json.loads((DATA / "proposal.json").read_text(encoding="utf-8"))
    return Glossary(
        concepts=[ConceptEntry(**c) for c in raw["concepts"]],
        terms=[
            TermEntry(**t, source="glossary align (test)", updated="2025-05-02T10:00:00")
            for t in raw["terms"]
        ],
        contexts=[ContextEntry(**c) for c in raw["contexts"]],
        about={**raw["about"], **about},
    )


def reviewer_edit(path: Path, sheet: str, match: dict[str, str], **changes: str) -> None:
    """Change cells of the row whose columns equal `match`, as a reviewer would in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        values = {h: c.value for h, c in zip(header, row, strict=False)}
        if all(values.get(k) == v for k, v in match.items()):
            for column, value in changes.items():
                row[header.index(column)].value = value
            break
    else:
        raise AssertionError(f"no {sheet} row matching {match}")
    wb.save(path)


def reviewer_appends(path: Path, sheet: str, **values: str) -> None:
    """Add a row by hand at the bottom of a sheet."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header = [c.value for c in ws[1]]
    ws.append([values.get(h) for h in header])
    wb.save(path)


def find(glossary: Glossary, lang: str, term: str) -> TermEntry:
    rows = [t for t in glossary.terms if t.lang == lang and t.term == term]
    assert len(rows) == 1, rows
    return rows[0]


def fresh_run(glossary: Glossary, factor: float = 0.9, extra: int = 1) -> Glossary:
    """The next run's proposal: the same terms with new evidence."""
    return replace(
        glossary,
        terms=[
            replace(
                t,
                confidence=round(t.confidence * factor, 3),
                frequency=t.frequency + extra,
                updated="2025-06-01T09:00:00",
            )
            for t in glossary.terms
        ],
    )


@pytest.fixture
def workbook(tmp_path) -> Path:
    path = tmp_path / "terms.xlsx"
    report = store.update(path, proposal())
    assert report.written and report.backup is None
    return path


# ---------------------------------------------------------------- the workbook itself
def test_first_alignment_writes_every_proposal(workbook):
    g = store.load(workbook)
    assert [c.concept_id for c in g.concepts] == ["c0001", "c0002", "c0003", "c0004"]
    assert [(t.lang, t.term) for t in g.terms] == [(t.lang, t.term) for t in proposal().terms]
    assert all(t.status == "proposed" for t in g.terms)
    assert g.about["model"] == "embeddinggemma-300m"
    assert len(g.contexts) == 5
    assert store.validate_file(workbook) == []


def test_text_round_trips_exactly(tmp_path):
    tricky = [
        "Bộ Nông nghiệp và Phát triển nông thôn",
        "Ministerstvo průmyslu a obchodu",
        "« Sommet de l’ASEAN »",
        "100\u00a0000 dong",
        "  leading and trailing spaces inside a note  ",
        "line one\nline two",
        "0123",
        "TRUE",
        "a < b & c > d",
        "_x0041_ is no escape",
        "term",  # also a header, which xlsxwriter put in the shared strings first
    ]
    g = Glossary(
        concepts=[ConceptEntry("c1", vi=tricky[0], definition=tricky[4])],
        terms=[TermEntry("c1", "fr", text.strip(), note=text) for text in tricky],
    )
    store.save(g, tmp_path / "terms.xlsx")
    back = store.load(tmp_path / "terms.xlsx")
    assert [t.note for t in back.terms] == tricky
    assert [t.term for t in back.terms] == [text.strip() for text in tricky]
    assert back.concepts == g.concepts
    rows = list(openpyxl.load_workbook(tmp_path / "terms.xlsx")["Terms"].values)
    notes = [r[rows[0].index("note")] for r in rows]
    assert notes == ["note", *tricky]  # what Excel and LibreOffice read, too


def test_term_that_looks_like_a_formula_is_stored_as_text(tmp_path):
    g = Glossary(
        concepts=[ConceptEntry("c1", vi="x")],
        terms=[TermEntry("c1", "nb", '=HYPERLINK("http://evil")'), TermEntry("c1", "sv", "+46")],
    )
    store.save(g, tmp_path / "terms.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "terms.xlsx")["Terms"]
    assert [ws["D2"].data_type, ws["D3"].data_type] == ["s", "s"]
    assert [t.term for t in store.load(tmp_path / "terms.xlsx").terms] == [
        '=HYPERLINK("http://evil")',
        "+46",
    ]


def test_workbook_is_ready_for_a_reviewer(workbook):
    wb = openpyxl.load_workbook(workbook)
    assert wb.sheetnames[:4] == ["Concepts", "Terms", "Contexts", "About"]
    assert wb.active.title == "Terms"
    terms = wb["Terms"]
    header = [c.value for c in terms[1]]
    assert header[:5] == ["concept_id", "vi", "lang", "term", "status"]
    assert terms.freeze_panes == "A2"
    assert terms.auto_filter.ref == "A1:O11"
    assert terms["A1"].font.b
    assert terms["B2"].value == "Bộ Y tế"  # the concept's vi, shown for reading
    assert terms.column_dimensions["O"].hidden  # row_id
    assert terms["I2"].alignment.wrap_text  # context
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in terms.data_validations.dataValidation
    }
    assert "preferred" in lists["E2"] and "rejected" in lists["E2"]
    assert '"vi,nb,' in lists["C2"]
    rules = [r for cf in terms.conditional_formatting for r in cf.rules]
    assert any(r.type == "colorScale" for r in rules)
    assert any(r.formula == ['$E2="deprecated"'] and r.dxf.font.strike for r in rules)
    kinds = wb["Concepts"].data_validations.dataValidation
    assert any("organization" in dv.formula1 for dv in kinds)
    about = "\n".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    for word in ("deprecated", "rejected", "embeddinggemma-300m", "glossary validate"):
        assert word in about
    assert wb["_machine"].sheet_state == "hidden"


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_same_glossary_gives_the_same_workbook(tmp_path):
    g = store.merge(Glossary(), proposal())[0]
    store.save(g, tmp_path / "a.xlsx")
    store.save(g, tmp_path / "b.xlsx")
    assert members(tmp_path / "a.xlsx") == members(tmp_path / "b.xlsx")


# ---------------------------------------------------------------- merge rules
def test_reviewed_rows_survive_realignment(workbook):
    reviewer_edit(workbook, "Terms", {"term": "Helsedepartementet"}, status="preferred")
    reviewer_edit(workbook, "Terms", {"term": "premier"}, status="admitted", note="kort vorm")
    reviewer_edit(workbook, "Terms", {"term": "digitalisering"}, status="deprecated")
    before = store.load(workbook)
    report = store.update(workbook, fresh_run(proposal()))
    after = store.load(workbook)
    for term in ("Helsedepartementet", "premier", "digitalisering"):
        lang = find(before, "nb", term).lang if term != "premier" else "nl"
        assert find(after, lang, term) == find(before, lang, term)  # not re-scored either
    assert "c0001 nb: Helsedepartementet" in report.unchanged
    assert report.counts["updated"] == 7  # the proposed rows got the new evidence


def test_proposed_rows_are_refreshed_with_new_evidence(workbook):
    report = store.update(workbook, fresh_run(proposal(), factor=0.5, extra=10))
    t = find(store.load(workbook), "cs", "Ministerstvo zdravotnictví")
    assert (t.confidence, t.frequency, t.updated) == (0.44, 15, "2025-06-01T09:00:00")
    assert report.counts == {
        "added": 0,
        "updated": 10,
        "unchanged": 4,
        "conflicts": 0,
        "skipped": 0,
        "deleted": 0,
    }


def test_same_evidence_changes_nothing_not_even_the_timestamp(workbook):
    before = members(workbook)
    rerun = replace(proposal(), terms=[replace(t, updated="2030-01-01") for t in proposal().terms])
    report = store.update(workbook, rerun)
    assert report.counts["unchanged"] == 14 and report.counts["updated"] == 0
    assert members(workbook) == before


def test_note_on_a_proposed_row_is_kept_while_evidence_is_refreshed(workbook):
    reviewer_edit(workbook, "Terms", {"term": "premiärminister"}, note="Bekräfta med redaktören")
    store.update(workbook, fresh_run(proposal()))
    t = find(store.load(workbook), "sv", "premiärminister")
    assert t.note == "Bekräfta med redaktören"
    assert t.status == "proposed" and t.frequency == 10  # still the machine's to refresh


def test_corrected_spelling_is_kept_and_the_old_one_not_proposed_again(workbook):
    reviewer_edit(
        workbook,
        "Terms",
        {"term": "ministère de la Santé"},
        term="ministère de la Santé et de la Prévention",
    )
    report = store.update(workbook, fresh_run(proposal()))
    g = store.load(workbook)
    fixed = find(g, "fr", "ministère de la Santé et de la Prévention")
    assert fixed.status == "proposed" and fixed.frequency == 4  # left as the reviewer left it
    assert not [t for t in g.terms if t.term == "ministère de la Santé"]
    assert any("ministère de la Santé et de la Prévention" in c for c in report.conflicts)


def test_term_moved_to_another_concept_stays_there(workbook):
    reviewer_edit(workbook, "Terms", {"term": "digitalisering"}, concept_id="c0004")
    reviewer_edit(workbook, "Concepts", {"concept_id": "c0004"}, note="Digitalisering hører hit")
    store.update(workbook, fresh_run(proposal()))
    g = store.load(workbook)
    moved = find(g, "nb", "digitalisering")
    assert moved.concept_id == "c0004" and moved.frequency == 3
    assert [t.term for t in g.terms_of("c0003") if t.lang == "nb"] == ["digital omstilling"]
    # its examples follow it
    assert [c.concept_id for c in g.contexts if c.term == "digitalisering"] == ["c0004"]


def test_rejected_term_is_never_proposed_again_for_that_concept(workbook):
    reviewer_edit(workbook, "Terms", {"term": "resolution 57"}, status="rejected", note="fel")
    again = fresh_run(proposal())
    again.terms.append(TermEntry("c0004", "sv", "Resolution\u00a057", confidence=0.4))  # variant
    again.terms.append(TermEntry("c0003", "sv", "resolution 57", confidence=0.2))
    report = store.update(workbook, again)
    g = store.load(workbook)
    rows = [
        t for t in g.terms if store.term_key(t.concept_id, t.lang, t.term)[2] == "resolution 57"
    ]
    assert [(t.concept_id, t.status) for t in rows] == [
        ("c0004", "rejected"),
        ("c0003", "proposed"),
    ]
    assert any("rejected by a reviewer" in s for s in report.skipped)


def test_reviewer_edits_to_concepts_are_kept(workbook):
    reviewer_edit(
        workbook,
        "Concepts",
        {"concept_id": "c0002"},
        en="Prime Minister (of Vietnam)",
        definition="Head of the Government of Vietnam.",
    )
    reviewer_edit(workbook, "Concepts", {"concept_id": "c0001"}, status="approved", note="ok")
    changed = proposal()
    changed.concepts[1] = replace(changed.concepts[1], en="premier", definition="")
    changed.concepts[0] = replace(changed.concepts[0], en="Health Ministry")
    changed.concepts[2] = replace(changed.concepts[2], en="digitalisation")
    report = store.update(workbook, changed)
    g = store.load(workbook)
    assert g.concept("c0002").en == "Prime Minister (of Vietnam)"
    assert g.concept("c0002").definition == "Head of the Government of Vietnam."
    assert g.concept("c0001") == replace(proposal().concepts[0], status="approved", note="ok")
    assert g.concept("c0003").en == "digitalisation"  # untouched by the reviewer: refreshed
    assert any("c0002" in c and "premier" in c for c in report.conflicts)


def test_hand_added_concepts_and_terms_are_kept_and_ids_stay_stable(workbook):
    reviewer_appends(
        workbook,
        "Concepts",
        concept_id="my-01",
        vi="Quốc hội",
        en="National Assembly",
        kind="organization",
        status="approved",
    )
    reviewer_appends(
        workbook,
        "Terms",
        concept_id="my-01",
        lang="cs",
        term="Národní shromáždění",
        status="preferred",
    )
    reviewer_appends(
        workbook,
        "Terms",
        concept_id="c0001",
        lang="nl",
        term="ministerie van Volksgezondheid",
        status="proposed",
    )
    store.update(workbook, fresh_run(proposal()))
    g = store.load(workbook)
    assert [c.concept_id for c in g.concepts] == ["c0001", "c0002", "c0003", "c0004", "my-01"]
    assert find(g, "cs", "Národní shromáždění").status == "preferred"
    hand = find(g, "nl", "ministerie van Volksgezondheid")
    assert hand.status == "proposed" and hand.frequency == 0


def test_new_proposals_are_appended_after_existing_rows(workbook):
    reviewer_edit(workbook, "Terms", {"term": "premier"}, status="preferred")
    nxt = fresh_run(proposal())
    nxt.concepts.append(ConceptEntry("c0005", vi="Quốc hội", kind="organization"))
    nxt.terms.append(TermEntry("c0005", "nb", "nasjonalforsamlingen", confidence=0.8))
    nxt.terms.append(TermEntry("c0001", "nl", "ministerie van Volksgezondheid", confidence=0.7))
    report = store.update(workbook, nxt)
    g = store.load(workbook)
    assert [t.term for t in g.terms[-2:]] == [
        "nasjonalforsamlingen",
        "ministerie van Volksgezondheid",
    ]
    assert sorted(report.added) == [
        "c0001 nl: ministerie van Volksgezondheid",
        "c0005 nb: nasjonalforsamlingen",
        "concept c0005 (Quốc hội)",
    ]


def test_rejected_concept_gets_no_new_terms(workbook):
    reviewer_edit(workbook, "Concepts", {"concept_id": "c0004"}, status="rejected")
    nxt = proposal()
    nxt.terms.append(TermEntry("c0004", "nl", "resolutie 57"))
    report = store.update(workbook, nxt)
    assert not [t for t in store.load(workbook).terms if t.term == "resolutie 57"]
    assert any("resolutie 57" in s and "rejected" in s for s in report.skipped)


def test_contexts_are_regenerated_for_each_run(workbook):
    nxt = proposal()
    nxt.contexts = [
        ContextEntry(
            "c0001",
            "nb",
            "Helsedepartementet",
            "nb/helse-09.txt",
            5,
            "Nytt eksempel fra Helsedepartementet.",
        )
    ]
    store.update(workbook, nxt)
    g = store.load(workbook)
    docs = sorted(c.document for c in g.contexts)
    # nb examples replaced; others (terms not seen this run) kept
    assert docs == [
        "cs/zdravi-01.txt",
        "fr/politique-01.txt",
        "nb/digital-02.txt",
        "nb/helse-09.txt",
    ]


def test_dry_run_reports_without_writing(workbook):
    before = workbook.read_bytes()
    report = store.update(workbook, fresh_run(proposal()), dry_run=True)
    assert report.counts["updated"] == 10 and not report.written
    assert workbook.read_bytes() == before
    assert report.to_dict()["counts"]["updated"] == 10


def test_workbook_without_machine_memory_treats_proposed_rows_as_machine_rows(workbook):
    wb = openpyxl.load_workbook(workbook)
    del wb["_machine"]
    wb.save(workbook)
    store.update(workbook, fresh_run(proposal()))
    assert find(store.load(workbook), "nb", "digitalisering").frequency == 4


# ---------------------------------------------------------------- validation
def set_cells(ws, **cells) -> None:
    for ref, value in cells.items():
        ws[ref] = value


def broken(workbook: Path, edit) -> list[str]:
    wb = openpyxl.load_workbook(workbook)
    edit(wb)
    wb.save(workbook)
    return store.validate_file(workbook)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda wb: wb.remove(wb["Concepts"]), "terms.xlsx: missing sheet 'Concepts'"),
        (
            lambda wb: wb["Terms"].delete_cols(5),
            "sheet Terms, row 1: missing column 'status' in the header row",
        ),
        (
            lambda wb: wb["Terms"].__setitem__("E3", "aproved"),
            "sheet Terms, row 3, column E (status): unknown status 'aproved'",
        ),
        (
            lambda wb: wb["Terms"].__setitem__("C4", "xx"),
            "sheet Terms, row 4, column C (lang): unknown language 'xx'",
        ),
        (
            lambda wb: wb["Concepts"].__setitem__("D2", "person"),
            "sheet Concepts, row 2, column D (kind): unknown kind 'person'",
        ),
        (
            lambda wb: wb["Concepts"].__setitem__("F3", "done"),
            "sheet Concepts, row 3, column F (status): unknown status 'done'",
        ),
        (
            lambda wb: wb["Terms"].__setitem__("D5", "   "),
            "sheet Terms, row 5, column D (term): empty term",
        ),
        (
            lambda wb: wb["Terms"].__setitem__("A6", "c9999"),
            "sheet Terms, row 6, column A (concept_id): unknown concept 'c9999'",
        ),
        (
            lambda wb: wb["Terms"].__setitem__("F7", "high"),
            "sheet Terms, row 7, column F (confidence): 'high' is not a number",
        ),
        (
            lambda wb: set_cells(wb["Terms"], C3="nb", D3="helsedepartementet"),
            "sheet Terms, row 3: duplicate of row 2",
        ),
        (
            lambda wb: wb["Concepts"].__setitem__("A3", "c0001"),
            "sheet Concepts, row 3, column A (concept_id): duplicate concept_id 'c0001'",
        ),
    ],
    ids=[
        "missing-sheet",
        "missing-column",
        "unknown-status",
        "unknown-lang",
        "unknown-kind",
        "unknown-concept-status",
        "blank-term",
        "unknown-concept",
        "bad-number",
        "duplicate-term",
        "duplicate-concept",
    ],
)
def test_validation_names_sheet_row_and_column(workbook, edit, expected):
    problems = broken(workbook, edit)
    assert any(p.startswith(expected) for p in problems), problems
    with pytest.raises(ValidationError):
        store.load(workbook)


def test_duplicate_check_ignores_case_and_spacing(workbook):
    reviewer_appends(
        workbook,
        "Terms",
        concept_id="c0001",
        lang="nb",
        term=" helsedepartementet ",
        status="admitted",
    )
    assert store.validate_file(workbook) == [
        "sheet Terms, row 12: duplicate of row 2 (c0001, nb, 'helsedepartementet')"
    ]


def test_every_problem_is_reported_at_once(workbook):
    def edit(wb):
        wb["Terms"]["E2"] = "ok"
        wb["Terms"]["C3"] = "klingon"

    assert len(broken(workbook, edit)) == 2


def test_invalid_workbook_is_never_written(workbook):
    reviewer_edit(workbook, "Terms", {"term": "premier"}, status="approved")
    before = workbook.read_bytes()
    with pytest.raises(ValidationError, match=r"sheet Terms, row 6, column E \(status\)"):
        store.update(workbook, fresh_run(proposal()))
    assert workbook.read_bytes() == before


@pytest.mark.parametrize("damage", ["not-xlsx", "truncated", "corrupt-xml", "empty"])
def test_unreadable_file_is_one_line_store_error_and_nothing_is_written(workbook, damage):
    good = workbook.read_bytes()
    if damage == "not-xlsx":
        workbook.write_text("concept_id,lang,term\nc1,nb,x\n", encoding="utf-8")
    elif damage == "truncated":
        workbook.write_bytes(good[: len(good) // 2])
    elif damage == "empty":
        workbook.write_bytes(b"")
    else:
        with (
            zipfile.ZipFile(workbook, "w") as z,
            zipfile.ZipFile(__import__("io").BytesIO(good)) as src,
        ):
            for item in src.infolist():
                data = src.read(item)
                z.writestr(item, data[:40] if item.filename.endswith("sheet2.xml") else data)
    damaged = workbook.read_bytes()
    with pytest.raises(StoreError) as exc:
        store.load(workbook)
    assert "\n" not in str(exc.value) and "not a readable xlsx workbook" in str(exc.value)
    assert len(store.validate_file(workbook)) == 1
    with pytest.raises(StoreError):
        store.update(workbook, proposal())
    assert workbook.read_bytes() == damaged


def test_missing_workbook_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="no such glossary workbook"):
        store.validate_file(tmp_path / "terms.xlsx")


def test_save_refuses_an_invalid_glossary(tmp_path):
    g = Glossary(concepts=[ConceptEntry("c1")], terms=[TermEntry("c2", "nb", "x")])
    with pytest.raises(ValidationError, match="unknown concept 'c2'"):
        store.save(g, tmp_path / "terms.xlsx")
    assert not (tmp_path / "terms.xlsx").exists()


def test_libreoffice_style_leftovers_are_accepted(workbook):
    wb = openpyxl.load_workbook(workbook)
    ws = wb["Terms"]
    ws.freeze_panes = None
    for row in range(12, 40):  # empty formatted rows, as LibreOffice leaves them
        ws.cell(row=row, column=5).number_format = "@"
    wb.save(workbook)
    assert store.validate_file(workbook) == []
    assert len(store.load(workbook).terms) == 10
    store.update(workbook, fresh_run(proposal()))
    assert openpyxl.load_workbook(workbook)["Terms"].freeze_panes == "A2"


# ---------------------------------------------------------------- safety
def test_previous_version_is_kept_as_a_bounded_backup(workbook):
    first = workbook.read_bytes()
    report = store.update(workbook, fresh_run(proposal()))
    backup = Path(report.backup)
    assert backup.parent == workbook.parent / ".glossary" / "backups"
    assert backup.name.startswith("terms-") and backup.read_bytes() == first
    for i in range(store.BACKUPS_KEPT + 3):
        store.update(workbook, fresh_run(proposal(), factor=0.5 + i / 100))
    assert len(list(backup.parent.glob("terms-*.xlsx"))) == store.BACKUPS_KEPT


@pytest.mark.parametrize("lock_name", [".~lock.terms.xlsx#", "~$terms.xlsx"])
def test_refuses_to_write_while_open_in_a_spreadsheet(workbook, lock_name):
    (workbook.parent / lock_name).write_text(
        ",Tran Thi Mai,host,01.05.2025 10:00,file://;", encoding="utf-8"
    )
    before = workbook.read_bytes()
    with pytest.raises(StoreError, match="is open in .*--force"):
        store.update(workbook, fresh_run(proposal()))
    with pytest.raises(StoreError, match="is open in"):
        store.save(store.load(workbook), workbook)
    assert workbook.read_bytes() == before
    assert store.update(workbook, fresh_run(proposal()), dry_run=True).counts["updated"] == 10
    assert store.update(workbook, fresh_run(proposal()), force=True).written


def test_empty_libreoffice_lock_file_is_reported_not_a_crash(workbook):
    (workbook.parent / ".~lock.terms.xlsx#").write_bytes(b"")
    before = workbook.read_bytes()
    with pytest.raises(StoreError, match=r"is open in LibreOffice \(lock file"):
        store.update(workbook, fresh_run(proposal()))
    result = CliRunner().invoke(app, ["validate", str(workbook)])
    assert result.exit_code == 0  # reading is fine while it is open
    assert workbook.read_bytes() == before


# ---------------------------------------------------------------- concept lists
def test_concept_list_from_csv_tsv_and_xlsx(tmp_path):
    (tmp_path / "c.csv").write_text(
        "concept_id,vi,en,kind\nk1,Bộ Tài chính,Ministry of Finance,organization\nk2,,GDP,\n",
        encoding="utf-8-sig",
    )
    (tmp_path / "c.tsv").write_text("vi\tconcept_id\nQuốc hội\tk3\n", encoding="utf-8")
    wb = openpyxl.Workbook()
    wb.active.append(["concept_id", "vi", "definition"])
    wb.active.append(["k4", "Nghị quyết", "A resolution"])
    wb.save(tmp_path / "c.xlsx")
    assert store.load_concept_list(tmp_path / "c.csv") == [
        ConceptEntry("k1", "Bộ Tài chính", "Ministry of Finance", "organization"),
        ConceptEntry("k2", "", "GDP"),
    ]
    assert store.load_concept_list(tmp_path / "c.tsv") == [ConceptEntry("k3", "Quốc hội")]
    assert store.load_concept_list(tmp_path / "c.xlsx") == [
        ConceptEntry("k4", "Nghị quyết", definition="A resolution")
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,vi\nk1,x\n", r"missing column\(s\) concept_id"),
        ("concept_id,vi,kind\nk1,x,person\n", "row 2: unknown kind 'person'"),
        ("concept_id,vi\nk1,x\nk1,y\n", "row 3: duplicate concept_id 'k1'"),
        ("concept_id,vi,en\nk1,,\n", "row 2: empty vi"),
        ("concept_id,vi\n,x\n", "row 2: empty concept_id"),
    ],
)
def test_bad_concept_list_is_a_clear_format_error(tmp_path, text, message):
    path = tmp_path / "concepts.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormatError, match=message):
        store.load_concept_list(path)


def test_concept_list_that_is_not_utf8(tmp_path):
    path = tmp_path / "concepts.csv"
    path.write_bytes("concept_id,vi\nk1,Bộ\n".encode("utf-16"))
    with pytest.raises(FormatError, match="not UTF-8"):
        store.load_concept_list(path)


# ---------------------------------------------------------------- glossary validate
def test_validate_command_says_ok_with_counts(workbook):
    result = CliRunner().invoke(app, ["validate", str(workbook)])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "4 concepts" in result.output and "10 terms" in result.output


def test_validate_command_lists_every_problem(workbook):
    reviewer_edit(workbook, "Terms", {"term": "premier"}, status="approved", lang="nederlands")
    result = CliRunner().invoke(app, ["validate", "--glossary", str(workbook)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("sheet Terms")]
    assert len(lines) == 2
    result = CliRunner().invoke(app, ["validate", str(workbook), "--json"])
    data = json.loads(result.stdout)
    assert data["valid"] is False and len(data["problems"]) == 2


def test_records_made_in_bulk_equal_those_made_one_by_one():
    from glossary.store.schema import records_of

    rows = [("c1", "nb", "helse", "a note", "t1"), ("c2", "sv", "hälsa", "", "t2")]
    names = ("concept_id", "lang", "term", "note", "row_id")
    made = records_of(TermEntry, names, rows)
    expected = [TermEntry(**dict(zip(names, row, strict=True))) for row in rows]
    assert made == expected and [t.row_id for t in made] == ["t1", "t2"]
    assert [repr(t) for t in made] == [repr(t) for t in expected]
    assert {hash(t) for t in made} == {hash(t) for t in expected}
    with pytest.raises(TypeError, match="no default for concept_id"):
        records_of(ConceptEntry, ("vi",), [("khái niệm",)])
