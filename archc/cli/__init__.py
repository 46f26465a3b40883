"""The `archc` command. Each command group is a module whose commands declare their arguments
beside their handler; every handler calls archc.api (or the module the API exposes)."""

from __future__ import annotations

import argparse
import sys

from archc import limits
from archc.cli import build, editor, imports, serve, spec, teach, train, weights
from archc.cli.common import err
from archc.errors import ArchcError

GROUPS = (spec, teach, build, weights, train, imports, serve, editor)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="archc", description="Check, summarise, build and draw neural-network specs.")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        for add in group.COMMANDS:
            add(sub)
    for command in sub.choices.values():
        command.add_argument("--max", action="append", default=[], metavar="NAME=N", dest="limits",
                             help="raise one of archc's limits on its input: " + ", ".join(limits.DEFAULTS))
    return ap


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 1 an error in a spec, a model or a file, 2 usage)."""
    args = build_parser().parse_args(argv)
    try:
        limits.set_limits(args.limits)
        return args.run(args)
    except ArchcError as e:
        err(e.format())
        return 1
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        err("interrupted")
        return 130
    except RecursionError:
        err("error: the spec is nested too deeply to process")
        return 1
    except MemoryError:
        err("error: out of memory (a limit such as --max-nodes may help)")
        return 1


if __name__ == "__main__":
    sys.exit(main())
