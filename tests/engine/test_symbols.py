"""Every symbol in every formula shown to students is named: the formula's tokens and its
``symbols`` list are the same set, for each optimizer and each schedule.

The tokenizer reads a formula as words (runs of letters, digits, ``_``, combining marks
and sub/superscripts) and operator characters:

* a word from :data:`PROSE` (the formulas' few plain-English words) names nothing;
* a word with ``_`` or of two or more latin letters is one named term (``lr``,
  ``step_size``, ``η_min``, ``sign``);
* any other word is split into one symbol per letter, each with the marks and
  sub/superscripts after it (``β₁ᵗ``, ``μₜ₊₁``, ``m̂``, ``ρ∞``; ``λI`` is ``λ`` and ``I``);
  a leading number is a coefficient (``2t`` is ``t``), a trailing power is not part of the
  symbol (``g²`` is ``g``; ``H⁻¹`` is ``H`` and the inverse ``⁻¹``);
* an operator a beginner may not know (``←``, ``∇``, ``~``, ``⌊·⌋``, ``^``, ``↗`` …) is a
  symbol too; the plain ones (``+ − · / = √ | ( )`` …) are not.  Any other character
  fails the test, so a new notation has to be added here, and then named.
"""

from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace
from typing import Any

import pytest

from app.engine.optimizers import OPTIMIZERS
from app.engine.optimizers.muon import MATRIX_FORMULA, MATRIX_SYMBOLS
from app.engine.run.schedules import SCHEDULES

# The formulas' plain words (parenthetical remarks, "if … else"): they name nothing.
PROSE = frozenset({
    "Nesterov", "infinite", "memory", "steps", "only", "shrink", "fading", "the", "exact",
    "Hessian", "from", "last", "two", "loop", "recursion", "or", "strong", "Wolfe", "line",
    "search", "as", "in", "Adam", "if", "else", "over", "then", "at", "step",
})  # fmt: skip
# Operators that must be named, as the formula writes them -> their symbol.
OPERATORS = {
    "←": "←",
    "∇": "∇",
    "~": "~",
    "≈": "≈",
    "^": "^",
    "⌊": "⌊·⌋",
    "⌋": "⌊·⌋",
    "‖": "‖·‖",
    "↗": "↗",
    "↘": "↘",
    "⊙": "⊙",
    "⁻¹": "⁻¹",
}
# What every first-year student reads without help.
PLAIN = frozenset(" +−-·/=()<>,;:|√½.…")
POWERS = frozenset("⁰¹²³⁴⁵⁶⁷⁸⁹⁻")  # g², H⁻¹: exponents, not part of the symbol


def is_script(c: str) -> bool:
    """A sub- or superscript (₁, ₜ, ᵗ, ₊, ²) or ∞ (ρ∞): part of the symbol before it."""
    name = unicodedata.name(c, "")
    return (
        "SUBSCRIPT" in name
        or "SUPERSCRIPT" in name
        or name.startswith("MODIFIER LETTER SMALL")
        or c == "∞"
    )


def is_word(c: str) -> bool:
    return c.isalnum() or c == "_" or unicodedata.category(c) == "Mn" or is_script(c)


def is_letter(c: str) -> bool:
    return c.isalpha() and not is_script(c)


def word_symbols(word: str) -> list[str]:
    if word in PROSE:
        return []
    body = word.lstrip("0123456789")  # 2t: a coefficient
    if not body or not any(is_letter(c) for c in body):
        return []  # a number
    if "_" in body or (len(body) > 1 and body.isascii() and body.isalpha()):
        return [body.rstrip("".join(POWERS))]
    if not is_letter(body[0]):
        raise ValueError(f"{word!r}: a script with no letter before it")
    symbols: list[str] = []
    for c in body:
        if is_letter(c):
            symbols.append(c)
        else:
            symbols[-1] += c
    return [s.rstrip("".join(POWERS)) for s in symbols]


def split_words(formula: str) -> list[str]:
    """Words (runs of word characters) and single other characters, in order."""
    words, current = [], ""
    for c in formula:
        if is_word(c):
            current += c
        else:
            if current:
                words.append(current)
            current = ""
            words.append(c)
    return [*words, current] if current else words


def tokens(formula: str) -> set[str]:
    """Every symbol of ``formula`` that must be named (ValueError on an unknown character)."""
    found = {symbol for op, symbol in OPERATORS.items() if op in formula}
    for word in split_words(formula):
        if all(is_word(c) for c in word):
            found.update(word_symbols(word))
        elif word not in PLAIN and not any(word in op for op in OPERATORS):
            raise ValueError(f"{word!r} ({unicodedata.name(word, '?')}) in {formula!r}")
    return found


def undefined_and_stale(formula: str, symbols: Any) -> tuple[set[str], set[str]]:
    """The formula's symbols missing from ``symbols``, and the listed ones it does not use."""
    listed = {symbol for symbol, _ in symbols}
    used = tokens(formula)
    return used - listed, listed - used


FORMULAS = [
    *((f"optimizer {o.id}", o) for o in OPTIMIZERS.values()),
    *((f"schedule {s.id}", s) for s in SCHEDULES.values()),
    # the rule the network page shows for a hidden weight matrix under Muon's recipe
    (
        "muon on a network",
        SimpleNamespace(
            id="muon",
            formula=MATRIX_FORMULA,
            symbols=MATRIX_SYMBOLS,
            hyperparameters=OPTIMIZERS["muon"].hyperparameters,
        ),
    ),
]


@pytest.mark.parametrize("what", [w for _, w in FORMULAS], ids=[i for i, _ in FORMULAS])
def test_every_symbol_in_the_formula_is_named_and_every_named_one_is_used(what: Any) -> None:
    undefined, stale = undefined_and_stale(what.formula, what.symbols)
    assert not undefined, f"{what.id}: name {sorted(undefined)} in symbols"
    assert not stale, f"{what.id}: {sorted(stale)} are not in the formula {what.formula!r}"
    listed = [symbol for symbol, _ in what.symbols]
    assert len(listed) == len(set(listed)), f"{what.id}: a symbol is listed twice"
    for symbol, meaning in what.symbols:
        assert meaning.strip() and meaning == meaning.strip(), (what.id, symbol)
        assert not meaning.endswith("."), (what.id, symbol)


@pytest.mark.parametrize("what", [w for _, w in FORMULAS], ids=[i for i, _ in FORMULAS])
def test_a_setting_a_meaning_names_is_a_real_one(what: Any) -> None:
    # "μ: momentum (the `momentum` setting)": the name in backticks is one the student can set.
    names = {h.name for h in getattr(what, "hyperparameters", getattr(what, "parameters", ()))}
    if what in SCHEDULES.values():
        names.add("lr")  # the optimizer's, which every schedule scales
    for symbol, meaning in what.symbols:
        for name in re.findall(r"`([^`]+)`", meaning):
            assert name in names, f"{what.id}: {symbol}'s meaning names `{name}`"


def test_a_symbol_left_out_fails() -> None:
    sgd = OPTIMIZERS["sgd"]
    without_tau = tuple(pair for pair in sgd.symbols if pair[0] != "τ")
    assert len(without_tau) == len(sgd.symbols) - 1
    assert undefined_and_stale(sgd.formula, without_tau) == ({"τ"}, set())
    # A new symbol in the formula, or a stale entry, is caught the same way.
    assert undefined_and_stale(sgd.formula + ";  x ← x − ζ₂·g", sgd.symbols) == ({"ζ₂"}, set())
    assert undefined_and_stale(sgd.formula + ";  y ← lr_new", sgd.symbols) == (
        {"y", "lr_new"},
        set(),
    )
    stale = (*sgd.symbols, ("ν", "a symbol the formula no longer has"))
    assert undefined_and_stale(sgd.formula, stale) == (set(), {"ν"})


def test_the_tokenizer() -> None:
    assert tokens("m̂ = m/(1 − β₁ᵗ);  ρₜ = ρ∞ − 2t·β₂ᵗ") == {"m̂", "m", "β₁ᵗ", "ρₜ", "ρ∞", "t", "β₂ᵗ"}
    assert tokens("x ← x − lr·(H + λI)⁻¹·∇f") == {"←", "x", "lr", "H", "λ", "I", "⁻¹", "∇", "f"}
    assert tokens("g²·Δ²·(1 − Πμ·μₜ₊₁)") == {"g", "Δ", "Π", "μ", "μₜ₊₁"}
    assert tokens("lr_t = η_min·γ^⌊t/T_max⌋ (the exact Hessian)") == {
        "lr_t",
        "η_min",
        "γ",
        "^",
        "⌊·⌋",
        "t",
        "T_max",
    }
    assert tokens("s·sign(g·g₋) if u ⊙ v, else Σ a") == {
        "s",
        "sign",
        "g",
        "g₋",
        "u",
        "⊙",
        "v",
        "Σ",
        "a",
    }
    with pytest.raises(ValueError, match="⊗"):
        tokens("x ⊗ y")


def test_the_prose_words_are_all_in_use() -> None:
    # An unused entry would let a future symbol of that spelling through unnamed.
    used = {word for _, what in FORMULAS for word in split_words(what.formula) if word in PROSE}
    assert used == PROSE
    assert all(len(word) > 1 for word in PROSE)
