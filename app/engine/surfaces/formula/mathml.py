"""An expression tree as presentation MathML, for the page to show f and its derivatives.

Division is a fraction, a power a superscript, a function name is followed by U+2061
(function application), a number times what follows by U+2062 (invisible times) and any
other product by a dot.  Brackets appear only where precedence needs them.  Every
character outside ASCII is written as a character reference, and text is escaped.

    >>> from .parse import parse
    >>> mathml(parse("x^2/2"))[49:]
    '<mrow><mfrac><mrow><msup><mi>x</mi><mrow><mn>2</mn></mrow></msup></mrow><mrow><mn>2</mn></mrow></mfrac></mrow></math>'
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from .tree import Binary, Call, Expr, Number, Unary, Var

_SUM, _PRODUCT, _ATOM = 1, 2, 5  # precedence of what a piece of markup shows
_NAMES = {"log": "ln", "sign": "sgn", "pi": "&#x3C0;"}
MINUS, DOT, TIMES, APPLY, INVISIBLE_TIMES, PARTIAL = (
    "&#x2212;",
    "&#x22C5;",
    "&#xD7;",
    "&#x2061;",
    "&#x2062;",
    "&#x2202;",
)


def mathml(e: Expr, lhs: str = "") -> str:
    """``<math>`` for ``e``; ``lhs`` is markup put before it (see :func:`lhs_markup`)."""
    body, _ = _render(e)
    return f'<math xmlns="http://www.w3.org/1998/Math/MathML"><mrow>{lhs}{body}</mrow></math>'


def lhs_markup(variables: tuple[str, ...], wrt: tuple[str, ...] = ()) -> str:
    """``f(x, y) =``, or ``∂f/∂x =`` / ``∂²f/∂x∂y =`` for the derivative by ``wrt``."""
    if not wrt:
        args = "<mo>,</mo>".join(_mi(v) for v in variables)
        return f"<mi>f</mi><mo>{APPLY}</mo><mrow><mo>(</mo>{args}<mo>)</mo></mrow><mo>=</mo>"
    order = "" if len(wrt) == 1 else f"<mn>{len(wrt)}</mn>"
    top = f"<msup><mo>{PARTIAL}</mo>{order}</msup>" if order else f"<mo>{PARTIAL}</mo>"
    bottom = "".join(_power_of(v, wrt.count(v)) for v in dict.fromkeys(wrt))
    return f"<mfrac><mrow>{top}<mi>f</mi></mrow><mrow>{bottom}</mrow></mfrac><mo>=</mo>"


def _power_of(v: str, n: int) -> str:
    if n == 1:
        return f"<mo>{PARTIAL}</mo>{_mi(v)}"
    return f"<mo>{PARTIAL}</mo><msup>{_mi(v)}<mn>{n}</mn></msup>"


def _mi(name: str) -> str:
    return f"<mi>{_NAMES.get(name, escape(name))}</mi>"


def _paren(markup: str) -> str:
    return f"<mrow><mo>(</mo>{markup}<mo>)</mo></mrow>"


def _leading_minus(e: Expr) -> bool:
    if isinstance(e, Unary):
        return True
    if isinstance(e, Number):
        return e.value < 0
    return isinstance(e, Binary) and e.op in "+-*" and _leading_minus(e.left)


def _starts_with_number(e: Expr) -> bool:
    if isinstance(e, Number):
        return e.name is None
    return isinstance(e, Binary) and e.op in "^*" and _starts_with_number(e.left)


def _number(v: float) -> str:
    text = repr(abs(v))
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.removesuffix(".0")
        k = int(exponent)
        shown = f"<mn>{k}</mn>" if k >= 0 else f"<mrow><mo>{MINUS}</mo><mn>{-k}</mn></mrow>"
        power = f"<msup><mn>10</mn>{shown}</msup>"
        markup = power if mantissa == "1" else f"<mn>{mantissa}</mn><mo>{TIMES}</mo>{power}"
        return f"<mrow>{markup}</mrow>"
    return f"<mn>{text.removesuffix('.0')}</mn>"


def _render(e: Expr) -> tuple[str, int]:
    """(markup, precedence) for ``e``."""
    if isinstance(e, Number):
        if e.name is not None:
            return _mi(e.name), _ATOM
        if e.value < 0:
            return f"<mrow><mo>{MINUS}</mo>{_number(e.value)}</mrow>", _PRODUCT
        return _number(e.value), _ATOM
    if isinstance(e, Var):
        return _mi(e.name), _ATOM
    if isinstance(e, Unary):
        inner, prec = _render(e.operand)
        if prec < _PRODUCT or _leading_minus(e.operand):
            inner = _paren(inner)
        return f"<mrow><mo>{MINUS}</mo>{inner}</mrow>", _PRODUCT
    if isinstance(e, Call):
        return _call(e), _ATOM
    return _binary(e)


def _call(e: Call) -> str:
    arg, _ = _render(e.arg)
    if e.func == "sqrt":
        return f"<msqrt>{arg}</msqrt>"
    if e.func == "abs":
        return f'<mrow><mo fence="true">|</mo>{arg}<mo fence="true">|</mo></mrow>'
    name = _mi(e.func)
    if e.func == "log10":
        name = "<msub><mi>log</mi><mn>10</mn></msub>"
    return f"<mrow>{name}<mo>{APPLY}</mo>{_paren(arg)}</mrow>"


def _binary(e: Binary) -> tuple[str, int]:
    left, lp = _render(e.left)
    right, rp = _render(e.right)
    if e.op == "/":
        return f"<mfrac><mrow>{left}</mrow><mrow>{right}</mrow></mfrac>", _ATOM
    if e.op == "^":
        if lp < _ATOM or _leading_minus(e.left) or isinstance(e.left, Binary):
            left = _paren(left)
        return f"<msup>{left}<mrow>{right}</mrow></msup>", _ATOM
    if e.op == "*":
        if lp < _PRODUCT:
            left = _paren(left)
        bracketed = rp < _PRODUCT or _leading_minus(e.right)
        if bracketed:
            right = _paren(right)
        # 2x and 2(x + 1), but 2·3ˣ: a number is never set beside another.
        number_first = isinstance(e.left, Number) and e.left.name is None and e.left.value >= 0
        plain = number_first and (bracketed or not _starts_with_number(e.right))
        times = INVISIBLE_TIMES if plain else DOT
        return f"<mrow>{left}<mo>{times}</mo>{right}</mrow>", _PRODUCT
    if _leading_minus(e.right) or (e.op == "-" and rp <= _SUM):
        right = _paren(right)
    sign = "+" if e.op == "+" else MINUS
    return f"<mrow>{left}<mo>{sign}</mo>{right}</mrow>", _SUM
