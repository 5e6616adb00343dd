"""What an optimizer is, and the one interface every optimizer has.

An :class:`Optimizer` describes a method as torch does: its hyperparameters (names, defaults
and checks), its state (torch's state keys) and ``bind(hyperparameters) -> Rule``.  A
:class:`Rule` is a pair of pure functions, as in optax::

    state = rule.init(dim)                                 # nothing created yet
    x, state, evaluations = rule.step(problem, t, x, state)   # optimizer step t (from 1)

``x`` is a point as a tuple of ``dim`` components — floats for one ball, numpy arrays of
the batch shape for a crowd (see :mod:`app.engine.backend`) — and ``problem`` is what the
step sees of the landscape (:class:`Problem`): the gradient it is given at ``x``, the
run's random draws, and, for rules that need more than a gradient, a closure around each
ball.  ``evaluations`` counts the function evaluations the step used (several for
L-BFGS).  The state is immutable: a step returns a new one.  It is a record named with
torch's state keys that writes itself to the resume JSON and reads itself back
(:class:`OptimizerState`).

Two adapters turn the two shapes of update rule into a :class:`Rule`, so whoever runs an
optimizer never asks which shape it has:

* :func:`coordinatewise` — rules that treat each coordinate as its own parameter (SGD, the
  Adam family, AdaGrad, RMSprop, Adadelta, Rprop, Lion): ``update(xp, t, p, g, buffers)``
  for one coordinate, state :class:`CoordinateState`;
* :func:`per_ball` — rules that need a ball's whole position and may evaluate the function
  elsewhere or ask for the Hessian (L-BFGS, Newton): ``step(closure, t, x, memory)`` for
  one ball at a numpy vector ``x``, state :class:`BallState`.  A crowd loops over its balls.

SGLD, which draws its own noise, implements :class:`Rule` directly.

A rule may also say how it steps a network's parameters as torch does, one parameter
tensor at a time with its shape (Adafactor factors a weight matrix's second moment into
row and column averages): a :class:`TensorRule` from ``Optimizer.tensors``, with its state
a :class:`TensorState`.  The network page then steps it per tensor, in torch's
``nn.Sequential`` layout, instead of per coordinate or as one ball; each tensor comes with
its role (a :class:`ParameterTensor`: in a hidden layer or the output layer), so a recipe
can give each its own rule (Muon's hidden weight matrices, AdamW for the rest).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, ClassVar, Literal, NamedTuple, Protocol

import numpy as np

from ..backend import SCALAR, Vector, join, split
from ..errors import StateError
from ..hyperparameters import Hyperparameter, checked_values

if TYPE_CHECKING:  # explaining reads a step through Problem: importing it here would loop
    from .explaining import Explain, Said, StepNumbers

BatchShape = tuple[int, ...]


# --- what a step sees ------------------------------------------------------------------------


class Closure(Protocol):
    """One ball's landscape, as a whole-point rule sees it (vectors of length dim).

    ``evaluate(x)`` is torch's closure: the loss at x and the gradient the optimizer is given
    there (after the run's gradient noise, precision and clipping); ``hessian(x)`` is the
    exact dim x dim Hessian of f.
    """

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]: ...

    def hessian(self, x: np.ndarray) -> np.ndarray: ...


class Problem(Protocol):
    """What one optimizer step sees, for every ball of the batch at once."""

    xp: SimpleNamespace  # the backend: floats for one ball, numpy for a crowd
    batch_shape: BatchShape
    gradient: Vector  # the gradient the step is given at x (after noise, precision, clipping)

    def normal(self, stream: int) -> Vector:
        """ξ ~ N(0, I) for this step from the run's seed, random stream ``stream``."""
        ...

    def ball(self, index: BatchShape) -> Closure:
        """The closure around ball ``index`` (``()`` for a single ball)."""
        ...


# --- the state -------------------------------------------------------------------------------


class OptimizerState(Protocol):
    """An optimizer's memory by torch's state keys (immutable)."""

    keys: ClassVar[tuple[str, ...]]

    @classmethod
    def fresh(cls, dim: int) -> Any:
        """The state before the first step: nothing created yet."""
        ...

    def to_json(self, batch_shape: BatchShape) -> dict[str, Any]:
        """Every key with a JSON value (None: not created yet); a batch nests in its shape."""
        ...

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], batch_shape: BatchShape, dim: int) -> Any:
        """The state :meth:`to_json` wrote, checked: StateError names the bad key."""
        ...

    def select(self, moves: np.ndarray, old: Any) -> Any:
        """A batch's state: this one for the balls that ``moves``, ``old`` for the rest."""
        ...

    def take(self, cells: np.ndarray, batch_shape: BatchShape) -> Any:
        """The state of the balls at flat indices ``cells``, as a crowd of len(cells)."""
        ...


class CoordinateState(tuple[tuple[Any, ...], ...]):
    """A coordinate-wise rule's buffers: entry i holds coordinate i's buffer values, in the
    order of ``keys`` (torch's state keys), None for a buffer not created yet.  Each value
    is a float for one ball, an array of the batch shape for a crowd.

    Subclasses name the keys, and those that must not be negative (checked on resume)."""

    __slots__ = ()
    keys: ClassVar[tuple[str, ...]] = ()
    nonnegative: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def fresh(cls, dim: int) -> CoordinateState:
        return cls(((None,) * len(cls.keys),) * dim)

    def buffer(self, name: str) -> Vector | None:
        """One buffer as a vector (a component per coordinate), or None."""
        k = self.keys.index(name)
        values = tuple(coordinate[k] for coordinate in self)
        return None if values[0] is None else values

    def to_json(self, batch_shape: BatchShape) -> dict[str, Any]:
        out = {}
        for name in self.keys:
            vector = self.buffer(name)
            out[name] = None if vector is None else join(vector, batch_shape).tolist()
        return out

    @classmethod
    def from_json(
        cls, raw: Mapping[str, Any], batch_shape: BatchShape, dim: int
    ) -> CoordinateState:
        shape = batch_shape + (dim,)
        columns: list[Vector | None] = []
        for name in cls.keys:
            value = raw.get(name)
            if value is None:
                columns.append(None)
                continue
            arr = number_array(value, name, dim)
            if arr.shape != shape:
                raise StateError(name, f"must have the shape of position, {list(shape)}")
            if name in cls.nonnegative and (arr < 0).any():
                raise StateError(name, "must not be negative")
            columns.append(split(arr, batch_shape))
        return cls(
            tuple(None if column is None else column[i] for column in columns) for i in range(dim)
        )

    def select(self, moves: np.ndarray, old: CoordinateState) -> CoordinateState:
        return type(self)(
            tuple(map(partial_keep(moves), new, was)) for new, was in zip(self, old, strict=True)
        )

    def take(self, cells: np.ndarray, batch_shape: BatchShape) -> CoordinateState:
        def part(v: Any) -> Any:
            return None if v is None else np.broadcast_to(v, batch_shape).reshape(-1)[cells]

        return type(self)(tuple(map(part, coordinate)) for coordinate in self)


class BallState:
    """A whole-point rule's memory: one per ball (an object array for a crowd), None before
    the ball's first step.  Subclasses name the keys and convert one ball's memory."""

    __slots__ = ("memory",)
    keys: ClassVar[tuple[str, ...]] = ()

    def __init__(self, memory: Any = None) -> None:
        self.memory = memory

    @classmethod
    def fresh(cls, dim: int) -> BallState:
        return cls()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BallState) or type(self) is not type(other):
            return NotImplemented
        if isinstance(self.memory, np.ndarray) or isinstance(other.memory, np.ndarray):
            return bool(np.array_equal(self.memory, other.memory))
        return bool(self.memory == other.memory)

    __hash__ = None  # type: ignore[assignment]

    @staticmethod
    def one_to_json(memory: Any) -> dict[str, Any]:
        """One ball's memory by the keys (never called with None)."""
        return {}

    @staticmethod
    def one_from_json(raw: Mapping[str, Any], dim: int) -> Any:
        """One ball's memory from :meth:`one_to_json`'s output, or None if nothing is set."""
        return None

    def to_json(self, batch_shape: BatchShape) -> dict[str, Any]:
        def one(m: Any) -> dict[str, Any]:
            return dict.fromkeys(self.keys) if m is None else self.one_to_json(m)

        if batch_shape == ():
            return one(self.memory)
        per_ball = np.empty(batch_shape, dtype=object)
        for idx in np.ndindex(batch_shape):
            per_ball[idx] = one(None if self.memory is None else self.memory[idx])
        return {
            name: np.vectorize(lambda d, n=name: d[n], otypes=[object])(per_ball).tolist()
            for name in self.keys
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], batch_shape: BatchShape, dim: int) -> BallState:
        if all(raw.get(n) is None for n in cls.keys):
            return cls()
        if batch_shape == ():
            return cls(cls.one_from_json(raw, dim))
        memory = np.empty(batch_shape, dtype=object)
        for idx in np.ndindex(batch_shape):
            ball = {}
            for name in cls.keys:
                value = raw.get(name)
                for axis, i in enumerate(idx):
                    if value is None:
                        break
                    if not isinstance(value, list) or len(value) != batch_shape[axis]:
                        raise StateError(name, "must follow the batch's shape")
                    value = value[i]
                ball[name] = value
            memory[idx] = (
                None if all(v is None for v in ball.values()) else cls.one_from_json(ball, dim)
            )
        return cls(memory)

    def select(self, moves: np.ndarray, old: BallState) -> BallState:
        if self.memory is None:
            return self
        was = old.memory
        if was is None:
            was = np.full(np.shape(moves), None, dtype=object)
        return type(self)(np.where(moves, self.memory, was))

    def take(self, cells: np.ndarray, batch_shape: BatchShape) -> BallState:
        if self.memory is None:
            return self
        return type(self)(np.asarray(self.memory, dtype=object).reshape(-1)[cells])


def number_array(raw: Any, field: str, dim: int) -> np.ndarray:
    """``raw`` as a float array of points (..., dim), or StateError.  A buffer may hold ±inf
    or nan (a float16 gradient overflows, and a sign-based rule such as Lion keeps going):
    resuming restores it as it was."""
    try:
        arr = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError):
        raise StateError(field, "must be a list of numbers") from None
    if arr.ndim == 0 or arr.shape[-1] != dim:
        raise StateError(field, f"must have {dim} coordinate(s) per point")
    return arr


def finite_array(raw: Any, field: str, dim: int) -> np.ndarray:
    """``raw`` as a float array of points (..., dim) of finite numbers, or StateError."""
    arr = number_array(raw, field, dim)
    if not np.isfinite(arr).all():
        raise StateError(field, "must hold finite numbers")
    return arr


def partial_keep(moves: np.ndarray) -> Callable[[Any, Any], Any]:
    """``keep(new, old)``: new values where balls moved, old ones where they are frozen.
    A buffer the rule creates on this step takes its new value for frozen balls too."""

    def keep(new: Any, old: Any) -> Any:
        return None if new is None else np.where(moves, new, new if old is None else old)

    return keep


# --- the rule --------------------------------------------------------------------------------

Step = Callable[[Problem, int, Vector, Any], tuple[Vector, Any, Any]]


# ``update(xp, t, p, g, buffers) -> (p, buffers)`` for one coordinate: p and g are floats or
# arrays of the batch shape, buffers a tuple in the state's key order (None: not created).
Update = Callable[..., tuple[Any, tuple[Any, ...]]]


class Rule(NamedTuple):
    """An optimizer bound to its hyperparameters: ``init(dim)`` and ``step``; a
    coordinate-wise rule also gives its ``update`` for one coordinate, which the runner
    calls directly on one ball's plain steps (see :func:`coordinatewise`)."""

    init: Callable[[int], Any]
    step: Step
    update: Update | None = None


# ``step(closure, t, x, memory) -> (x, memory, evaluations)`` for one ball at the vector x.
BallStep = Callable[[Closure, int, np.ndarray, Any], tuple[np.ndarray, Any, int]]


@dataclass(frozen=True)
class Binder:
    """How an optimizer takes its hyperparameters: ``binder(hp)`` gives the bound
    :class:`Rule`, whose states are all of type ``state`` (the class that also reads a
    resume state back). The adapters below make one; a rule written whole names both."""

    make: Callable[[Mapping[str, Any]], Rule]
    state: type[Any]

    def __call__(self, hp: Mapping[str, Any]) -> Rule:
        return self.make(hp)


def coordinatewise(
    make_update: Callable[[Mapping[str, Any]], Update], state: type[CoordinateState]
) -> Binder:
    """The :class:`Rule` of a rule applied to each coordinate as to its own parameter.

    Buffers are created on first use exactly as torch creates them, which is also what
    happens when a run is resumed with a hyperparameter switched on (say, RMSprop's
    ``momentum``): the new buffer starts from torch's initial value.
    """

    def bind(hp: Mapping[str, Any]) -> Rule:
        update = make_update(hp)

        def step(problem: Problem, t: int, x: Vector, buffers: Any) -> tuple[Vector, Any, int]:
            xp = problem.xp
            if len(x) == 1:  # the 1D page's hot path: no lists to build
                p, bufs = update(xp, t, x[0], problem.gradient[0], buffers[0])
                return (p,), state((bufs,)), 1
            moved, kept = [], []
            for p, g, bufs in zip(x, problem.gradient, buffers, strict=True):
                p, bufs = update(xp, t, p, g, bufs)
                moved.append(p)
                kept.append(bufs)
            return tuple(moved), state(kept), 1

        return Rule(state.fresh, step, update)

    return Binder(bind, state)


def per_ball(make_step: Callable[[Mapping[str, Any]], BallStep], state: type[BallState]) -> Binder:
    """The :class:`Rule` of a whole-point rule, looping over the balls of a crowd.

    A ball whose step fails arithmetically (a singular Hessian, an overflow) gets a NaN
    position, which the runner reports as divergence.
    """

    def bind(hp: Mapping[str, Any]) -> Rule:
        one = make_step(hp)

        def step(problem: Problem, t: int, x: Vector, st: BallState) -> tuple[Vector, Any, Any]:
            shape = problem.batch_shape
            if shape == ():
                new, memory, evaluations = one(problem.ball(()), t, np.array(x), st.memory)
                return tuple(float(v) for v in new), state(memory), evaluations
            dim = len(x)
            new_x = np.empty(shape + (dim,))
            memories = np.empty(shape, dtype=object)
            counts = np.zeros(shape, dtype=np.int64)
            for idx in np.ndindex(shape):
                point = np.array([c[idx] for c in x], dtype=np.float64)
                before = None if st.memory is None else st.memory[idx]
                try:
                    new_x[idx], memories[idx], counts[idx] = one(
                        problem.ball(idx), t, point, before
                    )
                except (ArithmeticError, ValueError):
                    new_x[idx], memories[idx] = math.nan, before
            return tuple(new_x[..., i] for i in range(dim)), state(memories), counts

        return Rule(state.fresh, step)

    return Binder(bind, state)


# --- rules that see each parameter tensor with its shape (the network page) ------------------


class ParameterTensor(NamedTuple):
    """One parameter tensor as a per-tensor rule is given it: its shape, and whether its
    layer's outputs are hidden units (False: the network's output layer) — what a recipe
    such as Muon's (Muon for the hidden layers' weight matrices, AdamW for the rest) needs
    to know to pick a tensor's rule."""

    shape: tuple[int, ...]
    hidden: bool


class TensorState:
    """A per-tensor rule's memory, as torch's ``optimizer.state`` holds it: for each
    parameter tensor (in the parameters' order) its buffers by torch's state keys, arrays of
    the shapes torch gives them; None before the first step.  It keeps the ``layout`` it
    was made for (each tensor's :class:`ParameterTensor`), so a step knows each tensor's
    role.  Immutable: a step returns a new one.  Subclasses name the keys, those that must
    not be negative, and :meth:`shape_of`."""

    __slots__ = ("layout", "tensors")
    keys: ClassVar[tuple[str, ...]] = ()
    nonnegative: ClassVar[frozenset[str]] = frozenset()

    def __init__(
        self,
        layout: Sequence[ParameterTensor],
        tensors: tuple[Mapping[str, np.ndarray], ...] | None = None,
    ) -> None:
        self.layout = tuple(layout)
        self.tensors = tensors

    @staticmethod
    def shape_of(key: str, tensor: ParameterTensor) -> tuple[int, ...] | None:
        """The shape of buffer ``key`` for ``tensor``; None: it has none."""
        return tensor.shape

    @classmethod
    def fresh(cls, layout: Sequence[ParameterTensor]) -> TensorState:
        return cls(layout)

    def to_json(self) -> dict[str, Any]:
        """Every key with, per tensor, its nested lists (None where the tensor has no such
        buffer); the key None before the first step."""
        if self.tensors is None:
            return dict.fromkeys(self.keys)
        return {
            k: [None if k not in one else np.asarray(one[k]).tolist() for one in self.tensors]
            for k in self.keys
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any], layout: Sequence[ParameterTensor]) -> TensorState:
        """The state :meth:`to_json` wrote, for parameters of ``layout``, checked:
        StateError names the bad key."""
        if all(raw.get(k) is None for k in cls.keys):
            return cls(layout)
        tensors: list[dict[str, np.ndarray]] = [{} for _ in layout]
        for key in cls.keys:
            per_tensor = raw.get(key)
            if not isinstance(per_tensor, list) or len(per_tensor) != len(layout):
                raise StateError(key, f"must hold one entry per parameter tensor ({len(layout)})")
            for n, (value, tensor) in enumerate(zip(per_tensor, layout, strict=True)):
                want = cls.shape_of(key, tensor)
                if want is None:
                    if value is not None:
                        raise StateError(key, f"parameter {n} has no {key}")
                    continue
                try:
                    arr = np.asarray(value, dtype=np.float64)
                except (TypeError, ValueError):
                    raise StateError(key, "must be lists of numbers") from None
                if arr.shape != want:
                    raise StateError(key, f"parameter {n}'s must have the shape {list(want)}")
                if key in cls.nonnegative and (arr < 0).any():
                    raise StateError(key, "must not be negative")
                tensors[n][key] = arr
        return cls(layout, tuple(tensors))


# ``step(t, params, grads, state) -> (params, state)``: one torch step of a param group,
# each parameter a float64 array of its own shape (a weight [out, in], a bias [out]).
TensorStep = Callable[[int, Sequence[np.ndarray], Sequence[np.ndarray], Any], tuple[list[Any], Any]]


class TensorRule(NamedTuple):
    """An optimizer bound to its hyperparameters for parameter tensors with their shapes:
    ``init(layout)`` (a :class:`ParameterTensor` per tensor) and ``step`` (the network
    page's per-tensor path; the state it is given knows the layout)."""

    init: Callable[[Sequence[ParameterTensor]], Any]
    step: TensorStep


class TensorEntry(NamedTuple):
    """One parameter's place in its tensor, for explaining a per-tensor step."""

    param: np.ndarray  # the whole tensor before the step
    grad: np.ndarray  # its gradient as the step was given it
    before: Mapping[str, np.ndarray]  # its buffers before the step (empty: not created yet)
    at: tuple[int, ...]  # where the parameter sits in it
    tensor: ParameterTensor  # the tensor's shape and role


@dataclass(frozen=True)
class TensorBinder:
    """``binder(hp)`` gives the bound :class:`TensorRule`, whose states are ``state``;
    ``explain`` names one parameter's quantities of a step (the network page's Update rule
    panel), given the parameter's own numbers and its place in its tensor."""

    make: Callable[[Mapping[str, Any]], TensorRule]
    state: type[TensorState]
    explain: Callable[[StepNumbers, TensorEntry], Said] | None = field(default=None, repr=False)

    def __call__(self, hp: Mapping[str, Any]) -> TensorRule:
        return self.make(hp)


# --- the optimizer record --------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    hyperparameters: Mapping[str, Any]


# Every symbol of a formula with what it means in plain words, as (symbol, meaning) pairs:
# each letter with its sub- and superscripts (``β₁ᵗ``), each named term (``lr``, ``sign``)
# and each operator a beginner may not know (``←``, ``∇``, ``Π``).
Symbols = tuple[tuple[str, str], ...]

# ``limit(hp, sharpness) -> (lr, rule)``: the largest learning rate at which the optimizer
# with hyperparameters ``hp`` still settles into a minimum whose Hessian's largest
# eigenvalue is ``sharpness`` (the linear analysis), and the name of the rule that gave it;
# None where the theory gives none for these hyperparameters.
StabilityLimit = Callable[[Mapping[str, Any], float], tuple[float, str] | None]


@dataclass(frozen=True)
class Optimizer:
    id: str
    name: str
    hyperparameters: tuple[Hyperparameter, ...]
    bind: Binder = field(repr=False)  # bind(hp) -> Rule; bind.state: its OptimizerState class
    formula: str
    symbols: Symbols  # every symbol in the formula, named (tests/engine/test_symbols.py)
    # The Update rule panel's hook: one real step's numbers -> the quantities its formula
    # names and the formula's lines with them put in (.explaining, run/explain.py).
    explain: Explain = field(repr=False)
    presets: tuple[Preset, ...] = ()
    cross_check: Callable[[Mapping[str, Any]], None] | None = field(default=None, repr=False)
    # How weight_decay acts: "l2" adds λ·x to the gradient (the optimizer then descends
    # f + (λ/2)·‖x‖²), "decoupled" shrinks x outside the gradient (AdamW); None: no decay.
    weight_decay: Literal["l2", "decoupled"] | None = None
    # A bool hyperparameter that, when true, makes an "l2" decay act "decoupled" (NAdam's
    # and RAdam's decoupled_weight_decay).
    decoupled_by: str | None = None
    # Where the picker lists it: plain gradient steps ("classic"), per-coordinate step sizes
    # from gradient statistics ("adaptive"), curvature ("second-order"), noise ("stochastic").
    group: Literal["classic", "adaptive", "second-order", "stochastic"] = "adaptive"
    # The hyperparameters the rule also takes as arrays of the batch shape, one value per
    # ball ("betas.1" for an entry of a tuple): the rule only does arithmetic with them,
    # never branches on them.  A trainability map runs a whole grid of such values as one
    # crowd, and the others one value at a time (tests/engine/test_maps.py holds the two
    # equal).
    batched: frozenset[str] = frozenset()
    # What lr sets: a multiple of the gradient ("gradient": SGD, SGLD), the length of each
    # step whatever the gradient's size ("step": Adam, RMSprop, Lion ...), or neither
    # ("own": the rule sets its step itself, e.g. Rprop, Adadelta, Newton, L-BFGS).
    lr_scales: Literal["gradient", "step", "own"] = "own"
    # RAdam: its first steps (until its variance is trusted) are plain gradient steps lr·m̂,
    # so a step-sized lr must also suit gradient descent there (app/engine/suggest.py).
    gradient_warm_up: bool = False
    # Where theory gives the largest stable lr at a minimum (SGD's linear analysis): the
    # learning-rate sweep draws it, and the suggested rates keep below it.
    stability_limit: StabilityLimit | None = field(default=None, repr=False)
    # Whether a step may evaluate the function more than once (L-BFGS's line search and
    # inner iterations); the others evaluate it exactly once per step.
    evaluations_vary: bool = False
    # The averaged point the optimizer returns, from its state, the ball's position and the
    # hyperparameters (Schedule-Free's x, ASGD's ax): the runner records it per step in the
    # trace's ``averages``; None: the rule keeps no average.
    average: Callable[[Any, Vector, Mapping[str, Any]], Vector | None] | None = field(
        default=None, repr=False
    )
    # The step size the rule estimates for itself, from its state (Prodigy's d): the runner
    # records it per step in the trace's ``step_sizes``; None: the rule estimates none.
    step_size: Callable[[Any], Any] | None = field(default=None, repr=False)
    # How it steps a network's parameters where torch's rule depends on each tensor's shape
    # (Adafactor's factored matrices): one parameter tensor at a time, in torch's layout.
    # None: the network steps it as everywhere else (per coordinate, or θ as one ball).
    tensors: TensorBinder | None = field(default=None, repr=False)

    @property
    def state(self) -> type[Any]:
        """Its OptimizerState class: what its rules keep, and what reads a resume state."""
        return self.bind.state

    @property
    def keys(self) -> tuple[str, ...]:
        """torch's state keys."""
        return tuple(self.state.keys)

    def validate(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """torch's defaults for what is left out; every value checked, naming the field."""
        values = checked_values(self.hyperparameters, given, self.name, "hyperparameter")
        if self.cross_check is not None:
            self.cross_check(values)
        return values


# --- for examples and tests ------------------------------------------------------------------


class Given:
    """A :class:`Problem` for one ball on plain functions of a point (tuples of floats): the
    gradient ``grad(x)``, and for whole-point rules the loss ``f`` and Hessian ``hess``.
    Its random draws are all zero."""

    xp = SCALAR
    batch_shape: BatchShape = ()

    def __init__(
        self,
        x: Vector,
        grad: Callable[[Vector], Vector],
        f: Callable[[Vector], float] | None = None,
        hess: Callable[[Vector], Any] | None = None,
    ) -> None:
        self.grad, self.f, self.hess = grad, f, hess
        self.gradient = tuple(grad(x))

    def normal(self, stream: int) -> Vector:
        return (0.0,) * len(self.gradient)

    def ball(self, index: BatchShape) -> Closure:
        return self

    def evaluate(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        point = tuple(float(v) for v in x)  # (NaN loss without f: Prodigy needs only g)
        loss = math.nan if self.f is None else self.f(point)
        return loss, np.array(self.grad(point), dtype=np.float64)

    def hessian(self, x: np.ndarray) -> np.ndarray:
        assert self.hess is not None, "Newton needs the Hessian"
        return np.array(self.hess(tuple(float(v) for v in x)), dtype=np.float64)


def descend(
    optimizer: Optimizer,
    given: Mapping[str, Any],
    start: Vector,
    steps: int,
    grad: Callable[[Vector], Vector],
    f: Callable[[Vector], float] | None = None,
    hess: Callable[[Vector], Any] | None = None,
) -> Vector:
    """Where ``steps`` steps of ``optimizer`` (hyperparameters ``given``) take one ball from
    ``start`` on the function with gradient ``grad``: the interface in a few lines."""
    rule = optimizer.bind(optimizer.validate(given))
    x, state = tuple(start), rule.init(len(start))
    for t in range(1, steps + 1):
        x, state, _ = rule.step(Given(x, grad, f, hess), t, x, state)
    return x
