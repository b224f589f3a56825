"""The ``microgradx.mlx.core`` face: MLX's names and defaults over the same engine (runs without MLX)."""

from __future__ import annotations

import numpy as np
import pytest

import microgradx as mgx
import microgradx.mlx.core as mx


def test_array_is_a_class_for_every_engine_array():
    a = mx.array([1.0, 2.0])
    assert isinstance(a, mx.array) and isinstance(a, mgx.Tensor)
    assert isinstance(mx.exp(a), mx.array)
    assert isinstance(mgx.array([1.0]), mx.array)
    assert not isinstance(np.ones(2), mx.array) and not isinstance(1.0, mx.array)
    assert issubclass(mgx.Tensor, mx.array) and not issubclass(np.ndarray, mx.array)
    _, (t,) = mx.jvp(lambda x: x * 2.0, [a], [mx.ones((2,))])
    assert isinstance(t, mx.array)


@pytest.mark.parametrize("data, dtype", [
    (1.0, np.float32), (1, np.int32), (True, np.bool_), ([1.0, 2.0], np.float32), ([1, 2], np.int32),
    ([[True]], np.bool_), (np.array([1.0]), np.float32), (np.array([1], np.int64), np.int64),
    (np.array([1.0], np.float16), np.float16),
])
def test_mlx_default_dtypes(data, dtype):
    assert mx.array(data).dtype == dtype


def test_dtype_constants_are_numpy_dtypes():
    assert np.zeros(2, dtype=mx.float16).dtype == np.float16
    assert mx.array([1, 2], dtype=mx.float32).dtype == mx.float32
    assert mx.issubdtype(mx.float32, mx.floating) and not mx.issubdtype(mx.int32, mx.floating)


def test_creation_defaults_are_float32_and_int32():
    assert mx.zeros((2,)).dtype == mx.float32 and mx.ones(3).dtype == mx.float32
    assert mx.arange(3).dtype == mx.int32 and mx.arange(0.0, 1.0, 0.5).dtype == mx.float32
    assert mx.full((2,), 1).dtype == mx.int32 and mx.full((2,), 1.0).dtype == mx.float32
    assert mx.eye(2).dtype == mx.float32 and mx.linspace(0, 1, 3).dtype == mx.float32
    # the top-level namespace keeps numpy's defaults
    assert mgx.zeros((2,)).dtype == np.float64 and mgx.array([1.0]).dtype == np.float64


def test_python_numbers_keep_the_array_dtype():
    x = mx.array([1.0, 2.0])
    assert (x * 2.0).dtype == mx.float32 and mx.multiply(x, 2.0).dtype == mx.float32
    assert mx.exp(1.0).dtype == mx.float32 and mx.add(1.0, 2.0).dtype == mx.float32
    assert mx.sum([1.0, 2.0]).dtype == mx.float32


def test_mean_of_integers_and_bools_is_float32():
    assert mx.mean(mx.array([True, False])).dtype == mx.float32
    assert mx.mean(mx.array([1, 2])).dtype == mx.float32
    assert mgx.mean(mgx.array([True, False])).dtype == np.float64  # numpy's rule at the top level


def test_eval_compile_synchronize_devices():
    x = mx.array([1.0])
    assert mx.eval(x, {"a": [x]}, "s") is None and mx.async_eval(x) is None
    f = lambda v: v * 2.0  # noqa: E731
    assert mx.compile(f) is f
    with pytest.raises(TypeError, match="callable"):
        mx.compile(3)
    assert mx.synchronize() is None
    assert mx.default_device() == mx.cpu and mx.Device(mx.cpu) == mx.default_device()
    mx.set_default_device(mx.cpu)
    with pytest.raises(ValueError, match="gpu"):
        mx.set_default_device(mx.gpu)
    assert not mx.is_available(mx.gpu)
    s = mx.new_stream(mx.cpu)
    assert s != mx.default_stream(mx.cpu) and s.device == mx.cpu
    with mx.stream(s):
        assert float(x[0]) == 1.0
    with pytest.raises(TypeError):
        mx.Device("cpu")


def test_transforms_work_on_face_arrays():
    w = mx.array([1.0, 2.0])
    g = mx.grad(lambda w: mx.sum(w * w))(w)
    assert isinstance(g, mx.array) and g.dtype == mx.float32 and g.tolist() == [2.0, 4.0]
    value, g = mx.value_and_grad(lambda p: mx.sum(p["w"] ** 2))({"w": w})
    assert g["w"].tolist() == [2.0, 4.0]


def test_random_is_reproducible_with_mlx_shapes_and_dtypes():
    mx.random.seed(3)
    a = mx.random.normal((2, 3))
    mx.random.seed(3)
    b = mx.random.normal((2, 3))
    assert a.tolist() == b.tolist() and a.shape == (2, 3) and a.dtype == mx.float32
    c = mx.random.normal((2, 3))
    assert a.tolist() != c.tolist()  # the global key moved on
    k = mx.random.key(7)
    assert k.dtype == mx.uint32 and k.shape == (2,)
    assert mx.random.uniform(shape=(4,), key=k).tolist() == mx.random.uniform(shape=(4,), key=k).tolist()
    assert mx.random.split(k).shape == (2, 2) and mx.random.split(k, 3).shape == (3, 2)
    assert mx.random.randint(0, 5, (10,)).dtype == mx.int32
    assert mx.random.bernoulli(0.3, (10,)).dtype == mx.bool_
    assert mx.random.bernoulli(mx.array([0.0, 1.0])).tolist() == [False, True]
    cat = mx.random.categorical(mx.zeros((3, 4)))
    assert cat.shape == (3,) and cat.dtype == mx.uint32
    assert mx.random.categorical(mx.zeros((3, 4)), num_samples=5).shape == (3, 5)
    assert mx.random.categorical(mx.zeros((3, 4)), shape=(2, 3)).shape == (2, 3)
    assert sorted(mx.random.permutation(5).tolist()) == [0, 1, 2, 3, 4]
    assert mx.random.permutation(5).dtype == mx.uint32
    t = mx.random.truncated_normal(-1.0, 1.0, (500,))
    assert t.dtype == mx.float32 and float(mx.max(mx.abs(t))) <= 1.0
    assert mx.random.gumbel((3,)).dtype == mx.float32
    u = mx.random.uniform(2.0, 3.0, (1000,))
    assert 2.0 <= float(u.min()) and float(u.max()) < 3.0
    n = mx.random.normal((20000,), loc=1.0, scale=2.0)
    assert abs(float(mx.mean(n)) - 1.0) < 0.1 and abs(float(mx.std(n)) - 2.0) < 0.1
    with pytest.raises(ValueError, match="key"):
        mx.random.normal((2,), key=mx.array([1.0]))
