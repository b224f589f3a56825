"""Small data sets for examples and tutorials, generated with numpy (nothing is downloaded).

* :func:`make_moons` -- two interleaving half circles (micrograd's demo data);
* :func:`make_spirals` -- ``classes`` interleaved spiral arms (a harder 2-D problem);
* :func:`make_blobs` -- Gaussian clusters;
* :func:`load_digits` -- scikit-learn's 8x8 handwritten digits (bundled inside
  scikit-learn, so no download; needs ``pip install scikit-learn``);
* :func:`train_test_split` and :func:`minibatches` -- the two helpers every
  training loop needs.

Every generator takes ``seed`` (None, an int or a ``numpy.random.Generator``)
and returns ``(X, y)``: ``X`` a float64 array of shape ``(n, features)``,
``y`` an int64 array of class labels ``0, 1, ...``.  micrograd's max-margin
demo wants labels in {-1, +1}: use ``y * 2 - 1``.

Examples
--------
>>> from microgradx import datasets
>>> X, y = datasets.make_moons(100, noise=0.1, seed=0)
>>> X.shape, y.shape, sorted(set(y.tolist()))
((100, 2), (100,), [0, 1])
"""

from __future__ import annotations

import numbers

import numpy as np

from .core.arguments import positive_int as _positive_int
from .core.arguments import random_generator as _generator

__all__ = ["make_moons", "make_spirals", "make_blobs", "load_digits", "train_test_split", "minibatches"]


def _non_negative(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__}")
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0; got {value}")
    return float(value)


def make_moons(n: int = 100, noise: float = 0.1, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles in the plane, shuffled, with Gaussian noise.

    The upper moon (label 0) is the half circle of radius 1 around (0, 0);
    the lower moon (label 1) is the same half circle flipped and shifted to
    (1, 0.5).  This is the shape of scikit-learn's ``make_moons``, generated
    here so that no extra package is needed.

    Parameters
    ----------
    n : int, default 100
        Number of points (``n // 2`` in the upper moon, the rest in the lower).
    noise : float, default 0.1
        Standard deviation of the Gaussian noise added to each coordinate.
    seed : None, int or numpy.random.Generator
        For reproducible data.

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64, values in {0, 1}
        For micrograd's demo (labels in {-1, 1}) use ``y * 2 - 1``.

    Examples
    --------
    >>> X, y = make_moons(6, noise=0.0, seed=0)
    >>> X.shape, int(y.sum())
    ((6, 2), 3)
    >>> make_moons(6, noise=-1.0)
    Traceback (most recent call last):
    ...
    ValueError: noise must be a finite number >= 0; got -1.0
    """
    n = _positive_int(n, "n")
    noise = _non_negative(noise, "noise")
    rng = _generator(seed)
    n_upper = n // 2
    n_lower = n - n_upper
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    X = np.concatenate([
        np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1),
        np.stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1),
    ])
    y = np.concatenate([np.zeros(n_upper, np.int64), np.ones(n_lower, np.int64)])
    order = rng.permutation(n)
    X, y = X[order], y[order]
    if noise:
        X = X + rng.normal(0.0, noise, X.shape)
    return X, y


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed=None) -> tuple[np.ndarray, np.ndarray]:
    """``classes`` spiral arms winding out from the origin (the classic "spiral" toy problem).

    Points of arm ``k`` have radius ``r`` from 0 to 1 and angle
    ``4 * (k + r)`` radians plus Gaussian noise (std ``noise``).  A linear
    model cannot separate them; a small MLP can.

    Parameters
    ----------
    n : int, default 300
        Total number of points, shared out as evenly as possible between the arms.
    classes : int, default 3
        Number of arms (>= 2).
    noise : float, default 0.2
        Standard deviation of the angle noise.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n, 2), float64
    y : ndarray, shape (n,), int64, values in ``0 .. classes-1``

    Examples
    --------
    >>> X, y = make_spirals(90, classes=3, seed=0)
    >>> X.shape, [int((y == k).sum()) for k in range(3)]
    ((90, 2), [30, 30, 30])
    """
    n = _positive_int(n, "n")
    classes = _positive_int(classes, "classes", minimum=2)
    noise = _non_negative(noise, "noise")
    rng = _generator(seed)
    counts = [n // classes + (1 if k < n % classes else 0) for k in range(classes)]
    parts, labels = [], []
    for k, m in enumerate(counts):
        r = np.linspace(0.0, 1.0, m)
        theta = 4.0 * (k + r) + rng.normal(0.0, noise, m) if noise else 4.0 * (k + r)
        parts.append(np.stack([r * np.sin(theta), r * np.cos(theta)], axis=1))
        labels.append(np.full(m, k, np.int64))
    X, y = np.concatenate(parts), np.concatenate(labels)
    order = rng.permutation(n)
    return X[order], y[order]


def make_blobs(n: int = 100, centers=3, std: float = 1.0, features: int = 2, seed=None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters around ``centers``.

    Parameters
    ----------
    n : int, default 100
        Total number of points, shared out as evenly as possible between the clusters.
    centers : int or array_like of shape (k, features), default 3
        The cluster centres, or how many to draw uniformly in ``[-10, 10]``.
    std : float, default 1.0
        Standard deviation of every cluster.
    features : int, default 2
        Dimension (ignored when ``centers`` is an array).
    seed : None, int or numpy.random.Generator

    Returns
    -------
    X : ndarray, shape (n, features), float64
    y : ndarray, shape (n,), int64: the index of each point's centre

    Examples
    --------
    >>> X, y = make_blobs(40, centers=[[0.0, 0.0], [5.0, 5.0]], std=0.1, seed=0)
    >>> X[y == 1].mean(axis=0).round(1).tolist()
    [5.0, 5.0]
    """
    n = _positive_int(n, "n")
    std = _non_negative(std, "std")
    rng = _generator(seed)
    if isinstance(centers, (int, np.integer)) and not isinstance(centers, bool):
        k = _positive_int(centers, "centers")
        features = _positive_int(features, "features")
        centre_array = rng.uniform(-10.0, 10.0, (k, features))
    else:
        try:
            centre_array = np.array(centers, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError("centers must be an int or an array of shape (k, features)") from None
        if centre_array.ndim != 2 or centre_array.shape[0] == 0:
            raise ValueError(f"centers must have shape (k, features) with k >= 1; got shape {centre_array.shape}")
    k = centre_array.shape[0]
    y = np.concatenate([np.full(n // k + (1 if i < n % k else 0), i, np.int64) for i in range(k)])
    y = y[rng.permutation(n)]
    X = centre_array[y] + rng.normal(0.0, std, (n, centre_array.shape[1]))
    return X, y


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1797 handwritten digits, 8x8 pixels with values 0..16.

    The data ship inside scikit-learn, so nothing is downloaded; only
    scikit-learn must be installed (``pip install scikit-learn``, or
    ``pip install "microgradx[dev]"``).

    Returns
    -------
    X : ndarray, shape (1797, 64), float64
        Pixel intensities 0..16, one row per image (divide by 16 to scale to [0, 1]).
    y : ndarray, shape (1797,), int64
        The digit 0..9.

    Raises
    ------
    ImportError
        When scikit-learn is not installed, with the command that installs it.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, y.shape
    ((1797, 64), (1797,))
    """
    try:
        from sklearn.datasets import load_digits as _sklearn_load_digits
    except ImportError as exc:
        raise ImportError(
            "load_digits() needs scikit-learn, which ships the 8x8 digits inside the package (no download). "
            "Install it with: pip install scikit-learn"
        ) from exc
    bunch = _sklearn_load_digits()
    return np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def train_test_split(X, y, test_size: float | int = 0.25, seed=None):
    """Shuffle and split ``(X, y)`` into a training and a test part.

    Parameters
    ----------
    X, y : array_like
        Same number of rows.
    test_size : float in (0, 1) or int, default 0.25
        Fraction (or number) of rows for the test part.
    seed : None, int or numpy.random.Generator

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarray
        In scikit-learn's order.

    Examples
    --------
    >>> import numpy as np
    >>> X_train, X_test, y_train, y_test = train_test_split(np.zeros((10, 2)), np.arange(10), 0.3, seed=0)
    >>> X_train.shape, X_test.shape
    ((7, 2), (3, 2))
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y need the same number of rows; got shapes {X.shape} and {y.shape}")
    n = X.shape[0]
    if isinstance(test_size, bool) or not isinstance(test_size, numbers.Real):
        raise TypeError(f"test_size must be a fraction or a count; got {type(test_size).__name__}")
    if isinstance(test_size, (int, np.integer)):
        n_test = int(test_size)
    else:
        if not 0.0 < test_size < 1.0:
            raise ValueError(f"test_size as a fraction must lie in (0, 1); got {test_size}")
        n_test = int(np.ceil(test_size * n))
    if not 0 < n_test < n:
        raise ValueError(f"test_size must leave at least one row on each side; got {n_test} test rows of {n}")
    order = _generator(seed).permutation(n)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def minibatches(X, y, batch_size: int, seed=None, shuffle: bool = True):
    """Yield ``(X_batch, y_batch)`` pairs covering the data once (one epoch).

    Parameters
    ----------
    X, y : array_like
        Same number of rows.
    batch_size : int
        Rows per batch (the last batch may be smaller).
    seed : None, int or numpy.random.Generator
        Order of the rows when ``shuffle`` is true.
    shuffle : bool, default True

    Examples
    --------
    >>> import numpy as np
    >>> [len(yb) for _, yb in minibatches(np.zeros((10, 2)), np.arange(10), 4, shuffle=False)]
    [4, 4, 2]
    """
    X, y = np.asarray(X), np.asarray(y)
    if X.ndim == 0 or y.ndim == 0 or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y need the same number of rows; got shapes {X.shape} and {y.shape}")
    batch_size = _positive_int(batch_size, "batch_size")
    n = X.shape[0]
    order = _generator(seed).permutation(n) if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        rows = order[start:start + batch_size]
        yield X[rows], y[rows]
