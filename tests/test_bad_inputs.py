"""Issue 15 §9: a bad-input sweep over the public entry points.

Every positional parameter of every function in SWEPT (the array functions of microgradx 0.1.0, all
re-exported as ``mgx.*``) gets each bad value in turn, the others staying valid; each call must raise
TypeError, ValueError or IndexError with a message that names the parameter.  A second table covers
the other faces (nn losses, datasets, transforms, check_grad, the expression parser) call by call.
"""

import inspect
import re

import numpy as np
import pytest

import microgradx as mgx
from microgradx import ops

A = mgx.array([[1.0, 2.0], [3.0, 4.0]])
VALID = {  # a valid call of each function whose arguments are not all plain arrays
    "array": ([1.0],), "zeros": ((2,),), "ones": ((2,),), "full": ((2,), 1.0), "arange": (3,), "eye": (2,),
    "linspace": (0.0, 1.0, 3), "reshape": (A, (4,)), "transpose": (A, (1, 0)), "swapaxes": (A, 0, 1),
    "expand_dims": (A, 0), "broadcast_to": (A, (2, 2)), "concatenate": ([A, A],), "stack": ([A, A],),
    "astype": (A, np.float32), "take": (A, [0]), "clip": (A, 0.0, 1.0), "where": (A > 2.0, A, A),
}
BAD = ["abc", None, object(), {1: 2}, 1j]
ARRAYS = {"data", "vals", "a", "b", "x", "y", "arrays"}  # the parameters that take array values
NONE_OK = {("clip", "a_min"), ("clip", "a_max")}  # clip: "either may be None"


def _names(name):
    params = inspect.signature(getattr(ops, name)).parameters.values()
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


SWEPT = [
    "array", "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye", "linspace",
    "add", "subtract", "multiply", "divide", "power", "negative", "square", "sqrt", "abs",
    "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "maximum", "minimum", "clip", "where",
    "sum", "mean", "max", "min", "var", "std", "logsumexp", "softmax", "log_softmax",
    "matmul", "reshape", "transpose", "swapaxes", "expand_dims", "squeeze", "broadcast_to",
    "concatenate", "stack", "flatten", "astype", "take", "argmax", "argmin", "stop_gradient",
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
]
CASES = []
for _name in SWEPT:
    _params = _names(_name)
    for _i, _p in enumerate(_params):
        for _bad in BAD:
            if _bad is None and (_p.default is None or _p.name == "dtype" or (_name, _p.name) in NONE_OK):
                continue  # None is that parameter's documented default (or numpy's default dtype)
            if isinstance(_bad, complex) and _name in ops.COMPLEX_READY and _p.name in ARRAYS:
                continue  # a complex number is an array value these functions take (issue 13)
            CASES.append(pytest.param(_name, _i, _bad, id=f"{_name}-{_p.name}-{type(_bad).__name__}"))


@pytest.mark.parametrize("name, i, bad", CASES)
def test_every_ops_parameter_refuses_bad_values(name, i, bad):
    f = getattr(ops, name)
    params = _names(name)
    args = VALID.get(name) or (A,) * sum(p.default is p.empty for p in params)
    call = list(args) + [p.default for p in params[len(args):]]
    call[i] = bad
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        f(*call)
    param = params[i].name
    wanted = "data" if name == "array" else param  # array(data): the Tensor constructor's own word
    assert re.search(rf"\b{wanted}\b", str(info.value)), f"{name}({param}={bad!r}): {info.value}"


def test_the_sweep_covers_the_swept_functions():
    assert len(CASES) > 300
    assert set(SWEPT) <= set(ops.__all__) <= set(mgx.__all__)


@pytest.mark.parametrize("call, param", [
    (lambda: mgx.nn.mse_loss("abc", [1.0]), "predictions|prediction|pred"),
    (lambda: mgx.nn.cross_entropy(A, "abc"), "targets|target|labels"),
    (lambda: mgx.nn.cross_entropy(A, [0.5, 1.0]), "targets|target|labels"),
    (lambda: mgx.datasets.make_moons("10"), "n"),
    (lambda: mgx.datasets.make_moons(10, noise=-1.0), "noise"),
    (lambda: mgx.datasets.make_spirals(10, classes=1), "classes"),
    (lambda: mgx.datasets.make_blobs(10, std="x"), "std"),
    (lambda: mgx.datasets.minibatches(np.zeros((2, 1)), np.zeros(2), 0).__next__(), "batch_size"),
    (lambda: mgx.datasets.train_test_split(np.zeros((4, 1)), np.zeros(4), 2.5), "test_size"),
    (lambda: mgx.grad("abc"), "fun|function|callable"),
    (lambda: mgx.grad(mgx.sum, argnums="x"), "argnums"),
    (lambda: mgx.check_grad(mgx.sum, mgx.array([1.0]), order=0), "order"),
    (lambda: mgx.check_grad(mgx.sum, mgx.array([1.0]), modes=("sideways",)), "modes"),
    (lambda: mgx.check_grad(mgx.sum, mgx.array([np.inf])), "argument 0|x"),
    (lambda: mgx.optim.SGD([mgx.Tensor([1.0])], lr="fast"), "lr"),
    (lambda: mgx.teaching.expression.parse(3), "expression"),
    (lambda: mgx.teaching.expression.parse_values("x=abc"), "x"),
    (lambda: mgx.Tensor("abc"), "data"),
    (lambda: A[1.5], "indices|index"),
    (lambda: A.reshape("x"), "shape"),
    (lambda: mgx.sum(A, axis=7), "axis"),
    (lambda: mgx.Scalar("1"), "data|value"),
])
def test_other_entry_points_name_the_bad_argument(call, param):
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        call()
    assert re.search(rf"\b({param})\b", str(info.value)), str(info.value)


# --- issue 13: the functions added for the MLX face -----------------------------------------------------------------
# the new array functions of microgradx.ops, the face's own functions (microgradx.mlx.core) and mx.random: every
# positional parameter gets each bad value, as above.  A complex number is a good value for an array parameter of
# a function that takes complex arrays (ops.COMPLEX_READY and FACE_COMPLEX_READY).
import microgradx.mlx.core as mx  # noqa: E402
import microgradx.mlx.random as mxr  # noqa: E402

I2 = mgx.array([1, 0])
COL = mgx.array([[0], [1]])
OPS_VALID = {
    "tri": (2,), "take_along_axis": (A, COL, 1), "put_along_axis": (A, COL, 1.0, 1), "scatter_set": (A, 1.0, 0),
    "pad": (A, 1), "split": (A, 2), "repeat": (A, 2), "tile": (A, 2), "roll": (A, 1), "moveaxis": (A, 0, 1),
    "unflatten": (A, 0, (2, 1)), "slice_update": (A, mgx.array([[9.0]]), mgx.array([0, 0]), (0, 1)),
    "topk": (A, 1), "partition": (A, 1), "argpartition": (A, 1), "round": (A, 1), "tensordot": (A, A, 1),
    "meshgrid": (A[0], A[1]), "broadcast_arrays": (A, A), "atleast_1d": (A,), "atleast_2d": (A,),
    "atleast_3d": (A,), "unstack": (A, 0), "left_shift": (I2, 1), "right_shift": (I2, 1), "bitwise_and": (I2, 1),
    "bitwise_or": (I2, 1), "bitwise_xor": (I2, 1), "bitwise_invert": (I2,), "addmm": (A, A, A),
    "cumsum": (A, 0), "cumprod": (A, 0), "cummax": (A, 0), "cummin": (A, 0), "logcumsumexp": (A, 0),
}
FACE_VALID = {
    "zeros": ((2,),), "ones": ((2,),), "full": ((2,), 1.0), "zeros_like": (A,), "ones_like": (A,),
    "full_like": (A, 1.0), "arange": (3,), "linspace": (0.0, 1.0, 3), "eye": (2,), "identity": (2,), "mean": (A,),
    "var": (A,), "std": (A,), "sum": (A,), "prod": (A,), "cumsum": (A,), "cumprod": (A,), "flip": (A,),
    "matrix_transpose": (A,), "vecdot": (A, A), "diff": (A,), "kron": (A, A), "isposinf": (A,), "isneginf": (A,),
    "count_nonzero": (A,), "cumulative_sum": (A,), "cumulative_prod": (A,),
    "slice": (A, mgx.array([0]), (0,), (1,)), "searchsorted": (mgx.array([1.0, 2.0]), mgx.array([1.5])),
    "tri": (2,), "positive": (A,), "concatenate": ([A, A],), "concat": ([A, A],), "stack": ([A, A],),
    "hamming": (3,), "hanning": (3,), "blackman": (3,), "bartlett": (3,), "argmax": (A,), "argmin": (A,),
    "argsort": (A,), "argpartition": (A, 1), "asarray": ([1.0],), "issubdtype": (mx.float32, mx.floating),
    "set_default_device": (mx.cpu,), "is_available": (mx.cpu,), "default_stream": (mx.cpu,),
    "new_stream": (mx.cpu,), "device_count": (), "synchronize": (),
}
RANDOM_VALID = {
    "seed": (1,), "key": (1,), "split": (mxr.key(0),), "normal": (), "uniform": (), "randint": (0, 5),
    "bernoulli": (), "gumbel": (), "categorical": (A,), "permutation": (3,), "truncated_normal": (-1.0, 1.0),
    "laplace": (), "multivariate_normal": (mgx.zeros((2,)), mgx.eye(2)),
}
FACE_COMPLEX_READY = {"full", "zeros_like", "ones_like", "full_like", "mean", "sum", "prod", "cumsum", "flip",
                      "count_nonzero", "cumulative_sum", "positive", "asarray", "concatenate", "concat", "stack",
                      "var", "std", "cumprod", "cumulative_prod", "argmax", "argmin", "argsort", "argpartition"}
MLX_NONE_OK = {(f, "axis") for f in ("sort", "argsort", "topk", "partition", "argpartition")} | {
    ("scatter_set", "index")}  # axis None: the flattened array (MLX); index None: numpy's newaxis
NEW_OPS = [n for n in ops.__all__ if n not in SWEPT and callable(getattr(ops, n))]
MODULES = {"ops": (ops, OPS_VALID), "mlx.core": (mx, FACE_VALID), "mlx.random": (mxr, RANDOM_VALID)}


def _positional(f):
    params = inspect.signature(f).parameters.values()
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _complex_ok(module, name, param):
    ready = ops.COMPLEX_READY if module == "ops" else FACE_COMPLEX_READY if module == "mlx.core" else set()
    return name in ready and param in ARRAYS | {"fill_value", "sorted_sequence", "values", "update"}


MLX_CASES = []
for _module, _listed in [("ops", NEW_OPS), ("mlx.core", list(FACE_VALID)), ("mlx.random", list(RANDOM_VALID))]:
    for _name in _listed:
        for _i, _p in enumerate(_positional(getattr(MODULES[_module][0], _name))):
            for _bad in BAD:
                if _bad is None and (_p.default is None or _p.name == "dtype" or (_name, _p.name) in MLX_NONE_OK):
                    continue
                if isinstance(_bad, complex) and _complex_ok(_module, _name, _p.name):
                    continue
                MLX_CASES.append(pytest.param(_module, _name, _i, _bad,
                                              id=f"{_module}.{_name}-{_p.name}-{type(_bad).__name__}"))


@pytest.mark.parametrize("module, name, i, bad", MLX_CASES)
def test_every_mlx_face_parameter_refuses_bad_values(module, name, i, bad):
    lib, valid = MODULES[module]
    f = getattr(lib, name)
    params = _positional(f)
    args = valid.get(name) or (A,) * sum(p.default is p.empty for p in params)
    call = list(args) + [p.default for p in params[len(args):]]
    call[i] = bad
    with pytest.raises((TypeError, ValueError, IndexError)) as info:
        f(*call)
    param = params[i].name
    assert re.search(rf"\b{param}\b", str(info.value)), f"{module}.{name}({param}={bad!r}): {info.value}"


def test_the_mlx_sweep_covers_every_new_function():
    assert len(NEW_OPS) >= 90 and len(MLX_CASES) > 1400
    for lib, valid in MODULES.values():
        for name, args in valid.items():
            getattr(lib, name)(*args)  # each valid call is valid
    assert set(RANDOM_VALID) == set(mxr.__all__)
