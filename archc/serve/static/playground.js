// archc playground: the editor, and everything beside it, from the JSON API (archc/serve/app.py).
"use strict";
const $ = (id) => document.getElementById(id);
const editor = $("editor"), gutter = $("gutter"), backdrop = $("backdrop");
const state = { format: "arch", seq: 0, marks: new Map(), focus: null, selected: null, lines: {}, timer: null };

async function api(job, extra = {}) {
  const body = JSON.stringify(Object.assign(request(), extra));
  const r = await fetch("/api/" + job, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  let data;
  try { data = await r.json(); } catch (e) { data = { error: { message: `HTTP ${r.status}` } }; }
  return { status: r.status, data };
}

function request() {
  const sets = $("set").value.split(/[\s,;]+/).filter((s) => s.includes("="));
  return { spec: editor.value, format: state.format, network: $("network").value || null,
           set: sets, input: $("input").value.trim() || null };
}

// The gutter's line numbers and, behind the transparent-backed textarea, one div per line carrying the
// marks: an error's line is tinted and its message written after the line's text.
function drawEditor() {
  const lines = editor.value.split("\n");
  const g = document.createDocumentFragment(), b = document.createDocumentFragment();
  lines.forEach((text, i) => {
    const n = i + 1, mark = state.marks.get(n);
    const num = document.createElement("div"), line = document.createElement("div");
    num.textContent = n; num.dataset.line = n;
    line.textContent = text || " "; line.dataset.line = n;
    if (mark) {
      num.className = line.className = mark.severity;
      num.title = mark.message;
      const msg = document.createElement("span");
      msg.className = "msg"; msg.textContent = "← " + mark.message;
      line.appendChild(msg);
    } else if (state.focus === n) line.className = "focus";
    g.appendChild(num); b.appendChild(line);
  });
  gutter.replaceChildren(g); backdrop.replaceChildren(b);
  syncScroll();
}

function syncScroll() {
  gutter.scrollTop = backdrop.scrollTop = editor.scrollTop;
  backdrop.scrollLeft = editor.scrollLeft;
}

function showDiagnostics(diags) {
  state.marks = new Map();
  const list = $("diagnostics");
  list.replaceChildren();
  for (const d of diags) {
    const old = state.marks.get(d.line);
    if (d.line && (!old || (d.severity === "error" && old.severity !== "error"))) state.marks.set(d.line, d);
    const li = document.createElement("li");
    li.className = d.severity; li.textContent = d.text || d.message;
    if (d.line) li.onclick = () => goTo(d.line, d.column);
    list.appendChild(li);
  }
  drawEditor();
}

function goTo(line, column = 1) {
  const lines = editor.value.split("\n");
  let pos = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
  editor.focus();
  editor.setSelectionRange(pos + column - 1, pos + column - 1);
  editor.scrollTop = Math.max(0, (line - 5) * 22);
  syncScroll();
}

function setStatus(text, bad) { const s = $("status"); s.textContent = text; s.className = bad ? "bad" : ""; }

const fmt = (v) => (typeof v === "number" ? v.toLocaleString("en-US") : v == null ? "" : String(v));
const shape = (s) => (s ? "[" + s.join(", ") + "]" : "");

async function update() {
  const seq = ++state.seq, t0 = performance.now();
  const { status, data } = await api("check");
  if (seq !== state.seq) return; // a newer edit is being checked
  if (status !== 200) { showDiagnostics([data.error]); setStatus(data.error.message, true); return; }
  fillNetworks(data.networks, data.network);
  showDiagnostics(data.diagnostics);
  if (!data.ok) {
    $("right").classList.add("stale");
    const n = data.diagnostics.filter((d) => d.severity === "error").length;
    setStatus(`${n} error${n === 1 ? "" : "s"}`, true);
    return;
  }
  const [summary, render] = await Promise.all([api("summary"), api("render")]);
  if (seq !== state.seq) return;
  $("right").classList.remove("stale");
  $("valid").textContent = "valid inputs: " + data.valid_inputs;
  if (summary.status === 200) fillSummary(summary.data);
  if (render.status === 200) {
    const img = document.createElement("img");
    img.alt = "diagram of " + data.network;
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(render.data.svg);
    $("diagram").replaceChildren(img);
  } else $("diagram").textContent = render.data.error.message;
  if (state.selected) explain(state.selected);
  setStatus(`✓ checked in ${Math.round(performance.now() - t0)} ms`, false);
}

function fillNetworks(names, current) {
  const sel = $("network");
  if (names.join("\n") === [...sel.options].map((o) => o.value).join("\n")) return;
  sel.replaceChildren(...names.map((n) => new Option(n, n, false, n === current)));
  sel.disabled = names.length < 2;
}

function fillSummary(s) {
  state.lines = s.lines;
  $("total-params").textContent = fmt(s.total_params);
  $("total-macs").textContent = fmt(s.macs_per_sample);
  $("output-shape").textContent = shape(s.output_shape);
  const body = $("summary").tBodies[0];
  body.replaceChildren(...s.layers.map((layer) => {
    const tr = document.createElement("tr");
    tr.dataset.layer = layer.name;
    if (layer.name === state.selected) tr.className = "selected";
    const cells = [layer.name, layer.op, shape(layer.output_shape), fmt(layer.params), fmt(layer.macs_per_sample)];
    cells.forEach((c, i) => {
      const td = tr.insertCell(); td.textContent = c;
      if (i === 2) td.className = "shape"; else if (i > 2) td.className = "num";
    });
    tr.onclick = () => { state.selected = layer.name; explain(layer.name); };
    return tr;
  }));
}

async function explain(name) {
  for (const tr of $("summary").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.layer === name);
  state.focus = state.lines[name] || null;
  drawEditor();
  const { status, data } = await api("explain", { layer: name });
  const box = $("explain");
  if (status !== 200) { box.textContent = data.error.message; return; }
  const layer = data.layers[0];
  if (!layer) { box.textContent = ""; return; }
  const h = document.createElement("h3");
  h.textContent = `${layer.name}: ${layer.op} ${layer.label}  ${layer.input_shapes.map(shape).join(" + ")} → ${shape(layer.output_shape)}`;
  const table = document.createElement("table");
  table.createTHead().insertRow().append(...["quantity", "formula", "with numbers", "result"].map((t) => {
    const th = document.createElement("th"); th.textContent = t; return th;
  }));
  const tb = table.createTBody();
  for (const f of layer.formulas) {
    const tr = tb.insertRow();
    for (const c of [f.name, f.textbook, f.filled, fmt(f.result)]) tr.insertCell().textContent = c || "";
  }
  if (!layer.formulas.length) tb.insertRow().insertCell().textContent = "no parameters, and its shape is its input's";
  box.replaceChildren(h, table);
}

function schedule() { clearTimeout(state.timer); state.timer = setTimeout(update, 250); }

async function save() {
  const { status, data } = await api("save");
  if (status === 200) setStatus(data.unchanged ? "unchanged" : `saved ${data.saved}` + (data.backup ? ` (previous: ${data.backup})` : ""), false);
  else { setStatus("not saved: " + data.error.message, true); if (data.error.line) showDiagnostics([data.error]); }
}

async function download(target) {
  const { status, data } = await api("emit", { target });
  if (status !== 200) { setStatus(`cannot make the ${target} file: ${data.error.message}`, true); return; }
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([data.text], { type: "text/plain" }));
  a.download = data.filename; a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

editor.addEventListener("input", () => { drawEditor(); schedule(); });
editor.addEventListener("scroll", syncScroll);
editor.addEventListener("keydown", (e) => {
  if (e.key === "Tab" && !e.shiftKey) { e.preventDefault(); document.execCommand("insertText", false, "  "); }
  if ((e.ctrlKey || e.metaKey) && e.key === "s") { e.preventDefault(); if (!$("save").disabled) save(); }
});
for (const id of ["input", "set"]) $(id).addEventListener("input", schedule);
$("network").addEventListener("change", () => { state.selected = null; update(); });
$("save").addEventListener("click", save);
$("download").addEventListener("change", (e) => { if (e.target.value) download(e.target.value); e.target.value = ""; });

(async () => {
  const r = await fetch("/api/start");
  const start = await r.json();
  if (!r.ok) { setStatus(start.error.message, true); return; }
  state.format = start.format;
  editor.value = start.text;
  $("filename").textContent = start.filename + (start.new ? " (new)" : "");
  $("save").disabled = !start.can_save;
  drawEditor();
  update();
})();
