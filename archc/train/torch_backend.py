"""The torch trainer: the compiled nn.Module, a torch.optim optimizer, and under torchrun
DistributedDataParallel (gradients averaged over the processes) with optional SyncBatchNorm."""

from __future__ import annotations

import base64
import gc
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from archc.emit_torch import build_torch
from archc.train import checkpoint as ckpt
from archc.train.backends import check_state
from archc.train.distributed import Dist, DistError


def _b64(state: torch.Tensor) -> str:
    return base64.b64encode(state.cpu().numpy().tobytes()).decode("ascii")


def _unb64(text: str) -> torch.Tensor:
    return torch.frombuffer(bytearray(base64.b64decode(text)), dtype=torch.uint8).clone()


class TorchTrainer:
    """Cross-entropy and a torch.optim optimizer around the compiled nn.Module."""

    backend, suffix = "torch", ".pt"

    def __init__(self, typed: Any, optimizer: str, lr: float, weight_decay: float, seed: int,
                 dist: Dist | None = None, sync_bn: bool = False) -> None:
        self.dist = dist or Dist()
        self.device = torch.device(self.dist.device)
        self.network = typed.graph.name
        torch.manual_seed(seed)
        self.model: nn.Module = build_torch(typed, seed=seed).to(self.device)
        if sync_bn:
            if not self.dist.device.startswith("cuda"):
                raise DistError("--sync-bn needs CUDA: torch's SyncBatchNorm does not run on CPU",
                                hint="drop --sync-bn on CPU (each process then keeps its own BatchNorm statistics)")
            self.model = nn.SyncBatchNorm.convert_sync_batchnorm(self.model)
        if self.dist.rank:  # each process its own dropout stream; the weights are rank 0's (DDP broadcasts them)
            torch.manual_seed(int(np.random.SeedSequence([seed, self.dist.rank]).generate_state(1)[0]))
        self.net: nn.Module = self.model
        if self.dist.active:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            # a weight with a size-1 axis (Conv1d with one input channel) is contiguous with either stride
            # on that axis; DDP compares strides literally and warns, harmlessly, on every process
            warnings.filterwarnings("ignore", message="Grad strides do not match bucket view strides")
            self.net = DistributedDataParallel(self.model, device_ids=ids)
        params = self.model.parameters()
        if optimizer == "adam":
            self.opt: Any = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        else:
            self.opt = torch.optim.SGD(params, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0,
                                       weight_decay=weight_decay)

    def set_lr(self, lr: float) -> None:
        for group in self.opt.param_groups:
            group["lr"] = lr

    def train_batch(self, x: np.ndarray, y: np.ndarray) -> tuple[float, int]:
        """One optimizer step (gradients averaged over the processes); (mean loss, number correct) here."""
        self.net.train()
        self.opt.zero_grad()
        logits = self.net(torch.from_numpy(x).to(self.device))
        target = torch.from_numpy(y).to(self.device)
        loss = nn.functional.cross_entropy(logits, target)
        loss.backward()
        self.opt.step()
        return loss.item(), int((logits.argmax(1) == target).sum())

    def predict(self, x: np.ndarray) -> np.ndarray:
        self.model.eval()  # the bare module: DDP's forward would synchronise buffers with the others
        with torch.no_grad():
            return self.model(torch.from_numpy(x).to(self.device)).cpu().numpy()

    def weights(self) -> dict[str, torch.Tensor]:
        """A CPU copy of every parameter and buffer (names without DDP's ``module.``)."""
        return {k: v.detach().cpu().clone() for k, v in self.model.state_dict().items()}

    def load_weights(self, state: dict[str, Any], path: str | Path = "<memory>") -> None:
        if not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise ckpt.CheckpointError(f"{path}: the weights are not all tensors")
        for k, v in state.items():
            if v.is_complex():  # load_state_dict would drop the imaginary part without a word
                raise ckpt.CheckpointError(f"{path}: '{k}' holds complex numbers ({v.dtype}); weights must be real")
        own = {k: tuple(v.shape) for k, v in self.model.state_dict().items()}
        check_state(path, self.network, own, {k: tuple(v.shape) for k, v in state.items()})
        self.model.load_state_dict(state)

    def close(self) -> None:
        """Drop the DDP wrapper (its reducer holds the process group) before the group is destroyed."""
        if self.net is not self.model:
            self.net = self.model
            gc.collect()  # DDP's hooks form reference cycles; freed at exit, after the group, they abort

    def sync(self) -> None:
        """Every process takes rank 0's buffers (the weights DDP keeps equal)."""
        self.dist.broadcast_buffers(self.model)

    def rng_state(self) -> dict[str, Any]:
        state = {"torch": _b64(torch.get_rng_state())}
        if self.device.type == "cuda":
            state["cuda"] = _b64(torch.cuda.get_rng_state(self.device))
        return state

    def set_rng_state(self, state: dict[str, Any]) -> None:
        if "torch" in state:
            torch.set_rng_state(_unb64(state["torch"]))
        if "cuda" in state and self.device.type == "cuda":
            torch.cuda.set_rng_state(_unb64(state["cuda"]), self.device)

    def save(self, path: str | Path, meta: dict[str, Any], best: dict[str, torch.Tensor] | None = None,
             run: bool = False, inputs: Iterable[str | Path | None] = ()) -> Path:
        """Write ``best`` (default: the current weights); with ``run``, also the last weights and optimizer."""
        obj: dict[str, Any] = {"model": best if best is not None else self.weights()}
        if run:
            obj["last"] = self.weights()
            obj["optimizer"] = self.opt.state_dict()
        return ckpt.write_pt(path, obj, meta, inputs)

    def load(self, path: str | Path) -> dict[str, Any] | None:
        """Load the best weights of a checkpoint (or a plain state-dict .pt); its metadata."""
        obj, meta = ckpt.read_pt(path)
        if not isinstance(obj.get("model"), dict):
            raise ckpt.CheckpointError(f"{path}: no weights in the checkpoint")
        self.load_weights(obj["model"], path)
        return meta

    def resume(self, path: str | Path) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
        """Load the last weights and the optimizer state; (metadata, best weights)."""
        obj, meta = ckpt.read_pt(path)
        if meta is None or "epoch" not in meta or not isinstance(obj.get("last"), dict):
            raise ckpt.CheckpointError(f"{path} holds weights only, not a run to resume",
                                       hint="--resume takes the checkpoint archc train wrote (--out)")
        self.load_weights(obj["last"], path)
        try:
            self.opt.load_state_dict(obj["optimizer"])
        except (KeyError, TypeError, ValueError) as e:
            raise ckpt.CheckpointError(f"{path}: the optimizer state does not fit ({e})",
                                       hint="resume with the --optimizer the run started with") from None
        best = obj["model"]
        check_state(path, self.network, {k: tuple(v.shape) for k, v in self.model.state_dict().items()},
                    {k: tuple(v.shape) for k, v in best.items()}, "best weights")
        return meta, best
