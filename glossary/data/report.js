"use strict";
// The review page's script. It reads the JSON in #data (written by glossary/report/payload.py):
//   concepts[i] = {id, vi, en, k: kind, new, st: status, def: definition, n: note}
//   terms[j] = {c: concept index, l: language index, t: term, s: status index, p: confidence,
//               f: frequency, d: [document], e: evidence, n: note, src: source, u: updated,
//               x: [[document, position, line, sentence index, mark start, mark end]]}
// Documents, sources and update times are indexes into strs; sentences into sents.
// Text only ever reaches the page through textContent, so nothing in the data is markup.
(function () {
  const D = JSON.parse(document.getElementById("data").textContent);
  const PAGE = 250; // rows added at a time; more come as the reader scrolls
  const STATUS_ORDER = { preferred: 0, admitted: 1, proposed: 2, deprecated: 3, rejected: 4 };
  const LANG_NAMES = {
    vi: "Vietnamese", nb: "Norwegian Bokmål", nn: "Norwegian Nynorsk", nl: "Dutch", cs: "Czech",
    sv: "Swedish", fr: "French", en: "English", de: "German", da: "Danish", fi: "Finnish",
    es: "Spanish", it: "Italian", pt: "Portuguese", pl: "Polish",
  };
  const LETTERS = { "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "ı": "i" };
  const $ = (id) => document.getElementById(id);

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // The same folding as payload.search_key: no accents, no case, ø -> o, đ -> d.
  function fold(text) {
    return text.toLowerCase().replace(/[đøæœßłı]/g, (c) => LETTERS[c])
      .normalize("NFD").replace(/\p{M}/gu, "").normalize("NFC").replace(/\s+/g, " ").trim();
  }

  // ------------------------------------------------------------ terms of each concept
  const termsOf = D.concepts.map(() => []);
  D.terms.forEach((t, i) => termsOf[t.c].push(i));
  for (const list of termsOf) {
    list.sort((a, b) => {
      const ta = D.terms[a], tb = D.terms[b];
      const byStatus = STATUS_ORDER[D.statuses[ta.s]] - STATUS_ORDER[D.statuses[tb.s]];
      return byStatus || (tb.p ?? -1) - (ta.p ?? -1);
    });
  }

  // Folded text of a concept and its terms, made on the first search.
  let keys = null;
  function searchKey(ci) {
    if (!keys) {
      keys = D.concepts.map((c) => [c.id, c.vi, c.en, c.def || ""]);
      for (const t of D.terms) keys[t.c].push(t.t);
      keys = keys.map((parts) => fold(parts.join(" ")));
    }
    return keys[ci];
  }

  // ------------------------------------------------------------ state <-> query string
  function readState(q) {
    const list = (name, known) => {
      const values = q.getAll(name).flatMap((v) => v.split(",")).map((v) => v.trim());
      const chosen = values.filter((v) => known.includes(v));
      return new Set(chosen.length ? chosen : known);
    };
    const number = (name, fallback) => {
      const v = parseFloat(q.get(name));
      return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : fallback;
    };
    const yes = (name) => ["1", "true", "yes", "on"].includes((q.get(name) || "").toLowerCase());
    return {
      q: q.get("q") || "",
      lang: list("lang", D.langs),
      status: list("status", D.statuses),
      kind: D.kinds.includes(q.get("kind")) ? q.get("kind") : "",
      min: number("min", 0),
      max: number("max", 1),
      new: yes("new"),
      gaps: yes("gaps"),
      sort: ["vi", "unsure", "coverage"].includes(q.get("sort")) ? q.get("sort") : "",
    };
  }

  function writeState(s) {
    const q = new URLSearchParams();
    if (s.q) q.set("q", s.q);
    if (s.lang.size < D.langs.length) q.set("lang", [...s.lang].join(","));
    if (s.status.size < D.statuses.length) q.set("status", [...s.status].join(","));
    if (s.kind) q.set("kind", s.kind);
    if (s.min > 0) q.set("min", String(s.min));
    if (s.max < 1) q.set("max", String(s.max));
    if (s.new) q.set("new", "1");
    if (s.gaps) q.set("gaps", "1");
    if (s.sort) q.set("sort", s.sort);
    const search = q.toString();
    try {
      history.replaceState(null, "", search ? "?" + search : location.pathname);
    } catch (e) {
      // Some browsers refuse to change a file:// address; the filters still work.
    }
  }

  // ------------------------------------------------------------ the filter form
  function checkboxes(fieldset, name, values, label) {
    for (const value of values) {
      const box = el("input");
      box.type = "checkbox";
      box.name = name;
      box.value = value;
      const wrap = el("label", name === "status" ? "s-" + value : "");
      wrap.append(box, " " + label(value));
      fieldset.append(wrap);
    }
  }

  function buildForm(s) {
    checkboxes($("f-lang"), "lang", D.langs, (v) => v);
    checkboxes($("f-status"), "status", D.statuses, (v) => v);
    for (const kind of D.kinds) {
      const option = el("option", "", kind.replace("_", " "));
      option.value = kind;
      $("kind").append(option);
    }
    fillForm(s);
  }

  function fillForm(s) {
    $("q").value = s.q;
    for (const box of document.querySelectorAll("input[name=lang]")) box.checked = s.lang.has(box.value);
    for (const box of document.querySelectorAll("input[name=status]")) box.checked = s.status.has(box.value);
    $("kind").value = s.kind;
    $("min").value = String(s.min);
    $("max").value = String(s.max);
    $("new").checked = s.new;
    $("gaps").checked = s.gaps;
    $("sort").value = s.sort;
  }

  function formState() {
    const checked = (name) => new Set([...document.querySelectorAll(`input[name=${name}]:checked`)].map((b) => b.value));
    const number = (id, fallback) => {
      const v = parseFloat($(id).value);
      return Number.isFinite(v) ? Math.min(1, Math.max(0, v)) : fallback;
    };
    return {
      q: $("q").value, lang: checked("lang"), status: checked("status"), kind: $("kind").value,
      min: number("min", 0), max: number("max", 1), new: $("new").checked, gaps: $("gaps").checked,
      sort: $("sort").value,
    };
  }

  // ------------------------------------------------------------ which concepts to show
  function termPasses(t, s) {
    if (!s.status.has(D.statuses[t.s])) return false;
    if (t.p === null || t.p === undefined) return s.min <= 0 && s.max >= 1;
    return t.p >= s.min && t.p <= s.max;
  }

  function matching(s) {
    const langs = D.langs.map((l) => s.lang.has(l));
    const termFilter = s.status.size < D.statuses.length || s.min > 0 || s.max < 1;
    const words = fold(s.q).split(" ").filter(Boolean);
    const rows = [];
    D.concepts.forEach((c, ci) => {
      if (s.kind && c.k !== s.kind) return;
      if (s.new && !c.new) return;
      if (words.length && !words.every((w) => searchKey(ci).includes(w))) return;
      const mine = termsOf[ci].filter((i) => langs[D.terms[i].l]);
      if (termFilter && !mine.some((i) => termPasses(D.terms[i], s))) return;
      if (s.gaps) {
        const filled = new Set(mine.map((i) => D.terms[i].l));
        if (filled.size >= s.lang.size) return;
      }
      rows.push(ci);
    });
    return sortRows(rows, s, langs);
  }

  function sortRows(rows, s, langs) {
    if (s.sort === "vi") {
      const name = (ci) => D.concepts[ci].vi || "\uffff" + D.concepts[ci].id;
      return rows.sort((a, b) => name(a).localeCompare(name(b), "vi"));
    }
    const measure = {
      // Concepts without a scored term go last: there is nothing to be unsure about.
      unsure: (ci) => Math.min(2, ...termsOf[ci].filter((i) => langs[D.terms[i].l]).map((i) => D.terms[i].p ?? 2)),
      coverage: (ci) => new Set(termsOf[ci].map((i) => D.terms[i]).filter((t) => langs[t.l] && D.statuses[t.s] !== "rejected").map((t) => t.l)).size,
    }[s.sort];
    if (!measure) return rows;
    const value = new Map(rows.map((ci) => [ci, measure(ci)]));
    return rows.sort((a, b) => value.get(a) - value.get(b) || a - b);
  }

  // ------------------------------------------------------------ the matrix
  function termButton(i, s) {
    const t = D.terms[i];
    const status = D.statuses[t.s];
    const button = el("button", "term s-" + status + (termPasses(t, s) ? "" : " dim"));
    button.type = "button";
    button.dataset.i = String(i);
    const confidence = t.p === null || t.p === undefined ? "no confidence" : "confidence " + t.p.toFixed(2);
    button.title = `${status}, ${confidence}, frequency ${t.f}`;
    button.append(el("span", "t", t.t));
    if (status !== "proposed") button.append(el("span", "st", status));
    const bar = el("span", "bar");
    const fill = el("i");
    fill.style.width = ((t.p ?? 0) * 100).toFixed(0) + "%";
    bar.append(fill);
    button.append(bar);
    return button;
  }

  function conceptRow(ci, s, langs) {
    const c = D.concepts[ci];
    const row = el("div", "row");
    row.setAttribute("role", "row");
    row.dataset.concept = c.id;
    const head = el("div", "concept");
    head.setAttribute("role", "rowheader");
    head.append(el("span", "vi", c.vi || "(no Vietnamese term yet)"));
    if (c.new) head.append(el("span", "badge new", "new"));
    if (c.en) head.append(el("div", "en", c.en));
    head.append(el("div", "meta", `${c.id} · ${c.k.replace("_", " ")}${c.st ? " · " + c.st : ""}`));
    if (c.def || c.n) head.title = [c.def, c.n].filter(Boolean).join("\n");
    row.append(head);
    for (const li of langs) {
      const cell = el("div", "cell");
      cell.setAttribute("role", "cell");
      cell.dataset.lang = D.langs[li];
      const mine = termsOf[ci].filter((i) => D.terms[i].l === li);
      if (mine.length) for (const i of mine) cell.append(termButton(i, s));
      else {
        cell.classList.add("empty");
        cell.title = `no ${D.langs[li]} term yet`;
        cell.textContent = "—";
      }
      row.append(cell);
    }
    return row;
  }

  function headRow(langs) {
    const row = el("div", "row head");
    row.setAttribute("role", "row");
    const corner = el("div", "", "Concept");
    corner.setAttribute("role", "columnheader");
    row.append(corner);
    for (const li of langs) {
      const count = D.terms.filter((t) => t.l === li).length;
      const cell = el("div", "", `${D.langs[li]} `);
      cell.setAttribute("role", "columnheader");
      cell.title = LANG_NAMES[D.langs[li]] || D.langs[li];
      cell.append(el("span", "meta", `${count} terms`));
      row.append(cell);
    }
    return row;
  }

  let view = { rows: [], shown: 0, state: null, langs: [] };

  function showMore() {
    const next = view.rows.slice(view.shown, view.shown + PAGE);
    const fragment = document.createDocumentFragment();
    for (const ci of next) fragment.append(conceptRow(ci, view.state, view.langs));
    $("matrix").append(fragment);
    view.shown += next.length;
    $("more").hidden = view.shown >= view.rows.length;
    $("more-button").textContent = `Show more (${view.rows.length - view.shown} left)`;
  }

  function update(s, remember) {
    const began = performance.now();
    const langs = D.langs.map((l, i) => i).filter((i) => s.lang.has(D.langs[i]));
    view = { rows: matching(s), shown: 0, state: s, langs };
    const matrix = $("matrix");
    matrix.style.setProperty("--cols", String(langs.length));
    matrix.replaceChildren(headRow(langs));
    showMore();
    $("shown").textContent = `${view.rows.length} of ${D.concepts.length} concepts`;
    document.documentElement.dataset.shown = String(view.rows.length);
    void document.body.offsetHeight; // include the layout in the time below
    document.documentElement.dataset.updateMs = (performance.now() - began).toFixed(1);
    if (remember) writeState(s);
  }

  // ------------------------------------------------------------ details of one term
  function contextBlock(x, term) {
    const [doc, position, line, sentence, start, end] = x;
    const text = D.sents[sentence];
    const quote = el("blockquote");
    if (start >= 0) quote.append(text.slice(0, start), el("mark", "", text.slice(start, end)), text.slice(end));
    else quote.append(text);
    const where = [doc >= 0 ? D.strs[doc] : "", line > 0 ? `line ${line}` : "", position >= 0 ? `position ${position}` : ""];
    const block = el("div");
    block.append(quote, el("div", "where", where.filter(Boolean).join(" · ") || `(where "${term}" came from is not recorded)`));
    return block;
  }

  function showDetails(i) {
    const t = D.terms[i];
    const c = D.concepts[t.c];
    const body = $("details-body");
    body.replaceChildren(el("h2", "", t.t));
    body.append(el("div", "meta", `${D.langs[t.l]} · ${c.vi || c.id}${c.en ? " · " + c.en : ""}`));
    const list = el("dl");
    const add = (name, value) => { if (value !== "" && value !== null && value !== undefined) list.append(el("dt", "", name), el("dd", "", value)); };
    add("Status", D.statuses[t.s]);
    add("Confidence", t.p === null || t.p === undefined ? "none (added by a reviewer)" : t.p.toFixed(3));
    add("Frequency", t.f);
    add("Documents", t.d.map((d) => D.strs[d]).join(", "));
    for (const part of (t.e || "").split(";").map((p) => p.trim()).filter(Boolean)) {
      const [key, ...rest] = part.split("=");
      rest.length ? add(key.trim(), rest.join("=").trim()) : add("Evidence", part);
    }
    add("Note", t.n);
    add("Source", D.strs[t.src]);
    add("Updated", D.strs[t.u]);
    add("Concept", c.id);
    body.append(list, el("h3", "", `Contexts (${t.x.length})`));
    for (const x of t.x) body.append(contextBlock(x, t.t));
    if (!t.x.length) body.append(el("p", "meta", "No example sentence recorded."));
    $("details").hidden = false;
    $("close").focus();
  }

  // ------------------------------------------------------------ start
  function header() {
    $("title").textContent = D.title;
    document.title = D.title;
    const a = D.about;
    const about = [a.corpus && `corpus ${a.corpus}`, a.documents && `${a.documents} documents`,
      (a.model_id || a.model) && `model ${a.model_id || a.model}`, a.aligned_at && `aligned ${a.aligned_at}`];
    $("about").textContent = about.filter(Boolean).join(" · ");
    const reviewed = D.terms.filter((t) => D.statuses[t.s] !== "proposed").length;
    const fresh = D.concepts.filter((c) => c.new).length;
    $("totals").textContent = `${D.concepts.length} concepts (${fresh} new) · ${D.terms.length} terms in ` +
      `${D.langs.length} languages · ${reviewed} reviewed`;
  }

  function start() {
    header();
    const s = readState(new URLSearchParams(location.search));
    buildForm(s);
    const filters = $("filters");
    const stick = () => document.documentElement.style.setProperty("--filters-height", filters.offsetHeight + "px");
    stick();
    window.addEventListener("resize", stick);
    let timer = 0;
    const changed = () => { clearTimeout(timer); timer = setTimeout(() => update(formState(), true), 120); };
    filters.addEventListener("input", changed);
    filters.addEventListener("change", changed);
    filters.addEventListener("submit", (e) => e.preventDefault());
    $("reset").addEventListener("click", () => {
      const everything = readState(new URLSearchParams());
      fillForm(everything);
      update(everything, true);
    });
    $("matrix").addEventListener("click", (e) => {
      const button = e.target.closest("button.term");
      if (button) showDetails(Number(button.dataset.i));
    });
    $("close").addEventListener("click", () => { $("details").hidden = true; });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") $("details").hidden = true;
      if (e.key === "/" && document.activeElement.tagName !== "INPUT") { e.preventDefault(); $("q").focus(); }
    });
    $("more-button").addEventListener("click", showMore);
    if ("IntersectionObserver" in window) {
      new IntersectionObserver((seen) => { if (seen.some((x) => x.isIntersecting)) showMore(); }, { rootMargin: "600px" }).observe($("more"));
    }
    update(s, false);
    document.documentElement.dataset.ready = String(Math.round(performance.now()));
  }

  start();
})();
