"""The review page's plots as inline SVG, drawn here so the page needs nothing from elsewhere."""

from __future__ import annotations

from collections import Counter
from html import escape

from glossary.models import TERM_STATUSES, Glossary, TermEntry
from glossary.report.payload import APPROVED, REVIEWED, STATUS_COLOURS, confidence_of, languages

WIDTH = 360
LABEL = 44  # room for the labels left of the bars
GRID = "#d0d4da"
INK = "#333"
BINS = 10


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
        f'fill="{INK}">{escape(text)}</text>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str) -> str:
    return (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{h:.1f}" '
        f'fill="{fill}"><title>{escape(tip)}</title></rect>'
    )


def _svg(title: str, height: float, body: list[str], note: str = "") -> str:
    caption = f'<p class="plot-note">{escape(note)}</p>' if note else ""
    return (
        f'<figure class="plot"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {height:.0f}" role="img" aria-label="{escape(title)}" '
        f'font-family="system-ui, sans-serif">{"".join(body)}</svg>{caption}</figure>'
    )


def _legend(y: float, names: tuple[str, ...]) -> list[str]:
    """Colour keys in one row at y (a second row below if they do not fit)."""
    out, x = [], 8.0
    for name in names:
        width = 18 + 5.6 * len(name)
        if x + width > WIDTH:
            x, y = 8.0, y + 14
        out.append(_rect(x, y - 9, 10, 10, STATUS_COLOURS[name], name))
        out.append(_text(x + 13, y, name, size=10))
        x += width + 4
    return out


Row = tuple[str, list[tuple[float, str, str]], str]  # label, [(value, colour, tip)], end label


def _stacked_rows(rows: list[Row], total: float) -> list[str]:
    """Horizontal bars, one per row, scaled so `total` fills one; the end label after the bar."""
    out, span, y = [], WIDTH - LABEL - 40, 8.0
    for label, parts, end in rows:
        out.append(_text(LABEL - 6, y + 12, label, "end"))
        x = float(LABEL)
        for value, colour, tip in parts:
            w = span * value / total if total else 0
            out.append(_rect(x, y, w, 16, colour, tip))
            x += w
        out.append(_text(x + 4, y + 12, end, size=10))
        y += 22
    return out


def terms_by_status(glossary: Glossary) -> str:
    """Terms per language, each bar split by status."""
    counts = {lang: Counter() for lang in languages(glossary)}
    for t in glossary.terms:
        counts[t.lang][t.status] += 1
    most = max((sum(c.values()) for c in counts.values()), default=0)
    rows = [
        (lang, [(c[s], STATUS_COLOURS[s], f"{lang} {s}: {c[s]}") for s in TERM_STATUSES if c[s]],
         str(sum(c.values())))
        for lang, c in counts.items()
    ]  # fmt: skip
    body = _stacked_rows(rows, most)
    height = 8 + 22 * len(rows) + 16
    body += _legend(height - 4, TERM_STATUSES)
    return _svg("Terms per language by status", height, body)


def review_progress(glossary: Glossary) -> str:
    """Per language, the share of terms a reviewer has decided on."""
    rows = []
    for lang in languages(glossary):
        mine = [t for t in glossary.terms if t.lang == lang]
        done = sum(1 for t in mine if t.status in REVIEWED)
        share = 100 * done / len(mine)
        parts = [
            (share, STATUS_COLOURS["preferred"], f"{lang}: {done} of {len(mine)} reviewed"),
            (100 - share, "#e4e7eb", f"{lang}: {len(mine) - done} to review"),
        ]
        rows.append((lang, parts, f"{share:.0f}%"))
    done = sum(1 for t in glossary.terms if t.status in REVIEWED)
    body = _stacked_rows(rows, 100)
    y = 8 + 22 * len(rows)
    share = 100 * done / len(glossary.terms) if glossary.terms else 0
    body.append(
        _text(LABEL, y + 12, f"{done} of {len(glossary.terms)} terms reviewed ({share:.0f}%)")
    )
    return _svg("Review progress", y + 20, body)


def _bin(confidence: float) -> int:
    return min(int(confidence * BINS), BINS - 1)


def confidence_histogram(glossary: Glossary) -> str:
    """How many terms fall in each tenth of confidence, split by status."""
    bins = [Counter() for _ in range(BINS)]
    scored = [(t, confidence_of(t)) for t in glossary.terms]
    for t, confidence in scored:
        if confidence is not None:
            bins[_bin(confidence)][t.status] += 1
    most = max((sum(b.values()) for b in bins), default=0) or 1
    top, base, step = 10.0, 130.0, (WIDTH - LABEL - 10) / BINS
    body = [f'<line x1="{LABEL}" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{GRID}"/>']
    body.append(_text(LABEL - 6, top + 8, str(most), "end", 10))
    for i, counts in enumerate(bins):
        y = base
        for s in TERM_STATUSES:
            h = (base - top) * counts[s] / most
            tip = f"confidence {i / BINS:.1f}-{(i + 1) / BINS:.1f}, {s}: {counts[s]}"
            if h:
                body.append(_rect(LABEL + i * step + 1, y - h, step - 2, h, STATUS_COLOURS[s], tip))
            y -= h
    for i in range(0, BINS + 1, 2):
        body.append(_text(LABEL + i * step, base + 14, f"{i / BINS:.1f}", "middle", 10))
    unscored = sum(1 for _, confidence in scored if confidence is None)
    note = f"{unscored} terms have no confidence (added by a reviewer)" if unscored else ""
    body += _legend(base + 32, TERM_STATUSES)
    return _svg("Confidence of the terms", base + 40, body, note)


def calibration_points(terms: list[TermEntry]) -> list[tuple[int, int, int, float]]:
    """(bin, reviewed rows, approved rows, mean confidence) for each tenth holding reviewed rows."""
    seen: dict[int, list[tuple[TermEntry, float]]] = {}
    for t in terms:
        confidence = confidence_of(t)
        if t.status in REVIEWED and confidence is not None:
            seen.setdefault(_bin(confidence), []).append((t, confidence))
    return [
        (i, len(rows), sum(1 for t, _ in rows if t.status in APPROVED),
         sum(c for _, c in rows) / len(rows))
        for i, rows in sorted(seen.items())
    ]  # fmt: skip


def calibration(glossary: Glossary) -> str:
    """Confidence against the fraction of reviewed rows approved; '' without reviewed rows."""
    points = calibration_points(glossary.terms)
    if not points:
        return ""
    left, top, size = LABEL, 10.0, 150.0
    x = lambda v: left + size * v  # noqa: E731
    y = lambda v: top + size * (1 - v)  # noqa: E731
    body = [
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="none" stroke="{GRID}"/>',
        f'<line x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}" stroke="{GRID}" '
        'stroke-dasharray="4 3"/>',
    ]
    coords = [
        (x(mean), y(approved / rows), i, rows, approved) for i, rows, approved, mean in points
    ]
    path = " ".join(
        f"{'M' if k == 0 else 'L'}{cx:.1f},{cy:.1f}" for k, (cx, cy, *_) in enumerate(coords)
    )
    body.append(f'<path d="{path}" fill="none" stroke="{STATUS_COLOURS["admitted"]}"/>')
    most = max(rows for _, rows, _, _ in points)
    for cx, cy, i, rows, approved in coords:
        tip = f"confidence {i / BINS:.1f}-{(i + 1) / BINS:.1f}: {approved} of {rows} approved"
        r = 3 + 4 * (rows / most) ** 0.5
        body.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{STATUS_COLOURS["admitted"]}" '
            f'fill-opacity="0.7"><title>{escape(tip)}</title></circle>'
        )
    for v in (0, 0.5, 1):
        body.append(_text(x(v), top + size + 14, f"{v:g}", "middle", 10))
        body.append(_text(left - 6, y(v) + 4, f"{v:g}", "end", 10))
    body.append(_text(left + size / 2, top + size + 28, "confidence", "middle", 10))
    body.append(_text(left + size + 12, top + 12, "fraction approved", size=10))
    body.append(_text(left + size + 12, top + 26, "(preferred or admitted)", size=10))
    body.append(_text(left + size + 12, top + 44, "- - perfectly calibrated", size=10))
    reviewed = sum(rows for _, rows, _, _ in points)
    body.append(_text(left + size + 12, top + 62, f"{reviewed} reviewed rows", size=10))
    return _svg("Calibration: confidence against approval", top + size + 34, body)


def plots(glossary: Glossary) -> str:
    """All the plots, as figures holding inline SVG."""
    if not glossary.terms:
        return '<p class="plot-note">No terms yet: nothing to plot.</p>'
    figures = (terms_by_status, confidence_histogram, review_progress, calibration)
    return "".join(draw(glossary) for draw in figures)
