"""The language server: pygls features, each answered from an Analysis of the document.

A document is checked again a short while after the last change (debounced), in a worker thread,
one check per document at a time, so a slow document never blocks the protocol or the other
documents; requests wait (bounded) for the check in progress.
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
WAIT_S = 5.0
WORKERS = 4  # documents checked at once; one slow document does not hold up the others
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
        self.running: dict[str, asyncio.Future] = {}  # the check under way, per document
        self.worker = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="archc-check")

    def schedule(self, uri: str, delay: float = DEBOUNCE_S) -> None:
        """Check ``uri`` again after ``delay`` seconds, replacing a check not yet started."""
        old = self.pending.get(uri)
        if old is not None and not old.done():
            old.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._check(uri, delay))

    async def _check(self, uri: str, delay: float) -> None:
        await asyncio.sleep(delay)
        running = self.running.get(uri)
        if running is not None and not running.done():  # one check per document at a time; then the newest text
            await asyncio.wait({running})
        text = self.workspace.get_text_document(uri).source
        file = to_fs_path(uri) or uri
        job = asyncio.get_running_loop().run_in_executor(self.worker, _safe_analyze, uri, file, text, self.settings)
        self.running[uri] = job
        result = await asyncio.shield(job)  # a newer change cancels this task, never the check under way
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
        """The analysis of the document's present text, waiting (at most WAIT_S) for one in progress;
        after that, the latest there is (a huge document is answered from its previous check)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WAIT_S
        while (task := self.pending.get(uri)) is not None and not task.done() and loop.time() < deadline:
            await asyncio.wait({task}, timeout=deadline - loop.time())
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
