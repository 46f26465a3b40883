"""Commands for editors: lsp."""

from __future__ import annotations

import argparse

from archc.errors import ArchcError


def add_lsp(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("lsp", help="run the language server (LSP over stdio) for editors")
    p.add_argument("--stdio", action="store_true", help="talk over stdin/stdout (the default and only transport)")
    p.set_defaults(run=run_lsp)


def run_lsp(args: argparse.Namespace) -> int:
    try:
        import pygls  # noqa: F401

        from archc.lsp import serve
    except ImportError:
        raise ArchcError("archc lsp needs pygls", hint="pip install 'archc[lsp]'") from None
    serve()
    return 0


COMMANDS = (add_lsp,)
