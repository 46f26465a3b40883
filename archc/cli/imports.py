"""`archc import`: a PyTorch model, named as PACKAGE.MODULE:CALLABLE, in; a checked spec (and its weights) out.

The model is the user's own code, imported and called by name (that is the point); its arguments are
JSON (``--args '{"num_classes": 10}'``), never evaluated. Nothing read from a spec or a weight file runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from typing import Any

from archc.cli.common import input_shape, write_output
from archc.errors import SpecError
from archc.importer.errors import ModelImportError


def add_import(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="write a PyTorch model as a spec (and its weights under the spec's names)")
    p.add_argument("model", metavar="PACKAGE.MODULE:CALLABLE",
                   help="a function or class that returns the nn.Module, or a module-level nn.Module")
    p.add_argument("--args", metavar="JSON", help="arguments of the callable: a JSON object (keywords) or list")
    p.add_argument("--input", required=True, metavar="N,C,H,W", help="the shape of an example input")
    p.add_argument("--symbolic", metavar="N,H,W", help="input dims the spec names (default N)")
    p.add_argument("--name", help="the network's name (default: the callable's)")
    p.add_argument("-o", "--output", metavar="FILE.arch", help="write the spec to FILE (default: stdout)")
    p.add_argument("--weights", metavar="FILE.npz", help="write the state dict under the spec's names")
    p.add_argument("--verify", action="store_true",
                   help="build the spec with the weights and check it gives the model's outputs (float64)")
    p.add_argument("--seed", type=int, default=0, help="seed of the example input")
    p.set_defaults(run=run_import)


def load_model(target: str, args_json: str | None) -> Any:
    """Import ``package.module:callable`` (from the current folder too) and call it with the JSON arguments."""
    from archc.importer.trace import torch_module

    torch = torch_module()
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise SpecError(f"expected PACKAGE.MODULE:CALLABLE, got {target!r}", hint="e.g. models.resnet:resnet18")
    args, kwargs = _arguments(args_json)
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as e:
        raise ModelImportError(f"cannot import '{module_name}': {e}") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ModelImportError(f"'{module_name}' has no '{attr}'")
        obj = getattr(obj, part)
    if not isinstance(obj, torch.nn.Module):
        if not callable(obj):
            raise ModelImportError(f"'{target}' is neither an nn.Module nor callable")
        try:
            obj = obj(*args, **kwargs)
        except Exception as e:  # the user's constructor: report what it raised
            raise ModelImportError(f"calling '{target}' raised {type(e).__name__}: {e}") from None
    elif args or kwargs:
        raise SpecError(f"'{target}' is a module instance; --args is for a callable that builds one")
    if not isinstance(obj, torch.nn.Module):
        raise ModelImportError(f"'{target}' returned a {type(obj).__name__}, not an nn.Module")
    return obj


def _arguments(text: str | None) -> tuple[list, dict]:
    if not text:
        return [], {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise SpecError(f"--args is not JSON: {e}") from None
    if isinstance(value, dict):
        return [], value
    if isinstance(value, list):
        return value, {}
    raise SpecError("--args must be a JSON object (keyword arguments) or a list (positional arguments)")


def run_import(args: argparse.Namespace) -> int:
    import numpy as np

    from archc import api
    from archc.fileio import atomic_write

    shape = input_shape(args.input)
    model = load_model(args.model, args.args)
    torch = sys.modules["torch"]
    dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
    example = torch.randn(shape, generator=torch.Generator().manual_seed(args.seed), dtype=dtype)
    name = args.name or args.model.rpartition(":")[2].rpartition(".")[2]
    spec, state = api.import_module(model, example, symbolic=args.symbolic, name=name)
    if args.verify:
        from archc.importer.verify import verify

        diff = verify(model, spec, state, example)
        print(f"verified: the spec gives the model's outputs (float64, eval; largest difference {diff:.3g})",
              file=sys.stderr)
    source = getattr(sys.modules.get(args.model.partition(":")[0]), "__file__", None)  # the model's own code
    if args.weights:
        atomic_write(args.weights, lambda f: np.savez(f, **state), inputs=[args.output, source], what="weights")
        print(f"wrote {args.weights}: {len(state)} arrays", file=sys.stderr)
    if args.output:
        write_output(args.output, spec, inputs=[args.weights, source])
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(spec)
    return 0


COMMANDS = (add_import,)
