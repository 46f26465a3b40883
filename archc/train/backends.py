"""The small interface the training loop drives, one adapter per backend (torch's in torch_backend.py).

A trainer trains on a batch, predicts, and saves or loads a checkpoint (see checkpoint.py): the
best weights for ``eval``, and with ``run=True`` what ``--resume`` needs - the last weights, the
optimizer state; the RNG states travel in the metadata the loop builds (``rng_state``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from archc.errors import ArchcError
from archc.train import checkpoint as ckpt


def check_state(path: str | Path, network: str, own: dict[str, tuple], given: dict[str, tuple],
                what: str = "weights") -> None:
    """Refuse weights whose names or shapes differ from the network's, naming the layer and both shapes."""
    missing = [k for k in own if k not in given]
    unexpected = [k for k in given if k not in own]
    if missing or unexpected:
        raise ckpt.CheckpointError(
            f"{path}: the {what} do not fit network '{network}': missing {', '.join(missing) or 'nothing'}; "
            f"unexpected {', '.join(unexpected) or 'nothing'}", hint="was it trained from another spec or --set?")
    for key, shape in own.items():
        if tuple(given[key]) != tuple(shape):
            layer, _, param = key.rpartition(".")
            raise ckpt.CheckpointError(
                f"{path}: layer '{layer}' {param}: the checkpoint has shape {list(given[key])}, the spec gives "
                f"{list(shape)}", hint="was it trained from another spec or --set?")


class NumpyTrainer:
    """Softmax cross-entropy and an optimizer around a NumpyModel."""

    backend, suffix = "numpy", ".npz"

    def __init__(self, typed: Any, optimizer: str, lr: float, weight_decay: float, seed: int) -> None:
        from archc.emit_numpy import SGD, Adam, SoftmaxCrossEntropy, build_numpy

        self.network = typed.graph.name
        self.model = build_numpy(typed, seed=seed)
        self.loss = SoftmaxCrossEntropy()
        if optimizer == "adam":
            self.opt: Any = Adam(self.model, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = SGD(self.model, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0,
                           weight_decay=weight_decay)

    def set_lr(self, lr: float) -> None:
        self.opt.lr = lr

    def train_batch(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """One optimizer step; (mean loss, number correct) on the batch."""
        self.model.train()
        self.opt.zero_grad()
        logits = self.model.forward(x)
        loss = self.loss.forward(logits, y)
        self.model.backward(self.loss.backward(), input_grad=False)  # as torch: x needs no gradient
        self.opt.step()
        return loss, int((logits.argmax(1) == y).sum())

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()
        return self.model.forward(x)

    def weights(self) -> dict[str, np.ndarray]:
        """A copy of every parameter and buffer."""
        return self.model.state_dict()

    def load_weights(self, state: dict[str, Any], path: str | Path = "<memory>") -> None:
        own = {k: v.shape for k, v in self.model.state_dict().items()}
        check_state(path, self.network, own, {k: np.shape(v) for k, v in state.items()})
        self.model.load_state_dict(state)

    def sync(self) -> None:
        """Nothing to do in one process."""

    def close(self) -> None:
        """Nothing to release."""

    def rng_state(self) -> dict[str, Any]:
        """The generator of every layer that draws random numbers (dropout), by layer name."""
        return {"layers": {name: layer.rng.bit_generator.state for name, layer in self.model.layers.items()
                           if isinstance(getattr(layer, "rng", None), np.random.Generator)}}

    def set_rng_state(self, state: dict[str, Any]) -> None:
        for name, value in state.get("layers", {}).items():
            layer = self.model.layers.get(name)
            if layer is None or not isinstance(getattr(layer, "rng", None), np.random.Generator):
                raise ArchcError(f"checkpoint holds a random state for layer '{name}', which draws none here")
            layer.rng.bit_generator.state = value

    def save(self, path: str | Path, meta: dict[str, Any], best: dict[str, np.ndarray] | None = None,
             run: bool = False, inputs: Iterable[str | Path | None] = ()) -> Path:
        """Write ``best`` (default: the current weights); with ``run``, also the last weights and optimizer."""
        arrays = dict(best if best is not None else self.weights())
        meta = dict(meta)
        if run:
            arrays.update({ckpt.LAST + k: v for k, v in self.weights().items()})
            scalars = {}
            for key, value in self.opt.state_dict().items():
                if isinstance(value, dict):
                    arrays.update({f"{ckpt.OPTIM}{key}/{k}": v for k, v in value.items()})
                else:
                    scalars[key] = value
            meta["optimizer"] = scalars
        return ckpt.write_npz(path, arrays, meta, inputs)

    def load(self, path: str | Path) -> dict[str, Any] | None:
        """Load the best weights of a checkpoint (or a plain state-dict .npz); its metadata."""
        arrays, meta = ckpt.read_npz(path)
        best, _, _ = ckpt.split_npz(arrays)
        self.load_weights(best, path)
        return meta

    def resume(self, path: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """Load the last weights and the optimizer state; (metadata, best weights)."""
        arrays, meta = ckpt.read_npz(path)
        best, last, optim = ckpt.split_npz(arrays)
        if meta is None or "epoch" not in meta or not last:
            raise ckpt.CheckpointError(f"{path} holds weights only, not a run to resume",
                                       hint="--resume takes the checkpoint archc train wrote (--out)")
        self.load_weights(last, path)
        check_state(path, self.network, {k: v.shape for k, v in self.model.state_dict().items()},
                    {k: v.shape for k, v in best.items()}, "best weights")
        state = {**meta.get("optimizer", {}), **optim}
        for slot in ("velocity", "m", "v"):
            state.setdefault(slot, {})
        try:
            self.opt.load_state_dict(state)
        except (KeyError, TypeError, ValueError) as e:
            raise ckpt.CheckpointError(f"{path}: damaged optimizer state ({e})") from None
        return meta, best


def make_trainer(backend: str, typed: Any, optimizer: str = "adam", lr: float = 1e-3, weight_decay: float = 0.0,
                 seed: int = 0, dist: Any = None, sync_bn: bool = False) -> Any:
    """The trainer of ``backend`` ('numpy' or 'torch'); ``dist``/``sync_bn`` for torch under torchrun."""
    last = typed.graph.node(typed.graph.outputs[0]).op
    if last in ("softmax", "log_softmax"):
        raise ArchcError(f"{typed.graph.name} ends in {last}; archc train applies softmax cross-entropy to logits",
                         hint="train a copy of the spec without the final softmax")
    if backend == "numpy":
        return NumpyTrainer(typed, optimizer, lr, weight_decay, seed)
    if backend == "torch":
        try:
            from archc.train.torch_backend import TorchTrainer
        except ImportError:
            raise ArchcError("the torch backend needs PyTorch", hint="pip install 'archc[torch]'") from None
        return TorchTrainer(typed, optimizer, lr, weight_decay, seed, dist, sync_bn)
    raise ArchcError(f"unknown backend '{backend}'", hint="numpy or torch")
