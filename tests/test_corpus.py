"""Reading a corpus: seeds layout, HTML, encodings, bad files, languages and sentences."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from glossary.cli import app
from glossary.corpus import (
    BadFileError,
    detect_language,
    read_corpus,
    read_document,
    split_sentences,
)
from glossary.errors import CorpusError, UsageError

DATA = Path(__file__).parent / "data" / "corpus"

SEEDS = {
    "000_f8ee477c81dbbf1d.txt": {
        "lang": "nb",
        "title": "Quang Nam anvender effektivt massemobiliseringsarbeid for å skape solidaritet "
        "og konsensus.",
        "date": "2025-01-07",
        "url": "https://baoquangnam.vn/quang-nam-van-dung-hieu-qua-cong-tac-dan-van-tao-su-"
        "doan-ket-dong-thuan-3147163.html",
        "body": [
            "Rettidig fjerning av hindringer",
            "I 2024 vil massemobiliseringsarbeidet til Vietnams fedrelandsfront",
            "Derfor må hver massemobiliseringskader være gjennomsyret",
        ],
        "navigation": ["I samme emne", "Arv", "Produkt", "Av samme forfatter"],
    },
    "001_6a776d62f48ed578.txt": {
        "lang": "nl",
        "title": "Pogingen om massamobilisatie te innoveren, werken aan het dicht bij de basis "
        "en voor de mensen staan",
        "date": "2023-10-15",
        "url": None,  # only a bare "Bron" line
        "body": [
            "93 jaar geleden, van 14 tot 31 oktober 1930",
            "Plaatsvervangend hoofd van het Massamobilisatiecomité",
        ],
        "navigation": ["In hetzelfde onderwerp", "Zonsopgang bekijken op Co To Island", "Product"],
    },
    "002_4454af98e30bf413.txt": {
        "lang": "cs",
        "title": "Práce na masové mobilizaci musí úzce souviset s požadavky místních politických "
        "úkolů.",
        "date": "2023-08-25",
        "url": None,  # only a bare "Zdroj" line
        "body": [
            "V poslední době se Ha Tinh zaměřil na efektivní implementaci",
            "Aby byla práce na masové mobilizaci a dialogu efektivní",
        ],
        "navigation": ["Ve stejném tématu", "Lekníny v období povodní", "Produkt"],
    },
    "003_3a33f52d9453375b.txt": {
        "lang": "sv",
        "title": "",  # this page lost its header, title and date lines
        "date": None,
        "url": "https://baoquangnam.vn/dan-van-kheo-de-xay-dung-do-thi-tam-ky-3140256.html",
        "body": [
            "Nära basen",
            "För att skapa ett genombrott i massmobiliseringsarbetet",
            '"Folkets stöd och kamratskap med partikommittén',
        ],
        "navigation": [],
    },
    "004_13409af1c0f11f60.txt": {
        "lang": "fr",
        "title": "Le Groupe de travail central de mobilisation de masse a étudié, saisi la "
        "situation, compris en profondeur et mis en œuvre le travail de mobilisation de masse "
        "dans la province.",
        "date": "2024-10-30",
        "url": "https://baocaobang.vn/doan-cong-tac-dan-van-trung-uong-khao-sat-nam-tinh-hinh-"
        "quan-triet-trien-khai-thuc-hien-cong-tac-dan-3173216.html",
        "body": [
            "La délégation a été accueillie et a travaillé avec les camarades",
            "Recevant les instructions du chef adjoint du Comité central",
        ],
        "navigation": ["Même sujet", "Suivez le soleil", "Système politique", "Produit"],
    },
}

BOILERPLATE = re.compile(
    r"Vietnam\.vn|Nền tảng|\[annons?e?_\d\]|^\w+ \(\d+\)$|No data|No videos|"
    r"^(Kilde|Bron|Zdroj|Källa|Source)\b|^Việt Nam|\.jpg$"
)


@pytest.fixture(scope="module")
def seeds(seeds_dir):
    corpus = read_corpus([seeds_dir])
    assert not corpus.skipped
    return {Path(doc.path).name: doc for doc in corpus.documents}


# ---------------------------------------------------------------- seeds layout
@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_boilerplate_is_removed_and_body_kept(seeds, name):
    doc = seeds[name]
    expected = SEEDS[name]
    texts = [p.text for p in doc.paragraphs]
    for text in texts:
        assert not BOILERPLATE.search(text), text
        assert text not in expected["navigation"]
    for start in expected["body"]:
        assert any(t.startswith(start) for t in texts), start
    # The article ends at the source line / comment counter; everything after is navigation.
    end = re.search(r"^(Kilde|Bron|Zdroj|Källa|Source)\b", doc.text, re.MULTILINE).start()
    assert all(p.end <= end for p in doc.paragraphs)
    # Offsets point back into the file text.
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    for s in doc.sentences:
        assert doc.text[s.start : s.end] == s.text == s.text.strip()
        assert (
            doc.paragraphs[s.paragraph].start <= s.start < s.end <= doc.paragraphs[s.paragraph].end
        )


def test_seed_text_is_the_whole_file(seeds, seeds_dir):
    for name, doc in seeds.items():
        assert doc.text == (seeds_dir / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_seed_metadata(seeds, name):
    doc, expected = seeds[name], SEEDS[name]
    assert (doc.title, doc.date, doc.url) == (expected["title"], expected["date"], expected["url"])


def test_title_repeated_as_photo_alt_text_is_dropped_and_marks_a_caption(seeds):
    doc = seeds["002_4454af98e30bf413.txt"]
    texts = [p.text for p in doc.paragraphs]
    assert texts.count(doc.title) == 1  # the title itself; its 7 repeats were photo alt texts
    caption = next(p for p in doc.paragraphs if p.text.endswith("účastnící se konference."))
    assert caption.is_caption
    assert not doc.paragraphs[0].is_caption


def test_photo_captions_are_marked(seeds):
    doc = seeds["000_f8ee477c81dbbf1d.txt"]
    captions = [p.text for p in doc.paragraphs if p.is_caption]
    assert len(captions) == 3
    assert all(c.endswith("Foto: TAM DAN") for c in captions)
    assert captions[0].startswith("Standende visesekretær")  # the line after dsc01120.jpg
    dutch = seeds["001_6a776d62f48ed578.txt"]
    assert any(p.is_caption and p.text.endswith("Foto:") for p in dutch.paragraphs)


def test_leading_language_name_left_by_translation_is_stripped(seeds):
    doc = seeds["004_13409af1c0f11f60.txt"]
    assert "Français La délégation" in doc.text
    assert not any(p.text.startswith("Français") for p in doc.paragraphs)
    para = next(p for p in doc.paragraphs if p.text.startswith("La délégation a été accueillie"))
    assert doc.text[para.start - len("Français ") : para.start] == "Français "


def test_byline_at_the_end_is_dropped(seeds):
    assert seeds["004_13409af1c0f11f60.txt"].paragraphs[-1].text.startswith("Recevant")
    assert not any(p.text == "Čt Ha" for p in seeds["002_4454af98e30bf413.txt"].paragraphs)


# ---------------------------------------------------------------- languages
def test_language_identification_is_deterministic(seeds_dir, seeds):
    again = read_corpus([seeds_dir])
    for doc in again.documents:
        name = Path(doc.path).name
        assert doc.lang == SEEDS[name]["lang"]
        assert doc == seeds[name]
        assert [p.lang for p in doc.paragraphs] == [doc.lang] * len(doc.paragraphs)
        assert detect_language(doc.text) == detect_language(doc.text)


def test_norwegian_is_reported_as_nb_and_danish_flukes_follow_the_document(seeds):
    doc = seeds["000_f8ee477c81dbbf1d.txt"]
    assert detect_language(doc.paragraphs[3].text) == "nb"
    # langdetect alone calls this heading Danish-ish; in a Norwegian article it stays nb.
    heading = next(p for p in doc.paragraphs if p.text.startswith("Pioner og rollemodell"))
    assert heading.lang == "nb"


def test_lang_option_overrides_detection(seeds_dir):
    corpus = read_corpus([seeds_dir / "003_3a33f52d9453375b.txt"], lang="no")
    assert corpus.documents[0].lang == "nb"


def test_untranslated_english_in_the_seeds_is_kept_with_its_language(seeds):
    doc = seeds["000_f8ee477c81dbbf1d.txt"]
    english = [p for p in doc.passages if p.lang == "en"]
    assert [p.text for p in english] == ["Skilled Mass Mobilization"]
    start = doc.text.index("Skilled Mass Mobilization")
    assert (english[0].start, english[0].end) == (start, start + len("Skilled Mass Mobilization"))
    assert doc.lang_at(start, english[0].end) == "en"
    # The Norwegian renderings of the same slogan are not mistaken for English.
    for slogan in ("Faglært massemobilisering", "dyktig massemobilisering"):
        at = doc.text.index(slogan)
        assert doc.lang_at(at, at + len(slogan)) == "nb"
    dutch = seeds["001_6a776d62f48ed578.txt"]
    assert [(p.lang, p.text) for p in dutch.passages] == [("en", "Mass Mobilization")]
    for name in (
        "002_4454af98e30bf413.txt",
        "003_3a33f52d9453375b.txt",
        "004_13409af1c0f11f60.txt",
    ):
        assert seeds[name].passages == ()


def test_english_paragraph_and_sentence_inside_a_norwegian_article():
    doc = read_document(DATA / "mixed_nb.txt")
    assert doc.lang == "nb"
    langs = [p.lang for p in doc.paragraphs]
    assert langs == ["nb", "nb", "en", "nb"]
    mixed = doc.paragraphs[3]
    by_lang = {s.text[:8]: s.lang for s in doc.sentences if s.paragraph == 3}
    assert by_lang == {"Lederen ": "nb", "This sen": "en", "Deretter": "nb"}
    assert mixed.lang == "nb"
    assert {p.lang for p in doc.passages} == {"en"} and len(doc.passages) == 2
    assert not any("I samme emne" in p.text or "Hanoi" in p.text for p in doc.paragraphs)


# ---------------------------------------------------------------- sentences
def sentences(text: str, lang: str) -> list[str]:
    spans = split_sentences(text, lang)
    for s, e in spans:
        assert text[s:e] == text[s:e].strip()
    return [text[s:e] for s, e in spans]


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        (
            "nb",
            "I følge prosjekt nr. 23 bestemte komiteen 15. november 2024 å velge ut modeller, "
            "f.eks. «dyktig massemobilisering». Støtten var på over 120 milliarder VND og 37,5 "
            "milliarder VND i 2024. Resolusjon 25-NQ/TW gjelder bl.a. Hanoi. Herr Ho Van Phen sa "
            "det: «Mange husholdninger har forlatt gamle vaner. I tillegg deltar de i "
            "«3-hjelps»-modellen», delte Phen.",
            [
                "I følge prosjekt nr. 23 bestemte komiteen 15. november 2024 å velge ut modeller, "
                "f.eks. «dyktig massemobilisering».",
                "Støtten var på over 120 milliarder VND og 37,5 milliarder VND i 2024.",
                "Resolusjon 25-NQ/TW gjelder bl.a. Hanoi.",
                "Herr Ho Van Phen sa det: «Mange husholdninger har forlatt gamle vaner.",
                "I tillegg deltar de i «3-hjelps»-modellen», delte Phen.",
            ],
        ),
        (
            "nl",
            'Het artikel "Massamobilisatie" verscheen in de Truth Newspaper, nr. 120, op 15 '
            'oktober 1949. Het motto is "Mensen weten, mensen bespreken. Mensen doen" volgens de '
            "Partij, d.w.z. Ha Tinh. De groei bedroeg 5,65% in de periode 2021-2023.",
            [
                'Het artikel "Massamobilisatie" verscheen in de Truth Newspaper, nr. 120, op 15 '
                "oktober 1949.",
                'Het motto is "Mensen weten, mensen bespreken. Mensen doen" volgens de Partij, '
                "d.w.z. Ha Tinh.",
                "De groei bedroeg 5,65% in de periode 2021-2023.",
            ],
        ),
        (
            "cs",
            "Výbor zhodnotil usnesení č. 25-NQ/TW ze dne 3. června 2013, tj. Ústřední výbor "
            "rozhodl. Odpoledne 25. srpna uspořádal konferenci o „Posílení a inovaci vedení "
            "strany. Nová situace“ v provincii. Bylo postaveno 19 340 modelů.",
            [
                "Výbor zhodnotil usnesení č. 25-NQ/TW ze dne 3. června 2013, tj. Ústřední výbor "
                "rozhodl.",
                "Odpoledne 25. srpna uspořádal konferenci o „Posílení a inovaci vedení strany. "
                "Nová situace“ v provincii.",
                "Bylo postaveno 19 340 modelů.",
            ],
        ),
        (
            "sv",
            'Kommittén fokuserade t.ex. på rörelsen "Skicklig massmobilisering" och bl.a. Tam Ky '
            "City. Projektet kostade nästan 450 miljarder VND. Enligt mottot "
            '"Att ta folket som rot. Allt ska lyckas" arbetar man vidare!',
            [
                'Kommittén fokuserade t.ex. på rörelsen "Skicklig massmobilisering" och bl.a. '
                "Tam Ky City.",
                "Projektet kostade nästan 450 miljarder VND.",
                'Enligt mottot "Att ta folket som rot. Allt ska lyckas" arbetar man vidare!',
            ],
        ),
        (
            "fr",
            "M. Pham Tat Thang a évoqué la décision n° 23-QD/TW du 30 juillet 2023. La province "
            "a construit 13 268 modèles de « mobilisation de masse habile ». Il a dit : « Le "
            "peuple est la racine. Sans le peuple, rien ne réussit dans la province. » Puis il "
            "est parti...",
            [
                "M. Pham Tat Thang a évoqué la décision n° 23-QD/TW du 30 juillet 2023.",
                "La province a construit 13 268 modèles de « mobilisation de masse habile ».",
                "Il a dit : « Le peuple est la racine.",
                "Sans le peuple, rien ne réussit dans la province. »",
                "Puis il est parti...",
            ],
        ),
    ],
)
def test_sentence_splitting_hard_cases(lang, text, expected):
    assert sentences(text, lang) == expected


def test_quoted_multi_sentence_teaching_is_split_but_slogans_are_not(seeds):
    doc = seeds["001_6a776d62f48ed578.txt"]
    texts = [s.text for s in doc.sentences]
    assert "Massamobilisatie is erg belangrijk." in texts
    slogan = next(t for t in texts if t.startswith("Daarbij is het motto"))
    assert '"Mensen weten, mensen bespreken, mensen doen' in slogan


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('ab AB.?!«»"„“ 12\n,')), max_size=80))
def test_sentence_offsets_are_exact_and_ordered(text):
    spans = split_sentences(text, "nb")
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        last = e
    covered = "".join(text[s:e] for s, e in spans)
    assert "".join(covered.split()) == "".join(text.split())


# ---------------------------------------------------------------- HTML
def test_html_article_page():
    doc = read_document(DATA / "article_fr.html")
    assert doc.lang == "fr"
    assert doc.title == "La délégation centrale étudie le travail de mobilisation de masse"
    assert doc.date == "2024-10-30"
    assert doc.url == "https://example.org/fr/mobilisation-de-masse-cao-bang.html"  # canonical
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == doc.title
    assert any("Comité central de mobilisation de masse a travaillé" in t for t in texts)
    assert any("13\u00a0268 modèles" in t for t in texts)
    joined = " ".join(texts)
    for junk in ("Accueil", "Publicité", "color: red", "Miss Vietnam", "Tous droits", "Comment",
                 "annonce_1", "Même catégorie", "Publié le"):  # fmt: skip
        assert junk not in joined
    captions = [p for p in doc.paragraphs if p.is_caption]
    assert [c.text[:30] for c in captions] == ["Le chef adjoint du Comité cent"]
    for p in doc.paragraphs:
        assert doc.text[p.start : p.end] == p.text
    assert "M. Pham Tat Thang a salué ces résultats." in [s.text for s in doc.sentences]


# ---------------------------------------------------------------- encodings
@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b"\xef\xbb\xbf"), ("utf-16", b""), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b"")],
)
def test_bom_and_utf16_files_read_like_utf8(tmp_path, seeds_dir, seeds, encoding, prefix):
    name = "002_4454af98e30bf413.txt"
    raw = (seeds_dir / name).read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_bytes(prefix + raw.encode(encoding))  # utf-16-le without BOM: NUL-byte pattern
    doc = read_document(path)
    original = seeds[name]
    assert doc.text == raw
    assert [p.text for p in doc.paragraphs] == [p.text for p in original.paragraphs]
    assert (doc.lang, doc.title, doc.date) == ("cs", original.title, original.date)


def test_decomposed_unicode_is_normalised_to_nfc(tmp_path, seeds_dir):
    import unicodedata

    raw = (seeds_dir / "003_3a33f52d9453375b.txt").read_text(encoding="utf-8")
    path = tmp_path / "nfd.txt"
    path.write_text(unicodedata.normalize("NFD", raw), encoding="utf-8")
    doc = read_document(path)
    assert doc.text == raw
    assert "Nära basen" in [p.text for p in doc.paragraphs]


# ---------------------------------------------------------------- bad input
def test_bad_files_are_skipped_with_a_reason_and_the_run_goes_on(tmp_path, seeds_dir):
    good = tmp_path / "good.txt"
    good.write_text((seeds_dir / "003_3a33f52d9453375b.txt").read_text(encoding="utf-8"), "utf-8")
    (tmp_path / "latin1.txt").write_bytes("Kjære leser, massemobilisering på øya".encode("cp1252"))
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.md").write_text(" \n\n\t \n", encoding="utf-8")
    (tmp_path / "only-navigation.txt").write_text(
        "Vietnam.vn - Nền tảng quảng bá Việt Nam\n\n[annonse_1]\nKommentar (0)\n\nNo data\n",
        encoding="utf-8",
    )
    corpus = read_corpus([tmp_path])
    # a Windows-1252 file is read, not skipped (tests/test_corpus_files.py has more)
    assert [Path(d.path).name for d in corpus.documents] == ["good.txt", "latin1.txt"]
    assert corpus.documents[1].encoding == "cp1252"
    reasons = {Path(s.path).name: s.reason for s in corpus.skipped}
    assert reasons == {
        "blank.md": "empty file",
        "empty.txt": "empty file",
        "image.txt": "binary file (contains NUL bytes), not text",
        "only-navigation.txt": "no article text left after removing boilerplate",
    }
    assert all("\n" not in reason for reason in reasons.values())


def test_read_document_raises_a_corpus_error_naming_the_file(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\x00")  # a UTF-16 BOM followed by half a character
    with pytest.raises(BadFileError) as caught:
        read_document(bad)
    assert isinstance(caught.value, CorpusError)
    assert str(caught.value).startswith(f"{bad}: cannot be decoded as UTF-16")


def test_missing_path_and_empty_glob_are_errors(tmp_path):
    with pytest.raises(CorpusError, match=r"^no such file or folder: .*nowhere$"):
        read_corpus([tmp_path / "nowhere"])
    with pytest.raises(CorpusError, match=r"^no files match the pattern .*\*\.html$"):
        read_corpus([str(tmp_path / "*.html")])
    with pytest.raises(CorpusError, match="has no corpus files"):
        read_corpus([tmp_path])


def test_unknown_language_is_a_usage_error(seeds_dir):
    with pytest.raises(UsageError, match="unknown language 'xx'"):
        read_corpus([seeds_dir], lang="xx")


def test_folders_globs_and_order(tmp_path, seeds_dir):
    text = (seeds_dir / "003_3a33f52d9453375b.txt").read_text(encoding="utf-8")
    for rel in ("b/deep/two.txt", "a.md", ".hidden/x.txt", "b/.secret.txt", "notes.docx"):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    names = [
        Path(d.path).relative_to(tmp_path).as_posix() for d in read_corpus([tmp_path]).documents
    ]
    assert names == ["a.md", "b/deep/two.txt"]
    globbed = read_corpus([str(tmp_path / "**" / "*.txt"), tmp_path / "a.md"]).documents
    assert [Path(d.path).name for d in globbed] == ["a.md", "two.txt"]


# ---------------------------------------------------------------- CLI
def test_cli_read_lists_documents_and_reports_skipped_files(tmp_path, seeds_dir):
    for name in ("000_f8ee477c81dbbf1d.txt", "004_13409af1c0f11f60.txt"):
        (tmp_path / name).write_bytes((seeds_dir / name).read_bytes())
    (tmp_path / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00")
    result = CliRunner().invoke(app, ["read", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    docs = json.loads(result.stdout)
    assert [(Path(d["path"]).name, d["lang"]) for d in docs] == [
        ("000_f8ee477c81dbbf1d.txt", "nb"),
        ("004_13409af1c0f11f60.txt", "fr"),
    ]
    assert docs[0]["passages"][0]["text"] == "Skilled Mass Mobilization"
    assert f"skipped {tmp_path / 'broken.txt'}: binary file" in result.stderr
    plain = CliRunner().invoke(app, ["read", str(tmp_path)])
    assert "en at " in plain.stdout and "Skilled Mass Mobilization" in plain.stdout


def test_cli_read_bad_arguments_give_one_line(tmp_path):
    import subprocess
    import sys

    for args, message in (
        ([str(tmp_path / "missing")], "no such file or folder"),
        ([str(tmp_path), "--lang", "klingon"], "unknown language"),
    ):
        run = subprocess.run(
            [sys.executable, "-m", "glossary.cli", "read", *args],
            capture_output=True,
            text=True,
        )
        assert run.returncode == 2
        assert message in run.stderr and len(run.stderr.strip().splitlines()) == 1
        assert "Traceback" not in run.stderr


def test_hard_wrapped_markdown_and_crlf_text(tmp_path):
    md = tmp_path / "wrapped.md"
    md.write_text(
        "# Massemobilisering i Quang Nam\n\n"
        "Den provinsielle partikomiteen holdt en konferanse for å\n"
        "gjennomgå massemobiliseringsarbeidet i 2023 og sette nye mål\n"
        "for året som kommer.\n\n"
        "- Provinsielt politi og provinsiell militærkommando\n",
        encoding="utf-8",
    )
    doc = read_document(md)
    assert doc.title == "Massemobilisering i Quang Nam"
    assert [p.text.split()[0] for p in doc.paragraphs] == [
        "Massemobilisering",
        "Den",
        "Provinsielt",
    ]
    assert doc.sentences[1].text.endswith("for året som kommer.")  # one sentence over 3 lines
    crlf = tmp_path / "windows.txt"
    crlf.write_bytes(
        "Vietnam.vn - Nền tảng quảng bá Việt Nam\r\n\r\nPartikomiteen samles\r\n\r\n"
        "Việt NamViệt Nam07/01/2025\r\n\r\nDen provinsielle partikomiteen holdt en konferanse "
        "i 2023.\r\nKilde: https://example.org/a.html\r\n".encode()
    )
    doc = read_document(crlf)
    assert (doc.title, doc.date, doc.url) == ("Partikomiteen samles", "2025-01-07",
                                              "https://example.org/a.html")  # fmt: skip
    assert [p.text for p in doc.paragraphs][
        -1
    ] == "Den provinsielle partikomiteen holdt en konferanse i 2023."
