"""Train a network with the engine's optimizers: the same rules as every ball, on θ.

A coordinate-wise rule (SGD, the Adam family, AdaGrad, RMSprop, Adadelta, Rprop, Lion, SGLD)
treats each parameter as its own coordinate, so the network's P parameters step as a *crowd*
of P one-dimensional balls — batch shape (P,), one numpy call per step, the very code that
moves a basin map's balls.  A whole-vector rule (L-BFGS, Newton) sees θ as one ball in P
dimensions, with torch's closure over the step's batch and, for Newton, the exact Hessian.
A rule whose step depends on each parameter tensor's shape (Adafactor, Muon:
``Optimizer.tensors``) steps the tensors of torch's ``model.parameters()`` — each layer's
weight [out × in], then its bias [out] — as torch steps one param group, each tensor known by
its role (``NetworkSpec.parameter_layout``: a hidden layer's or the output layer's).
Schedules, the run options (noise, float16, clipping, SAM) and mini-batches are the bench's own
(SAM: a second pass over the step's batch at θ + e; not for L-BFGS and Newton):
:func:`~app.engine.run.schedules.hyperparameters_at`,
:func:`~app.engine.run.options.apply_to_parameters` and the shuffle of
:func:`~app.engine.run.batches.epoch_order`.

Step k (from 1) takes batch ``(k − 1) mod ⌈n/B⌉`` of epoch ``(k − 1) div ⌈n/B⌉``, exactly as
a torch loop over a shuffled ``DataLoader`` with ``drop_last=False``; its record holds the
losses (train and test, without the regularization terms) and accuracies *after* the step.
A run stops early when it diverges (a non-finite loss or weight: that step is not recorded)
or converges (full batch, the gradient's length ≤ GRAD_TOL and the step's ≤ STEP_TOL).

    >>> from app.engine.networks.data import generate
    >>> from app.engine.optimizers import OPTIMIZERS
    >>> s = setup(generate("xor", 40, 0.0, 0), ("x1", "x2"), (4,), "tanh", test_ratio=0.25)
    >>> adam = OPTIMIZERS["adam"]
    >>> theta0 = init_weights(s.spec, "xavier", 0)
    >>> run = NetworkRun(s, adam, adam.validate({"lr": 0.05}), theta0=theta0)
    >>> trace = run.advance(100)
    >>> len(trace.step), trace.train_loss[-1] < trace.train_loss[0]
    (101, True)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..backend import NUMPY, SCALAR
from ..errors import StateError
from ..optimizers import Optimizer, Rule
from ..optimizers.interface import BallState, TensorRule
from ..run.batches import epoch_order
from ..run.options import (
    RunOptions,
    apply_to_parameters,
    check_sam,
    sam_ascent_vector,
    standard_normal,
    validate_options,
)
from ..run.outcome import GRAD_TOL, STEP_TOL
from ..run.schedules import BoundSchedule, hyperparameters_at
from ..run.state import decode_non_finite, encode_non_finite
from .data import NetData, NetworkError, feature_matrix, split
from .model import (
    NetworkSpec,
    evaluate,
    flatten,
    hessian,
    init_weights,
    loss_and_grad,
    parameters_of,
    training_pass,
)
from .outcome import History, NetOutcome, decide

__all__ = ["NetTrace", "NetworkRun", "Setup", "init_weights", "setup"]

HEADS = {"binary": "bce", "multiclass": "ce", "regression": "mse"}
RUNAWAY = 1e6  # a weight beyond this has diverged (torch would go on to inf)


@dataclass(frozen=True, eq=False)
class Setup:
    """What every racer of a comparison shares: the network and the data it learns."""

    spec: NetworkSpec
    data: NetData
    features: tuple[str, ...]
    train: np.ndarray  # indices into data
    test: np.ndarray
    x_train: np.ndarray  # feature matrices
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def setup(
    data: NetData,
    features: Sequence[str],
    hidden: Sequence[int],
    activation: str,
    *,
    l1: float = 0.0,
    l2: float = 0.0,
    test_ratio: float = 0.0,
    split_seed: int = 0,
) -> Setup:
    """The network for ``data`` (its head from the task) and the train/test split."""
    train, test = split(len(data.y), test_ratio, split_seed)
    X = feature_matrix(data.x, features)
    outputs = data.classes if data.task == "multiclass" else 1
    spec = NetworkSpec(X.shape[1], tuple(hidden), outputs, activation, HEADS[data.task], l1, l2)
    return Setup(
        spec, data, tuple(features), train, test, X[train], data.y[train], X[test], data.y[test]
    )


@dataclass
class NetTrace:
    """The step record of a network run: index i is step ``step[i]`` (0: the start)."""

    step: list[int] = field(default_factory=list)
    epoch: list[int] = field(default_factory=list)  # the step's epoch (from 1; 0 at the start)
    batch: list[int] = field(default_factory=list)  # its batch within the epoch (from 1)
    lr: list[float | None] = field(default_factory=list)  # after any schedule
    train_loss: list[float] = field(default_factory=list)  # mean data loss, training points
    test_loss: list[float | None] = field(default_factory=list)  # None without a test set
    train_accuracy: list[float | None] = field(default_factory=list)  # None for regression
    test_accuracy: list[float | None] = field(default_factory=list)
    grad_norm: list[float | None] = field(default_factory=list)  # of the gradient the step took

    def to_json(self) -> dict[str, list[Any]]:
        return {k: list(v) for k, v in self.__dict__.items()}


@dataclass(frozen=True, eq=False)
class Taken:
    """One step, as :meth:`NetworkRun._take_step` works it out."""

    theta: np.ndarray  # θ after the step
    buffers: Any  # the optimizer's state after it
    lr: float  # after any schedule
    gradient: np.ndarray  # the gradient the optimizer was given
    epoch: int
    batch: int
    problem: Any  # what the rule saw (its random draws, its closure)


class _Crowd:
    """What a coordinate-wise rule sees: P one-dimensional balls (one per parameter)."""

    xp = NUMPY

    def __init__(self, seed: int, size: int) -> None:
        self.seed = seed
        self.batch_shape: tuple[int, ...] = (size,)
        self.step = 0
        self.gradient: tuple[np.ndarray, ...] = ()

    def normal(self, stream: int) -> tuple[np.ndarray, ...]:
        return standard_normal(self.seed, self.step, stream, self.batch_shape, 1)

    def ball(self, index: tuple[int, ...]) -> Any:
        raise TypeError("a coordinate-wise rule has no closure")


class _Whole:
    """What a whole-vector rule sees: θ as one ball, torch's closure over the step's batch."""

    xp = SCALAR
    batch_shape: tuple[int, ...] = ()

    def __init__(self, run: NetworkRun, X: np.ndarray, y: np.ndarray, step: int) -> None:
        self.run, self.X, self.y, self.step = run, X, y, step
        self.gradient: tuple[float, ...] = ()

    def normal(self, stream: int) -> Any:
        return standard_normal(
            self.run.options.seed, self.step, stream, (), self.run.setup.spec.size
        )

    def ball(self, index: tuple[int, ...]) -> _Whole:
        return self

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        loss, g = loss_and_grad(self.run.setup.spec, x, self.X, self.y)
        if not self.run.options.plain:
            g = apply_to_parameters(self.run.options, self.step, g).gradient[0]
        return loss, g

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return hessian(self.run.setup.spec, x, self.X, self.y)


class NetworkRun:
    """One optimizer training one network: ``advance(n)`` takes up to n more steps."""

    def __init__(
        self,
        setup: Setup,
        optimizer: Optimizer,
        hyperparameters: Mapping[str, Any],
        *,
        theta0: np.ndarray,
        options: RunOptions | None = None,
        schedule: BoundSchedule | None = None,
        state: Mapping[str, Any] | None = None,
    ) -> None:
        self.setup = setup
        self.optimizer = optimizer
        self.hyperparameters = dict(hyperparameters)
        n = len(setup.y_train)
        if n == 0:
            raise NetworkError("data.test_ratio", "leaves no training points")
        # the whole training set per step unless a batch size is given
        options = validate_options({}, n) if options is None else options
        check_sam(options, optimizer)
        self.options = options
        # SAM's first gradient: noise and float16 as the second's, no clipping (run.options)
        self._ascent_options = replace(
            options, sam_rho=0.0, clip_grad_value=0.0, clip_grad_norm=0.0
        )
        self.schedule = None if schedule is None or schedule.is_constant else schedule
        # per tensor (Optimizer.tensors), θ as one ball (whole), or a crowd of P coordinates
        self.tensors = optimizer.tensors is not None
        self.whole = not self.tensors and issubclass(optimizer.state, BallState)
        spec = setup.spec
        self.batch_size = min(options.batch_size, n)
        self.per_epoch = -(-n // self.batch_size)
        self._order: tuple[int, np.ndarray] | None = None
        self._rule: Rule | TensorRule | None = None
        self._bound: tuple[Any, ...] | None = None
        self._crowd = _Crowd(options.seed, spec.size)
        self.status = "running"
        self.buffers: Any  # the optimizer's state: a TensorState on the per-tensor path
        if state is None:
            self.step = 0
            self.theta = np.array(theta0, dtype=np.float64)
            if optimizer.tensors is not None:
                self.buffers = optimizer.tensors.state.fresh(spec.parameter_layout)
            else:
                self.buffers = optimizer.state.fresh(1 if not self.whole else spec.size)
            self.history = History()
        else:
            self._restore(state)
        self._last_move = math.inf
        # (θ, the full-batch gradient there): a full-batch run's record of step k computes
        # the gradient step k + 1 starts from, in the same pass
        self._full: tuple[np.ndarray, np.ndarray] | None = None

    # --- one step --------------------------------------------------------------------------

    def _rule_for(self, step: int) -> tuple[Any, float]:
        """The bound rule for ``step`` (a TensorRule on the per-tensor path) and its lr."""
        hp = self.hyperparameters
        binder: Any = self.optimizer.tensors or self.optimizer.bind
        if self.schedule is None:
            if self._rule is None:
                self._rule = binder(hp)
            return self._rule, hp["lr"]
        scheduled = hyperparameters_at(self.schedule, hp, step - 1)
        key = tuple(repr(scheduled.get(k)) for k in ("lr", "momentum", "betas"))
        if self._rule is None or self._bound != key:
            self._rule, self._bound = binder(scheduled), key
        return self._rule, scheduled["lr"]

    def batch_at(self, step: int) -> tuple[int, int, np.ndarray | None]:
        """(epoch from 1, batch from 1, the training rows; None: all of them) of ``step``."""
        epoch, number = divmod(step - 1, self.per_epoch)
        if self.per_epoch == 1:
            return epoch + 1, 1, None
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, epoch_order(self.options.seed, epoch, len(self.setup.y_train)))
        rows = self._order[1][number * self.batch_size : (number + 1) * self.batch_size]
        return epoch + 1, number + 1, rows

    def _take_step(self, step: int) -> Taken:
        """Step ``step`` from where the run is, without taking it (the run does not move)."""
        rule, lr = self._rule_for(step)
        s = self.setup
        epoch, number, rows = self.batch_at(step)
        X, y = (s.x_train, s.y_train) if rows is None else (s.x_train[rows], s.y_train[rows])
        if self.whole:
            problem = _Whole(self, X, y, step)
            new, buffers, _ = rule.step(problem, step, tuple(self.theta.tolist()), self.buffers)
            _, g = problem.evaluate(self.theta)  # the gradient the step started from
            return Taken(np.array(new, dtype=np.float64), buffers, lr, g, epoch, number, problem)
        if rows is None and self._full is not None and self._full[0] is self.theta:
            g = self._full[1]  # the full-batch gradient the last record computed
        else:
            _, g = loss_and_grad(s.spec, self.theta, X, y)
        if self.options.sam:  # SAM: the same batch again at θ + e
            first = apply_to_parameters(self._ascent_options, step, g).gradient[0]
            _, g = loss_and_grad(s.spec, sam_ascent_vector(self.options, self.theta, first), X, y)
        if not self.options.plain:
            g = apply_to_parameters(self.options, step, g).gradient[0]
        if self.tensors:
            spec = s.spec
            params, buffers = rule.step(
                step, parameters_of(spec, self.theta), parameters_of(spec, g), self.buffers
            )
            return Taken(flatten(params), buffers, lr, g, epoch, number, None)
        crowd = self._crowd
        crowd.step, crowd.gradient = step, (g,)
        (new,), buffers, _ = rule.step(crowd, step, (self.theta,), self.buffers)
        return Taken(np.asarray(new, dtype=np.float64), buffers, lr, g, epoch, number, crowd)

    def advance(self, n: int) -> NetTrace:
        """Up to n more steps (fewer when the run stops); the trace starts with the current
        point when nothing has been recorded yet (step 0)."""
        trace = NetTrace()
        if self.step == 0 and not self.history.recorded:
            self._record(trace, 0, 0, 0, None, None)
        for _ in range(n):
            if self.status != "running":
                break
            step = self.step + 1
            try:
                with np.errstate(all="ignore"):
                    taken = self._take_step(step)
            except (ArithmeticError, ValueError):  # numpy's LinAlgError is a ValueError
                self.status = "diverged"
                break
            new = taken.theta
            if not np.isfinite(new).all() or np.abs(new).max(initial=0.0) > RUNAWAY:
                self.status = "diverged"
                break
            self._last_move = _norm(new - self.theta)
            self.theta, self.buffers, self.step = new, taken.buffers, step
            if not self._record(
                trace, step, taken.epoch, taken.batch, taken.lr, _norm(taken.gradient)
            ):
                self.status = "diverged"
                break
            if self._last_move <= STEP_TOL and self.per_epoch == 1 and self._converged():
                self.status = "converged"
        return trace

    def _converged(self) -> bool:
        s = self.setup
        if self._full is not None and self._full[0] is self.theta:
            g = self._full[1]
        else:
            _, g = loss_and_grad(s.spec, self.theta, s.x_train, s.y_train)
        return self.options.plain and _norm(g) <= GRAD_TOL

    def _record(
        self, trace: NetTrace, step: int, epoch: int, number: int, lr: Any, gnorm: Any
    ) -> bool:
        s = self.setup
        with np.errstate(all="ignore"):
            if self.per_epoch == 1 and not self.whole:
                loss, _, g, acc = training_pass(s.spec, self.theta, s.x_train, s.y_train)
                self._full, train = (self.theta, g), (loss, acc)
            else:
                train = evaluate(s.spec, self.theta, s.x_train, s.y_train)
            test = evaluate(s.spec, self.theta, s.x_test, s.y_test) if len(s.y_test) else None
        if not math.isfinite(train[0]) or (test is not None and not math.isfinite(test[0])):
            return False
        trace.step.append(step)
        trace.epoch.append(epoch)
        trace.batch.append(number)
        trace.lr.append(lr)
        trace.train_loss.append(train[0])
        trace.test_loss.append(None if test is None else test[0])
        trace.train_accuracy.append(train[1])
        trace.test_accuracy.append(None if test is None else test[1])
        trace.grad_norm.append(gnorm)
        self.history.add(
            step, train[0], None if test is None else test[0], (train[1], test and test[1])
        )
        return True

    # --- what happened ---------------------------------------------------------------------

    def outcome(self) -> NetOutcome:
        """What happened so far, decided by :func:`.outcome.decide`."""
        s = self.setup
        with np.errstate(all="ignore"):  # a diverged network's outputs overflow: still decided
            return decide(s.spec, self.theta, s.x_train, self.history, self.status)

    # --- resuming --------------------------------------------------------------------------

    def state_json(self) -> dict[str, Any]:
        """Everything needed to go on: θ, the optimizer's state, the step, what the outcome
        remembers, and whether the run has stopped."""
        shape = () if self.whole else (self.setup.spec.size,)
        buffers = self.buffers.to_json() if self.tensors else self.buffers.to_json(shape)
        return {
            "optimizer": self.optimizer.id,
            "step": self.step,
            "status": self.status,
            "theta": self.theta.tolist(),
            "buffers": encode_non_finite(buffers),
            "history": self.history.to_json(),
        }

    def _restore(self, data: Mapping[str, Any]) -> None:
        P = self.setup.spec.size
        if data.get("optimizer") != self.optimizer.id:
            raise StateError("optimizer", f"the state is for {data.get('optimizer')!r}")
        step = data.get("step")
        if isinstance(step, bool) or not isinstance(step, int) or step < 0:
            raise StateError("step", "must be a whole number >= 0")
        status = data.get("status", "running")
        if status not in ("running", "converged", "diverged"):
            raise StateError("status", "must be running, converged or diverged")
        try:
            theta = np.asarray(data.get("theta"), dtype=np.float64)
        except (TypeError, ValueError):
            raise StateError("theta", "must be a list of numbers") from None
        if theta.shape != (P,) or not np.isfinite(theta).all():
            raise StateError("theta", f"must be {P} finite numbers (this network's weights)")
        raw = data.get("buffers")
        if not isinstance(raw, Mapping):
            raise StateError("buffers", "must be an object")
        shape, dim = ((), P) if self.whole else ((P,), 1)
        try:
            if self.optimizer.tensors is not None:
                tensors = self.optimizer.tensors.state
                self.buffers = tensors.from_json(
                    decode_non_finite(raw), self.setup.spec.parameter_layout
                )
            else:
                self.buffers = self.optimizer.state.from_json(decode_non_finite(raw), shape, dim)
        except StateError as exc:
            raise StateError(f"buffers.{exc.field}", exc.reason) from None
        self.history = History.from_json(data.get("history"))
        self.step, self.theta, self.status = step, theta, status


def _norm(v: Any) -> float:
    a = np.asarray(v, dtype=np.float64)
    return float(np.sqrt(np.dot(a, a)))
