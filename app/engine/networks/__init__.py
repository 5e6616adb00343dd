"""A small network on 2D (or 1D) data, trained by the engine's optimizers.

:mod:`.data` — the data sets, own points and CSV, the train/test split and the input
features; :mod:`.model` — the network (torch's ``nn.Sequential`` of ``nn.Linear``): exact
forward, backward and Hessian in float64; :mod:`.train` — a run of any optimizer on its
weights; :mod:`.outcome` — what happened, in one word.
"""

from __future__ import annotations

from .data import (
    DATASETS,
    FEATURES,
    MAX_POINTS,
    MAX_VALUE,
    DatasetInfo,
    Feature,
    NetData,
    NetworkError,
    Task,
    feature_matrix,
    generate,
    own_points,
    parse_csv,
    split,
)
from .model import ACTIVATIONS, HEADS, INITS, NetworkSpec, init_weights, layers_of, theta_of
from .outcome import NET_OUTCOMES, NetOutcome
from .train import NetTrace, NetworkRun, Setup, setup

__all__ = [
    "ACTIVATIONS",
    "HEADS",
    "INITS",
    "NET_OUTCOMES",
    "NetOutcome",
    "NetTrace",
    "NetworkRun",
    "NetworkSpec",
    "Setup",
    "init_weights",
    "layers_of",
    "setup",
    "theta_of",
    "DATASETS",
    "FEATURES",
    "MAX_POINTS",
    "MAX_VALUE",
    "DatasetInfo",
    "Feature",
    "NetData",
    "NetworkError",
    "Task",
    "feature_matrix",
    "generate",
    "own_points",
    "parse_csv",
    "split",
]
