"""`archc serve`: the playground in the browser (archc.serve), on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from archc.errors import ArchcError
from archc.fileio import FileError


def add_serve(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a playground in the browser: edit a spec, see it checked as you type")
    p.add_argument("spec", nargs="?", metavar="SPEC",
                   help="the spec file Save writes (it may not exist yet); none: an example, no Save")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0: any free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1), metavar="N",
                   help="worker processes that check specs (default: up to 4)")
    p.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                   help="time limit of one request (default 10)")
    p.add_argument("--max-bytes", type=int, default=2**20, metavar="N",
                   help="size limit of one request (default 1 MiB)")
    p.add_argument("--open", action="store_true", help="open the page in the default browser")
    p.set_defaults(run=run_serve)


def run_serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from archc.serve.app import LOOPBACK_HOSTS, create_app
    except ImportError:
        raise ArchcError("archc serve needs starlette and uvicorn", hint="pip install 'archc[serve]'") from None
    if args.workers < 1 or args.timeout <= 0 or args.max_bytes < 1:
        raise ArchcError("--workers, --timeout and --max-bytes must be positive")
    if not 0 <= args.port <= 65535:
        raise ArchcError(f"--port must be a TCP port from 0 to 65535, got {args.port}",
                         hint="0 listens on any free port")
    if args.spec is not None:
        path = Path(args.spec)
        if path.is_dir() or not path.parent.is_dir():
            raise FileError(f"{args.spec}: not a file in an existing folder")
    try:
        sock = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, args.port))
    except OSError as e:
        raise ArchcError(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}",
                         hint="choose another --port (0: any free one)") from None
    loopback = args.host in ("127.0.0.1", "localhost", "::1")
    app = create_app(args.spec, workers=args.workers, timeout=args.timeout, max_bytes=args.max_bytes,
                     allowed_hosts=LOOPBACK_HOSTS if loopback else ["*"])
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    url = f"http://{host}:{port}/"
    print(f"archc serve: {url}  ({args.spec or 'an example spec'}; Ctrl+C stops)", flush=True)
    if not loopback:
        print("warning: listening beyond this machine; anyone who can reach it can run checks and Save",
              file=sys.stderr)
    if args.open:
        import webbrowser

        webbrowser.open(url)
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])
    return 0


COMMANDS = (add_serve,)
