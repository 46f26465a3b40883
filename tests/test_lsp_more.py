"""`archc lsp` end to end, the rest: symbols, formatting, settings, inlay hints, YAML, and documents that are
malformed, huge or slow (tests/lsp_client.py starts the server)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import BAD, LIMIT_S, ROOT, SPECS, diagnostics, doc, open_doc, server_fixture, where  # noqa: F401

client_fixture = server_fixture()


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
