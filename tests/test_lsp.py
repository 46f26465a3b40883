"""`archc lsp` end to end: the server runs as a subprocess (`python -m archc lsp`) and a pytest-lsp
client speaks LSP to it. Expected values are the spec's documented figures (the MNIST CNN's first
conv: [N, 16, 28, 28], 16·1·3·3 + 16 = 160 parameters) and positions counted in the spec text."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

pytest_lsp = pytest.importorskip("pytest_lsp")
from lsprotocol import types as t  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
LIMIT_S = 120  # a bound on a hang, not a timing: every answer here takes well under a second
ENV = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


@pytest_lsp.fixture(scope="module",
                    config=ClientServerConfig(server_command=[sys.executable, "-m", "archc", "lsp"], server_env=ENV))
async def client(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(capabilities=t.ClientCapabilities(),
                                                           root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


async def diagnostics(client: LanguageClient, uri: str) -> list[t.Diagnostic]:
    """The next diagnostics published for ``uri`` (the caller removed the previous ones)."""
    async def wait() -> list[t.Diagnostic]:
        while uri not in client.diagnostics:
            await asyncio.sleep(0.02)
        return list(client.diagnostics[uri])
    return await asyncio.wait_for(wait(), LIMIT_S)


async def open_doc(client: LanguageClient, path: Path, text: str | None = None) -> tuple[str, list[t.Diagnostic]]:
    uri = path.as_uri()
    client.diagnostics.pop(uri, None)
    lang = "yaml" if path.suffix in (".yaml", ".yml") else "arch"
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(
        uri=uri, language_id=lang, version=1, text=path.read_text() if text is None else text)))
    return uri, await diagnostics(client, uri)


def doc(uri: str) -> t.TextDocumentIdentifier:
    return t.TextDocumentIdentifier(uri=uri)


def where(text: str, needle: str, nth: int = 0, offset: int = 0) -> t.Position:
    """The LSP position of the ``nth`` occurrence of ``needle`` in ``text``, plus ``offset`` characters."""
    i = -1
    for _ in range(nth + 1):
        i = text.index(needle, i + 1)
    i += offset
    return t.Position(text.count("\n", 0, i), i - text.rfind("\n", 0, i) - 1)


BAD = """network bad {
  input x: [N, 1, 28, 28]
  conv2d(16, kernel=3) -> flatten -> conv2d(8, kernel=3)
}
"""


@pytest.mark.asyncio(loop_scope="module")
async def test_diagnostics_at_their_range_then_updated_on_edit(client: LanguageClient, tmp_path: Path):
    path = tmp_path / "bad.arch"
    uri, diags = await open_doc(client, path, BAD)
    assert len(diags) == 1
    d = diags[0]
    assert d.severity == t.DiagnosticSeverity.Error and "conv2d" in d.message
    assert d.range.start == where(BAD, "conv2d(8")  # the second conv, line 3 column 38 (0-based 2, 37)
    assert d.range.start == t.Position(2, 37)

    fixed = BAD.replace("-> flatten -> conv2d(8, kernel=3)", "-> relu")
    client.diagnostics.pop(uri)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2),
        [t.TextDocumentContentChangeWholeDocument(text=fixed)]))
    assert await diagnostics(client, uri) == []

    broken = fixed.replace("kernel=3)", "kernel=3")
    client.diagnostics.pop(uri)
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=3),
        [t.TextDocumentContentChangeWholeDocument(text=broken)]))
    (syntax,) = await diagnostics(client, uri)
    assert syntax.range.start.line == 2 and syntax.severity == t.DiagnosticSeverity.Error


@pytest.mark.asyncio(loop_scope="module")
async def test_a_misspelt_op_gets_quick_fixes_from_the_hint(client: LanguageClient, tmp_path: Path):
    text = "network a {\n  input x: [N, 1, 8, 8]\n  conv2dd(4, kernel=3)\n}\n"
    uri, (d,) = await open_doc(client, tmp_path / "typo.arch", text)
    assert "did you mean 'conv2d' or 'conv1d'?" in d.message
    actions = await client.text_document_code_action_async(t.CodeActionParams(
        text_document=doc(uri), range=d.range, context=t.CodeActionContext(diagnostics=[d])))
    assert [a.title for a in actions] == ["Replace 'conv2dd' with 'conv2d'", "Replace 'conv2dd' with 'conv1d'"]
    (edit,) = actions[0].edit.changes[uri]
    assert edit.new_text == "conv2d" and edit.range == t.Range(t.Position(2, 2), t.Position(2, 9))


@pytest.mark.asyncio(loop_scope="module")
async def test_a_warning_for_a_parameter_named_like_a_dim(client: LanguageClient, tmp_path: Path):
    text = "network w(N=81) {\n  input x: [N, 4]\n  linear(2)\n}\n"
    _, diags = await open_doc(client, tmp_path / "w.arch", text)
    (w,) = diags
    assert w.severity == t.DiagnosticSeverity.Warning and "'N'" in w.message
    assert w.range.start == where(text, "N=81")


DEAD = """network a {
  input x: [N, 4, 8, 8]
  conv2d(4, kernel=1) as c0 -> relu
  c0 -> conv2d(4, kernel=1) as side
  c0 -> relu as r
  output r
}
"""


@pytest.mark.asyncio(loop_scope="module")
async def test_a_warning_for_each_value_never_used(client: LanguageClient, tmp_path: Path):
    _, diags = await open_doc(client, tmp_path / "dead.arch", DEAD)
    assert all(d.severity == t.DiagnosticSeverity.Warning and "never used" in d.message for d in diags)
    # the relu after c0 and the conv `side`: neither is read nor an output; c0 and r are
    assert [d.range.start for d in diags] == [where(DEAD, "relu\n"), where(DEAD, "conv2d(4, kernel=1) as side")]
    assert all(list(d.tags or ()) == [t.DiagnosticTag.Unnecessary] for d in diags)  # editors show them faded


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_a_layer_shows_its_shape_params_and_formulas(client: LanguageClient):
    path = SPECS / "mnist_cnn.arch"
    text = path.read_text()
    uri, diags = await open_doc(client, path)
    assert diags == []
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), where(text, "conv2d(16", offset=2)))
    value = hover.contents.value
    assert "[N, 16, 28, 28]" in value
    assert "params 160" in value
    assert "16·1·3·3 + 16 = 160" in value  # explain's formula
    assert "conv2d(out_channels, kernel_size" in value  # the op's reference

    on_op = await client.text_document_hover_async(t.HoverParams(doc(uri), where(text, "maxpool2d(2)", 1)))
    assert "[N, 32, 7, 7]" in on_op.contents.value


@pytest.mark.asyncio(loop_scope="module")
async def test_hover_on_a_block_call_sums_the_block(client: LanguageClient):
    path = SPECS / "resnet32_b.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), where(text, "down(32)", offset=1)))
    # down(32) on [N, 16, 32, 32]: two 3x3 convs (16·32·9 + 32·32·9), a 1x1 projection (16·32), 3 BatchNorms
    assert "[N, 32, 16, 16]" in hover.contents.value
    assert f"params {16 * 32 * 9 + 32 * 32 * 9 + 16 * 32 + 3 * 2 * 32:,}" in hover.contents.value


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_in_an_op_call_offers_its_attributes(client: LanguageClient, tmp_path: Path):
    text = "network c {\n  input x: [N, 1, 28, 28]\n  conv2d(16, \n}\n"
    uri, _ = await open_doc(client, tmp_path / "c.arch", text)
    result = await client.text_document_completion_async(t.CompletionParams(doc(uri), where(text, "16, ", offset=4)))
    labels = {i.label: i for i in result.items}
    assert {"kernel", "kernel_size", "stride", "padding", "dilation", "groups", "bias"} <= set(labels)
    assert labels["stride"].insert_text == "stride=" and "default 1" in labels["stride"].detail
    assert "relu" not in labels  # op names are not what goes inside a call

    padded = text.replace("conv2d(16, ", "conv2d(16, padding=")
    client.text_document_did_change(t.DidChangeTextDocumentParams(
        t.VersionedTextDocumentIdentifier(uri=uri, version=2), [t.TextDocumentContentChangeWholeDocument(text=padded)]))
    values = await client.text_document_completion_async(t.CompletionParams(doc(uri), where(padded, "=", offset=1)))
    assert {"same", "valid"} <= {i.label for i in values.items}  # the choices of conv2d's padding

    line = await client.text_document_completion_async(t.CompletionParams(doc(uri), t.Position(1, 0)))
    assert {"conv2d", "relu", "residual", "maxpool2d"} <= {i.label for i in line.items}


@pytest.mark.asyncio(loop_scope="module")
async def test_definition_and_references_of_a_block(client: LanguageClient):
    path = SPECS / "resnet32_b.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    loc = await client.text_document_definition_async(t.DefinitionParams(doc(uri), where(text, "basic(32)", offset=2)))
    assert loc.range.start == where(text, "basic(C")  # `block basic(C, stride=1)`, line 8
    refs = await client.text_document_references_async(t.ReferenceParams(
        text_document=doc(uri), position=where(text, "basic(C"), context=t.ReferenceContext(include_declaration=False)))
    assert sorted(r.range.start.line for r in refs) == [29, 31, 33]  # the three `repeat ... { basic(..) }`

    n = await client.text_document_references_async(t.ReferenceParams(
        text_document=doc(uri), position=where(text, "n=5"), context=t.ReferenceContext(include_declaration=True)))
    assert [(r.range.start.line, r.range.start.character) for r in n] == \
        [(26, 19), (29, 9), (31, 9), (33, 9)]  # `network resnet32_b(n=5)` and the three repeat counts


@pytest.mark.asyncio(loop_scope="module")
async def test_rename_a_block_parameter_everywhere_it_is_used(client: LanguageClient):
    path = SPECS / "resnet32_b.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    edit = await client.text_document_rename_async(t.RenameParams(
        text_document=doc(uri), position=where(text, "stride=1"), new_name="step"))
    lines = sorted(e.range.start.line for e in edit.changes[uri])
    assert lines == [8, 10]  # `block basic(C, stride=1)` and `stride=stride` (the value, not the attribute)
    assert all(e.new_text == "step" for e in edit.changes[uri])
    assert {e.range.start.character for e in edit.changes[uri] if e.range.start.line == 10} == \
        {text.splitlines()[10].index("=stride") + 1}


@pytest.mark.asyncio(loop_scope="module")
async def test_signature_help_names_the_argument_being_written(client: LanguageClient, tmp_path: Path):
    text = "network s {\n  input x: [N, 1, 28, 28]\n  conv2d(16, 3, \n}\n"
    uri, _ = await open_doc(client, tmp_path / "s.arch", text)
    help_ = await client.text_document_signature_help_async(t.SignatureHelpParams(
        text_document=doc(uri), position=where(text, "3, ", offset=3)))
    (sig,) = help_.signatures
    assert sig.label.startswith("conv2d(out_channels, kernel_size, stride=1")
    assert sig.parameters[help_.active_parameter].label == "stride"  # the third argument


@pytest.mark.asyncio(loop_scope="module")
async def test_definition_of_a_named_value(client: LanguageClient, tmp_path: Path):
    text = ("network v {\n  input x: [N, 4, 8, 8]\n  conv2d(4, kernel=1) as skip -> relu\n"
            "  conv2d(4, kernel=1) -> add(skip)\n}\n")
    uri, diags = await open_doc(client, tmp_path / "v.arch", text)
    assert diags == []
    loc = await client.text_document_definition_async(t.DefinitionParams(doc(uri), where(text, "skip)")))
    assert loc.range.start == where(text, "skip ->")
    branch = text.replace("  conv2d(4, kernel=1) -> add(skip)", "  skip -> conv2d(4, kernel=1) -> add(skip)")
    uri, _ = await open_doc(client, tmp_path / "v2.arch", branch)
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), where(branch, "skip ->", 1)))
    assert hover.contents.value == "**skip** → `[N, 4, 8, 8]`"  # a chain starting from the named value


@pytest.mark.asyncio(loop_scope="module")
async def test_document_symbols_are_the_networks_and_blocks(client: LanguageClient):
    uri, _ = await open_doc(client, SPECS / "resnet32_b.arch")
    syms = await client.text_document_document_symbol_async(t.DocumentSymbolParams(doc(uri)))
    assert [(s.name, s.kind) for s in syms] == [("basic", t.SymbolKind.Function), ("down", t.SymbolKind.Function),
                                                ("resnet32_b", t.SymbolKind.Class)]
    net = syms[2]
    assert {c.name for c in net.children} == {"n", "x", "conv1", "bn1", "stage1", "stage2_down", "stage2",
                                             "stage3_down", "stage3", "fc"}
    assert net.range.start.line == 26


@pytest.mark.asyncio(loop_scope="module")
async def test_formatting_is_archc_fmt_and_refuses_as_it_does(client: LanguageClient, tmp_path: Path):
    from archc import api

    messy = "network f {\n input x: [N, 4]\n    linear(2)   ->relu\n}\n"
    uri, _ = await open_doc(client, tmp_path / "f.arch", messy)
    edits = await client.text_document_formatting_async(t.DocumentFormattingParams(
        doc(uri), t.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert [e.new_text for e in edits] == [api.format(api.parse("f.arch", messy))]

    bad = BAD.replace("kernel=3)", "kernel=3")  # does not parse: nothing to format, the diagnostic says why
    uri2, diags = await open_doc(client, tmp_path / "g.arch", bad)
    assert diags and await client.text_document_formatting_async(t.DocumentFormattingParams(
        doc(uri2), t.FormattingOptions(tab_size=2, insert_spaces=True))) is None


@pytest.mark.asyncio(loop_scope="module")
async def test_formatting_refused_where_fmt_refuses_with_a_diagnostic(client: LanguageClient, tmp_path: Path):
    two_comments = "network a {\n  input x: [N, 4]\n  linear(2) -> # a\n    relu -> # b\n    relu\n}\n"
    uri, diags = await open_doc(client, tmp_path / "two.arch", two_comments)
    assert diags == []
    client.diagnostics.pop(uri)
    assert await client.text_document_formatting_async(t.DocumentFormattingParams(
        doc(uri), t.FormattingOptions(tab_size=2, insert_spaces=True))) is None
    (refusal,) = await diagnostics(client, uri)
    assert "would drop a comment" in refusal.message and refusal.range.start == t.Position(0, 0)


@pytest.mark.asyncio(loop_scope="module")
async def test_completion_offers_blocks_and_the_names_in_scope(client: LanguageClient):
    path = SPECS / "resnet32_b.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    result = await client.text_document_completion_async(t.CompletionParams(doc(uri), where(text, "  global_pool")))
    labels = {i.label: i.detail for i in result.items}
    assert labels["basic"] == "block" and labels["down"] == "block"
    assert labels["n"] == "param" and labels["x"] == "input" and labels["stage2_down"] == "value"
    assert "C" not in labels  # a parameter of the blocks, not of the network
    in_block = await client.text_document_completion_async(
        t.CompletionParams(doc(uri), where(text, "basic(16", offset=6)))
    assert {"C", "stride"} <= {i.label for i in in_block.items}  # the block's parameters


@pytest.mark.asyncio(loop_scope="module")
async def test_settings_give_concrete_shapes_and_turn_hints_off(client: LanguageClient):
    path = SPECS / "varres_cnn.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    at = t.HoverParams(doc(uri), where(text, "conv2d(16", offset=2))
    assert "[N, 16, H, W]" in (await client.text_document_hover_async(at)).contents.value
    client.diagnostics.pop(uri)
    client.workspace_did_change_configuration(t.DidChangeConfigurationParams(
        settings={"archc": {"input": "1,1,64,64", "inlayHints": False}}))
    try:
        await diagnostics(client, uri)
        value = (await client.text_document_hover_async(at)).contents.value
        assert "`[N, 16, H, W]`, at input [1, 1, 64, 64]: `[1, 16, 64, 64]`" in value
        assert "16·64·64 · 1·3·3" in value  # explain's MACs with the numbers filled in
        hints = await client.text_document_inlay_hint_async(t.InlayHintParams(
            doc(uri), t.Range(t.Position(0, 0), t.Position(20, 0))))
        assert not hints
    finally:  # the other tests share this server
        client.diagnostics.pop(uri, None)
        client.workspace_did_change_configuration(t.DidChangeConfigurationParams(settings={"archc": {}}))
        await diagnostics(client, uri)


@pytest.mark.asyncio(loop_scope="module")
async def test_inlay_hints_give_each_unchecked_chain_its_shape(client: LanguageClient):
    path = SPECS / "resnet32_b.arch"
    text = path.read_text()
    uri, _ = await open_doc(client, path)
    hints = await client.text_document_inlay_hint_async(t.InlayHintParams(
        doc(uri), t.Range(t.Position(0, 0), t.Position(40, 0))))
    by_line = {h.position.line: h.label for h in hints}
    # the chains without `: [...]`: the stem, and the two stride-2 blocks (which halve 32 -> 16 -> 8)
    assert by_line == {28: ": [N, 16, 32, 32]", 30: ": [N, 32, 16, 16]", 32: ": [N, 64, 8, 8]"}
    stem = text.splitlines()[28]
    assert hints[0].position.character == len(stem.rstrip())


@pytest.mark.asyncio(loop_scope="module")
async def test_yaml_specs_are_checked_too(client: LanguageClient):
    path = SPECS / "mnist_cnn.yaml"
    text = path.read_text()
    uri, diags = await open_doc(client, path)
    assert diags == []
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), where(text, "conv2d: [16", offset=2)))
    assert "[N, 16, 28, 28]" in hover.contents.value and "params 160" in hover.contents.value
    unpadded = text.replace("kernel: 3, padding: 1}]", "kernel: 3}]", 1)
    _, bad = await open_doc(client, path.with_name("bad.yaml"), unpadded)
    assert len(bad) == 1 and bad[0].range.start.line == 8  # the first expectation now fails: 26 != 28
    _, other = await open_doc(client, path.with_name("ci.yaml"), "jobs:\n  test: {runs-on: ubuntu}\n")
    assert other == []  # not a spec: not archc's to judge


MALFORMED = ["network {", "network a { input x: [N, 3] linear(", "}}}}", "network a(b=) {}", "\x00\ufffe",
             "network a { repeat 1000000000 { relu } }", "block b { b } network a { input x: [N, 2] b }",
             "network a { " + "(" * 5000 + " }", "network a { input x: [N, 4]\n" + "relu ->\n" * 3000 + "linear(0) }"]


@pytest.mark.asyncio(loop_scope="module")
async def test_malformed_documents_get_diagnostics_and_the_server_lives(client: LanguageClient, tmp_path: Path):
    for i, text in enumerate(MALFORMED):
        uri, diags = await open_doc(client, tmp_path / f"m{i}.arch", text)
        assert diags and all(d.source == "archc" for d in diags), text[:40]
        for p in (t.Position(0, 0), t.Position(0, 5), t.Position(3, 2)):
            await client.text_document_hover_async(t.HoverParams(doc(uri), p))
            await client.text_document_completion_async(t.CompletionParams(doc(uri), p))
            await client.text_document_definition_async(t.DefinitionParams(doc(uri), p))
    uri, diags = await open_doc(client, SPECS / "mnist_cnn.arch")
    assert diags == []  # still answering


@pytest.mark.asyncio(loop_scope="module")
async def test_a_huge_document_is_refused_not_hung_on(client: LanguageClient, tmp_path: Path):
    line = "  linear(4) -> relu\n"
    text = "network h {\n  input x: [N, 4]\n" + line * (5 * 2**20 // len(line)) + "}\n"
    uri, (d,) = await open_doc(client, tmp_path / "huge.arch", text)
    assert "larger than" in d.message
    await client.text_document_hover_async(t.HoverParams(doc(uri), t.Position(5, 5)))
    big = "network h {\n  input x: [N, 4]\n" + line * 2000 + "}\n"  # 4,000 layers, under every limit
    uri, diags = await open_doc(client, tmp_path / "big.arch", big)
    assert diags == []
    hover = await client.text_document_hover_async(t.HoverParams(doc(uri), t.Position(1500, 3)))
    assert "[N, 4]" in hover.contents.value


@pytest.mark.asyncio(loop_scope="module")
async def test_a_slow_document_does_not_hold_up_another(client: LanguageClient, tmp_path: Path):
    slow = "network s {\n  input x: [N, 4]\n" + "  linear(4) -> relu\n" * 6000 + "}\n"  # 12,000 layers: seconds
    slow_uri = (tmp_path / "slow.arch").as_uri()
    client.diagnostics.pop(slow_uri, None)
    client.text_document_did_open(t.DidOpenTextDocumentParams(t.TextDocumentItem(slow_uri, "arch", 1, slow)))
    await asyncio.sleep(0.2)  # its check has started
    _, diags = await open_doc(client, tmp_path / "quick.arch", BAD)
    assert len(diags) == 1  # answered while the slow one is still being checked
    assert slow_uri not in client.diagnostics
    assert await diagnostics(client, slow_uri) == []
