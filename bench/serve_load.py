"""Load test of `archc serve`: N concurrent POST /api/check requests of the specs in specs/, on loopback,
against a real uvicorn server started as `python -m archc serve`; prints the median and 95th-percentile
latency and fails on any request that does not come back 200 and ok.

    python bench/serve_load.py [--requests 200] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def server(spec: str | Path | None = None, *options: str) -> Iterator[str]:
    """A real `archc serve` on a free loopback port, for the duration of the block: its base URL."""
    cmd = [sys.executable, "-m", "archc", "serve", *([str(spec)] if spec else []), "--port", "0", *options]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"archc serve did not start: {line!r}")
        url = line.split()[2].rstrip("/")
        _wait_ready(url)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _wait_ready(url: str, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url + "/api/start", timeout=5, trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def real_specs() -> list[str]:
    """The text of every .arch spec of the course material that checks (specs/*.arch)."""
    return [p.read_text("utf-8") for p in sorted((ROOT / "specs").glob("*.arch"))]


async def _fire(url: str, texts: list[str], n: int) -> list[tuple[float, int, dict]]:
    import httpx

    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits, trust_env=False) as client:  # no proxy
        async def one(i: int) -> tuple[float, int, dict]:
            t0 = time.perf_counter()
            r = await client.post("/api/check", json={"spec": texts[i % len(texts)]})
            return time.perf_counter() - t0, r.status_code, r.json()

        return await asyncio.gather(*(one(i) for i in range(n)))


def load(url: str, n: int, texts: list[str] | None = None) -> list[tuple[float, int, dict]]:
    """``n`` concurrent check requests (cycling through ``texts``): (latency s, status, body) each, in order."""
    return asyncio.run(_fire(url, texts or real_specs(), n))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    texts = real_specs()
    with server(None, "--workers", str(args.workers), "--timeout", "60") as url:
        load(url, 2 * args.workers, texts)  # each worker imports what a check needs
        one = sorted(load(url, 1, [t])[0][0] for t in texts * 2)  # one request at a time, for comparison
        t0 = time.perf_counter()
        results = load(url, args.requests, texts)
        wall = time.perf_counter() - t0
    bad = [(s, b) for _, s, b in results if s != 200 or not b.get("ok")]
    lat = sorted(r[0] for r in results)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))]
    print(f"{args.requests} concurrent /api/check requests ({len(texts)} specs of specs/), {args.workers} workers, "
          f"{os.cpu_count()} CPUs: median {statistics.median(lat) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
          f"all done in {wall:.1f} s; {len(bad)} failed. One at a time: median {statistics.median(one) * 1000:.0f} ms")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
