"""Checkpoint files, without pickles, written atomically.

A checkpoint holds the best weights under their shared names (what ``archc eval`` and
``archc remap`` read), and, for ``--resume``, the state of the run after its last epoch: the last
weights, the optimizer state and a JSON metadata record (format, backend, network, the spec's
sha256, the ``--set`` values, epoch, global step, best accuracy, every RNG state, the history).

- NumPy: an ``.npz`` of arrays: ``<node>.<param>`` (best weights), ``last/<node>.<param>``,
  ``optim/<slot>/<param>``, and ``__archc__``, a 0-d string array holding the JSON. It loads with
  ``np.load(path, allow_pickle=False)``.
- torch: a dict of tensors, dicts, lists, numbers and strings (``model``, ``last``, ``optimizer``,
  ``archc`` = the JSON) that loads with ``torch.load(path, weights_only=True)``.

Every write goes through archc.fileio.atomic_write: a kill at any moment leaves the old file or the
new one. A checkpoint that is truncated, empty, a folder, or holds objects is a diagnostic naming
the path.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from archc import weights
from archc.fileio import FileError, atomic_write, read_bytes
from archc.weights import LAST, META_KEY, OPTIM

FORMAT = "archc-checkpoint"
VERSION = 1


class CheckpointError(FileError):
    """A checkpoint cannot be read, or does not fit the network or the run."""


def spec_sha256(path: str | Path) -> str:
    """The sha256 of a spec file's text (bytes as stored)."""
    return hashlib.sha256(read_bytes(path, "spec")).hexdigest()


# -- NumPy ------------------------------------------------------------------------------------
def write_npz(path: str | Path, arrays: dict[str, np.ndarray], meta: dict[str, Any],
              inputs: Iterable[str | Path | None] = ()) -> Path:
    """Write arrays and the JSON metadata to exactly ``path`` (no ``.npz`` appended), atomically."""
    if META_KEY in arrays:
        raise ValueError(f"{META_KEY} is reserved")
    payload = {**arrays, META_KEY: np.array(json.dumps(meta, allow_nan=False))}
    return atomic_write(path, lambda f: np.savez(f, **payload), inputs=inputs, what="checkpoint")


def read_npz(path: str | Path) -> tuple[dict[str, np.ndarray], dict[str, Any] | None]:
    """(arrays, metadata or None for a plain state dict) of an ``.npz``; never unpickles."""
    arrays = weights.read_npz(path, raw=True)
    meta = parse_meta(path, str(arrays.pop(META_KEY))) if META_KEY in arrays else None
    return arrays, meta


def split_npz(arrays: dict[str, np.ndarray]) -> tuple[dict, dict, dict[str, dict]]:
    """(best weights, last weights, optimizer arrays by slot) of the arrays of a NumPy checkpoint."""
    best, last, optim = {}, {}, {}
    for key, value in arrays.items():
        if key.startswith(LAST):
            last[key[len(LAST):]] = value
        elif key.startswith(OPTIM):
            slot, _, name = key[len(OPTIM):].partition("/")
            optim.setdefault(slot, {})[name] = value
        else:
            best[key] = value
    return best, last, optim


# -- torch ------------------------------------------------------------------------------------
def write_pt(path: str | Path, obj: dict[str, Any], meta: dict[str, Any],
             inputs: Iterable[str | Path | None] = ()) -> Path:
    """torch.save ``obj`` plus the JSON metadata to exactly ``path``, atomically."""
    import torch

    payload = {**obj, "archc": json.dumps(meta, allow_nan=False)}
    return atomic_write(path, lambda f: torch.save(payload, f), inputs=inputs, what="checkpoint")


def read_pt(path: str | Path) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(contents, metadata or None for a plain state dict) of a ``.pt``, read with weights_only=True."""
    import torch

    data = read_bytes(path, "checkpoint")
    if not data:
        raise CheckpointError(f"{path}: the file is empty, not a checkpoint")
    try:
        obj = torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")
    except Exception as e:  # torch raises many kinds (UnpicklingError, RuntimeError, EOFError)
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CheckpointError(f"{path}: not a loadable torch checkpoint: {first}",
                              hint="archc reads torch files with weights_only=True (tensors and plain data)") from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: holds a {type(obj).__name__}, not a state dict")
    if isinstance(obj.get("archc"), str):
        return obj, parse_meta(path, obj.pop("archc"))
    return {"model": obj}, None


# -- both -------------------------------------------------------------------------------------
def parse_meta(path: str | Path, text: str) -> dict[str, Any]:
    """The metadata record of a checkpoint, checked to be an archc checkpoint's of a known version."""
    try:
        meta = json.loads(text)
    except ValueError:
        raise CheckpointError(f"{path}: damaged checkpoint metadata (not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: metadata is not an archc checkpoint's")
    if meta.get("version", 0) > VERSION:
        raise CheckpointError(f"{path}: checkpoint format version {meta['version']} is newer than this archc's "
                              f"({VERSION})", hint="upgrade archc")
    return meta


def file_backend(path: str | Path) -> str:
    """'numpy' or 'torch', from the file's contents (both are zip archives), whatever its name."""
    data = read_bytes(path, "checkpoint")
    if not data:
        raise CheckpointError(f"{path}: the file is empty, not a checkpoint")
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        raise CheckpointError(f"{path}: truncated or not a checkpoint (.npz or .pt)") from None
    if any(n.endswith("data.pkl") for n in names):
        return "torch"
    if names and all(n.endswith(".npy") for n in names):
        return "numpy"
    raise CheckpointError(f"{path}: a zip archive that is neither an .npz nor a torch checkpoint")


def read_meta(path: str | Path) -> dict[str, Any] | None:
    """A checkpoint's metadata, or None where it has none or cannot be read."""
    try:
        return (read_npz if file_backend(path) == "numpy" else read_pt)(path)[1]
    except (FileError, ImportError):
        return None


def new_meta(backend: str, network: str, spec: str | Path, sets: list[str]) -> dict[str, Any]:
    """The identifying part of a checkpoint's metadata."""
    return {"format": FORMAT, "version": VERSION, "backend": backend, "network": network,
            "spec": str(spec), "spec_sha256": spec_sha256(spec), "set": list(sets)}


def mismatches(meta: dict[str, Any] | None, network: str, spec: str | Path, sets: list[str]) -> list[str]:
    """Warnings for a checkpoint made from another network, spec text or --set values."""
    if meta is None:
        return []
    out = []
    if meta.get("network") != network:
        out.append(f"it was trained for network '{meta.get('network')}', not '{network}'")
    digest = spec_sha256(spec)
    if meta.get("spec_sha256") != digest:
        out.append(f"it was trained from a different spec text ({meta.get('spec')}: sha256 "
                   f"{str(meta.get('spec_sha256'))[:12]}..., now {spec}: {digest[:12]}...)")
    if sorted(_squeeze(meta.get("set", []))) != sorted(_squeeze(sets)):
        was = " ".join(f"--set {s}" for s in meta.get("set", [])) or "no --set"
        now = " ".join(f"--set {s}" for s in sets) or "no --set"
        out.append(f"it was trained with {was}, this command has {now}")
    return out


def _squeeze(sets: list[str]) -> list[str]:
    return ["".join(s.split()) for s in sets]
