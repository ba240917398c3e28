"""The review page (`glossary report`): one self-contained HTML file, checked in a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.browser import dump_dom, screenshot, with_script
from glossary import report, store
from glossary.models import ConceptEntry, ContextEntry, Glossary, TermEntry
from glossary.report.payload import find_span, payload
from glossary.report.plots import calibration, calibration_points

ROOT = Path(__file__).resolve().parent.parent
REVIEWED = ("preferred", "admitted", "deprecated", "rejected")
HOSTILE = '</script><img src=x onerror="document.title=1">'


def glossary_cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "HOME": str(cwd), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "glossary.cli", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def seeds_glossary() -> Glossary:
    return store.load(ROOT / "terms.xlsx")


@pytest.fixture(scope="module")
def seeds_page(tmp_path_factory) -> Path:
    """The seeds' review page, written by the real command from the repository's terms.xlsx."""
    folder = tmp_path_factory.mktemp("report")
    shutil.copy(ROOT / "terms.xlsx", folder / "terms.xlsx")
    done = glossary_cli(
        "report", "-g", "terms.xlsx", "-o", "report.html", "--corpus", str(ROOT / "seeds"),
        cwd=folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "wrote report.html" in done.stderr
    return folder / "report.html"


def hostile_glossary() -> Glossary:
    """Terms copied from web pages can hold markup; none of it may become markup in the page."""
    return Glossary(
        concepts=[
            ConceptEntry("evil", vi="<b>Đảng</b>", en="a & b <i>x</i>", note="<!-- note"),
            ConceptEntry("new_x1", en="line\u2028separator"),
        ],
        terms=[
            TermEntry("evil", "fr", HOSTILE, confidence=0.5, evidence="<script>alert(1)</script>"),
            TermEntry(
                "evil",
                "sv",
                "Partiet",
                status="preferred",
                confidence=0.9,
                context="Le <b>Partiet</b> & co.",
            ),
            TermEntry("new_x1", "nb", "ord", status="rejected", confidence=0.2),
        ],  # fmt: skip
        contexts=[ContextEntry("evil", "fr", HOSTILE, "<a href=x>.txt", 3, f"Il dit {HOSTILE}.")],
        about={"corpus": "<img src=y>"},
    )


def rendered(chromium: str, page: Path, query: str = "", wait_ms: int = 0) -> lxml.html.HtmlElement:
    dom = lxml.html.fromstring(dump_dom(chromium, page.resolve().as_uri() + query, wait_ms=wait_ms))
    assert dom.get("data-ready"), "the page's script did not finish"
    return dom


def terms_in(dom, concept_id: str, lang: str) -> list[str]:
    path = f'//div[@data-concept="{concept_id}"]/div[@data-lang="{lang}"]//span[@class="t"]'
    return [span.text_content() for span in dom.xpath(path)]


# ---------------------------------------------------------------- the file itself
def test_report_is_one_file_that_loads_nothing_from_elsewhere(seeds_page):
    html = seeds_page.read_text(encoding="utf-8")
    code = re.sub(r'<script id="data" type="application/json">.*?</script>', "", html, flags=re.S)
    assert not re.search(r"https?://|//cdn|@import|\burl\(", code)
    assert not re.search(r"<(?:link|script|img|iframe)[^>]+(?:src|href)=\"(?!data:)", code)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    scripts = re.search(r"script-src ([^;]+)", policy).group(1).split()
    assert scripts and all(s.startswith("'sha256-") for s in scripts)  # only its own script


def test_terms_from_the_web_cannot_inject_markup(tmp_path):
    html = report.render(hostile_glossary())
    assert HOSTILE not in html and "<b>Đảng" not in html and "<img src=y>" not in html
    assert html.count("<script") == 2  # the data and the page's own script
    assert "\u2028" not in html


def test_bad_glossary_stops_with_one_line_and_leaves_the_old_page(tmp_path):
    (tmp_path / "terms.xlsx").write_bytes(b"this is not a workbook")
    (tmp_path / "report.html").write_text("yesterday's page", encoding="utf-8")
    done = glossary_cli("report", "-g", "terms.xlsx", "-o", "report.html", cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "yesterday's page"


@pytest.mark.parametrize(
    "args, says",
    [
        (["-o", "missing/report.html"], "does not exist"),
        (["-o", "."], "is a folder"),
        (["-o", "terms.xlsx"], "looks like a workbook"),
        (["--corpus", "no-such-folder"], "no such folder"),
    ],
)
def test_bad_output_or_corpus_is_one_clear_line(tmp_path, args, says):
    shutil.copy(ROOT / "terms.xlsx", tmp_path / "terms.xlsx")
    before = (tmp_path / "terms.xlsx").read_bytes()
    done = glossary_cli("report", "-g", "terms.xlsx", *args, cwd=tmp_path)
    assert done.returncode == 2 and says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert (tmp_path / "terms.xlsx").read_bytes() == before


def test_open_hands_the_page_to_the_web_browser(tmp_path):
    shutil.copy(ROOT / "terms.xlsx", tmp_path / "terms.xlsx")
    opener = tmp_path / "browser.sh"
    opener.write_text('#!/bin/sh\necho "$1" > "$(dirname "$0")/opened.txt"\n', encoding="utf-8")
    opener.chmod(0o755)
    env = {"BROWSER": str(opener)}
    done = glossary_cli("report", "-o", "page.html", "--open", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    opened = (tmp_path / "opened.txt").read_text(encoding="utf-8").strip()
    assert opened == (tmp_path / "page.html").resolve().as_uri()


def test_line_numbers_come_from_the_corpus_the_workbook_names(
    tmp_path, seeds_glossary, monkeypatch
):
    assert seeds_glossary.about["corpus"] == "seeds/"
    monkeypatch.chdir(tmp_path)  # not found from here, so beside the workbook
    assert report.corpus_folder(seeds_glossary, ROOT / "terms.xlsx") == ROOT / "seeds/"
    assert report.corpus_folder(seeds_glossary, tmp_path / "terms.xlsx") is None


def test_an_empty_glossary_still_makes_a_page(tmp_path):
    written = report.write(Glossary(), tmp_path / "report.html")
    assert written.concepts == written.terms == 0
    assert "No terms yet" in written.path.read_text(encoding="utf-8")


def test_odd_confidences_from_the_python_api_still_make_a_page():
    odd = [
        TermEntry("c", "fr", "x", confidence=float("nan")),
        TermEntry("c", "fr", "y", confidence=1.5),
    ]
    data = payload(Glossary(terms=odd), None, "t")
    assert [t["p"] for t in data["terms"]] == [None, 1.0]
    assert "NaN" not in report.render(Glossary(terms=odd))


def test_contexts_give_the_line_of_their_document(seeds_glossary):
    data = payload(seeds_glossary, ROOT / "seeds", "t")
    doc, position, line, sentence, start, end = data["terms"][0]["x"][0]
    text = (ROOT / "seeds" / data["strs"][doc]).read_text(encoding="utf-8")
    assert line == text.count("\n", 0, position) + 1 > 1
    assert data["sents"][sentence][start:end].casefold() == data["terms"][0]["t"].casefold()
    assert payload(seeds_glossary, None, "t")["terms"][0]["x"][0][2] == 0  # no corpus: no line


def test_context_marks_the_term_whatever_its_case_and_accents():
    assert find_span("Ban Dân vận Trung ương họp.", "dân vận") == (4, 11)
    assert find_span("Den STORTINGET sa", "Stortinget") == (4, 14)
    assert find_span("Strasse und Straße", "STRASSE") == (0, 7)
    assert find_span("nothing here", "absent") == (-1, -1)


@given(st.text(min_size=1, max_size=40), st.data())
def test_context_mark_covers_the_term_exactly(sentence, data):
    i = data.draw(st.integers(0, len(sentence) - 1))
    j = data.draw(st.integers(i + 1, len(sentence)))
    start, end = find_span(sentence, sentence[i:j])
    assert sentence[start:end] == sentence[i:j]


def test_calibration_plot_only_where_reviewed_rows_exist():
    terms = [TermEntry("c", "fr", f"t{i}", confidence=0.95) for i in range(3)]
    assert calibration(Glossary(terms=terms)) == ""
    terms += [
        TermEntry("c", "sv", "a", status="preferred", confidence=0.91),
        TermEntry("c", "sv", "b", status="rejected", confidence=0.93),
        TermEntry("c", "nb", "c", status="admitted", confidence=0.35),
    ]
    assert [(b, n, ok) for b, n, ok, _ in calibration_points(terms)] == [(3, 1, 1), (9, 2, 1)]
    assert "<svg" in calibration(Glossary(terms=terms))


# ---------------------------------------------------------------- in the browser
@pytest.mark.chromium
def test_review_page_shows_every_concept_and_reviewed_term(
    chromium, seeds_page, seeds_glossary, tmp_path
):
    dom = rendered(chromium, seeds_page)
    rows = dom.xpath("//main[@id='matrix']/div[@data-concept]")
    assert [r.get("data-concept") for r in rows] == [c.concept_id for c in seeds_glossary.concepts]
    reviewed = [t for t in seeds_glossary.terms if t.status in REVIEWED]
    assert reviewed
    for t in reviewed:
        assert t.term in terms_in(dom, t.concept_id, t.lang), t
    struck = dom.xpath("//button[contains(@class,'s-deprecated')]//span[@class='t']")
    assert {s.text_content() for s in struck} == {
        t.term for t in seeds_glossary.terms if t.status == "deprecated"
    }
    new_rows = dom.xpath("//div[@data-concept][.//span[contains(@class,'badge new')]]")
    assert {r.get("data-concept") for r in new_rows} == {
        c.concept_id for c in seeds_glossary.concepts if not c.vi or c.concept_id.startswith("new_")
    }
    assert dom.xpath("//div[contains(@class,'cell empty')]")  # concepts missing a language
    assert len(dom.xpath("//section[@class='plots']//svg")) == 4
    png = screenshot(chromium, seeds_page.resolve().as_uri(), tmp_path / "page.png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 20_000


@pytest.mark.chromium
def test_query_string_filters_the_matrix(chromium, seeds_page, seeds_glossary):
    dom = rendered(chromium, seeds_page, "?lang=sv&status=admitted")
    want = {t.concept_id for t in seeds_glossary.terms if t.lang == "sv" and t.status == "admitted"}
    assert want, "terms.xlsx has admitted sv terms"
    rows = dom.xpath("//main[@id='matrix']/div[@data-concept]")
    assert {r.get("data-concept") for r in rows} == want
    assert {c.get("data-lang") for c in dom.xpath("//div[@data-lang]")} == {"sv"}
    lit = dom.xpath("//button[contains(@class,'term')][not(contains(@class,'dim'))]")
    assert lit and all("s-admitted" in b.get("class") for b in lit)


@pytest.mark.chromium
def test_search_ignores_diacritics_and_case(chromium, seeds_page, seeds_glossary):
    dom = rendered(chromium, seeds_page, "?q=DAN%20VAN%20KHEO")
    rows = [r.get("data-concept") for r in dom.xpath("//main[@id='matrix']/div[@data-concept]")]
    assert rows == ["dan_van_kheo"]
    dom = rendered(chromium, seeds_page, "?new=1&kind=term")
    rows = {r.get("data-concept") for r in dom.xpath("//main[@id='matrix']/div[@data-concept]")}
    assert rows == {c.concept_id for c in seeds_glossary.concepts
                    if (not c.vi or c.concept_id.startswith("new_")) and c.kind == "term"}  # fmt: skip


@pytest.mark.chromium
def test_typing_in_the_filters_updates_the_matrix_and_the_address(
    chromium, seeds_page, seeds_glossary
):
    typing = (
        "addEventListener('load',()=>{const q=document.getElementById('q');q.value='mobilisation';"
        "document.getElementById('min').value='0.5';"
        "document.querySelector('input[name=status][value=proposed]').click();"
        "q.dispatchEvent(new Event('input',{bubbles:true}));"
        "setTimeout(()=>{document.documentElement.dataset.address=location.search},1000);});"
    )
    dom = rendered(chromium, with_script(seeds_page, typing), wait_ms=3000)
    rows = {r.get("data-concept") for r in dom.xpath("//main[@id='matrix']/div[@data-concept]")}
    want = set()
    for c in seeds_glossary.concepts:
        words = " ".join(
            [c.concept_id, c.vi, c.en, *(t.term for t in seeds_glossary.terms_of(c.concept_id))]
        )
        passing = [
            t
            for t in seeds_glossary.terms_of(c.concept_id)
            if t.status != "proposed" and t.confidence is not None and t.confidence >= 0.5
        ]
        if "mobilisation" in words.casefold() and passing:
            want.add(c.concept_id)
    assert rows == want and want
    address = dom.get("data-address")
    assert "q=mobilisation" in address and "min=0.5" in address
    assert "status=preferred%2Cadmitted%2Cdeprecated%2Crejected" in address


@pytest.mark.chromium
def test_page_makes_no_network_request(chromium, seeds_page, seeds_glossary):
    probe = (
        "window.blocked=[];"
        "document.addEventListener('securitypolicyviolation',e=>blocked.push(e.blockedURI));"
        "addEventListener('load',()=>{const d=document.documentElement.dataset;"
        "d.resources=performance.getEntriesByType('resource').length;d.blocked=blocked.length;});"
    )
    dom = rendered(chromium, with_script(seeds_page, probe))  # Chromium has no network (FLAGS)
    assert dom.get("data-resources") == "0" and dom.get("data-blocked") == "0"
    assert len(dom.xpath("//div[@data-concept]")) == len(seeds_glossary.concepts)


@pytest.mark.chromium
def test_clicking_a_term_shows_its_contexts_and_evidence(chromium, seeds_page):
    probe = (
        "addEventListener('load',()=>{document.querySelector("
        "'div[data-concept=dan_van_kheo] div[data-lang=fr] button.term').click();});"
    )
    dom = rendered(chromium, with_script(seeds_page, probe))
    details = dom.xpath("//aside[@id='details']")[0]
    assert details.get("hidden") is None
    assert details.xpath(".//h2")[0].text_content() == "mobilisation de masse habile"
    marks = [m.text_content().casefold() for m in details.xpath(".//mark")]
    assert marks and set(marks) == {"mobilisation de masse habile"}
    where = details.xpath(".//div[@class='where']")[0].text_content()
    assert re.search(r"\.txt · line \d+ · position \d+", where)
    labels = [dt.text_content() for dt in details.xpath(".//dt")]
    basics = {"Status", "Confidence", "Frequency", "Documents"}
    assert basics <= set(labels) and set(labels) - basics, labels  # and the machine's evidence


@pytest.mark.chromium
def test_hostile_terms_show_as_text_in_the_browser(chromium, tmp_path):
    page = report.write(hostile_glossary(), tmp_path / "report.html").path
    dom = rendered(chromium, page)
    assert not dom.xpath("//img") and dom.findtext(".//title") != "1"
    assert HOSTILE in terms_in(dom, "evil", "fr")
    assert (
        dom.xpath("//div[@data-concept='evil']//span[@class='vi']")[0].text_content()
        == "<b>Đảng</b>"
    )


@pytest.mark.chromium
def test_a_big_glossary_shows_its_rows_a_page_at_a_time(chromium, tmp_path):
    from benchmarks.store_bench import make_glossary

    page = report.write(make_glossary(2000), tmp_path / "report.html").path  # 400 concepts
    dom = rendered(chromium, page)
    assert len(dom.xpath("//div[@data-concept]")) == 250
    assert dom.xpath("//button[@id='more-button']")[0].text_content() == "Show more (150 left)"
    more = "addEventListener('load',()=>document.getElementById('more-button').click());"
    dom = rendered(chromium, with_script(page, more))
    assert len(dom.xpath("//div[@data-concept]")) == 400
    assert dom.xpath("//div[@id='more']")[0].get("hidden") is not None
