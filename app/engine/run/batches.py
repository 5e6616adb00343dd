"""Real mini-batches on a model landscape: which data points each step's gradient uses.

On a surface with data (:mod:`app.engine.surfaces.models`), a ``batch_size`` B below the
number of points n makes every step use the gradient of the loss over one mini-batch, as
a torch training loop over a shuffled ``DataLoader`` does:

* an epoch is one pass over the data in ⌈n/B⌉ batches: the points in a fresh random
  order, cut into batches of B (the last one smaller when B does not divide n, as with
  ``drop_last=False``);
* optimizer step k (from 1) takes batch ``(k − 1) mod ⌈n/B⌉`` of epoch ``(k − 1) div
  ⌈n/B⌉``, and the epoch's order comes from ``numpy.random.default_rng([seed, epoch,
  BATCH_STREAM])``, so a step's batch depends only on the seed and the step number: a run
  gives the same numbers whole, streamed, or resumed.

A batch of B ≥ n is the whole data set: plain (full-batch) gradient descent, and no
batches are drawn at all.

    >>> from app.engine.surfaces.models import ModelSpec, model_surface
    >>> from app.engine.run.options import RunOptions
    >>> s = model_surface(ModelSpec("linear", "mse", "noisy_line"))
    >>> batches = mini_batches(RunOptions(batch_size=8, seed=1), s)
    >>> batches.per_epoch, [(b.epoch, b.number, len(b.points)) for b in map(batches.at, (1, 3, 4))]
    (3, [(1, 1, 8), (1, 3, 4), (2, 1, 8)])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..surfaces import Formulas, Surface
from .options import RunOptions

BATCH_STREAM = 2  # the run's random stream for shuffling (noise is 0, SGLD's Langevin 1)


@dataclass(frozen=True)
class Batch:
    """The mini-batch of one optimizer step."""

    epoch: int  # from 1
    number: int  # within the epoch, from 1
    points: tuple[int, ...]  # indices into the data, in the epoch's shuffled order
    formulas: Formulas  # the loss over these points, with its exact gradient and Hessian


class MiniBatches:
    """The batches of a run: ``at(step)`` for optimizer step ``step`` (from 1)."""

    def __init__(self, surface: Surface, seed: int, size: int) -> None:
        assert surface.on_points is not None
        self.on_points = surface.on_points
        self.n = surface.data_size
        self.seed = seed
        self.size = size
        self.per_epoch = -(-self.n // size)
        self._order: tuple[int, np.ndarray] | None = None  # the current epoch's shuffle

    def order(self, epoch: int) -> np.ndarray:
        """The points of epoch ``epoch`` (from 0) in their shuffled order."""
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, epoch_order(self.seed, epoch, self.n))
        return self._order[1]

    def at(self, step: int) -> Batch:
        epoch, number = divmod(step - 1, self.per_epoch)
        points = self.order(epoch)[number * self.size : (number + 1) * self.size]
        return Batch(epoch + 1, number + 1, tuple(points.tolist()), self.on_points(points))


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The n points of epoch ``epoch`` (from 0) in the run's shuffled order: a training
    loop's batches are this order cut into pieces (a network's run uses it too)."""
    return np.random.default_rng([seed, epoch, BATCH_STREAM]).permutation(n)


def mini_batches(options: RunOptions, surface: Surface) -> MiniBatches | None:
    """The run's batches, or None for full-batch steps (not a model, or B ≥ n)."""
    if surface.on_points is None or options.batch_size >= surface.data_size:
        return None
    return MiniBatches(surface, options.seed, options.batch_size)
