"""A bounded load test of `archc serve` on loopback: concurrent /api/check requests of the course's specs
against a real uvicorn server all come back 200 with the counts `archc.check` gives in this process.
(bench/serve_load.py runs 200 and reports latencies; nothing here is timed.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from archc import api

pytest.importorskip("uvicorn")
pytest.importorskip("httpx")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from serve_load import load, real_specs, server  # noqa: E402


def test_concurrent_checks_all_succeed() -> None:
    texts = real_specs()
    expected = [api.check(t).total_params for t in texts]
    with server(None, "--workers", "2", "--timeout", "120") as url:
        results = load(url, 3 * len(texts), texts)
    assert [status for _, status, _ in results] == [200] * len(results)
    assert [body["total_params"] for _, _, body in results] == expected * 3
