"use strict";
(() => {
  const table = document.getElementById("files"), tbody = table.tBodies[0], heads = table.tHead.rows[0].cells;
  const data = JSON.parse(document.getElementById("rows").textContent);
  const PAGE = Number(table.dataset.page) || 500, DASH = "\u2013", KNOWN = ["ok", "failed", "empty", "pending"];
  const $ = (id) => document.getElementById(id);
  const none = (n) => n === null || n === undefined;
  // The twins of html.py's formats.
  const int = (n) => (none(n) ? DASH : Math.round(n).toLocaleString("en-US"));
  const q = (n) => (none(n) ? DASH : n.toFixed(1));
  const secs = (s) => (none(s) ? DASH : s < 1 ? (s * 1000).toFixed(1) + " ms" : s.toFixed(2) + " s");
  const band = (v) => (none(v) ? "" : v < 50 ? "q-bad" : v < 70 ? "q-mid" : "q-good");
  const num = (v) => (v === undefined || v === "" ? null : Number(v));
  const pairs = (f) => {
    const out = [];
    for (let i = 0; i < f.length; i += 2) out.push(f[i] + " " + int(f[i + 1]));
    return out.join(", ");
  };
  const total = (f) => f.reduce((t, x, i) => (i % 2 ? t + x : t), 0);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  };
  // A row of the data island, as html.py's _tr writes one.
  const build = (r) => {
    const status = r[1], failed = status === "failed", f = r[9], more = r[10] - f.length / 3;
    const tr = el("tr", undefined, failed ? "failed" : ""), det = el("details"), ul = el("ul");
    det.open = failed;
    det.append(el("summary", r[0]), ul);
    ul.append(el("li", "corrections: " + (pairs(r[8]) || "none")));
    if (r[11]) {
      const at = r[11][1] === null ? "" : " at line " + Math.round(r[11][1]);
      ul.append(el("li", "error" + at + ": " + r[11][0], "err"));
    }
    if (r[12]) ul.append(el("li", int(r[12]) + " cues dropped (unreadable)"));
    for (let i = 0; i < f.length; i += 3) {
      const at = f[i] === null ? "" : "line " + Math.round(f[i]) + ": ";
      ul.append(el("li", at + f[i + 1] + ": " + f[i + 2]));
    }
    if (more > 0) {
      const lead = f.length ? "and " + int(more) + " more" : int(more);
      ul.append(el("li", lead + (more === 1 ? " warning" : " warnings") + " in the file's sidecar", "muted"));
    }
    const path = el("td", undefined, "path"), st = el("td"), qual = el("td", undefined, "n");
    path.append(det);
    st.append(el("span", status, "st st-" + (KNOWN.includes(status) ? status : "other")));
    if (r[4] === null && r[5] === null) qual.textContent = DASH;
    else qual.append(q(r[4]) + " \u2192 ", el("b", q(r[5]), band(r[5])));
    tr.append(path, st, el("td", int(r[2]), "n"), el("td", int(r[3]), "n"), qual,
      el("td", pairs(r[6]), "checks"), el("td", secs(r[7]), "n"));
    return tr;
  };
  // Every row as a record: its sort values, and its <tr> once there is one.
  const recs = Array.from(tbody.rows, (tr) => {
    const c = tr.cells;
    return {tr, v: [c[0].querySelector("summary").textContent, c[1].textContent,
      ...[2, 3, 4, 5, 6].map((i) => num(c[i].dataset.v))]};
  });
  for (const r of data.rows) recs.push({tr: null, r, v: [r[0], r[1], r[2], r[3], r[5], total(r[6]), r[7]]});
  recs.forEach((x, i) => { x.i = i; x.low = x.v[0].toLowerCase(); });
  const first = tbody.rows.length || PAGE;
  let limit = first, key = -1, dir = 1;
  // Numbers as numbers, text as text, a missing value last in either direction.
  const cmp = (a, b) => {
    const x = a.v[key], y = b.v[key];
    if (x === null || y === null) return x === y ? a.i - b.i : x === null ? 1 : -1;
    return (x < y ? -dir : x > y ? dir : 0) || a.i - b.i;
  };
  const render = () => {
    const needle = $("filter").value.trim().toLowerCase(), want = $("status").value;
    const hits = recs.filter((x) => (!want || x.v[1] === want) && (!needle || x.low.includes(needle)));
    const n = Math.min(limit, hits.length), frag = document.createDocumentFragment();
    for (const x of hits.slice(0, n)) frag.append(x.tr || (x.tr = build(x.r)));
    tbody.replaceChildren(frag);
    $("shown").textContent = int(n) + " of " + int(hits.length) + " files shown";
    $("more").hidden = hits.length <= n;
    const left = hits.length - n;
    $("more").textContent = left > PAGE ? "show " + int(PAGE) + " more (" + int(left) + " not shown)"
      : "show the last " + int(left);
  };
  const counts = {};
  for (const x of recs) counts[x.v[1]] = (counts[x.v[1]] || 0) + 1;
  for (const s of Object.keys(counts).sort()) $("status").append(new Option(s + " (" + int(counts[s]) + ")", s));
  Array.from(heads).forEach((th, i) => {
    const b = el("button", th.textContent);
    b.type = "button";
    th.replaceChildren(b);
    b.addEventListener("click", () => {
      dir = key === i ? -dir : 1;
      key = i;
      for (const h of heads) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      recs.sort(cmp);
      render();
    });
  });
  const again = () => { limit = first; render(); };
  $("filter").addEventListener("input", again);
  $("status").addEventListener("change", again);
  $("more").addEventListener("click", () => { limit += PAGE; render(); });
  $("controls").hidden = false;
  if ($("nojs")) $("nojs").hidden = true;
  render();
  document.body.dataset.ready = "1";
})();
