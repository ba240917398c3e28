"""What the About sheet tells the reviewer."""

from __future__ import annotations

from glossary.models import KINDS
from glossary.store.schema import ABOUT_MARKER

ABOUT_TITLE = "Glossary review workbook (terms.xlsx)"

ABOUT_TEXT = (
    ("How to review", ""),
    (
        "Terms sheet",
        "One row per term in one language for one concept. Synonyms are several rows with the "
        "same concept_id. The bold vi column repeats the concept's Vietnamese term, the key of "
        "the concept, for reading; it is filled in by the tool.",
    ),
    (
        "Decide",
        "Set status with the drop-down. Rows you set to anything but 'proposed' are yours: the "
        "tool never changes, deletes or re-scores them.",
    ),
    (
        "Correct",
        "Fix a misspelt term, or move a term to another concept by changing its concept_id. The "
        "tool keeps your version and does not propose the old one again.",
    ),
    ("Annotate", "Write in note (Terms and Concepts) and in definition/en; your text is kept."),
    (
        "Reject or delete",
        "To get rid of a wrong proposal set status to 'rejected', or delete the row: either way "
        "it is never proposed again for that concept (the tool remembers a deleted proposal as "
        "rejected). Deleting a proposed concept's row keeps that concept from coming back.",
    ),
    (
        "Add",
        "Add missing terms or concepts as new rows. Concepts you add become keys for the next "
        "alignment.",
    ),
    (
        "Your additions",
        "Columns you add (matched by their header), sheets you add, cell comments, colours, "
        "fonts, links, and formulas in your own columns are kept on every run. The tool's own "
        "columns hold plain values: a formula there is refused by `glossary validate`.",
    ),
    (
        "Not kept",
        "Charts, images and shapes are dropped when the tool writes the workbook (the writing "
        "library, openpyxl, cannot keep them); the run warns before it writes. Edits to the "
        "Contexts, About and _machine sheets are replaced on each run.",
    ),
    (
        "Machine columns",
        "confidence, frequency, forms, documents, context, source, updated and evidence are "
        "filled by the tool and refreshed on each run while a row is 'proposed'. The Contexts sheet is "
        "regenerated on each run. Do not edit the hidden row_id column.",
    ),
    (
        "Headwords",
        "term is the base form (nominative singular, indefinite) where the corpus or the "
        "dictionary gives one; forms lists every form seen in the articles, which lookup and "
        "check also find.",
    ),
    (
        "Before a run",
        "Save and close the workbook before running `glossary align`. "
        "`glossary validate terms.xlsx` checks your edits. Earlier versions are kept in "
        ".glossary/backups/.",
    ),
    ("", ""),
    ("Term status", ""),
    ("proposed", "machine suggestion, not reviewed yet"),
    ("preferred", "the term to use for this concept in this language"),
    ("admitted", "an acceptable synonym"),
    ("deprecated", "known but do not use (shown struck through)"),
    ("rejected", "not an equivalent of this concept; never proposed again (shown grey)"),
    ("", ""),
    ("Concept status", ""),
    ("proposed", "created by the tool, not reviewed yet"),
    ("approved", "a real concept; keep"),
    ("rejected", "not a useful concept; no new terms are added to it"),
    ("", ""),
    ("Concept kind", ", ".join(KINDS)),
    ("", ""),
)


def about_cells(about: dict[str, str]) -> list[tuple[str, str, bool]]:
    """The About sheet below its title, row by row: (column A, column B, A in bold)."""
    rows = [(key, text, not text and bool(key)) for key, text in ABOUT_TEXT]
    rows.append((ABOUT_MARKER, "(which corpus and model produced the current proposals)", True))
    rows += [(str(key), str(value), False) for key, value in about.items()]
    return rows
