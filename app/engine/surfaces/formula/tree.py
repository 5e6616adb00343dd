"""The expression tree of a typed formula, and constructors that simplify as they build.

Five immutable node types: :class:`Number` (with a ``name`` for π and e), :class:`Var`,
:class:`Unary` (negation), :class:`Binary` (``+ - * / ^``) and :class:`Call` (a function of
one argument).  Derivatives are built with :func:`add`, :func:`sub`, :func:`mul`,
:func:`div`, :func:`power`, :func:`neg` and :func:`call`, which fold constants and drop
``x*1``, ``x+0``, ``0*x`` and the like, so gradients and Hessians stay small.  Named
constants are not folded into plain numbers, so π stays π on the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeGuard

from .limits import MAX_EXPONENT, Budget, FormulaError


@dataclass(frozen=True)
class Number:
    value: float
    name: str | None = None  # "pi" or "e" for the named constants


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Unary:
    op: str  # "-"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/" or "^"
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Call:
    func: str  # a key of FUNCTIONS
    arg: Expr


Expr = Number | Var | Unary | Binary | Call

# The functions a formula may call, by the name the backends give them (app.engine.backend),
# each with how to fold it on a constant.  ``sign`` is abs's derivative.
FUNCTIONS: dict[str, Callable[[float], float]] = {
    "sin": math.sin,
    "cos": math.cos,
    "tan": math.tan,
    "exp": math.exp,
    "log": math.log,
    "log10": math.log10,
    "sqrt": math.sqrt,
    "abs": abs,
    "sign": lambda v: float((v > 0) - (v < 0)),
    "tanh": math.tanh,
    "sinh": math.sinh,
    "cosh": math.cosh,
    "arctan": math.atan,
    "arcsin": math.asin,
    "arccos": math.acos,
}
ALIASES = {"ln": "log", "atan": "arctan", "asin": "arcsin", "acos": "arccos"}
CONSTANTS = {"pi": math.pi, "e": math.e}

ZERO, ONE, TWO = Number(0.0), Number(1.0), Number(2.0)


def is_number(e: Expr, value: float | None = None) -> TypeGuard[Number]:
    """A plain (unnamed) number, optionally equal to ``value``."""
    return isinstance(e, Number) and e.name is None and (value is None or e.value == value)


def number(value: float) -> Number:
    if not math.isfinite(value):
        raise FormulaError("a number in the formula or its derivatives is too large")
    return Number(value + 0.0)  # -0.0 becomes 0.0


def constant_value(e: Expr) -> float | None:
    """The value of a tree without variables (None if it has one, or is not finite)."""
    try:
        return _constant(e)
    except (ArithmeticError, ValueError):
        return None


def _constant(e: Expr) -> float | None:
    if isinstance(e, Number):
        return e.value
    if isinstance(e, Var):
        return None
    if isinstance(e, Unary):
        v = _constant(e.operand)
        return None if v is None else -v
    if isinstance(e, Call):
        v = _constant(e.arg)
        return None if v is None else _finite(FUNCTIONS[e.func](v))
    a, b = _constant(e.left), _constant(e.right)
    if a is None or b is None:
        return None
    if e.op == "^":
        check_exponent(b, None)
        return _finite(math.pow(a, b))
    ops = {"+": a + b, "-": a - b, "*": a * b}
    return _finite(ops[e.op] if e.op in ops else a / b)


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise OverflowError(v)
    return v


def check_exponent(p: float, column: int | None) -> None:
    if abs(p) > MAX_EXPONENT:
        raise FormulaError(
            f"the exponent {p:g} is too large (at most {MAX_EXPONENT} in size)", column
        )


def walk(e: Expr) -> Iterator[Expr]:
    """Every node of ``e``, ``e`` first (a shared subtree once per use), without recursion."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Unary):
            stack.append(node.operand)
        elif isinstance(node, Binary):
            stack += (node.left, node.right)
        elif isinstance(node, Call):
            stack.append(node.arg)


def size(e: Expr, limit: int, budget: Budget) -> int:
    """Nodes in ``e`` (a shared subtree counts each time it is used), stopping past ``limit``."""
    count = 0
    for _ in walk(e):
        count += 1
        if count > limit:
            break
        if count % 256 == 0:
            budget.check()
    return count


def has_var(e: Expr, name: str | None = None) -> bool:
    """Whether a variable (``name``, or any) occurs in ``e``."""
    return any(isinstance(n, Var) and name in (None, n.name) for n in walk(e))


# --- simplifying constructors ---------------------------------------------------------------


def same(a: Expr, b: Expr, limit: int = 64) -> bool:
    """Whether a and b are the same expression, comparing at most ``limit`` nodes.

    Derivatives share subtrees, so a tree can be far larger written out than in memory,
    and ``==`` on two such trees could take very long; past the limit this says "no",
    which only means a simplification is missed.
    """
    pairs = [(a, b)]
    while pairs:
        u, v = pairs.pop()
        if u is v:
            continue
        limit -= 1
        if limit < 0 or type(u) is not type(v):
            return False
        if isinstance(u, Number | Var):
            if u != v:
                return False
        elif isinstance(u, Unary) and isinstance(v, Unary):
            pairs.append((u.operand, v.operand))
        elif isinstance(u, Binary) and isinstance(v, Binary):
            if u.op != v.op:
                return False
            pairs += ((u.left, v.left), (u.right, v.right))
        elif isinstance(u, Call) and isinstance(v, Call):
            if u.func != v.func:
                return False
            pairs.append((u.arg, v.arg))
    return True


def _negative(e: Expr) -> bool:
    """Whether ``e`` reads with a leading minus (so a + e is better written a - (-e))."""
    if isinstance(e, Unary):
        return True
    if is_number(e):
        return e.value < 0
    return isinstance(e, Binary) and e.op in "*/" and _negative(e.left)


def neg(a: Expr) -> Expr:
    if is_number(a):
        return number(-a.value)
    if isinstance(a, Unary):
        return a.operand
    if isinstance(a, Binary) and a.op in "*/" and _negative(a.left):
        return Binary(a.op, neg(a.left), a.right)
    return Unary("-", a)


def add(a: Expr, b: Expr) -> Expr:
    if is_number(a) and is_number(b):
        return number(a.value + b.value)
    if is_number(a, 0.0):
        return b
    if is_number(b, 0.0):
        return a
    if _negative(b):
        return sub(a, neg(b))
    if _negative(a):
        return sub(b, neg(a))
    if same(a, b):
        return mul(TWO, a)
    return Binary("+", a, b)


def sub(a: Expr, b: Expr) -> Expr:
    if is_number(a) and is_number(b):
        return number(a.value - b.value)
    if is_number(b, 0.0):
        return a
    if is_number(a, 0.0):
        return neg(b)
    if same(a, b):
        return ZERO
    if _negative(b):
        return add(a, neg(b))
    return Binary("-", a, b)


def mul(a: Expr, b: Expr) -> Expr:
    if is_number(a, 0.0) or is_number(b, 0.0):
        return ZERO
    if is_number(a) and is_number(b):
        return number(a.value * b.value)
    if is_number(b):
        a, b = b, a  # the coefficient first
    if is_number(a, 1.0):
        return b
    if is_number(a, -1.0):
        return neg(b)
    if isinstance(a, Unary):
        return neg(mul(a.operand, b))
    if isinstance(b, Unary):
        return neg(mul(a, b.operand))
    if is_number(a) and isinstance(b, Binary) and b.op in "*/" and is_number(b.left):
        coefficient = number(a.value * b.left.value)
        return mul(coefficient, b.right) if b.op == "*" else div(coefficient, b.right)
    if same(a, b):
        return power(a, TWO)
    return Binary("*", a, b)


def div(a: Expr, b: Expr) -> Expr:
    if is_number(a, 0.0):
        return ZERO
    if is_number(b, 1.0):
        return a
    if is_number(b, -1.0):
        return neg(a)
    if is_number(a) and is_number(b) and b.value != 0.0:
        return number(a.value / b.value)
    if isinstance(a, Unary):
        return neg(div(a.operand, b))
    if same(a, b):
        return ONE
    return Binary("/", a, b)


def power(a: Expr, b: Expr) -> Expr:
    if is_number(b, 0.0) or is_number(a, 1.0):
        return ONE
    if is_number(b, 1.0):
        return a
    # Derivatives lower a checked exponent by at most 2: no cap is needed here.
    if is_number(a) and is_number(b):
        try:
            return number(math.pow(a.value, b.value))
        except (ArithmeticError, ValueError):
            pass
    return Binary("^", a, b)


def call(func: str, a: Expr) -> Expr:
    if is_number(a):
        try:
            return number(FUNCTIONS[func](a.value))
        except (ArithmeticError, ValueError, FormulaError):
            pass
    return Call(func, a)
