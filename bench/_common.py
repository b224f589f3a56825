"""What the benchmark scripts share: optional peers, and the data of an MLP step.

Run the scripts from the repository root (``python bench/bench_tensor.py``); Python puts this folder
on the import path, so they import this file as ``_common``.
"""

from __future__ import annotations

import importlib

import numpy as np


def optional(name: str):
    """The module ``name``, or None when it is not installed (its rows are then skipped)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def mlp_data(dtype, batch: int, n_in: int, n_hidden: int, n_out: int, seed: int = 0):
    """Inputs ``x`` (batch, n_in), integer labels ``y`` and the parameters ``[w1, b1, w2, b2]`` of a
    one-hidden-layer MLP (weights scaled by 1/sqrt(fan-in), biases zero), all reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, n_in)).astype(dtype)
    y = rng.integers(0, n_out, size=batch)
    params = [
        (rng.standard_normal((n_in, n_hidden)) / np.sqrt(n_in)).astype(dtype),
        np.zeros(n_hidden, dtype),
        (rng.standard_normal((n_hidden, n_out)) / np.sqrt(n_hidden)).astype(dtype),
        np.zeros(n_out, dtype),
    ]
    return x, y, params
