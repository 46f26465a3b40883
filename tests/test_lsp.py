"""`archc lsp` end to end, diagnostics, hover, completion, definitions: the server runs as a subprocess and a
pytest-lsp client speaks LSP to it (tests/lsp_client.py). Expected values are the spec's documented figures (the
MNIST CNN's first conv: [N, 16, 28, 28], 16·1·3·3 + 16 = 160 parameters) and positions counted in the spec text."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pytest_lsp")
from lsprotocol import types as t
from pytest_lsp import LanguageClient

from tests.lsp_client import BAD, LIMIT_S, ROOT, SPECS, diagnostics, doc, open_doc, server_fixture, where  # noqa: F401

client_fixture = server_fixture()



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
