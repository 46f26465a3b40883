"""The playground's starlette app: the page, and a JSON API that the page uses and nothing else.

    GET  /                the page (static/index.html); /static/... its script and style
    GET  /api/start       the spec the server was started with: its name, format, text, whether Save works
    POST /api/check       diagnostics, networks, totals, valid inputs      (archc.serve.jobs.check)
    POST /api/summary     the summary table                               (jobs.summary)
    POST /api/render      the diagram as SVG                              (jobs.render)
    POST /api/explain     a layer's formulas                              (jobs.explain)
    POST /api/emit        .arch / .yaml text, torch / NumPy source        (jobs.emit)
    POST /api/save        the spec over the started file, with a .bak      (jobs.save)

Every POST body is a JSON object ``{"spec": TEXT, "network", "set": ["C=64"], "input": "1,1,28,28", ...}``;
every error is JSON ``{"error": {"message", "line", "column", ...}}``. Requests are refused when larger
than ``max_bytes`` (413), not JSON (415), or sent by a page of another origin (403).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from archc.serve.jobs import JOBS
from archc.serve.pool import Pool, PoolError

STATIC = Path(__file__).parent / "static"
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1"]


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "line": None, "column": None}}, status)


def create_app(path: str | Path | None = None, workers: int = 2, timeout: float = 10.0,
               max_bytes: int = 2**20, allowed_hosts: list[str] | None = None) -> Starlette:
    """The playground for the spec file ``path`` (None: an example, and Save is off). ``allowed_hosts``:
    the Host headers answered (default: loopback names only, against DNS rebinding; ["*"]: any)."""
    path = Path(path).resolve() if path is not None else None
    pool = Pool(workers, timeout, {"path": str(path) if path else None})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> Any:
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def start(request: Request) -> JSONResponse:
        from archc.errors import ArchcError
        from archc.fileio import read_bytes

        if path is not None and path.exists():
            try:
                text = read_bytes(path, "spec", max_bytes).decode("utf-8", errors="replace")
            except ArchcError as e:
                return error(422, e.message)
        else:
            text = (STATIC / "example.arch").read_text("utf-8")
        name = path.name if path else "playground.arch"
        return JSONResponse({"filename": name, "format": "yaml" if name.endswith((".yaml", ".yml")) else "arch",
                             "text": text, "can_save": path is not None, "new": path is not None and not path.exists(),
                             "max_bytes": max_bytes, "timeout": timeout})

    def api_route(job: str) -> Route:
        async def endpoint(request: Request) -> JSONResponse:
            refused = _refuse(request)
            if refused:
                return refused
            try:
                body = await _read_limited(request, max_bytes)
            except ValueError:
                return error(413, f"the request is larger than the limit of {max_bytes:,} bytes")
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):
                return error(400, "the request body is not valid JSON")
            try:
                status, answer = await pool.call(job, data)
            except PoolError as e:
                return error(e.status, str(e))
            return JSONResponse(answer, status)

        return Route(f"/api/{job}", endpoint, methods=["POST"])

    routes = [Route("/", index), Route("/api/start", start), *(api_route(job) for job in JOBS),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    hosts = allowed_hosts or LOOPBACK_HOSTS
    return Starlette(routes=routes, lifespan=lifespan, middleware=[Middleware(TrustedHostMiddleware,
                                                                              allowed_hosts=hosts)])


def _refuse(request: Request) -> JSONResponse | None:
    """Only JSON from this page: a form or a page of another origin cannot reach Save (no CSRF)."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return error(415, "send the request as application/json")
    origin = request.headers.get("origin")
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        return error(403, f"requests from another origin ({origin}) are refused")
    return None


async def _read_limited(request: Request, limit: int) -> bytes:
    """The body, or ValueError as soon as it passes ``limit`` bytes (whatever Content-Length says)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ValueError
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ValueError
        chunks.append(chunk)
    return b"".join(chunks)
