"""The LSP features of `archc lsp`, each a handler registered on the server."""

from __future__ import annotations

from lsprotocol import types as t

from archc import api
from archc.errors import ArchcError
from archc.lsp import complete, hover
from archc.lsp.analysis import Settings
from archc.lsp.convert import Positions
from archc.lsp.index import Index, Occurrence
from archc.lsp.server import ArchcServer, guarded
from archc.parser import ast


def _where(ls: ArchcServer, uri: str, p: t.Position) -> tuple[Positions, int, int, Index | None]:
    pos = Positions(ls.workspace.get_text_document(uri))
    line, col = pos.point(p)
    return pos, line, col, ls.indexes.get(uri)


async def _name_at(ls: ArchcServer, uri: str, p: t.Position) -> tuple[Positions, Index | None, Occurrence | None]:
    """(positions, index, the occurrence of a name at ``p``) of the document's current analysis."""
    await ls.current(uri)
    pos, line, col, index = _where(ls, uri, p)
    return pos, index, index.at(line, col) if index else None


def _range(pos: Positions, o: Occurrence) -> t.Range:
    return pos.range(o.line, o.column, o.line, o.end)


def register(server: ArchcServer) -> None:
    """Register every feature on ``server``."""

    @server.feature(t.INITIALIZE)
    def initialize(ls: ArchcServer, params: t.InitializeParams) -> None:
        ls.settings = Settings.read(params.initialization_options)

    @server.feature(t.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def configuration(ls: ArchcServer, params: t.DidChangeConfigurationParams) -> None:
        if isinstance(params.settings, dict) and params.settings:
            ls.settings = Settings.read(params.settings)
            for uri in list(ls.results):
                ls.schedule(uri, 0)

    @server.feature(t.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ArchcServer, params: t.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @server.feature(t.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ArchcServer, params: t.DidChangeTextDocumentParams) -> None:
        ls.refusals.pop(params.text_document.uri, None)
        ls.schedule(params.text_document.uri)

    @server.feature(t.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ArchcServer, params: t.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        for store in (ls.results, ls.indexes, ls.refusals):
            store.pop(uri, None)
        ls.text_document_publish_diagnostics(t.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(t.TEXT_DOCUMENT_HOVER)
    @guarded
    async def on_hover(ls: ArchcServer, params: t.HoverParams) -> t.Hover | None:
        a = await ls.current(params.text_document.uri)
        _, line, col, index = _where(ls, params.text_document.uri, params.position)
        if a is None or index is None:
            return None
        occ, found = index.at(line, col), index.item_at(line, col)
        text = None
        if occ is not None and (occ.kind in ("param", "input", "network") or found is None):
            text = hover.name_hover(a, index, occ)
        elif found is not None:
            item = found[0]
            text = hover.item_hover(a, item) or (hover.op_hover(item.op) if isinstance(item, ast.Call) else None) \
                or (hover.name_hover(a, index, occ) if occ is not None else None)
        return t.Hover(t.MarkupContent(t.MarkupKind.Markdown, text)) if text else None

    @server.feature(t.TEXT_DOCUMENT_COMPLETION, t.CompletionOptions(trigger_characters=["(", ","]))
    @guarded
    async def on_completion(ls: ArchcServer, params: t.CompletionParams) -> t.CompletionList:
        doc = ls.workspace.get_text_document(params.text_document.uri)
        pos = Positions(doc)
        line, col = pos.point(params.position)
        lines = pos.lines
        before = "".join(lines[max(0, line - 40):line - 1]) + (lines[line - 1][:col - 1] if line <= len(lines) else "")
        module = ls.results.get(doc.uri).module if doc.uri in ls.results else None
        items = complete.complete(before, line, module, ls.indexes.get(doc.uri))
        return t.CompletionList(is_incomplete=False, items=items)

    @server.feature(t.TEXT_DOCUMENT_DEFINITION)
    @guarded
    async def on_definition(ls: ArchcServer, params: t.DefinitionParams) -> t.Location | None:
        pos, _, d = await _name_at(ls, params.text_document.uri, params.position)
        return t.Location(params.text_document.uri, _range(pos, d)) if d else None

    @server.feature(t.TEXT_DOCUMENT_REFERENCES)
    @guarded
    async def on_references(ls: ArchcServer, params: t.ReferenceParams) -> list[t.Location] | None:
        pos, index, d = await _name_at(ls, params.text_document.uri, params.position)
        if d is None:
            return None
        refs = index.references(d)[0 if params.context.include_declaration else 1:]
        return [t.Location(params.text_document.uri, _range(pos, o)) for o in refs]

    @server.feature(t.TEXT_DOCUMENT_RENAME)
    @guarded
    async def on_rename(ls: ArchcServer, params: t.RenameParams) -> t.WorkspaceEdit | None:
        pos, index, d = await _name_at(ls, params.text_document.uri, params.position)
        if d is None or not params.new_name.isidentifier():
            return None
        return t.WorkspaceEdit(changes={params.text_document.uri: [
            t.TextEdit(_range(pos, o), params.new_name) for o in index.references(d)]})

    @server.feature(t.TEXT_DOCUMENT_SIGNATURE_HELP, t.SignatureHelpOptions(trigger_characters=["(", ","]))
    @guarded
    async def on_signature(ls: ArchcServer, params: t.SignatureHelpParams) -> t.SignatureHelp | None:
        pos = Positions(ls.workspace.get_text_document(params.text_document.uri))
        line, col = pos.point(params.position)
        before = "".join(pos.lines[max(0, line - 40):line - 1]) + pos.lines[line - 1][:col - 1]
        call = complete.open_call(before)
        entry = complete.op_entry(call[0]) if call else None
        if entry is None:
            return None
        attrs = [t.ParameterInformation(label=a["name"], documentation=a["doc"]) for a in entry["attributes"]]
        active = min(complete.argument_index(call[1]), max(len(attrs) - 1, 0))
        return t.SignatureHelp([t.SignatureInformation(label=entry["usage"], documentation=entry["doc"],
                                                       parameters=attrs)], active_signature=0, active_parameter=active)

    @server.feature(t.TEXT_DOCUMENT_CODE_ACTION, t.CodeActionOptions(code_action_kinds=[t.CodeActionKind.QuickFix]))
    @guarded
    async def on_code_action(ls: ArchcServer, params: t.CodeActionParams) -> list[t.CodeAction] | None:
        from archc.lsp.actions import quick_fixes

        pos = Positions(ls.workspace.get_text_document(params.text_document.uri))
        return quick_fixes(params.text_document.uri, pos, list(params.context.diagnostics))

    @server.feature(t.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    @guarded
    async def on_symbols(ls: ArchcServer, params: t.DocumentSymbolParams) -> list[t.DocumentSymbol] | None:
        await ls.current(params.text_document.uri)
        index = ls.indexes.get(params.text_document.uri)
        if index is None:
            return None
        pos = Positions(ls.workspace.get_text_document(params.text_document.uri))
        return symbols(pos, index)

    @server.feature(t.TEXT_DOCUMENT_FORMATTING)
    @guarded
    async def on_format(ls: ArchcServer, params: t.DocumentFormattingParams) -> list[t.TextEdit] | None:
        uri = params.text_document.uri
        a = await ls.current(uri)
        if a is None or a.module is None:
            return None  # it does not parse: the diagnostics say why
        try:
            text = api.format(a.module)
        except ArchcError as e:
            ls.refusals[uri] = [e]
            ls.publish(uri)
            return None
        if text == a.text:
            return []
        pos = Positions(ls.workspace.get_text_document(uri))
        end = t.Position(len(pos.lines), 0)
        return [t.TextEdit(t.Range(t.Position(0, 0), end), text)]

    @server.feature(t.TEXT_DOCUMENT_INLAY_HINT, t.InlayHintOptions())
    @guarded
    async def on_inlay_hints(ls: ArchcServer, params: t.InlayHintParams) -> list[t.InlayHint] | None:
        if not ls.settings.inlay_hints:
            return []
        a = await ls.current(params.text_document.uri)
        if a is None:
            return None
        pos = Positions(ls.workspace.get_text_document(params.text_document.uri))
        first, last = params.range.start.line + 1, params.range.end.line + 1
        return [t.InlayHint(position=pos.range(ln, col, ln, col).start, label=label, kind=t.InlayHintKind.Type,
                            padding_left=True)
                for ln, col, label in hover.chain_hints(a) if first <= ln <= last]


def symbols(pos: Positions, index: Index) -> list[t.DocumentSymbol]:
    """Networks and blocks (nested as written), each with its parameters, inputs and named values."""
    out: dict[int, t.DocumentSymbol] = {}
    kinds = {"param": t.SymbolKind.TypeParameter, "input": t.SymbolKind.Variable, "value": t.SymbolKind.Field}
    roots: list[t.DocumentSymbol] = []
    for key, d in index.owners.items():
        kind = "network" if isinstance(d, ast.Network) else "block"
        name = next((o for o in index.defs if o.kind == kind and o.name == d.name and d.span
                     and d.span.line <= o.line <= (d.span.end_line or o.line)), None)
        if name is None or d.span is None:
            continue
        s = d.span
        sym = t.DocumentSymbol(name=d.name, kind=t.SymbolKind.Class if kind == "network" else t.SymbolKind.Function,
                               range=pos.range(s.line, s.column, s.end_line or s.line, s.end_column or s.column),
                               selection_range=_range(pos, name), detail=kind, children=[])
        sym.children = [t.DocumentSymbol(name=o.name, kind=kinds[o.kind], range=_range(pos, o),
                                         selection_range=_range(pos, o), detail=o.kind)
                        for o in index.defs if o.owner == key and o.kind in kinds]
        out[key] = sym
        parent = out.get(index.parents.get(key, 0))
        (parent.children if parent is not None else roots).append(sym)
    return roots
