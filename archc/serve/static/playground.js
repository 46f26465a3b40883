// archc playground: the editor, and everything beside it, from the JSON API (archc/serve/app.py).
"use strict";
const $ = (id) => document.getElementById(id);
const state = { format: "arch", seq: 0, marks: [], focus: null, selected: null, lines: {}, timer: null };
const cm = CodeMirror($("editor"), {
  lineNumbers: true, gutters: ["marks", "CodeMirror-linenumbers"], mode: "archc", matchBrackets: true,
  indentUnit: 2, tabSize: 2, indentWithTabs: false, autofocus: true,
  extraKeys: { Tab: (ed) => ed.replaceSelection("  "), "Ctrl-S": () => save(), "Cmd-S": () => save() },
});
window.playground = { cm }; // for the browser test and the console

async function api(job, extra = {}) {
  const body = JSON.stringify(Object.assign(request(), extra));
  const r = await fetch("/api/" + job, { method: "POST", headers: { "Content-Type": "application/json" }, body });
  let data;
  try { data = await r.json(); } catch (e) { data = { error: { message: `HTTP ${r.status}` } }; }
  return { status: r.status, data };
}

function request() {
  const sets = $("set").value.split(/[\s,;]+/).filter((s) => s.includes("="));
  return { spec: cm.getValue(), format: state.format, network: $("network").value || null,
           set: sets, input: $("input").value.trim() || null };
}

// Each diagnostic on its line: a marker in the gutter (its message as tooltip), the line tinted, the
// span it points at underlined, and the message in a widget under the line. Errors before warnings.
function showDiagnostics(diags) {
  cm.operation(() => {
    for (const undo of state.marks) undo();
    state.marks = [];
    const seen = new Set();
    for (const d of diags.filter((d) => d.line).sort((a, b) => (a.severity === "error" ? 0 : 1) - (b.severity === "error" ? 0 : 1))) {
      const line = Math.min(d.line, cm.lineCount()) - 1, kind = d.severity === "error" ? "error" : "warning";
      const from = { line, ch: Math.max(0, (d.column || 1) - 1) };
      const to = d.end_line && d.end_column && d.end_line === d.line ? { line, ch: d.end_column - 1 } : { line, ch: from.ch + 1 };
      const span = cm.markText(from, to.ch > from.ch ? to : { line, ch: from.ch + 1 }, { className: "span-" + kind });
      state.marks.push(() => span.clear());
      if (seen.has(line)) continue;
      seen.add(line);
      const mark = document.createElement("div");
      mark.className = "mark " + kind; mark.textContent = "●"; mark.title = d.message; mark.dataset.line = line + 1;
      const handle = cm.addLineClass(line, "background", "line-" + kind); // follows the line as text moves
      cm.setGutterMarker(handle, "marks", mark);
      const msg = document.createElement("div");
      msg.className = "msg " + kind; msg.textContent = d.message; msg.dataset.line = line + 1;
      const widget = cm.addLineWidget(line, msg, { coverGutter: false, noHScroll: true });
      state.marks.push(() => {
        cm.setGutterMarker(handle, "marks", null); cm.removeLineClass(handle, "background", "line-" + kind); widget.clear();
      });
    }
  });
  const list = $("diagnostics");
  list.replaceChildren(...diags.map((d) => {
    const li = document.createElement("li");
    li.className = d.severity; li.textContent = d.text || d.message;
    if (d.line) li.onclick = () => goTo(d.line, d.column);
    return li;
  }));
}

function focusLine(line) {
  if (state.focus) cm.removeLineClass(state.focus, "background", "line-focus");
  state.focus = line ? cm.addLineClass(Math.min(line, cm.lineCount()) - 1, "background", "line-focus") : null;
}

function goTo(line, column = 1) {
  cm.focus();
  cm.setCursor({ line: line - 1, ch: (column || 1) - 1 });
  cm.scrollIntoView(null, 80);
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
  if (render.status === 200) showDiagram(render.data.svg, summary.status === 200 ? summary.data.layers : []);
  else $("diagram").textContent = render.data.error.message;
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

// The diagram inline (so its layers can be clicked), without anything in it that could run: no script,
// no foreign content, no event attributes, no links out.
function showDiagram(text, layers) {
  const parsed = new DOMParser().parseFromString(text, "image/svg+xml").documentElement;
  if (parsed.nodeName !== "svg") { $("diagram").textContent = "the diagram could not be read"; return; }
  const svg = document.importNode(parsed, true); // (event handlers set after the import: a copy drops them)
  for (const el of [...svg.querySelectorAll("script, foreignObject")]) el.remove();
  for (const el of [svg, ...svg.querySelectorAll("*")]) {
    for (const a of [...el.attributes]) {
      if (a.name.startsWith("on") || (a.name.endsWith("href") && !a.value.startsWith("#"))) el.removeAttribute(a.name);
    }
  }
  const names = new Set(layers.map((l) => l.name));
  for (const g of svg.querySelectorAll("g.node")) {
    const name = (g.querySelector("title") || {}).textContent || "";
    if (!names.has(name.slice(2))) continue; // archc's diagram names a layer's node "n_" + its name
    g.dataset.layer = name.slice(2);
    g.classList.toggle("selected", g.dataset.layer === state.selected);
    g.onclick = () => { state.selected = g.dataset.layer; explain(g.dataset.layer); };
  }
  svg.setAttribute("aria-label", "diagram");
  $("diagram").replaceChildren(svg);
}

async function explain(name) {
  for (const tr of $("summary").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.layer === name);
  for (const g of $("diagram").querySelectorAll("g.node")) g.classList.toggle("selected", g.dataset.layer === name);
  focusLine(state.lines[name]);
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

for (const id of ["input", "set"]) $(id).addEventListener("input", schedule);
$("network").addEventListener("change", () => { state.selected = null; update(); });
$("save").addEventListener("click", save);
$("download").addEventListener("change", (e) => { if (e.target.value) download(e.target.value); e.target.value = ""; });

(async () => {
  const r = await fetch("/api/start");
  const start = await r.json();
  if (!r.ok) { setStatus(start.error.message, true); return; }
  state.format = start.format;
  cm.setOption("mode", start.format === "yaml" ? "yaml" : "archc");
  cm.setValue(start.text);
  cm.clearHistory();
  cm.on("changes", schedule);
  $("filename").textContent = start.filename + (start.new ? " (new)" : "");
  $("save").disabled = !start.can_save;
  update();
})();
