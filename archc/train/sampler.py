"""Which examples each process trains on: torch's DistributedSampler semantics, in NumPy.

Each epoch, every group (resolution) of the training split is permuted by a generator seeded
from (seed, epoch) alone - ``set_epoch`` reseeds - so every process draws the same permutation
without communicating, and a resumed run draws what the uninterrupted one would have. The
permutation is padded by repeating its head to a multiple of the number of processes K, and
process r takes positions r, r+K, r+2K, ... (as DistributedSampler with drop_last=False). Each
process cuts its share into batches of batch/K; the order of the batches is shuffled by the same
generator, so at every step all processes train on the same group, and the K per-process
batches of step s together are exactly the batch that one process would train on at step s
(except the last, padded one).
"""

from __future__ import annotations

import math

import numpy as np

from archc.data.datasets import Split


class ShardSampler:
    """Per-epoch batch plans for process ``rank`` of ``num_replicas``."""

    def __init__(self, split: Split, batch_size: int, num_replicas: int = 1, rank: int = 0,
                 seed: int = 0, shuffle: bool = True) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not in 0..{num_replicas - 1}")
        self.sizes = [len(y) for _, y in split.groups]
        self.batch_size, self.num_replicas, self.rank = batch_size, num_replicas, rank
        self.seed, self.shuffle, self.epoch = seed, shuffle, 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose permutation ``plan()`` draws (as DistributedSampler.set_epoch)."""
        self.epoch = epoch

    def indices(self, group: int, rng: np.random.Generator | None = None) -> np.ndarray:
        """This process's share of one group, in order: DistributedSampler's __iter__."""
        n = self.sizes[group]
        order = rng.permutation(n) if rng is not None else np.arange(n)
        total = math.ceil(n / self.num_replicas) * self.num_replicas
        if total > n:
            order = np.concatenate([order, np.resize(order, total - n)])
        return order[self.rank:total:self.num_replicas]

    def plan(self) -> list[tuple[int, np.ndarray]]:
        """(group, example indices) for each step of this epoch, for this process."""
        rng = np.random.default_rng([self.seed, self.epoch]) if self.shuffle else None
        steps = []
        for g in range(len(self.sizes)):
            mine = self.indices(g, rng)
            steps += [(g, mine[i:i + self.batch_size]) for i in range(0, len(mine), self.batch_size)]
        if rng is not None:
            steps = [steps[i] for i in rng.permutation(len(steps))]
        return steps

    def __len__(self) -> int:
        """Steps per epoch (the same on every process)."""
        return sum(math.ceil(math.ceil(n / self.num_replicas) / self.batch_size) for n in self.sizes)


def eval_shard(split: Split, rank: int, num_replicas: int) -> Split:
    """Every K-th example of each group, without padding: the K shards partition the split."""
    if num_replicas == 1:
        return split
    return Split([(x[rank::num_replicas], y[rank::num_replicas]) for x, y in split.groups])
