"""What the `archc lsp` end-to-end tests share: the server as a subprocess (`python -m archc lsp`), a
pytest-lsp client fixture, and positions counted in spec text."""


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


async def _session(lsp_client: LanguageClient):
    await lsp_client.initialize_session(t.InitializeParams(capabilities=t.ClientCapabilities(),
                                                           root_uri=ROOT.as_uri()))
    yield
    await lsp_client.shutdown_session()


def server_fixture():
    """The module-scoped fixture ``client``: a client with an initialised session to one server per module."""
    config = ClientServerConfig(server_command=[sys.executable, "-m", "archc", "lsp"], server_env=ENV)
    return pytest_lsp.fixture(scope="module", name="client", config=config)(_session)


BAD = """network bad {
  input x: [N, 1, 28, 28]
  conv2d(16, kernel=3) -> flatten -> conv2d(8, kernel=3)
}
"""


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
