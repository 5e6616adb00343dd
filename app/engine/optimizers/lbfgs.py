"""L-BFGS, a line-by-line port of torch.optim.LBFGS (torch 2.13) for one ball.

L-BFGS is a quasi-Newton method: it steps along d = −H·g, where H approximates the
inverse Hessian from the last m steps sₖ = xₖ₊₁ − xₖ and gradient changes
yₖ = gₖ₊₁ − gₖ (m = ``history_size``).  It never forms H: the two-loop recursion applies
it to g in O(m·dim) operations::

    q ← −g
    for k = newest … oldest:   αₖ = ρₖ·sₖ·q;   q ← q − αₖ·yₖ          (ρₖ = 1/(yₖ·sₖ))
    r ← γ·q                                                           (γ = y·s / y·y, newest pair)
    for k = oldest … newest:   βₖ = ρₖ·yₖ·r;   r ← r + (αₖ − βₖ)·sₖ
    d = r

A pair (s, y) is only remembered when y·s > 1e-10 (the curvature condition: the function
curved upward along s, so H stays positive definite and d points downhill).

One call of the rule is one ``optimizer.step(closure)``: up to ``max_iter`` inner
iterations, each one direction and one step x ← x + t·d, and at most
``max_eval = max_iter·5//4`` closure calls (torch's default; not exposed).  The step
length t is ``lr`` (the very first iteration of a run: ``min(1, 1/‖g‖₁)·lr``, since there
is no curvature information yet), or, with ``line_search_fn="strong_wolfe"``, what a line
search finds that satisfies the strong Wolfe conditions (c₁ = 1e-4, c₂ = 0.9)::

    f(x + t·d) ≤ f(x) + c₁·t·g·d        (enough decrease)
    |∇f(x + t·d)·d| ≤ c₂·|g·d|          (the slope along d has flattened)

Where torch parts from the textbook, this module follows torch:

* the memory and the iteration count live across calls: only the run's very first
  iteration (``n_iter`` 1 in the state) is a plain gradient step with t = min(1, 1/‖g‖₁)·lr;
* every call starts by evaluating the closure, even where the last call's line search
  already did (one extra evaluation per call), and returns right there, without moving,
  if every |gᵢ| ≤ ``tolerance_grad``;
* without a line search the last inner iteration of a call does not evaluate the function
  at the point it moves to (the next call does);
* the line search ignores ``tolerance_change`` (it always uses its default, 1e-9), and
  after its first guess may try ``max_eval − evaluations so far`` more steps, so a call
  can use max_eval + 1 evaluations.  With ``max_iter = 1`` (max_eval 1) it may try
  nothing but its first guess, and keeps it only if the loss went down: otherwise t = 0,
  the ball stays where it is and, having learnt nothing, stays there on every later step;
* an iteration that finds no descent (g·d > −tolerance_change) ends the call *after*
  storing its direction and a fresh t = lr, though no step was taken with them;
* the curvature test y·s > 1e-10 is absolute, not scaled to the sizes of y and s.

``maximize`` is not in torch's LBFGS; here it does what a torch user would: the closure
returns −f and −∇f.

The arithmetic is torch's operation by operation, on Python floats: torch's ``dot`` on
two elements is a₀b₀ + a₁b₁, ``a.add(b, alpha=c)`` is taken as a + c·b (torch's portable
kernel; its AVX kernels fuse it into one rounding), and ``number / tensor`` is
``tensor.reciprocal() * number`` (see :class:`_Tensor`).  Given the same losses and
gradients, the engine reproduces torch's portable kernels bit for bit, except where
torch's float64 ``sqrt`` (one per cubic interpolation) is not correctly rounded, about one
time in 150.  Divisions by zero give ±inf or nan as on tensors, never ZeroDivisionError;
non-finite losses or gradients just flow through into the returned position, for the
caller to report as divergence.

Example — on f(x) = x² from x = 3 the first iteration is a gradient step of length
t = 1/|g| (to x = 2), the second the secant step, exact on a parabola.  With max_iter 3,
max_eval is 3, so the step ends after these two iterations and three evaluations::

    >>> from app.engine.optimizers.interface import Given
    >>> rule = LBFGS.bind(LBFGS.validate({"max_iter": 3}))
    >>> bowl = Given((3.0,), f=lambda x: x[0] ** 2, grad=lambda x: (2 * x[0],))
    >>> x, state, evaluations = rule.step(bowl, 1, (3.0,), rule.init(1))
    >>> x, evaluations, state.memory.n_iter, state.memory.H_diag
    ((0.0,), 3, 2, 0.5)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple, TypeGuard

import numpy as np

from ..errors import StateError
from ..hyperparameters import Hyperparameter
from .explaining import Said, StepNumbers, num, vec
from .interface import BallState, BallStep, Closure, Optimizer, per_ball
from .shared import BECOMES, MAXIMIZE, POSITION, learning_rate

Vec = tuple[float, ...]
MAX_HISTORY = 100  # the largest history_size (and so the longest resumable history)

# --- vector arithmetic on tuples of floats, in torch's operation order -----------------------


def _div(a: float, b: float) -> float:
    """a / b with IEEE semantics (torch's): ±inf or nan instead of ZeroDivisionError."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0.0:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _dot(a: Vec, b: Vec) -> float:
    # torch.dot on CPU: the products summed left to right (a₀b₀ + a₁b₁).
    s = a[0] * b[0]
    for i in range(1, len(a)):
        s += a[i] * b[i]
    return s


def _abs_max(a: Vec) -> float:
    # torch's max propagates nan.
    m = abs(a[0])
    for v in a[1:]:
        v = abs(v)
        if v > m or v != v:
            m = v
    return m


def _abs_sum(a: Vec) -> float:
    s = abs(a[0])
    for v in a[1:]:
        s += abs(v)
    return s


def _add(a: Vec, alpha: float, b: Vec) -> Vec:
    """torch's ``a.add(b, alpha=alpha)`` on its portable kernel: a + alpha·b."""
    return tuple(u + alpha * v for u, v in zip(a, b, strict=True))


def _mul(a: Vec, c: float) -> Vec:
    return tuple(u * c for u in a)


def _sub(a: Vec, b: Vec) -> Vec:
    return tuple(u - v for u, v in zip(a, b, strict=True))


def _neg(a: Vec) -> Vec:
    return tuple(-u for u in a)


def _two_loop_any_dim(
    g: Vec, old_dirs: list[Vec], old_stps: list[Vec], ro: list[float], H_diag: float
) -> Vec:
    """d = −H·g by the two-loop recursion, line by line as torch has it (its ``al`` holds
    the α's; one buffer serves both loops, q and then r)."""
    al = [0.0] * len(old_dirs)
    q = _neg(g)
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = _dot(old_stps[i], q) * ro[i]
        q = _add(q, -al[i], old_dirs[i])
    # multiply by initial Hessian; r/d is the final direction
    r = _mul(q, H_diag)
    for i in range(len(old_dirs)):
        be_i = _dot(old_dirs[i], r) * ro[i]
        r = _add(r, al[i] - be_i, old_stps[i])
    return r


def _two_loop(
    g: Vec, old_dirs: list[Vec], old_stps: list[Vec], ro: list[float], H_diag: float
) -> Vec:
    """:func:`_two_loop_any_dim`, with the same operations unrolled for one and two
    dimensions (the hot loop: up to history_size pairs, every inner iteration)."""
    if len(g) == 1:
        return _two_loop_1d(g[0], old_dirs, old_stps, ro, H_diag)
    if len(g) != 2:
        return _two_loop_any_dim(g, old_dirs, old_stps, ro, H_diag)
    al = [0.0] * len(old_dirs)
    q0, q1 = -g[0], -g[1]
    for i in range(len(old_dirs) - 1, -1, -1):
        (s0, s1), (y0, y1) = old_stps[i], old_dirs[i]
        a = al[i] = (s0 * q0 + s1 * q1) * ro[i]
        q0, q1 = q0 + -a * y0, q1 + -a * y1
    r0, r1 = q0 * H_diag, q1 * H_diag
    for i in range(len(old_dirs)):
        (s0, s1), (y0, y1) = old_stps[i], old_dirs[i]
        c = al[i] - (y0 * r0 + y1 * r1) * ro[i]
        r0, r1 = r0 + c * s0, r1 + c * s1
    return (r0, r1)


def _two_loop_1d(
    g: float, old_dirs: list[Vec], old_stps: list[Vec], ro: list[float], H_diag: float
) -> Vec:
    """:func:`_two_loop_any_dim` for one dimension, on floats."""
    al = [0.0] * len(old_dirs)
    q = -g
    for i in range(len(old_dirs) - 1, -1, -1):
        a = al[i] = (old_stps[i][0] * q) * ro[i]
        q = q + -a * old_dirs[i][0]
    r = q * H_diag
    for i in range(len(old_dirs)):
        c = al[i] - (old_dirs[i][0] * r) * ro[i]
        r = r + c * old_stps[i][0]
    return (r,)


# --- the line search (torch's _cubic_interpolate and _strong_wolfe) --------------------------


class _Tensor(float):
    """A step length that torch holds as a 0-dim tensor rather than a Python float.

    It matters in one place: torch computes ``number / tensor`` as
    ``tensor.reciprocal() * number`` (two roundings), so the cubic interpolation's
    ``3·(f1 − f2) / (x1 − x2)`` rounds differently when x1 or x2 is a tensor.  Python's
    min and max return one of their arguments, so they keep the mark; arithmetic does not,
    and the few places where torch's result is a tensor mark it again.
    """

    __slots__ = ()


def _tensor_if(mark: bool, value: float) -> float:
    return _Tensor(value) if mark else value


def _cubic_interpolate(
    x1: float,
    f1: float,
    g1: float,
    x2: float,
    f2: float,
    g2: float,
    bounds: tuple[float, float] | None = None,
) -> float:
    """The minimizer of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clamped to ``bounds`` (default: between x1 and x2); their midpoint when the cubic has
    no minimum (minFunc's polyinterp, as torch has it)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    if isinstance(x1, _Tensor) or isinstance(x2, _Tensor):
        # float / tensor: torch's Tensor.__rtruediv__ is reciprocal() * float
        d1 = g1 + g2 - _div(1.0, x1 - x2) * (3 * (f1 - f2))
    else:
        d1 = g1 + g2 - _div(3 * (f1 - f2), x1 - x2)
    d2_square = d1 * d1 - g1 * g2  # torch's d1**2 is d1·d1
    if d2_square >= 0:
        d2 = math.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * _div(g2 + d2 - d1, g2 - g1 + 2 * d2)
        else:
            min_pos = x1 - (x1 - x2) * _div(g1 + d2 - d1, g1 - g2 + 2 * d2)
        # (the slopes g1, g2 are tensors in torch, so min_pos is one)
        return min(max(_Tensor(min_pos), xmin_bound), xmax_bound)
    either = isinstance(xmin_bound, _Tensor) or isinstance(xmax_bound, _Tensor)
    return _tensor_if(either, (xmin_bound + xmax_bound) / 2.0)


Objective = Callable[[float], tuple[float, Vec]]  # t ↦ (f(x + t·d), ∇f(x + t·d))


def _strong_wolfe(
    obj_func: Objective,
    t: float,
    d: Vec,
    f: float,
    g: Vec,
    gtd: float,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Vec, float, int]:
    """torch's strong-Wolfe line search along d from x (f, g there, gtd = g·d < 0), first
    trying t: returns (f, g, t, evaluations) at the step it settles on.

    Bracketing: t grows (cubic interpolation, between 1.01·t and 10·t) until the loss stops
    decreasing enough or the slope turns; zoom: the bracket shrinks around a point that
    satisfies both conditions.  After ``max_ls`` trial steps it stops where it is.
    """
    d_norm = _abs_max(d)
    # evaluate objective and gradient using initial step
    f_new, g_new = obj_func(t)
    ls_func_evals = 1
    gtd_new = _dot(g_new, d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[Vec] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        # check conditions
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # interpolate
        is_tensor = isinstance(t, _Tensor)
        min_step = _tensor_if(is_tensor or isinstance(t_prev, _Tensor), t + 0.01 * (t - t_prev))
        max_step = _tensor_if(is_tensor, t * 10)
        tmp = t
        t = _cubic_interpolate(
            t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(min_step, max_step)
        )
        # next step
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

    # reached max number of iterations?
    if ls_iter == max_ls:
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # zoom phase: we now have a point satisfying the criteria, or a bracket around it.
    insuf_progress = False
    # find high and low points in bracket (torch would fail on a one-point bracket whose
    # loss is nan; here that point is simply the low one)
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] or len(bracket) == 1 else (1, 0)
    while not done and ls_iter < max_ls:
        # line-search bracket is so small
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        # compute new trial value
        t = _cubic_interpolate(
            bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1]
        )
        # Too close to an end of the bracket (within 10% of its length): accepted once,
        # but the second time in a row, or at/beyond an end, moved to 10% from that end.
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            # interpolation close to boundary
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                # evaluate at 0.1 away from boundary
                is_tensor = any(isinstance(b, _Tensor) for b in bracket)
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = _tensor_if(is_tensor, max(bracket) - eps)
                else:
                    t = _tensor_if(is_tensor, min(bracket) + eps)
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        # Evaluate new point
        f_new, g_new = obj_func(t)
        ls_func_evals += 1
        gtd_new = _dot(g_new, d)
        ls_iter += 1

        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not satisfied or not lower than lowest point
            bracket[high_pos] = t
            bracket_f[high_pos] = f_new
            bracket_g[high_pos] = g_new
            bracket_gtd[high_pos] = gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                # Wolfe conditions satisfied
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # old high becomes new low
                bracket[high_pos] = bracket[low_pos]
                bracket_f[high_pos] = bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # new point becomes new low
            bracket[low_pos] = t
            bracket_f[low_pos] = f_new
            bracket_g[low_pos] = g_new
            bracket_gtd[low_pos] = gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


# --- the state -----------------------------------------------------------------------------


class LBFGSMemory(NamedTuple):
    """torch's ``optimizer.state`` for one ball, by its keys (immutable: a step returns a
    new one).  Before the run's first inner iteration only the two counts exist."""

    # closure calls over the whole run, the early returns' included
    func_evals: int
    # inner iterations over the whole run; the first ever (n_iter 1) is a gradient step
    n_iter: int
    # the last search direction
    d: Vec | None = None
    # the last step length along d (what the line search found, or lr)
    t: float | None = None
    # the remembered gradient changes yₖ, oldest first (at most history_size)
    old_dirs: tuple[Vec, ...] | None = None
    # the matching steps sₖ = t·d
    old_stps: tuple[Vec, ...] | None = None
    # ρₖ = 1/(yₖ·sₖ), one per remembered pair
    ro: tuple[float, ...] | None = None
    # γ = y·s / y·y of the newest pair: the starting inverse Hessian is γ·I (1 at first)
    H_diag: float | None = None
    # the gradient where the last iteration started (its y is taken against this)
    prev_flat_grad: Vec | None = None
    # the loss where the last iteration started
    prev_loss: float | None = None


_FRESH = LBFGSMemory(func_evals=0, n_iter=0)

# torch's state keys, in torch's order: the memory's fields are named after them.
BUFFERS: tuple[str, ...] = LBFGSMemory._fields


# --- the rule ------------------------------------------------------------------------------


def lbfgs_rule(hp: Mapping[str, Any]) -> BallStep:
    """``step(problem, step_number, x, memory) -> (new_x, new_memory, evaluations)``: one
    torch ``optimizer.step(closure)`` for one ball, with ``problem.evaluate`` as the
    closure.  ``step_number`` is not used: torch's counts are in the memory."""
    lr = hp["lr"]
    max_iter = hp["max_iter"]
    max_eval = max_iter * 5 // 4  # torch's default for max_eval
    tolerance_grad = hp["tolerance_grad"]
    tolerance_change = hp["tolerance_change"]
    history_size = hp["history_size"]
    line_search = hp["line_search_fn"] == "strong_wolfe"
    maximize = hp["maximize"]

    def step(
        problem: Closure, step_number: int, x_in: np.ndarray, memory: LBFGSMemory | None
    ) -> tuple[np.ndarray, LBFGSMemory, int]:
        state = _FRESH if memory is None else memory
        if state.old_dirs is not None and len(state.old_dirs) > history_size:
            # history_size was lowered mid-run (a slider): keep the newest pairs.  (torch
            # would fail with an IndexError in the two-loop recursion.)
            keep = slice(len(state.old_dirs) - history_size, None)
            assert state.old_stps is not None and state.ro is not None
            state = state._replace(
                old_dirs=state.old_dirs[keep], old_stps=state.old_stps[keep], ro=state.ro[keep]
            )
        x: Vec = tuple(float(v) for v in x_in)

        def closure(point: Vec) -> tuple[float, Vec]:
            loss, grad = problem.evaluate(np.array(point, dtype=np.float64))
            if maximize:  # what a torch user writes: loss = −f, so backward() gives −∇f
                return -float(loss), tuple(-float(v) for v in grad)
            return float(loss), tuple(float(v) for v in grad)

        func_evals, state_n_iter = state.func_evals, state.n_iter

        # evaluate initial f(x) and df/dx
        loss, flat_grad = closure(x)
        current_evals = 1
        func_evals += 1
        opt_cond = _abs_max(flat_grad) <= tolerance_grad

        # optimal condition
        if opt_cond:
            return np.array(x), state._replace(func_evals=func_evals), current_evals

        d, t, H_diag = state.d, state.t, state.H_diag
        old_dirs = [] if state.old_dirs is None else list(state.old_dirs)
        old_stps = [] if state.old_stps is None else list(state.old_stps)
        ro = [] if state.ro is None else list(state.ro)
        prev_flat_grad, prev_loss = state.prev_flat_grad, state.prev_loss

        n_iter = 0
        # optimize for a max of max_iter iterations
        while n_iter < max_iter:
            n_iter += 1
            state_n_iter += 1

            # compute gradient descent direction
            if state_n_iter == 1:
                d = _neg(flat_grad)
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                assert d is not None and t is not None and prev_flat_grad is not None
                assert H_diag is not None
                # do lbfgs update (update memory)
                y = _sub(flat_grad, prev_flat_grad)
                s = _mul(d, t)
                ys = _dot(y, s)
                if ys > 1e-10:
                    # updating memory
                    if len(old_dirs) == history_size:
                        # shift history by one (limited-memory)
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    # store new direction/step
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(_div(1.0, ys))
                    # update scale of initial Hessian approximation
                    H_diag = _div(ys, _dot(y, y))

                # compute the approximate (L-BFGS) inverse Hessian multiplied by the gradient
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag)

            prev_flat_grad = flat_grad
            prev_loss = loss

            # compute step length: reset initial guess for step size
            if state_n_iter == 1:
                # (torch: a tensor unless min() picks the 1.0)
                shrink = min(1.0, _Tensor(_div(1.0, _abs_sum(flat_grad))))
                t = _tensor_if(isinstance(shrink, _Tensor), shrink * lr)
            else:
                t = lr

            # directional derivative
            gtd = _dot(flat_grad, d)

            # directional derivative is below tolerance
            if gtd > -tolerance_change:
                break

            # optional line search
            ls_func_evals = 0
            if line_search:
                x_init = x

                def obj_func(t: float, x_init: Vec = x_init, d: Vec = d) -> tuple[float, Vec]:
                    return closure(_add(x_init, t, d))

                loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                    obj_func, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                x = _add(x, t, d)
                opt_cond = _abs_max(flat_grad) <= tolerance_grad
            else:
                # no line search, simply move with fixed-step
                x = _add(x, t, d)
                if n_iter != max_iter:
                    # re-evaluate function only if not in last iteration
                    loss, flat_grad = closure(x)
                    opt_cond = _abs_max(flat_grad) <= tolerance_grad
                    ls_func_evals = 1

            # update func eval
            current_evals += ls_func_evals
            func_evals += ls_func_evals

            # check conditions
            if n_iter == max_iter:
                break
            if current_evals >= max_eval:
                break
            # optimal condition
            if opt_cond:
                break
            # lack of progress
            if _abs_max(_mul(d, t)) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        assert t is not None  # max_iter >= 1: the loop ran and set t
        new_state = LBFGSMemory(
            func_evals=func_evals,
            n_iter=state_n_iter,
            d=d,
            t=float(t),  # (a plain float, whatever torch held it as)
            old_dirs=tuple(old_dirs),
            old_stps=tuple(old_stps),
            ro=tuple(ro),
            H_diag=H_diag,
            prev_flat_grad=prev_flat_grad,
            prev_loss=prev_loss,
        )
        return np.array(x), new_state, current_evals

    return step


# --- the state as JSON ---------------------------------------------------------------------


def memory_to_json(memory: LBFGSMemory | None) -> dict[str, Any]:
    """torch's state keys with plain JSON values; None for what torch has not created."""
    if memory is None:
        return dict.fromkeys(BUFFERS)

    def vectors(vs: tuple[Vec, ...] | None) -> list[list[float]] | None:
        return None if vs is None else [list(v) for v in vs]

    return {
        "func_evals": memory.func_evals,
        "n_iter": memory.n_iter,
        "d": None if memory.d is None else list(memory.d),
        "t": memory.t,
        "old_dirs": vectors(memory.old_dirs),
        "old_stps": vectors(memory.old_stps),
        "ro": None if memory.ro is None else list(memory.ro),
        "H_diag": memory.H_diag,
        "prev_flat_grad": None if memory.prev_flat_grad is None else list(memory.prev_flat_grad),
        "prev_loss": memory.prev_loss,
    }


def _is_number(v: Any) -> TypeGuard[int | float]:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _count(raw: Mapping[str, Any], name: str) -> int:
    v = raw.get(name)
    if not _is_number(v) or not math.isfinite(v) or v != int(v) or v < 0:
        raise StateError(name, f"must be a whole number >= 0, not {v!r}")
    return int(v)


def _scalar(raw: Mapping[str, Any], name: str, positive: bool = False) -> float:
    v = raw.get(name)
    if not _is_number(v) or not math.isfinite(v):
        raise StateError(name, f"must be a finite number, not {v!r}")
    if positive and not v > 0:
        raise StateError(name, f"must be positive, not {v!r}")
    return float(v)


def _vector(v: Any, dim: int) -> Vec | None:
    if not isinstance(v, list | tuple) or len(v) != dim:
        return None
    if not all(_is_number(c) and math.isfinite(c) for c in v):
        return None
    return tuple(float(c) for c in v)


def _one_vector(raw: Mapping[str, Any], name: str, dim: int) -> Vec:
    v = _vector(raw.get(name), dim)
    if v is None:
        raise StateError(name, f"must be a vector of {dim} finite number(s)")
    return v


def _history(raw: Mapping[str, Any], name: str, dim: int) -> tuple[Vec, ...]:
    v = raw.get(name)
    what = f"must be a list of at most {MAX_HISTORY} vectors of {dim} finite number(s)"
    if not isinstance(v, list | tuple) or len(v) > MAX_HISTORY:
        raise StateError(name, what)
    vectors: list[Vec] = []
    for u in v:
        vector = _vector(u, dim)
        if vector is None:
            raise StateError(name, what)
        vectors.append(vector)
    return tuple(vectors)


def memory_from_json(raw: Mapping[str, Any], dim: int) -> LBFGSMemory | None:
    """The memory :func:`memory_to_json` gave, checked: StateError names the bad key."""
    if not isinstance(raw, Mapping):
        raise StateError("buffers", "must be an object")
    for name in raw:
        if name not in BUFFERS:
            raise StateError(str(name), f"L-BFGS has no state key of that name; it has {BUFFERS}")
    created = [name for name in BUFFERS if raw.get(name) is not None]
    if not created:
        return None  # torch's state before the first step
    func_evals = _count(raw, "func_evals")
    n_iter = _count(raw, "n_iter")
    if n_iter > func_evals:
        # every inner iteration but a call's last evaluates the function at least once, and
        # every call evaluates it first
        raise StateError("n_iter", f"cannot exceed func_evals ({n_iter} > {func_evals})")
    rest = BUFFERS[2:]
    if n_iter == 0:
        for name in rest:
            if raw.get(name) is not None:
                raise StateError(name, "must be null before the first iteration (n_iter 0)")
        return LBFGSMemory(func_evals=func_evals, n_iter=0)
    for name in rest:
        if raw.get(name) is None:
            raise StateError(name, "is missing (torch sets it in the first iteration)")
    old_dirs = _history(raw, "old_dirs", dim)
    old_stps = _history(raw, "old_stps", dim)
    if len(old_stps) != len(old_dirs):
        raise StateError(
            "old_stps", f"must hold as many steps as old_dirs ({len(old_stps)} != {len(old_dirs)})"
        )
    ro_raw = raw["ro"]
    if (
        not isinstance(ro_raw, list | tuple)
        or len(ro_raw) != len(old_dirs)
        or not all(_is_number(v) and math.isfinite(v) and v > 0 for v in ro_raw)
    ):
        raise StateError(
            "ro", f"must be a list of {len(old_dirs)} positive finite numbers, one per old_dirs"
        )
    return LBFGSMemory(
        func_evals=func_evals,
        n_iter=n_iter,
        d=_one_vector(raw, "d", dim),
        t=_scalar(raw, "t"),
        old_dirs=old_dirs,
        old_stps=old_stps,
        ro=tuple(float(v) for v in ro_raw),
        H_diag=_scalar(raw, "H_diag", positive=True),
        prev_flat_grad=_one_vector(raw, "prev_flat_grad", dim),
        prev_loss=_scalar(raw, "prev_loss"),
    )


class LBFGSState(BallState):
    """torch's L-BFGS state per ball: an :class:`LBFGSMemory` (None before the first step)."""

    __slots__ = ()
    keys = BUFFERS
    one_to_json = staticmethod(memory_to_json)
    one_from_json = staticmethod(memory_from_json)


# --- the optimizer -------------------------------------------------------------------------


def _explain(n: StepNumbers) -> Said:
    """One L-BFGS step for the Update rule panel: its iterations, direction and history."""
    said = Said(n)
    before, after = n.memory_before, n.memory_after
    iterations = (0 if after is None else after.n_iter) - (0 if before is None else before.n_iter)
    said.line(f"this step: {iterations} inner iteration(s), {n.evaluations} function evaluation(s)")
    if after is not None and after.d is not None:
        d, t = np.array(after.d), after.t
        said.line(f"last direction d = {vec(d, True)}, step length t = {num(t)}")
        said.q("d", "direction", d, "the last L-BFGS direction, −H·g with H learnt from history")
        said.q("t", "step length", t, "how far along d the last iteration went")
        if after.H_diag is not None:
            said.q(
                "γ", "initial scale", after.H_diag, "y·s / y·y of the newest pair (torch's H_diag)"
            )
        pairs = 0 if after.old_dirs is None else len(after.old_dirs)
        said.q("m", "pairs remembered", pairs, "how many (s, y) pairs the history holds")
    said.line(f"x: {vec(n.x0, True)} → {vec(n.x1, True)}")
    return said


LBFGS = Optimizer(
    id="lbfgs",
    name="L-BFGS",
    group="second-order",
    weight_decay=None,
    hyperparameters=(
        dataclasses.replace(
            learning_rate(1.0),
            help="Scales each step along the L-BFGS direction: 1 takes the full quasi-Newton "
            "step. With the strong-Wolfe line search it is only the search's first guess.",
        ),
        Hyperparameter(
            "max_iter",
            "Iterations per step",
            20,
            "linear",
            "Each outer step runs up to max_iter inner iterations (a new direction and a move "
            "each) and may evaluate the function several times. Set 1 to watch every "
            "iteration.",
            1,
            100,
            "Invalid max_iter value",
            integer=True,
        ),
        Hyperparameter(
            "tolerance_grad",
            "Gradient tolerance",
            1e-7,
            "log",
            "A step ends early, without moving, once every gradient component is at most "
            "this small: the ball counts as having arrived.",
            0.0,
            1.0,
            "Invalid tolerance_grad value",
        ),
        Hyperparameter(
            "tolerance_change",
            "Change tolerance",
            1e-9,
            "log",
            "A step stops iterating when the loss, or the position, changes by less than "
            "this, or the direction no longer leads downhill by more than this.",
            0.0,
            1.0,
            "Invalid tolerance_change value",
        ),
        Hyperparameter(
            "history_size",
            "History size",
            100,
            "linear",
            "How many recent steps (and their gradient changes) L-BFGS remembers to estimate "
            "the curvature. Small: cheaper and forgetful; large: a better curvature model.",
            1,
            MAX_HISTORY,
            "Invalid history_size value",
            integer=True,
        ),
        Hyperparameter(
            "line_search_fn",
            "Line search",
            "none",
            "choice",
            "none: step exactly lr along the direction. strong_wolfe: try several step "
            "lengths until the loss has dropped enough and the slope has flattened (more "
            "function evaluations, far more robust).",
            choices=("none", "strong_wolfe"),
        ),
        dataclasses.replace(
            MAXIMIZE,
            help="Climb instead of descend. torch's LBFGS has no such switch; this does what a "
            "torch user would: the closure returns −f and −∇f.",
        ),
    ),
    bind=per_ball(lbfgs_rule, LBFGSState),
    explain=_explain,
    evaluations_vary=True,
    formula="d ≈ −H⁻¹·g from the last m steps (two-loop recursion);  x ← x + t·d,  "
    "t = lr or from the strong-Wolfe line search",
    symbols=(
        POSITION,
        ("g", "the gradient ∇f(x): the slope of the loss at x, pointing uphill"),
        (
            "d",
            "the direction of the move: Newton's direction −H⁻¹·g, estimated without ever "
            "forming H; one step makes up to `max_iter` such moves",
        ),
        (
            "H",
            "the Hessian: how the slope itself changes (the landscape's curvature), which "
            "L-BFGS estimates from how g changed over the last m moves",
        ),
        ("⁻¹", "the inverse matrix: H⁻¹·g divides the slope by the curvature"),
        ("≈", "is approximately: the estimate of the exact Newton direction"),
        ("m", "how many recent moves are remembered (the `history_size` setting)"),
        (
            "t",
            "the step length along d (torch's name for it, not a step number): lr, or what the "
            "line search finds (the `line_search_fn` setting); the run's very first move is "
            "shorter, with no curvature to go on yet",
        ),
        (
            "lr",
            "the learning rate: 1 takes the full step d (the `lr` setting); the line search "
            "only starts from it",
        ),
        BECOMES,
    ),
)
