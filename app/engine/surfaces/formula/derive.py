"""Exact derivatives of an expression tree, simplified as they are built.

The rules are the textbook ones: sum, product and quotient rules, the chain rule through
every function, ``p·u^(p-1)·u'`` for a constant exponent and ``u^v·(v'·log u + v·u'/u)``
for a variable one (``a^v·log a·v'`` when only the exponent varies).  Results are built
with the simplifying constructors of :mod:`.tree`, and each derivative memoizes its
subtrees, so a subtree shared by several terms is differentiated once.

    >>> from .parse import parse
    >>> derivative(parse("x^3 + sin(2*x)"), "x")
    Binary(op='+', left=Binary(op='*', left=Number(value=3.0, ...
"""

from __future__ import annotations

import math

from .limits import MAX_DERIVED_NODES, Budget, FormulaError
from .tree import (
    ONE,
    TWO,
    ZERO,
    Binary,
    Call,
    Expr,
    Number,
    Unary,
    Var,
    add,
    call,
    constant_value,
    div,
    has_var,
    is_number,
    mul,
    neg,
    number,
    power,
    size,
    sub,
)

_LN10 = math.log(10.0)


def derivative(e: Expr, var: str, budget: Budget | None = None) -> Expr:
    """∂e/∂var, simplified; FormulaError if it grows past MAX_DERIVED_NODES or the deadline."""
    budget = budget or Budget()
    result = _Deriver(var, budget).d(e)
    if size(result, MAX_DERIVED_NODES, budget) > MAX_DERIVED_NODES:
        raise FormulaError(
            f"the derivatives of this formula are too large (more than {MAX_DERIVED_NODES} parts)"
        )
    return result


class _Deriver:
    def __init__(self, var: str, budget: Budget) -> None:
        self.var = var
        self.budget = budget
        # id -> (node, derivative); the node is kept so its id is not reused meanwhile.
        self.memo: dict[int, tuple[Expr, Expr]] = {}

    def d(self, e: Expr) -> Expr:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        self.budget.check()
        result = self._d(e)
        self.memo[id(e)] = (e, result)
        return result

    def _d(self, e: Expr) -> Expr:
        if isinstance(e, Number):
            return ZERO
        if isinstance(e, Var):
            return ONE if e.name == self.var else ZERO
        if isinstance(e, Unary):
            return neg(self.d(e.operand))
        if isinstance(e, Call):
            inner = self.d(e.arg)
            if is_number(inner, 0.0):
                return ZERO
            return mul(_outer(e.func, e.arg), inner)
        a, b = e.left, e.right
        if e.op == "+":
            return add(self.d(a), self.d(b))
        if e.op == "-":
            return sub(self.d(a), self.d(b))
        if e.op == "*":
            return add(mul(self.d(a), b), mul(a, self.d(b)))
        if e.op == "/":
            da, db = self.d(a), self.d(b)
            return sub(div(da, b), div(mul(a, db), power(b, TWO)))
        return self._power(e, a, b)

    def _power(self, e: Binary, a: Expr, b: Expr) -> Expr:
        if not has_var(b):
            p = constant_value(b)
            if p is None:  # the parser checks exponents; this is a defect, not the user's
                raise FormulaError("an exponent could not be worked out")
            return mul(mul(number(p), power(a, number(p - 1.0))), self.d(a))
        db = self.d(b)
        if not has_var(a):  # a^v: a^v · log a · v'
            return mul(mul(e, call("log", a)), db)
        da = self.d(a)
        return mul(e, add(mul(db, call("log", a)), div(mul(b, da), a)))


def _outer(func: str, u: Expr) -> Expr:
    """The derivative of func at u (to be multiplied by u')."""
    if func == "sin":
        return call("cos", u)
    if func == "cos":
        return neg(call("sin", u))
    if func == "tan":
        return div(ONE, power(call("cos", u), TWO))
    if func == "exp":
        return call("exp", u)
    if func == "log":
        return div(ONE, u)
    if func == "log10":
        return div(ONE, mul(number(_LN10), u))
    if func == "sqrt":
        return div(ONE, mul(TWO, call("sqrt", u)))
    if func == "abs":
        return call("sign", u)
    if func == "sign":
        return ZERO
    if func == "tanh":
        return sub(ONE, power(call("tanh", u), TWO))
    if func == "sinh":
        return call("cosh", u)
    if func == "cosh":
        return call("sinh", u)
    if func == "arctan":
        return div(ONE, add(ONE, power(u, TWO)))
    if func == "arcsin":
        return div(ONE, call("sqrt", sub(ONE, power(u, TWO))))
    if func == "arccos":
        return neg(div(ONE, call("sqrt", sub(ONE, power(u, TWO)))))
    raise AssertionError(f"no derivative for {func}")  # pragma: no cover - FUNCTIONS covers
