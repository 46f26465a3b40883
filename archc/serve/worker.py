"""A playground worker: reads one JSON request a line from stdin, answers one JSON line on stdout.

Started by archc.serve.pool as ``python -m archc.serve.worker CONTEXT_JSON``; it says ``ready`` once
archc is imported. Nothing it reads is evaluated: requests are JSON, specs go to archc.api.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> None:
    ctx = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    out = sys.stdout
    sys.stdout = sys.stderr  # anything a job prints must not break the protocol
    from archc.serve import jobs  # import archc (and graphviz) before saying ready

    example = {"spec": (Path(__file__).parent / "static" / "example.arch").read_text("utf-8")}
    for job in ("check", "summary", "explain"):  # and the modules these import on first use
        jobs.run(job, example, {})
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        try:
            msg = json.loads(line)
            status, body = jobs.run(msg.get("job"), msg.get("request"), ctx)
        except Exception as e:  # a bug in a job: report it as JSON rather than die mid-protocol
            status, body = 500, {"error": {"message": f"internal error: {type(e).__name__}: {e}",
                                           "line": None, "column": None}}
        out.write(json.dumps({"status": status, "body": body}, ensure_ascii=False) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
