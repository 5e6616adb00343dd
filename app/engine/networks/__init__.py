"""A small network on 2D (or 1D) data: the data sets and the features (:mod:`.data`)."""

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

__all__ = [
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
