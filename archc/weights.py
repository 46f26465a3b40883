"""Reading weight files without running anything: .npz and .npy, never a pickle unless asked.

Every array is checked to hold real numbers (floating point, or integers, which are
converted and reported); a damaged, empty or foreign file is a diagnostic naming the path.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from archc.fileio import FileError, read_bytes

MAX_WEIGHTS_BYTES = 8 * 2**30
NPY_MAGIC, PICKLE_MAGIC = b"\x93NUMPY", b"\x80"  # how an .npy and a pickle (protocol 2 or later) begin
FOREIGN_HINT = "an .npy begins with the bytes \\x93NUMPY; an .npz is a zip of .npy files (np.savez writes one)"
# a checkpoint of `archc train` (archc/train/checkpoint.py) keeps its run state beside the weights:
META_KEY, LAST, OPTIM = "__archc__", "last/", "optim/"


class WeightsError(FileError):
    """A weight file is unreadable or does not fit the network."""


def _real(key: str, arr: np.ndarray, path: str | Path, notes: list[str] | None) -> np.ndarray:
    if np.issubdtype(arr.dtype, np.floating):
        return arr
    if np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_:
        if notes is not None:
            notes.append(f"{key}: integer array ({arr.dtype}) converted to float")
        return arr.astype(np.float64)
    if np.issubdtype(arr.dtype, np.complexfloating):
        raise WeightsError(f"{path}: '{key}' holds complex numbers ({arr.dtype}); weights must be real")
    raise WeightsError(f"{path}: '{key}' holds {arr.dtype} values, not numbers")


def _member(npz: Any, key: str, path: str | Path) -> np.ndarray:
    """One member of an open .npz, refused unless it is a .npy array (NumPy hands back the bytes of
    any other file in the zip)."""
    value = npz[key]
    if not isinstance(value, np.ndarray):
        raise WeightsError(f"{path}: member '{key}' of the zip archive is not a .npy array",
                           hint="an .npz holds only .npy files (np.savez writes one)")
    return value


def read_npz(path: str | Path, notes: list[str] | None = None, raw: bool = False) -> dict[str, np.ndarray]:
    """The arrays of an .npz file by name (object arrays refused: they would need pickle). Integer
    arrays become floats, and other kinds are refused, unless ``raw`` (numbers of any kind kept as stored,
    strings kept, as a checkpoint's metadata)."""
    data = read_bytes(path, "weights file", MAX_WEIGHTS_BYTES)
    if not data:
        raise FileError(f"{path}: the file is empty, not an .npz archive")
    if data.startswith(NPY_MAGIC):
        raise WeightsError(f"{path}: a single .npy array, not an .npz archive of named arrays")
    if not data.startswith((b"PK", PICKLE_MAGIC)):
        raise WeightsError(f"{path}: not a NumPy file (not an .npz archive)", hint=FOREIGN_HINT)
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            arrays = {k: _member(npz, k, path) for k in npz.files}
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise WeightsError(f"{path} holds Python objects (a pickle)",
                               hint="archc reads only numeric arrays; re-save them with np.savez") from None
        raise WeightsError(f"{path}: not a readable .npz archive: {e}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise WeightsError(f"{path}: not a readable .npz archive ({e.__class__.__name__}: {e})") from None
    if raw:
        for k, v in arrays.items():
            if v.dtype.kind == "c":
                raise WeightsError(f"{path}: '{k}' holds complex numbers ({v.dtype}); weights must be real")
            if v.dtype.kind not in "biuf" and k != META_KEY:
                raise WeightsError(f"{path}: array '{k}' has dtype {v.dtype}, not a number type")
        return arrays
    return {k: _real(k, v, path, notes) for k, v in arrays.items()}


def model_weights(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The weights in an .npz's arrays: all of a plain state dict; a checkpoint's best weights."""
    return {k: v for k, v in arrays.items() if k != META_KEY and not k.startswith((LAST, OPTIM))}


def read_weights(path: str | Path, notes: list[str] | None = None) -> dict[str, np.ndarray]:
    """The weights of a state-dict .npz, or the best weights of an `archc train` checkpoint."""
    return {k: _real(k, v, path, notes) for k, v in model_weights(read_npz(path, raw=True)).items()}


def read_arrays(path: str | Path, allow_pickle: bool = False, notes: list[str] | None = None) -> list[np.ndarray]:
    """A list of matrices from an .npz (in natural key order) or an .npy (one array, a 3-D stack,
    or, with ``allow_pickle``, an object array of matrices as the course stores them)."""
    data = read_bytes(path, "weights file", MAX_WEIGHTS_BYTES)
    if not data:
        raise FileError(f"{path}: the file is empty")
    if data[:2] == b"PK":
        arrays = read_npz(path, notes)
        keys = sorted(arrays, key=lambda k: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", k)])
        return [arrays[k] for k in keys]
    if not data.startswith(NPY_MAGIC) and not data.startswith(PICKLE_MAGIC):
        raise WeightsError(f"{path}: not a NumPy file (neither an .npy array nor an .npz archive)",
                           hint=FOREIGN_HINT)
    try:
        arr = np.load(io.BytesIO(data), allow_pickle=allow_pickle)
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            hint = "pass --allow-pickle, only for a file you trust: loading it runs its code"
            raise WeightsError(f"{path} holds Python objects (a pickle)", hint=hint) from None
        raise WeightsError(f"{path}: not a readable .npy file: {e}") from None
    except (OSError, EOFError) as e:
        raise WeightsError(f"{path}: not a readable .npy file ({e})") from None
    except Exception as e:
        raise WeightsError(f"{path}: not a readable NumPy file ({e.__class__.__name__}: {e})") from None
    items: list[Any] = list(arr) if arr.dtype == object or arr.ndim == 3 else [arr]
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, np.ndarray):
            raise WeightsError(f"{path}: item {i} is a {type(item).__name__}, not an array")
        out.append(_real(f"item {i}", item, path, notes))
    return out


def check_state(state: dict[str, Any], expected: dict[str, tuple], path: str | Path, strict: bool = True) -> None:
    """Every expected key present with its shape; with ``strict``, no other keys."""
    missing = [k for k in expected if k not in state]
    if missing:
        raise WeightsError(f"{path}: missing {', '.join(repr(k) for k in missing[:5])}"
                           + (f" and {len(missing) - 5} more" if len(missing) > 5 else ""),
                           hint="expected keys: " + ", ".join(list(expected)[:8]))
    for k, shape in expected.items():
        got = tuple(np.shape(state[k]))
        if got != tuple(shape):
            raise WeightsError(f"{path}: '{k}' has shape {got}, expected {tuple(shape)}")
    extra = [k for k in state if k not in expected]
    if strict and extra:
        raise WeightsError(f"{path}: unexpected {', '.join(repr(k) for k in extra[:5])}",
                           hint="pass --strict false to ignore keys the network does not have")
