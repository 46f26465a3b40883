"""The language server: pygls features, each answered from an Analysis of the document.

A document is checked again a short while after the last change (debounced), in a worker thread,
so a slow document never blocks the protocol; requests wait (bounded) for the check in progress.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from archc.errors import ArchcError
from archc.lsp.analysis import Analysis, Settings, analyze
from archc.lsp.convert import Positions, diagnostic
from archc.lsp.index import Index, build_index

DEBOUNCE_S = 0.3
WAIT_S = 20.0
log = logging.getLogger("archc.lsp")


class ArchcServer(LanguageServer):
    """The archc language server's state: settings, each document's latest analysis and index."""

    def __init__(self) -> None:
        from archc import __version__

        super().__init__("archc", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()
        self.results: dict[str, Analysis] = {}
        self.indexes: dict[str, Index] = {}  # from the last text that parsed
        self.pending: dict[str, asyncio.Task] = {}
        self.refusals: dict[str, list[ArchcError]] = {}  # formatting refused, until the next change
        self.worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="archc-check")

    def schedule(self, uri: str, delay: float = DEBOUNCE_S) -> None:
        """Check ``uri`` again after ``delay`` seconds, replacing a check not yet started."""
        old = self.pending.get(uri)
        if old is not None and not old.done():
            old.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        doc = self.workspace.get_text_document(uri)
        text = doc.source
        file = to_fs_path(uri) or uri
        loop = asyncio.get_running_loop()
        result = await loop.run_in_executor(self.worker, _safe_analyze, uri, file, text, self.settings)
        if self.workspace.get_text_document(uri).source != text:
            return  # changed meanwhile: a newer check is on its way
        self.results[uri] = result
        if result.module is not None:
            try:
                self.indexes[uri] = build_index(result.module)
            except Exception:  # an index is a convenience: never let it take the server down
                log.exception("index of %s", uri)
        self.publish(uri)

    def publish(self, uri: str) -> None:
        result = self.results.get(uri)
        if result is None:
            return
        pos = Positions(self.workspace.get_text_document(uri))
        errors = [*result.diagnostics, *self.refusals.get(uri, [])]
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, diagnostics=[diagnostic(pos, e) for e in errors]))

    async def current(self, uri: str) -> Analysis | None:
        """The analysis of the document's present text, waiting (bounded) for one in progress."""
        for _ in range(3):
            task = self.pending.get(uri)
            if task is None or task.done():
                break
            await asyncio.wait({task}, timeout=WAIT_S)
        return self.results.get(uri)


def _safe_analyze(uri: str, file: str, text: str, settings: Settings) -> Analysis:
    try:
        return analyze(uri, file, text, settings)
    except Exception as e:  # a bug in archc must not end the editing session
        log.exception("checking %s", uri)
        return Analysis(uri, file, text, diagnostics=[ArchcError(f"archc failed on this spec: {e!r}")])


def create_server() -> ArchcServer:
    """A server with every feature registered (archc.lsp.features)."""
    from archc.lsp import features

    server = ArchcServer()
    features.register(server)
    return server


def guarded(fn: Any) -> Any:
    """A feature handler that answers nothing rather than fail on a document it does not understand."""
    import functools

    @functools.wraps(fn)
    async def run(ls: ArchcServer, params: Any) -> Any:
        try:
            return await fn(ls, params)
        except (Exception, RecursionError):
            log.exception("%s", fn.__name__)
            return None

    return run
