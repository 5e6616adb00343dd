"""Reading a typed formula safely: text -> expression tree, or a FormulaError saying where.

Python's own parser (``ast.parse(text, mode="eval")``) only turns the text into a syntax
tree; nothing of the text is ever evaluated, executed or compiled.  The syntax tree is
walked with a whitelist: numbers, the variables, ``pi`` and ``e``, ``+ - * / ** ^``, unary
``-``/``+`` and calls of the functions in :data:`~.tree.FUNCTIONS` with one argument.
Anything else is refused by name, with the (1-based) column where it starts.

    >>> parse("0.12*x^2 + sin(2.4*x)")
    Binary(op='+', left=Binary(op='*', left=Number(value=0.12, name=None), ...
    >>> parse("__import__('os')")
    Traceback (most recent call last):
    ...
    app.engine.surfaces.formula.limits.FormulaError: `__import__` is not a known function (column 1)
"""

from __future__ import annotations

import ast
import re

from .limits import MAX_CONSTANT, MAX_DEPTH, MAX_LENGTH, MAX_NODES, Budget, FormulaError
from .tree import (
    ALIASES,
    CONSTANTS,
    FUNCTIONS,
    Binary,
    Call,
    Expr,
    Number,
    Unary,
    Var,
    check_exponent,
    constant_value,
    has_var,
)
from .tree import walk as subtrees  # (Parser.walk reads Python's syntax tree)

_OPERATORS: dict[type, str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.Div: "/",
    ast.Pow: "^",
}
_REFUSED_OPERATORS: dict[type, str] = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitAnd: "&",
    ast.BitXor: "^",  # not reached: ^ is read as ** (a power, as on a calculator)
    ast.Not: "not",
    ast.Invert: "~",
}
_REFUSED: dict[type, str] = {
    ast.Attribute: "attributes are not allowed",
    ast.Lambda: "lambda functions are not allowed",
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Subscript: "subscripts ([…]) are not allowed",
    ast.Compare: "comparisons are not allowed",
    ast.BoolOp: "`and` and `or` are not allowed",
    ast.NamedExpr: "assignments (:=) are not allowed",
    ast.Starred: "unpacking (*) is not allowed",
    ast.IfExp: "`if … else` is not allowed",
    ast.Tuple: "tuples are not allowed (is there a stray comma?)",
    ast.List: "lists are not allowed",
    ast.Set: "sets are not allowed",
    ast.Dict: "dicts are not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
    ast.Slice: "slices are not allowed",
}
_HINTS = {"²": "x^2", "³": "x^3", "·": "*", "×": "*", "−": "-", "÷": "/", "π": "pi"}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_]\w*)|(?P<open>\()|(?P<close>\))|(?P<other>.))"
)


def parse(text: str, variables: tuple[str, ...] = ("x",), budget: Budget | None = None) -> Expr:
    """The expression tree of ``text`` in ``variables``; FormulaError if it is refused."""
    budget = budget or Budget()
    _check_text(text)
    # In Python ^ binds more loosely than + (it is xor), so it becomes ** before parsing;
    # ``where[i]`` is the column in ``text`` of column i of the text Python reads.
    python = text.replace("^", "**")
    where = [i for i, ch in enumerate(text) for _ in range(2 if ch == "^" else 1)]
    where.append(len(text))
    try:
        syntax = ast.parse(python, mode="eval")
    except SyntaxError as exc:
        raise _syntax_error(text, exc, where) from None
    except (ValueError, RecursionError, MemoryError) as exc:  # pragma: no cover - pre-checked
        raise FormulaError(f"cannot read the formula ({type(exc).__name__})") from None
    return _Walker(text, python, where, variables, budget).walk(syntax.body, 1)


def _check_text(text: str) -> None:
    if len(text) > MAX_LENGTH:
        raise FormulaError(
            f"the formula is too long ({len(text)} characters; at most {MAX_LENGTH})"
        )
    if not text.strip():
        raise FormulaError("the formula is empty")
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise FormulaError(f"brackets are nested too deeply (at most {MAX_DEPTH})", i + 1)
        elif ch in ")]}":
            depth -= 1
        elif ch in _HINTS:
            raise FormulaError(f"`{ch}` is not allowed: write {_HINTS[ch]}", i + 1)
        elif not (" " <= ch <= "~" or ch == "\t"):
            raise FormulaError(f"the character {ch!r} is not allowed", i + 1)


def _syntax_error(text: str, exc: SyntaxError, where: list[int]) -> FormulaError:
    implicit = _implicit_product(text)
    if implicit is not None:
        return implicit
    offset = exc.offset if exc.offset is not None and 1 <= exc.offset < len(where) else None
    column = None if offset is None else where[offset - 1] + 1
    if column is not None and text[column - 1] in ")]}":
        return FormulaError(f"unexpected `{text[column - 1]}`", column)
    if column is None or not text[column - 1 :].strip():
        return FormulaError("the formula ends too soon: is something missing?", column)
    reason = (exc.msg or "invalid syntax").replace(". Perhaps you forgot a comma?", "")
    return FormulaError(f"cannot read the formula at `{text[column - 1]}`: {reason}", column)


def _implicit_product(text: str) -> FormulaError | None:
    """``2x``, ``2 x``, ``x y``, ``sin x``: two operands side by side with no operator."""
    previous: tuple[str, str] | None = None
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "other"
        token = match.group(kind)
        if previous is not None:
            before, after = previous, (kind, token)
            if before[0] == "name" and before[1] in FUNCTIONS.keys() | ALIASES.keys():
                if kind in ("name", "number"):
                    return FormulaError(
                        f"write {before[1]}({token}), not {before[1]} {token}",
                        match.start(kind) + 1,
                    )
            elif (
                before[0] in ("number", "name", "close")
                and kind in ("number", "name", "open")
                and not (before[0] == "name" and kind == "open")  # a call: checked later
            ):
                a, b = before[1], after[1]
                column = match.start(kind) + 1
                if before[0] == "close":
                    return FormulaError(f"a * is missing before `{b}`", column)
                return FormulaError(f"write {a}*{b}, not {a}{b}", column)
        previous = (kind, token)
    return None


class _Walker:
    def __init__(
        self,
        text: str,
        python: str,
        where: list[int],
        variables: tuple[str, ...],
        budget: Budget,
    ) -> None:
        self.text = text  # as typed
        self.python = python  # as parsed (^ written **)
        self.where = where
        self.variables = variables
        self.budget = budget
        self.nodes = 0

    def source(self, node: ast.AST) -> str:
        """The text of ``node`` as typed (the formula is one line)."""
        start, end = getattr(node, "col_offset", None), getattr(node, "end_col_offset", None)
        if start is None or end is None:
            return type(node).__name__
        segment = self.text[self.where[start] : self.where[end - 1] + 1]
        return segment if len(segment) <= 40 else segment[:37] + "…"

    def column(self, python_offset: int) -> int | None:
        """The 1-based column as typed of a 0-based offset in the parsed text."""
        return self.where[python_offset] + 1 if 0 <= python_offset < len(self.where) else None

    def refuse(self, reason: str, node: ast.AST, column: int | None = None) -> FormulaError:
        if column is None:
            column = self.column(getattr(node, "col_offset", -1))
        return FormulaError(reason, column)

    def walk(self, node: ast.AST, depth: int) -> Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.refuse(f"the formula is too long (more than {MAX_NODES} parts)", node)
        if depth > MAX_DEPTH:
            raise self.refuse(
                f"the formula is nested too deeply (at most {MAX_DEPTH} levels; "
                "each term of a long sum or product is a level)",
                node,
            )
        self.budget.check()
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.UnaryOp):
            operand = self.walk(node.operand, depth + 1)
            if isinstance(node.op, ast.USub):
                return Unary("-", operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            op = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            raise self.refuse(f"`{op}` is not allowed", node)
        if isinstance(node, ast.BinOp):
            return self.binary(node, depth)
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Attribute):
            dot = self.python.find(".", node.value.end_col_offset or 0)
            reason = f"`{self.source(node)}`: attributes are not allowed"
            raise self.refuse(reason, node, self.column(dot))
        reason = _REFUSED.get(type(node), "this is not allowed in a formula")
        raise self.refuse(f"`{self.source(node)}`: {reason}", node)

    def constant(self, node: ast.Constant) -> Expr:
        value = node.value
        if isinstance(value, bool) or value is None or value is Ellipsis:
            raise self.refuse(f"`{self.source(node)}` is not a number", node)
        if isinstance(value, str | bytes):
            raise self.refuse(f"`{self.source(node)}`: text (strings) is not allowed", node)
        if isinstance(value, complex):
            raise self.refuse(f"`{self.source(node)}`: imaginary numbers are not allowed", node)
        if not isinstance(value, int | float):  # pragma: no cover - no other literal exists
            raise self.refuse(f"`{self.source(node)}` is not a number", node)
        if not abs(value) <= MAX_CONSTANT:  # also catches inf (1e400) and nan
            raise self.refuse(
                f"the number {self.source(node)} is too large (at most {MAX_CONSTANT:g})", node
            )
        return Number(float(value))

    def name(self, node: ast.Name) -> Expr:
        name = node.id
        if name in self.variables:
            return Var(name)
        if name in CONSTANTS:
            return Number(CONSTANTS[name], name)
        if name in FUNCTIONS or name in ALIASES:
            raise self.refuse(f"`{name}` is a function: write {name}(…)", node)
        if name in ("x", "y"):
            listed = " and ".join(self.variables)
            raise self.refuse(f"`{name}` is not a variable here (only {listed})", node)
        raise self.refuse(f"`{name}` is not a known name", node)

    def binary(self, node: ast.BinOp, depth: int) -> Expr:
        op = _OPERATORS.get(type(node.op))
        if op is None:
            symbol = _REFUSED_OPERATORS.get(type(node.op), type(node.op).__name__)
            at = self.python.find(symbol, node.left.end_col_offset or 0)
            raise self.refuse(
                f"`{symbol}` is not an allowed operator (use + - * / ^)", node, self.column(at)
            )
        left = self.walk(node.left, depth + 1)
        right = self.walk(node.right, depth + 1)
        if op == "^":
            self.check_power(node, right)
        return Binary(op, left, right)

    def check_power(self, node: ast.BinOp, exponent: Expr) -> None:
        column = self.column(node.right.col_offset)
        if not has_var(exponent):
            p = constant_value(exponent)
            if p is None:
                raise self.refuse("the exponent is too large or not a number", node, column)
            check_exponent(p, column)
            return
        for e in subtrees(exponent):
            if isinstance(e, Binary) and e.op == "^" and has_var(e.right):
                raise self.refuse(
                    "a power tower (a variable exponent inside a variable exponent) is not allowed",
                    node,
                    column,
                )

    def call(self, node: ast.Call, depth: int) -> Expr:
        func = node.func
        if isinstance(func, ast.Attribute):
            return self.walk(func, depth + 1)  # refused, with its own message
        if not isinstance(func, ast.Name):
            if isinstance(func, ast.Constant | ast.BinOp | ast.UnaryOp | ast.Call):
                src = self.source(func)
                if isinstance(func, ast.BinOp | ast.UnaryOp):
                    src = f"({src})"
                args = ", ".join(self.source(a) for a in node.args)
                raise self.refuse(f"write {src}*({args}), not {src}({args})", node)
            self.walk(func, depth + 1)  # a lambda, a subscript ...: refused, with its own message
            raise self.refuse(f"`{self.source(func)}` cannot be called", node)
        name = ALIASES.get(func.id, func.id)
        if name not in FUNCTIONS:
            if func.id in self.variables or func.id in CONSTANTS:
                args = ", ".join(self.source(a) for a in node.args)
                raise self.refuse(f"write {func.id}*({args}), not {func.id}({args})", node)
            raise self.refuse(f"`{func.id}` is not a known function", node)
        if node.keywords:
            keyword = node.keywords[0]
            raise self.refuse(f"`{func.id}`: keyword arguments are not allowed", keyword)
        if len(node.args) != 1:
            raise self.refuse(
                f"`{func.id}` takes exactly one argument ({len(node.args)} given)", node
            )
        (arg,) = node.args
        if isinstance(arg, ast.Starred):
            raise self.refuse(f"`{self.source(arg)}`: unpacking (*) is not allowed", arg)
        return Call(name, self.walk(arg, depth + 1))
