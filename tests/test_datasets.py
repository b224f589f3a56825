"""mgx.datasets: generated data sets, digits, splitting and batching."""

import builtins
import sys

import numpy as np
import pytest

from microgradx import datasets


def test_make_moons_geometry_labels_and_determinism():
    X, y = datasets.make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert (y == 0).sum() == 50 and (y == 1).sum() == 51
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0)  # unit half circle ...
    assert np.all(upper[:, 1] >= -1e-12)  # ... in the upper half plane
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0)  # flipped, shifted to (1, .5)
    assert np.all(lower[:, 1] <= 0.5 + 1e-12)
    a, b = datasets.make_moons(50, 0.1, seed=7), datasets.make_moons(50, 0.1, seed=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    c = datasets.make_moons(50, 0.1, seed=8)
    assert not np.array_equal(a[0], c[0])
    assert len(set(y[:10].tolist())) == 2  # shuffled


def test_make_moons_noise_has_the_requested_spread():
    clean, y_clean = datasets.make_moons(4000, noise=0.0, seed=1)
    noisy, y_noisy = datasets.make_moons(4000, noise=0.2, seed=1)
    np.testing.assert_array_equal(y_clean, y_noisy)
    assert np.std(noisy - clean) == pytest.approx(0.2, rel=0.05)


def test_make_spirals_and_blobs():
    X, y = datasets.make_spirals(100, classes=4, noise=0.0, seed=0)
    assert X.shape == (100, 2) and sorted(np.bincount(y).tolist()) == [25, 25, 25, 25]
    assert np.all(np.hypot(X[:, 0], X[:, 1]) <= 1.0 + 1e-12)
    X, y = datasets.make_blobs(300, centers=3, std=0.5, features=4, seed=0)
    assert X.shape == (300, 4) and np.bincount(y).tolist() == [100, 100, 100]
    centres = np.array([[0.0, 0.0], [10.0, -10.0]])
    X, y = datasets.make_blobs(2000, centers=centres, std=1.0, seed=0)
    for k in range(2):
        np.testing.assert_allclose(X[y == k].mean(axis=0), centres[k], atol=0.15)
        np.testing.assert_allclose(X[y == k].std(axis=0), [1.0, 1.0], rtol=0.1)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: datasets.make_moons(0), ValueError, "n must be at least 1"),
        (lambda: datasets.make_moons(10.0), TypeError, "n must be an int"),
        (lambda: datasets.make_moons(10, noise=-0.1), ValueError, "noise"),
        (lambda: datasets.make_moons(10, noise="a"), TypeError, "noise"),
        (lambda: datasets.make_moons(10, seed="s"), TypeError, "seed"),
        (lambda: datasets.make_spirals(10, classes=1), ValueError, "classes"),
        (lambda: datasets.make_blobs(10, centers=[1.0, 2.0]), ValueError, "centers"),
        (lambda: datasets.make_blobs(10, centers="ab"), TypeError, "centers"),
        (lambda: datasets.make_blobs(10, std=-1.0), ValueError, "std"),
        (lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(3)), ValueError, "same number of rows"),
        (lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(4), 1.5), ValueError, "test_size"),
        (lambda: datasets.train_test_split(np.zeros((4, 2)), np.zeros(4), 4), ValueError, "test_size"),
        (lambda: list(datasets.minibatches(np.zeros((4, 2)), np.zeros(4), 0)), ValueError, "batch_size"),
    ],
)
def test_bad_arguments_name_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_train_test_split_partitions_the_rows():
    X = np.arange(20).reshape(10, 2)
    y = np.arange(10)
    X_train, X_test, y_train, y_test = datasets.train_test_split(X, y, test_size=0.3, seed=0)
    assert len(y_test) == 3 and len(y_train) == 7
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(10))
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay paired
    again = datasets.train_test_split(X, y, test_size=3, seed=0)
    np.testing.assert_array_equal(again[3], y_test)


def test_minibatches_cover_every_row_once():
    X = np.arange(23)[:, None] * 1.0
    y = np.arange(23)
    batches = list(datasets.minibatches(X, y, 5, seed=0))
    assert [len(b) for _, b in batches] == [5, 5, 5, 5, 3]
    seen = np.concatenate([b for _, b in batches])
    assert sorted(seen.tolist()) == list(range(23)) and seen.tolist() != list(range(23))
    assert all(np.array_equal(xb[:, 0], yb) for xb, yb in batches)


def test_load_digits_returns_the_bundled_data():
    pytest.importorskip("sklearn", reason="scikit-learn (which ships the digits) is not installed")
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and y.shape == (1797,)
    assert X.dtype == np.float64 and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 16.0 and sorted(set(y.tolist())) == list(range(10))


def test_load_digits_without_scikit_learn_says_how_to_install_it(monkeypatch):
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name == "sklearn" or name.startswith("sklearn."):
            raise ImportError("No module named 'sklearn'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    for mod in [m for m in sys.modules if m == "sklearn" or m.startswith("sklearn.")]:
        monkeypatch.delitem(sys.modules, mod)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        datasets.load_digits()
