"""The optimizer catalog :data:`OPTIMIZERS`: torch.optim's family, Lion, Newton, SGLD, and
rules beyond torch from their reference packages (Schedule-Free AdamW, Prodigy).

One module per family — :mod:`.sgd` (gradient descent, momentum, Nesterov), :mod:`.adagrad`,
:mod:`.rmsprop`, :mod:`.adadelta`, :mod:`.adam` (Adam, AdamW, Adamax, NAdam, RAdam),
:mod:`.rprop`, :mod:`.lion`, :mod:`.newton`, :mod:`.lbfgs`, :mod:`.sgld`, :mod:`.asgd`,
:mod:`.adafactor` (which also steps a network's parameter tensors by their shapes),
:mod:`.muon`, :mod:`.schedulefree`, :mod:`.prodigy` — each an
:class:`~.interface.Optimizer` with torch's hyperparameter names, defaults and checks, its
state by torch's state keys, and one interface (:mod:`.interface`)::

    rule = optimizer.bind(optimizer.validate({"lr": 0.1}))
    state = rule.init(dim)
    x, state, evaluations = rule.step(problem, t, x, state)

Everything else about an optimizer is on its record too, defined beside its rule: its
formula and symbols, ``explain`` (one real step's named quantities and the formula with
the numbers put in, for the Update rule panel; built from :mod:`.explaining`), and where
theory gives one, ``stability_limit`` (the largest lr that settles at a minimum of a given
sharpness, for the learning-rate sweep and the suggested rates).  Adding an optimizer
touches its family module, this catalog, ``tests/engine/optimizer_cases.py`` and its
goldens (``tools/make_goldens.py``).

Operation order follows torch's portable CPU kernels: ``a.add(b, alpha=c)`` is ``a + c*b``,
``addcmul(t1, t2, value=v)`` is ``a + (v*t1)*t2``, ``addcdiv(t1, t2, value=v)`` is
``a + (v*t1)/t2``, and ``lerp`` switches formula at weight 0.5.  Bit for bit, torch's own
results depend on the machine: its AVX512 kernels fuse those ops into one rounding (FMA) and
its float64 ``sqrt`` is not always correctly rounded, so goldens agree to ~1e-15 per step.

    >>> list(OPTIMIZERS)[:4]
    ['sgd', 'adagrad', 'rmsprop', 'adam']
"""

from __future__ import annotations

from ..errors import HyperparameterError
from ..hyperparameters import Hyperparameter
from .adadelta import ADADELTA
from .adafactor import ADAFACTOR
from .adagrad import ADAGRAD
from .adam import ADAM, ADAMAX, ADAMW, NADAM, RADAM
from .asgd import ASGD
from .interface import Binder, Optimizer, Preset, Rule
from .lbfgs import LBFGS
from .lion import LION
from .muon import MUON
from .newton import NEWTON
from .prodigy import PRODIGY
from .rmsprop import RMSPROP
from .rprop import RPROP
from .schedulefree import SCHEDULEFREE_ADAMW
from .sgd import SGD
from .sgld import SGLD

__all__ = [
    "OPTIMIZERS",
    "Binder",
    "Hyperparameter",
    "HyperparameterError",
    "Optimizer",
    "Preset",
    "Rule",
]

# In teaching order: the classics, then Adam's variants, the rest of the adaptive family,
# curvature (Newton, L-BFGS), and noise (SGLD); then the 2026 bench (issue 25): torch's
# ASGD, Adafactor and Muon, and the rules beyond torch.optim.
OPTIMIZERS: dict[str, Optimizer] = {
    o.id: o
    for o in (
        SGD,
        ADAGRAD,
        RMSPROP,
        ADAM,
        ADAMW,
        ADAMAX,
        NADAM,
        RADAM,
        ADADELTA,
        RPROP,
        LION,
        NEWTON,
        LBFGS,
        SGLD,
        ASGD,
        ADAFACTOR,
        MUON,
        SCHEDULEFREE_ADAMW,
        PRODIGY,
    )
}
