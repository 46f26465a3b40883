"""`archc lsp`: a Language Server Protocol server (over stdio, built on pygls) for `.arch` and YAML specs.

    analysis.py  a document parsed and checked by archc.api: diagnostics, typed networks
    index.py     where each name is defined and used (blocks, parameters, inputs, `as` names)
    hover.py     hover text and inlay hints from archc.api.written_at, explain and the op reference
    complete.py  completion of ops, attributes, block parameters and names in scope
    actions.py   quick fixes from the "did you mean" hints
    features.py  the LSP handlers;  server.py  the server, debounced checks in worker threads
"""

from __future__ import annotations


def serve() -> None:
    """Speak LSP on stdin/stdout until the client says exit."""
    from archc.lsp.server import create_server

    create_server().start_io()
