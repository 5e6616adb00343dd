"""An expression tree turned into a function of the coordinates, for one backend.

Each node becomes a Python closure that calls its children's closures and one ``xp``
function (:mod:`app.engine.backend`), so a tree runs on floats (:data:`SCALAR`, which raises
where numpy would give inf or nan) or on numpy arrays (:data:`NUMPY`) alike.  No source
code is generated.  Integer exponents are written out as products (``u^2`` is ``u*u``, as
the built-in surfaces write it), other exponents go through ``xp.power``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from .limits import Budget
from .tree import Binary, Call, Expr, Number, Unary, Var, constant_value, has_var

Compiled = Callable[[tuple[Any, ...]], Any]

_BINARY: dict[str, Callable[[Any, Any], Any]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}


def compile_tree(
    e: Expr, variables: tuple[str, ...], xp: SimpleNamespace, budget: Budget
) -> Compiled:
    """``f(coords) -> value`` for the tree ``e``; coords is a tuple, one per variable."""
    memo: dict[int, tuple[Expr, Compiled]] = {}

    def build(node: Expr) -> Compiled:
        hit = memo.get(id(node))
        if hit is not None:
            return hit[1]
        budget.check()
        compiled = _build(node, build, variables, xp)
        memo[id(node)] = (node, compiled)
        return compiled

    return build(e)


def _build(
    node: Expr,
    build: Callable[[Expr], Compiled],
    variables: tuple[str, ...],
    xp: SimpleNamespace,
) -> Compiled:
    if isinstance(node, Number):
        value = node.value
        return lambda c: value
    if isinstance(node, Var):
        index = variables.index(node.name)
        return lambda c: c[index]
    if isinstance(node, Unary):
        inner = build(node.operand)
        return lambda c: -inner(c)
    if isinstance(node, Call):
        func, arg = getattr(xp, node.func), build(node.arg)
        return lambda c: func(arg(c))
    assert isinstance(node, Binary)
    left = build(node.left)
    if node.op == "^":
        p = None if has_var(node.right) else constant_value(node.right)
        if p is not None and p == int(p):
            return _integer_power(left, int(p))
        right, pow_ = build(node.right), xp.power
        return lambda c: pow_(left(c), right(c))
    right, op = build(node.right), _BINARY[node.op]
    return lambda c: op(left(c), right(c))


def _integer_power(base: Compiled, k: int) -> Compiled:
    if k == 0:
        return lambda c: 1.0
    if k < 0:
        positive = _integer_power(base, -k)
        return lambda c: 1.0 / positive(c)
    if k == 1:
        return base
    if k == 2:

        def square(c: tuple[Any, ...]) -> Any:
            u = base(c)
            return u * u

        return square

    def product(c: tuple[Any, ...]) -> Any:
        u = base(c)
        r = u
        for _ in range(k - 1):
            r = r * u
        return r

    return product
