"""Generate tests/golden/bfloat16/ops.json: torch 2.13's bfloat16 ops on the CPU, for
tests/engine/test_bfloat16.py (which checks app/engine/optimizers/bfloat16.py without torch).

Run from the repository root with a torch install::

    PYTHONPATH=. /work/torchenv/bin/python tools/make_bfloat16_goldens.py

Every bfloat16 number is stored as its 16-bit pattern (an int), so infinities and the exact
values survive JSON; float64 inputs are stored as floats (shortest repr round-trips).  The
cases are the ops Muon's Newton–Schulz iteration uses (``torch.optim._muon``):

* ``convert``: ``t.bfloat16()`` of float64 numbers — random over 60 orders of magnitude,
  ties, the double-rounding case (a float64 just above a bfloat16 tie that float32 rounds
  onto the tie), overflow;
* ``norm``, ``divide``, ``matmul``, ``addmm``: random bfloat16 operands of the shapes Muon
  meets on a landscape (1×1, 1×2), plus ``addmm`` operands picked where the candidate
  roundings (float32 products and sums, a fused multiply-add, exact) disagree, so that the
  golden decides between them;
* ``newton_schulz``: ``_zeropower_via_newtonschulz`` itself on 1×1, 1×2, 2×1, 2×2, 2×3
  and 3×2 matrices, gradients below ``eps`` included, with the default and other
  coefficients and step counts.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import torch
from torch.optim._muon import DEFAULT_A, DEFAULT_B, DEFAULT_C, _zeropower_via_newtonschulz

from tools.golden import GOLDEN_DIR

OUT = GOLDEN_DIR / "bfloat16" / "ops.json"
DEFAULT = (DEFAULT_A, DEFAULT_B, DEFAULT_C)


def bits(t: torch.Tensor) -> list[Any]:
    """A bfloat16 tensor as nested lists of its 16-bit patterns."""
    return t.contiguous().view(torch.int16).to(torch.int32).bitwise_and(0xFFFF).tolist()


def random_bf16(rng: np.random.Generator, shape: tuple[int, ...]) -> torch.Tensor:
    scale = np.exp(rng.standard_normal() * 3)
    return torch.from_numpy(rng.standard_normal(shape) * scale).bfloat16()


def convert_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    xs = list(rng.standard_normal(400) * np.exp(rng.uniform(-70, 70, 400)))
    xs += [1 + 2**-8, 1 + 3 * 2**-8, 1 + 2**-8 + 2**-30, 1 + 2**-8 + 2**-20, -(1 + 2**-8)]
    xs += [3.4e38, 3.39e38, 1e-40, 0.0, 1e-7, 2.0315, -4.775, 3.4445]
    x = torch.tensor(xs, dtype=torch.float64)
    return [{"x": xs, "out": bits(x.bfloat16())}]


def addmm_disagreements(rng: np.random.Generator, beta: float, alpha: float) -> np.ndarray:
    """1×1 bfloat16 operands (c, a, b) on which the candidate roundings of addmm differ."""
    n = 2_000_000
    s = np.exp(rng.standard_normal(n))
    ops = [torch.from_numpy(rng.standard_normal(n) * s).bfloat16().float().numpy() for _ in "cab"]
    c, a, b = ops
    p = a * b  # exact in float32
    al, be = np.float32(alpha), np.float32(beta)
    candidates = [
        (al * p + be * c).astype(np.float32),
        (np.float64(al) * p + np.float64(be) * c.astype(np.float64)).astype(np.float32),
        (np.float64(be) * c + (al * p).astype(np.float64)).astype(np.float32),
    ]
    rounded = [torch.from_numpy(v).bfloat16().float().numpy() for v in candidates]
    differ = (rounded[0] != rounded[1]) | (rounded[0] != rounded[2])
    picked = np.nonzero(differ)[0][:40]
    return np.stack([c[picked], a[picked], b[picked]], axis=1)


def op_cases(rng: np.random.Generator) -> dict[str, list[dict[str, Any]]]:
    norm, divide, matmul, addmm = [], [], [], []
    for shape in ((1, 1), (1, 2), (2, 1)):
        for _ in range(100):
            x = random_bf16(rng, shape)
            n = x.norm()
            norm.append({"x": bits(x), "out": bits(n)})
            d = n.clamp(min=1e-7)
            divide.append({"x": bits(x), "y": bits(d), "out": bits(x / d)})
            matmul.append({"a": bits(x), "b": bits(x.T), "out": bits(x @ x.T)})
            g = x @ x.T
            addmm.append(
                {
                    "c": bits(g),
                    "a": bits(g),
                    "b": bits(g),
                    "beta": DEFAULT_B,
                    "alpha": DEFAULT_C,
                    "out": bits(torch.addmm(g, g, g, beta=DEFAULT_B, alpha=DEFAULT_C)),
                }
            )
            if shape[0] == 1:
                u = random_bf16(rng, (1, 1))
                out = torch.addmm(x, u, x, beta=DEFAULT_A)
                addmm.append(
                    {"c": bits(x), "a": bits(u), "b": bits(x), "beta": DEFAULT_A, "alpha": 1.0}
                    | {"out": bits(out)}
                )
    for beta, alpha in ((DEFAULT_A, 1.0), (DEFAULT_B, DEFAULT_C)):
        for c, a, b in addmm_disagreements(rng, beta, alpha):
            ct, at, bt = (torch.tensor([[v]]).bfloat16() for v in (c, a, b))
            out = torch.addmm(ct, at, bt, beta=beta, alpha=alpha)
            addmm.append(
                {"c": bits(ct), "a": bits(at), "b": bits(bt), "beta": beta, "alpha": alpha}
                | {"out": bits(out)}
            )
    zero = torch.zeros(1, 2).bfloat16()
    norm.append({"x": bits(zero), "out": bits(zero.norm())})
    return {"norm": norm, "divide": divide, "matmul": matmul, "addmm": addmm}


def newton_schulz_cases(rng: np.random.Generator) -> list[dict[str, Any]]:
    cases = []
    settings = [(DEFAULT, 5, 1e-7)] * 4 + [((2.0, -1.5, 0.5), 3, 1e-7), (DEFAULT, 1, 1e-3)]
    for shape in ((1, 1), (1, 2), (2, 1), (2, 2), (2, 3), (3, 2)):
        for i in range(60):
            coefficients, steps, eps = settings[i % len(settings)]
            scale = 10.0 ** rng.uniform(-10, 4)
            g = rng.standard_normal(shape) * scale
            out = _zeropower_via_newtonschulz(torch.from_numpy(g), coefficients, steps, eps)
            cases.append(
                {
                    "g": g.tolist(),
                    "coefficients": list(coefficients),
                    "steps": steps,
                    "eps": eps,
                    "out": bits(out),
                }
            )
    return cases


def main() -> int:
    rng = np.random.default_rng(2026)
    data = {
        "torch_version": torch.__version__,
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "convert": convert_cases(rng),
        **op_cases(rng),
        "newton_schulz": newton_schulz_cases(rng),
    }
    OUT.write_text(json.dumps(data, separators=(",", ":")) + "\n")
    counts = {k: len(v) for k, v in data.items() if isinstance(v, list)}
    print(f"{OUT.relative_to(GOLDEN_DIR)}: {counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
