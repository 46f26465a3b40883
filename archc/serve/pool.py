"""Worker processes for the playground, with a time limit per request.

Each request takes an idle worker (waiting at most ``wait`` seconds for one), sends it one JSON line and
waits at most ``timeout`` for the answer. A worker that runs past its limit, or dies, is killed and
replaced, so a pathological spec holds one worker for ``timeout`` seconds and never the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

LINE_LIMIT = 256 * 2**20  # the longest answer a worker may send (an emitted source, an SVG)


class PoolError(Exception):
    """No answer: ``status`` is 503 (no worker free in time), 504 (past the time limit) or 500."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Pool:
    """``size`` worker processes answering archc.serve.jobs calls; use ``await pool.start()`` first."""

    def __init__(self, size: int = 2, timeout: float = 10.0, context: dict | None = None, wait: float = 60.0) -> None:
        self.size, self.timeout, self.context, self.wait = size, timeout, context or {}, wait
        self._idle: asyncio.Queue | None = None
        self._procs: set[asyncio.subprocess.Process] = set()
        self._spawning: set[asyncio.Task] = set()

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for proc in await asyncio.gather(*(self._spawn() for _ in range(self.size))):
            self._idle.put_nowait(proc)

    async def close(self) -> None:
        for task in self._spawning:
            task.cancel()
        for proc in list(self._procs):
            self._kill(proc)
            with contextlib.suppress(ProcessLookupError, asyncio.CancelledError):
                await proc.wait()

    async def call(self, job: str, request: Any) -> tuple[int, dict]:
        """Run ``job`` on ``request`` in a worker: its (HTTP status, JSON body)."""
        assert self._idle is not None, "Pool.start() was not awaited"
        try:
            proc = await asyncio.wait_for(self._idle.get(), self.wait)
        except asyncio.TimeoutError:
            raise PoolError(503, f"every worker stayed busy for {self.wait:g} s; try again") from None
        try:
            proc.stdin.write((json.dumps({"job": job, "request": request}) + "\n").encode("utf-8"))
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), self.timeout)
            if not line:
                raise ConnectionError("the worker exited")
            answer = json.loads(line)
        except asyncio.TimeoutError:
            self._replace(proc)
            raise PoolError(504, f"checking this spec took longer than the limit of {self.timeout:g} s") from None
        except (OSError, ValueError, asyncio.LimitOverrunError) as e:
            self._replace(proc)
            raise PoolError(500, f"the worker failed: {e}") from None
        except BaseException:  # the request was cancelled (client gone) mid-job: the worker's state is unknown
            self._replace(proc)
            raise
        self._idle.put_nowait(proc)
        return answer["status"], answer["body"]

    async def _spawn(self) -> asyncio.subprocess.Process:
        root = str(Path(__file__).resolve().parents[2])  # the folder holding archc/, for the child's imports
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "archc.serve.worker", json.dumps(self.context),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, limit=LINE_LIMIT,
            start_new_session=os.name == "posix")  # its own process group: a kill takes its `dot` too
        self._procs.add(proc)
        ready = await proc.stdout.readline()
        if ready.strip() != b"ready":
            self._kill(proc)
            raise RuntimeError("an archc serve worker failed to start (see the messages above)")
        return proc

    def _replace(self, proc: asyncio.subprocess.Process) -> None:
        """Kill a worker and start another in its place, in the background."""
        self._kill(proc)

        async def respawn() -> None:
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()
            self._idle.put_nowait(await self._spawn())

        task = asyncio.get_running_loop().create_task(respawn())
        self._spawning.add(task)
        task.add_done_callback(self._spawning.discard)

    def _kill(self, proc: asyncio.subprocess.Process) -> None:
        self._procs.discard(proc)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
