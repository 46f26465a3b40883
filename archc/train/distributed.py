"""Training on several processes: the process group under torchrun, the few collective operations
the loop needs, and ``archc train --nproc K``, which launches torchrun itself.

torchrun sets RANK, WORLD_SIZE and LOCAL_RANK in each process; ``setup`` joins the group (gloo on
CPU, nccl on CUDA, one GPU per local rank). Outside torchrun everything here is a no-op for one
process, so the loop is written once.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from archc.errors import ArchcError


class DistError(ArchcError):
    """The processes cannot be set up as asked (devices, backend, batch size)."""


def under_torchrun() -> bool:
    """True in a process started by torchrun (or anything that sets its variables)."""
    return all(k in os.environ for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK"))


def env_world() -> tuple[int, int, int]:
    """(rank, world size, local rank) from torchrun's variables, or (0, 1, 0)."""
    if not under_torchrun():
        return 0, 1, 0
    try:
        return int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    except ValueError:
        raise DistError("RANK, WORLD_SIZE and LOCAL_RANK must be integers (they are set by torchrun)") from None


@dataclass
class Dist:
    """This process's place among the training processes."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    device: str = "cpu"
    active: bool = False  # a torch.distributed process group is initialised

    @property
    def main(self) -> bool:
        """The process that writes checkpoints, plots and logs."""
        return self.rank == 0

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over all processes (all_reduce), in float64."""
        if not self.active:
            return list(values)
        import torch
        import torch.distributed as dist

        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def gather_text(self, text: str) -> list[str]:
        """Every process's ``text``, in rank order (all_gather of UTF-8 bytes; no pickling)."""
        if not self.active:
            return [text]
        import torch
        import torch.distributed as dist

        data = torch.tensor(list(text.encode("utf-8")), dtype=torch.uint8, device=self.device)
        size = torch.tensor([len(data)], dtype=torch.int64, device=self.device)
        sizes = [torch.zeros_like(size) for _ in range(self.world)]
        dist.all_gather(sizes, size)
        longest = int(max(s.item() for s in sizes))
        padded = torch.zeros(longest, dtype=torch.uint8, device=self.device)
        padded[:len(data)] = data
        parts = [torch.zeros_like(padded) for _ in range(self.world)]
        dist.all_gather(parts, padded)
        return [bytes(p[:int(s.item())].cpu().tolist()).decode("utf-8") for p, s in zip(parts, sizes)]

    def broadcast_buffers(self, module: Any) -> None:
        """Give every process rank 0's buffers (BatchNorm statistics), so all evaluate one model."""
        if not self.active:
            return
        import torch.distributed as dist

        for buf in module.buffers():
            dist.broadcast(buf, src=0)

    def close(self, wait: bool = True) -> None:
        """Leave the process group; with ``wait``, once every process has got here (not after an error)."""
        if self.active:
            import torch.distributed as dist

            if wait:
                dist.barrier()
            dist.destroy_process_group()
            self.active = False


def choose_device(choice: str) -> str:
    """'cpu' or 'cuda' for --device cpu|cuda|auto."""
    import torch

    if choice == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        raise DistError("--device cuda: no CUDA device is visible to PyTorch", hint="use --device cpu or auto")
    return choice


def setup(device_choice: str) -> Dist:
    """Join the process group when run under torchrun (any world size); else one process."""
    rank, world, local_rank = env_world()
    device = choose_device(device_choice)
    if device == "cuda":
        import torch

        if local_rank >= torch.cuda.device_count():
            raise DistError(f"process with local rank {local_rank} has no GPU ({torch.cuda.device_count()} visible)",
                            hint="give torchrun --nproc_per_node at most the number of GPUs")
        torch.cuda.set_device(local_rank)
        device = f"cuda:{local_rank}"
    if not under_torchrun():
        return Dist(device=device)
    import torch.distributed as dist

    dist.init_process_group(backend="nccl" if device.startswith("cuda") else "gloo")
    return Dist(rank, world, local_rank, device, active=True)


def launch(nproc: int, argv: list[str]) -> int:
    """Run ``archc train ARGV`` in ``nproc`` processes on this machine, by torchrun; its exit code."""
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(nproc),
           "-m", "archc", "train", *argv]
    try:
        return subprocess.run(cmd, check=False).returncode
    except FileNotFoundError as e:
        raise DistError(f"cannot start torchrun: {e}") from None


def state_digest(state: dict[str, Any]) -> str:
    """sha256 over a state dict's names, shapes, dtypes and bytes (tensors or arrays)."""
    import numpy as np

    h = hashlib.sha256()
    for key in sorted(state):
        value = state[key]
        arr = np.ascontiguousarray(value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value))
        h.update(f"{key}:{arr.dtype.str}:{arr.shape};".encode())
        h.update(arr.tobytes())
    return h.hexdigest()
