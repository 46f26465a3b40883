"""Render docs/editors.png: what an editor shows from `archc lsp`, drawn from the server's real answers.

No editor runs here, so this script plays one: it starts `python -m archc lsp`, opens
specs/mnist_cnn.arch with one expectation changed (so there is a diagnostic), asks for the hover on
the first conv2d, and draws the text (coloured by editors/vscode/syntaxes/arch.tmLanguage.json),
the diagnostic's squiggle and message, and the hover popup into an HTML page, which headless
Chromium turns into a PNG. The picture is labelled as such.

    python editors/render_screenshot.py [OUT.png]
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import markdown
from lsprotocol import types as t
from pygls.lsp.client import LanguageClient

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = json.loads((ROOT / "editors/vscode/syntaxes/arch.tmLanguage.json").read_text())
COLOURS = {"comment": "#6a9955", "storage": "#569cd6", "entity.name.type": "#4ec9b0", "keyword": "#c586c0",
           "support.function.op": "#dcdcaa", "entity.name": "#dcdcaa", "variable.parameter": "#9cdcfe",
           "variable": "#9cdcfe", "constant": "#b5cea8", "string": "#ce9178", "punctuation": "#d4d4d4"}


def _rules(p: dict) -> list[dict]:
    if "include" in p:
        return _rules(GRAMMAR["repository"][p["include"][1:]])
    return [r for q in p["patterns"] for r in _rules(q)] if "patterns" in p else [p]


RULES = [(re.compile(r["match"]), r) for p in GRAMMAR["patterns"] for r in _rules(p)]


def colour(scope: str) -> str:
    return next((c for k, c in COLOURS.items() if scope.startswith(k)), "#d4d4d4")


def highlight(line: str) -> list[tuple[int, int, str]]:
    """(start, end, colour) spans of ``line`` under the grammar (earliest match wins, first rule on ties)."""
    out, pos = [], 0
    while pos < len(line):
        found = [(m, r) for rx, r in RULES if (m := rx.search(line, pos)) and m.end() > m.start()]
        if not found:
            break
        m, r = min(found, key=lambda f: f[0].start())
        if "name" in r:
            out.append((m.start(), m.end(), colour(r["name"])))
        for k, cap in r.get("captures", {}).items():
            if m.group(int(k)) is not None:
                out.append((m.start(int(k)), m.end(int(k)), colour(cap["name"])))
        pos = m.end()
    return out


def line_html(text: str, squiggle: tuple[int, int] | None) -> str:
    colours = ["#d4d4d4"] * len(text)
    for a, b, c in highlight(text):
        colours[a:b] = [c] * (b - a)
    out = []
    for i, ch in enumerate(text):
        if squiggle and i == squiggle[0]:
            out.append('<span style="border-bottom:2px dotted #f14c4c">')
        out.append(f'<span style="color:{colours[i]}">{html.escape(ch)}</span>')
        if squiggle and i == squiggle[1] - 1:
            out.append("</span>")
    return "".join(out)


async def answers(path: Path, text: str, hover_at: t.Position) -> tuple[list[t.Diagnostic], str]:
    client = LanguageClient("render-screenshot", "1")
    got: asyncio.Future = asyncio.get_running_loop().create_future()

    @client.feature(t.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def diagnostics(params: t.PublishDiagnosticsParams) -> None:
        if not got.done():
            got.set_result(list(params.diagnostics))

    await client.start_io(sys.executable, "-m", "archc", "lsp")
    await client.initialize_async(t.InitializeParams(capabilities=t.ClientCapabilities()))
    client.initialized(t.InitializedParams())
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(path.as_uri(), "arch", 1, text)))
    diags = await asyncio.wait_for(got, 60)
    hover = await client.text_document_hover_async(t.HoverParams(t.TextDocumentIdentifier(path.as_uri()), hover_at))
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return diags, hover.contents.value


def page(text: str, diags: list[t.Diagnostic], hover: str, hover_at: t.Position) -> str:
    lines = text.splitlines()
    d = diags[0]
    rows = []
    for i, ln in enumerate(lines):
        sq = (d.range.start.character, d.range.end.character) if i == d.range.start.line else None
        rows.append(f'<div class="row"><span class="num">{i + 1}</span>{line_html(ln, sq) or "&nbsp;"}</div>')
        if i == hover_at.line:
            rows.append(f'<div class="popup hover" style="margin-left:{hover_at.character + 4}ch">'
                        f'{markdown.markdown(hover, extensions=["fenced_code"])}</div>')
        if i == d.range.start.line:
            rows.append(f'<div class="popup diag" style="margin-left:{min(d.range.start.character, 40) + 4}ch">'
                        f'<b>{d.source}</b> {html.escape(d.message).replace(chr(10), "<br>")}</div>')
    return f"""<!doctype html><meta charset="utf-8"><style>
body {{ background:#1e1e1e; margin:0; font:14px/1.45 'DejaVu Sans Mono', monospace; color:#d4d4d4 }}
.label {{ background:#333; color:#ccc; font:12px sans-serif; padding:6px 10px }}
.editor {{ padding:10px 0 }} .row {{ white-space:pre; height:1.45em }}
.num {{ display:inline-block; width:3ch; margin-right:1ch; color:#858585; text-align:right }}
.popup {{ background:#252526; border:1px solid #454545; padding:4px 10px; width:max-content; max-width:80ch;
          font-size:13px; white-space:normal; margin-bottom:4px; position:relative; z-index:2 }}
.popup pre {{ background:#1e1e1e; padding:4px 6px; font-size:12px; white-space:pre }}
.popup code {{ color:#ce9178 }} .popup p {{ margin:4px 0 }} .diag {{ border-color:#f14c4c }}
</style>
<div class="label">Drawn from archc lsp's real replies (publishDiagnostics and hover on line {hover_at.line + 1})
by editors/render_screenshot.py; colours from editors/vscode/syntaxes/arch.tmLanguage.json. Not an editor window.</div>
<div class="editor">{"".join(rows)}</div>"""


def main(out: Path) -> None:
    spec = ROOT / "specs/mnist_cnn.arch"
    text = spec.read_text().replace("flatten                                                    : [N, 576]",
                                    "flatten                                                    : [N, 567]")
    hover_at = t.Position(3, 4)  # on the first conv2d
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "mnist_cnn.arch"
        path.write_text(text)
        diags, hover = asyncio.run(answers(path, text, hover_at))
        html_path = Path(tmp) / "page.html"
        html_path.write_text(page(text, diags, hover, hover_at))
        browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
        if browser is None:
            sys.exit("needs chromium (apt-get install chromium)")
        shot = Path(tmp) / "shot.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--screenshot={shot}", "--window-size=1000,720", html_path.as_uri()],
                       check=True, capture_output=True, timeout=120)
        from archc.fileio import atomic_write

        atomic_write(out, shot.read_bytes())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs/editors.png")
