"""MLX conformance battery: the same programs run through ``mlx.core`` and microgradx in one process.

Each case is a function ``case(L)`` written once against a small namespace
``L`` that is either MLX or microgradx (``L.arr`` makes a float32 array,
everything else is the library's own function: ``L.grad``, ``L.sum``, ...).
Both outcomes -- a result or an exception -- are compared:

* ``same``: same result structure (container types, dict keys in order,
  shapes) and values within float32 tolerance, or the same exception class
  and message;
* ``same_class``: the same exception class; MLX's text is its binding
  layer's signature dump (docs/mlx.rst, "the checks": wrong kinds of argument);
* ``differs``: a deliberate difference (docs/mlx.rst); both libraries'
  behaviours are asserted, so the difference is shown to exist and ours is
  the documented one.  A few ``differs`` cases do not run MLX at all because
  MLX crashes the process on them (``mlx=None``).

Run ``python tests/test_mlx_conformance.py`` for the table of counts.
"""

from __future__ import annotations

import sys
from collections import OrderedDict, defaultdict, namedtuple

import numpy as np
import pytest

mx = pytest.importorskip("mlx.core", reason="mlx cannot be imported: the MLX conformance battery needs mlx[cpu]",
                         exc_type=ImportError)

from _mlx_compare import Battery, Case, Outcome, returns, run  # noqa: E402,F401 - shared with the face battery
from _mlx_compare import raises as _raises  # noqa: E402

import microgradx as mgx  # noqa: E402

Out = namedtuple("Out", "loss extra")
Pair = namedtuple("Pair", "a b")


class TupleChild(tuple):
    """A tuple subclass that is not a namedtuple."""


class ListChild(list):
    """A list subclass."""


class Thing:
    """An arbitrary object."""


class Lib:
    """The namespace a case sees: MLX or microgradx, plus ``arr`` (float32 by default) and dtypes."""

    def __init__(self, module, is_mlx: bool):
        self.module = module
        self.is_mlx = is_mlx
        self.name = "mlx" if is_mlx else "microgradx"
        self.int32 = mx.int32 if is_mlx else np.int32
        self.float32 = mx.float32 if is_mlx else np.float32
        self.float16 = mx.float16 if is_mlx else np.float16

    def __getattr__(self, name):
        return getattr(self.module, name)

    def arr(self, data, dtype=None):
        if self.is_mlx:
            return mx.array(data, dtype=dtype or mx.float32)
        return mgx.array(np.asarray(data, dtype=dtype or np.float32))


MLX = Lib(mx, True)
MGX = Lib(mgx, False)


BATTERY = Battery()
CASES = BATTERY.cases
same, same_class, differs = BATTERY.same, BATTERY.same_class, BATTERY.differs


def _is_arr(x) -> bool:
    return isinstance(x, (mx.array, mgx.Tensor))


def assert_same_value(a, b, path="result"):
    """MLX result ``a`` and ours ``b``: same containers, keys, shapes; values within float32 tolerance."""
    if _is_arr(a) or _is_arr(b):
        assert _is_arr(a) and _is_arr(b), f"{path}: {type(a).__name__} vs {type(b).__name__}"
        va, vb = np.array(a), np.asarray(b)
        assert va.shape == vb.shape, f"{path}: shape {va.shape} vs {vb.shape}"
        assert np.allclose(va.astype(np.float64), vb.astype(np.float64), rtol=1e-5, atol=1e-6, equal_nan=True), \
            f"{path}: values {va} vs {vb}"
        return
    if isinstance(a, (list, tuple, dict)):
        assert type(a) is type(b), f"{path}: container {type(a).__name__} vs {type(b).__name__}"
        assert len(a) == len(b), f"{path}: length {len(a)} vs {len(b)}"
        if isinstance(a, dict):
            assert list(a) == list(b), f"{path}: keys {list(a)} vs {list(b)}"
            for k in a:
                assert_same_value(a[k], b[k], f"{path}[{k!r}]")
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                assert_same_value(x, y, f"{path}[{i}]")
        return
    assert type(a) is type(b) and a == b, f"{path}: {a!r} vs {b!r}"


def raises(cls, message=None):
    """An outcome check: exception of class ``cls`` (with exactly ``message`` if given)."""
    return _raises(cls, message, exact=True)


def values(x):
    return np.asarray(x).tolist()


# ---------------------------------------------------------------------------
# Shared functions used by the cases
# ---------------------------------------------------------------------------
def f3(x, y, z):
    return x * y * z


def fk(x, y, z=None, w=None):
    out = x * y
    if z is not None:
        out = out + z * z
    if w is not None:
        out = out + 7 * w
    return out


def xyz(L):
    return L.arr(2.0), L.arr(3.0), L.arr(5.0)


def vec(L):
    return L.arr([1.0, 2.0])


# ---------------------------------------------------------------------------
# A. Argument selection and result shapes (docs/mlx.rst: argument selection, the gradient's shape)
# ---------------------------------------------------------------------------
same("grad default argnums", lambda L: L.grad(f3)(*xyz(L)))
same("grad argnums=1", lambda L: L.grad(f3, argnums=1)(*xyz(L)))
same("grad argnums positional", lambda L: L.grad(f3, 2)(*xyz(L)))
same("grad argnums=(2,0) sorted", lambda L: L.grad(f3, argnums=(2, 0))(*xyz(L)))
same("grad argnums=[2,0,1] sorted", lambda L: L.grad(f3, argnums=[2, 0, 1])(*xyz(L)))
same("grad argnums=(2,) is bare", lambda L: L.grad(f3, argnums=(2,))(*xyz(L)))
same("grad argnums=[1] is bare", lambda L: L.grad(f3, argnums=[1])(*xyz(L)))
same("grad argnums=True means 1", lambda L: L.grad(f3, argnums=True)(*xyz(L)))
same("grad argnums=np.int64", lambda L: L.grad(f3, argnums=np.int64(1))(*xyz(L)))
same("grad argnums=range(2)", lambda L: L.grad(f3, argnums=range(2))(*xyz(L)))
same("grad argnums=ndarray", lambda L: L.grad(f3, argnums=np.array([0, 2]))(*xyz(L)))
same("grad argnums by keyword too", lambda L: L.grad(fun=f3, argnums=(0, 1))(*xyz(L)))
same("grad argnames='z'", lambda L: L.grad(fk, argnames="z")(*xyz(L)[:2], z=L.arr(5.0)))
same("grad None, 'y' positional", lambda L: L.grad(fk, None, "y")(L.arr(2.0), y=L.arr(3.0)))
same("grad argnums=(1,0) argnames='w'",
     lambda L: L.grad(fk, argnums=(1, 0), argnames="w")(L.arr(2.0), L.arr(3.0), w=L.arr(4.0)))
same("grad argnums=0 argnames='z'",
     lambda L: L.grad(fk, argnums=0, argnames="z")(L.arr(2.0), L.arr(3.0), z=L.arr(5.0)))
same("value_and_grad argnames='z'", lambda L: L.value_and_grad(fk, argnames="z")(*xyz(L)[:2], z=L.arr(5.0)))
same("argnames dict order follows the call (w, z)",
     lambda L: L.grad(fk, argnames=["z", "w"])(L.arr(2.0), L.arr(3.0), w=L.arr(4.0), z=L.arr(5.0)))
same("argnames dict order follows the call (z, w)",
     lambda L: L.grad(fk, argnames=["z", "w"])(L.arr(2.0), L.arr(3.0), z=L.arr(5.0), w=L.arr(4.0)))
same("argnames as a set", lambda L: L.grad(fk, argnames={"z"})(L.arr(2.0), L.arr(3.0), z=L.arr(5.0)))
same("argnames duplicates collapse", lambda L: L.grad(fk, argnames=("z", "z"))(L.arr(2.0), L.arr(3.0), z=L.arr(5.0)))
same("argnames tuple", lambda L: L.grad(fk, argnames=("z",))(L.arr(2.0), L.arr(3.0), z=L.arr(5.0)))
same("argnames tree keyword",
     lambda L: L.grad(lambda x, t=None: x * t["a"] * t["b"][0], argnames="t")(
         L.arr(2.0), t={"a": L.arr(3.0), "b": [L.arr(5.0)]}))
same("value_and_grad argnums=(0,1)", lambda L: L.value_and_grad(lambda x, y: x * y, (0, 1))(L.arr(0.5), L.arr(2.0)))
same("value_and_grad argnums=1", lambda L: L.value_and_grad(lambda x, y: x * y, 1)(L.arr(0.5), L.arr(2.0)))
same("non-array positional argument passes through",
     lambda L: L.value_and_grad(lambda x, y: x)(L.arr(2.0), "hello"))
same("non-array keyword argument passes through",
     lambda L: L.grad(lambda x, y=None, s=None: x * 2)(L.arr(2.0), y=None, s=[1, "a", {"k": None}]))
same("arrays in non-differentiated arguments are constants",
     lambda L: L.grad(lambda x, c: L.sum(x * c[0]))(L.arr([1.0, 2.0]), [L.arr([3.0, 4.0]), "tag"]))
same("a parameter passed by keyword works through argnames",
     lambda L: L.grad(lambda x, y: x * y, argnums=[], argnames=["y"])(x=L.arr(0.5), y=L.arr(2.0)))
same("argnums + argnames, two positional",
     lambda L: L.grad(lambda x, y, z: x * y * z, argnums=[0, 1], argnames=["z"])(L.arr(0.5), L.arr(2.0), z=L.arr(4.0)))
same("extra keyword arguments go to fun",
     lambda L: L.grad(lambda x, **kw: x * kw["k"])(L.arr(3.0), k=L.arr(2.0)))
same("wraps keeps the name", lambda L: L.grad(f3).__name__)
same("wraps keeps the docstring", lambda L: L.value_and_grad(Lib.arr).__doc__)

# ---------------------------------------------------------------------------
# B. Construction errors (G1-G4)
# ---------------------------------------------------------------------------
same("G1 argnums=()", lambda L: L.grad(f3, argnums=()))
same("G1 argnums=[]", lambda L: L.grad(f3, argnums=[]))
same("G1 value_and_grad [] and []", lambda L: L.value_and_grad(f3, argnums=[], argnames=[]))
same("G2 argnums=-1", lambda L: L.grad(f3, argnums=-1))
same("G2 argnums=(0,-2)", lambda L: L.grad(f3, argnums=(0, -2)))
same("G2 before G3 for (-1,-1)", lambda L: L.grad(f3, argnums=(-1, -1)))
same("G2 value_and_grad", lambda L: L.value_and_grad(f3, argnums=-3))
same("G3 argnums=(0,0)", lambda L: L.grad(f3, argnums=(0, 0)))
same("G3 value_and_grad [0,0]", lambda L: L.value_and_grad(f3, argnums=[0, 0]))
same("G3 argnums=(1,1,2)", lambda L: L.grad(f3, argnums=(1, 1, 2)))
differs("G3 names the duplicate (1,2,2)", lambda L: L.grad(f3, argnums=(1, 2, 2)),
        raises(ValueError, "[grad] Duplicate argument index 1 is not allowed."),
        raises(ValueError, "[grad] Duplicate argument index 2 is not allowed."))
differs("G3 names the duplicate (2,1,2)", lambda L: L.value_and_grad(f3, argnums=(2, 1, 2)),
        raises(ValueError, "[value_and_grad] Duplicate argument index 1 is not allowed."),
        raises(ValueError, "[value_and_grad] Duplicate argument index 2 is not allowed."))
same_class("G4 argnums=1.5", lambda L: L.grad(f3, argnums=1.5))
same_class("G4 argnums='a'", lambda L: L.grad(f3, argnums="a"))
same_class("G4 argnums=(None,None)", lambda L: L.value_and_grad(f3, (None, None)))
same_class("G4 argnums a set", lambda L: L.grad(f3, argnums={0, 1}))
same_class("G4 argnames=1", lambda L: L.grad(f3, argnames=1))
same_class("G4 argnames=None", lambda L: L.grad(f3, argnames=None))
same_class("G4 argnames=['z', 1]", lambda L: L.grad(f3, argnames=["z", 1]))
same_class("G4 fun not callable", lambda L: L.grad(5))
same_class("G4 value_and_grad fun not callable", lambda L: L.value_and_grad("f"))
same("argnums=5 is accepted at construction", lambda L: callable(L.grad(f3, argnums=5)))
same("argnames='' is accepted at construction", lambda L: callable(L.grad(f3, argnames="")))

# ---------------------------------------------------------------------------
# C. Call-time errors (G5-G13) and their order
# ---------------------------------------------------------------------------
same("G5 argnums=5", lambda L: L.grad(f3, argnums=5)(*xyz(L)))
same("G5 argnums=2 with one argument", lambda L: L.grad(lambda x: x, argnums=2)(L.arr(2.0)))
same("G5 only the largest index is named", lambda L: L.grad(f3, argnums=(0, 4, 3))(*xyz(L)))
same("G5 default argnums, all keyword", lambda L: L.grad(lambda x, y: x * y)(x=L.arr(0.5), y=L.arr(2.0)))
same("G5 runs before G6", lambda L: L.grad(lambda x, y: x * y, argnums=0, argnames="y")(x=L.arr(0.5), y=L.arr(2.0)))
same("G5 tuple argnums with one argument",
     lambda L: L.value_and_grad(lambda p: p["x"] * p["y"], (0, 1))({"x": L.arr(0.5), "y": L.arr(2.0)}))
same("G6 argname passed positionally",
     lambda L: L.grad(lambda x, y: x * y, argnums=[], argnames=["y"])(L.arr(0.5), L.arr(2.0)))
same("G6 lists the keyword arguments",
     lambda L: L.grad(fk, argnames="z")(L.arr(2.0), y=L.arr(3.0), w=L.arr(4.0)))
same("G6 value_and_grad", lambda L: L.value_and_grad(fk, argnames="z")(L.arr(2.0), L.arr(3.0)))
same("G6 empty argname", lambda L: L.grad(f3, argnames="")(*xyz(L)))
same("G6 with argnums too", lambda L: L.grad(lambda x, y: x * y, argnums=[0], argnames=["y"])(L.arr(0.5), L.arr(2.0)))
same("G7 a string argument", lambda L: L.grad(lambda x: x)("hello"))
same("G7 None in a differentiated list", lambda L: L.grad(lambda p: p[0])([L.arr(1.0), None]))
same("G7 str in a differentiated dict", lambda L: L.grad(lambda p: p["a"])({"a": L.arr(1.0), "b": "s"}))
same("G7 an object leaf", lambda L: L.grad(lambda p: p[0])([L.arr(1.0), Thing()]))
same("G7 a set leaf", lambda L: L.grad(lambda p: p[0])([L.arr(1.0), {1, 2}]))
same("G7 bool leaf", lambda L: L.grad(lambda x: x)(True))
same("G7 inside an argnames tree", lambda L: L.grad(fk, argnames="z")(L.arr(2.0), L.arr(3.0), z=[L.arr(5.0), None]))
same("G7 runs before fun",
     lambda L: (lambda seen: (_catch(lambda: L.grad(lambda x: seen.append(1) or x)(None)), seen))([]))
same("G8 empty list", lambda L: L.grad(lambda p: L.arr(1.0))([]))
same("G8 empty dict, value_and_grad says [grad]", lambda L: L.value_and_grad(lambda p: L.arr(1.0))({}))
same("G8 nested empties", lambda L: L.grad(lambda p: L.arr(1.0))([[], {}, ()]))
same("G9 tuple returned", lambda L: L.grad(lambda x: (L.sum(x * x), x))(vec(L)))
same("G9 list returned", lambda L: L.grad(lambda x: [x])(L.arr(1.0)))
same("G9 None returned", lambda L: L.grad(lambda x: None)(L.arr(1.0)))
same("G9 str returned", lambda L: L.grad(lambda x: "hello")(L.arr(2.0)))
same("G9 int returned", lambda L: L.grad(lambda x: 3)(L.arr(2.0)))
same("G9 ndarray returned", lambda L: L.grad(lambda x: np.ones(()))(L.arr(2.0)))
same("G9 namedtuple type name", lambda L: L.grad(lambda x: Out(x, 1))(L.arr(2.0)))
same("G9 grad of value_and_grad", lambda L: L.grad(L.value_and_grad(lambda x: L.sum(x ** 3)))(vec(L)))
same("G10 list returned", lambda L: L.value_and_grad(lambda x: [x])(L.arr(1.0)))
same("G10 dict returned", lambda L: L.value_and_grad(lambda x: {"a": x})(L.arr(1.0)))
same("G10 float returned", lambda L: L.value_and_grad(lambda x: 1.0)(L.arr(1.0)))
same("G10 None returned", lambda L: L.value_and_grad(lambda x: None)(L.arr(1.0)))
same("G11 empty tuple", lambda L: L.value_and_grad(lambda x: ())(L.arr(1.0)))
same("G12 first value a float", lambda L: L.value_and_grad(lambda x: (1.0, x))(L.arr(1.0)))
same("G12 first value None", lambda L: L.value_and_grad(lambda x: (None, x))(L.arr(1.0)))
same("G12 first value an ndarray", lambda L: L.value_and_grad(lambda x: (np.ones(()), x))(L.arr(1.0)))
same("G12 first value a tuple", lambda L: L.value_and_grad(lambda x: ((x,), x))(L.arr(1.0)))
same("G13 vector loss", lambda L: L.grad(lambda x: x * x)(vec(L)))
same("G13 keepdims loss has the hint", lambda L: L.grad(lambda x: L.sum(x, keepdims=True))(vec(L)))
same("G13 (1,1) loss has the hint", lambda L: L.grad(lambda x: L.sum(x, keepdims=True))(L.ones((2, 2))))
same("G13 (2,3) loss", lambda L: L.grad(lambda x: x * 2)(L.ones((2, 3))))
same("G13 value_and_grad (x*x, x)", lambda L: L.value_and_grad(lambda x: (x * x, x))(vec(L)))
same("G13 value_and_grad hint with non-array aux",
     lambda L: L.value_and_grad(lambda x: (L.sum(x, keepdims=True), "a"))(vec(L)))
same("G13 value_and_grad no hint with array aux",
     lambda L: L.value_and_grad(lambda x: (L.sum(x, keepdims=True), x))(vec(L)))
same("G13 grad of grad on a vector", lambda L: L.grad(L.grad(lambda x: L.sum(x ** 3)))(vec(L)))
same("errors raised by fun propagate", lambda L: L.grad(lambda x: {}["boom"])(L.arr(1.0)))
same("unexpected keyword goes to fun", lambda L: L.grad(lambda x: x)(L.arr(1.0), q=1))


def _catch(thunk):
    try:
        thunk()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# ---------------------------------------------------------------------------
# D. Trees
# ---------------------------------------------------------------------------
same("dict argument keeps insertion order",
     lambda L: L.grad(lambda p: p["b"] * p["a"] * p["a"])({"b": L.arr(2.0), "a": L.arr(3.0)}))
same("dict with int keys", lambda L: L.grad(lambda d: d[1] * d[0])({1: L.arr(2.0), 0: L.arr(3.0)}))
same("nested list with empty lists",
     lambda L: L.value_and_grad(lambda p, b: L.square(p[0]["foo"][2]) * b)([{"foo": [[], [], L.arr(2.0)]}], L.arr(0.5)))
same("tuple argument", lambda L: L.grad(lambda t: t[0] * t[1])((L.arr(2.0), L.arr(3.0))))
same("namedtuple argument keeps its type", lambda L: L.grad(lambda p: p.a * p.b)(Pair(L.arr(2.0), L.arr(3.0))))
same("tuple subclass keeps its type", lambda L: L.grad(lambda p: p[0] * p[1])(TupleChild([L.arr(2.0), L.arr(3.0)])))
same("list subclass becomes a list", lambda L: L.grad(lambda p: p[0] * p[1])(ListChild([L.arr(2.0), L.arr(3.0)])))
same("OrderedDict becomes a dict",
     lambda L: L.grad(lambda p: p["x"] * p["y"])(OrderedDict(y=L.arr(2.0), x=L.arr(3.0))))
same("defaultdict becomes a dict",
     lambda L: L.grad(lambda p: p["x"] * 2)(defaultdict(int, x=L.arr(2.0))))
same("deep mixed tree",
     lambda L: L.grad(lambda t: t["a"][0] * t["a"][1]["b"] + L.sum(t["c"][0]))(
         {"a": [L.arr(2.0), {"b": L.arr(3.0)}], "c": (L.arr([1.0, 2.0]),)}))
same("the same array three times gets three gradients",
     lambda L: (lambda a: L.grad(lambda p: p[0] + p[2])([a, a, a]))(L.arr(2.0)))
same("the same array as two arguments", lambda L: (lambda a: L.grad(lambda x, y: x * y * y, (0, 1))(a, a))(L.arr(2.0)))
same("the same array in two positions, weighted",
     lambda L: (lambda a: L.grad(lambda p: p[0] * 3)([a, a]))(L.arr(1.0)))
same("fun gets the caller's list",
     lambda L: (lambda lst, seen: (L.grad(lambda p: (seen.append(p is lst), p[0])[1])(lst), seen)[1])([L.arr(1.0)], []))
same("fun gets the caller's dict",
     lambda L: (lambda d, seen: (L.grad(lambda p: (seen.append(p is d), p["a"])[1])(d), seen)[1])(
         {"a": L.arr(1.0)}, []))
same("fun gets a new tuple",
     lambda L: (lambda t, seen: (L.grad(lambda p: (seen.append(p is t), p[0])[1])(t), seen)[1])((L.arr(1.0),), []))
same("fun sees tracers, not the caller's arrays",
     lambda L: (lambda a, seen: (L.grad(lambda p: (seen.append(p[0] is a), p[0])[1])([a]), seen)[1])(L.arr(1.0), []))
same("originals are restored after the call",
     lambda L: (lambda arrs: (lambda before: (L.grad(lambda p: p[0])(arrs), id(arrs[0]) == before)[1])(id(arrs[0])))(
         [L.arr(1.0)]))
same("an element overwritten by fun stays",
     lambda L: (lambda model: (L.grad(lambda m: (m.__setitem__(1, L.arr(2.0)), m[0])[1])(model), model[1].item())[1])(
         [L.arr(0.0), L.arr(1.0)]))
same("gradient of an overwritten element is zero",
     lambda L: L.grad(lambda m: (m.__setitem__(1, L.arr(2.0)), m[0] * m[1])[1])([L.arr(3.0), L.arr(1.0)]))
same("a non-array entry added by fun shows in the gradient",
     lambda L: L.grad(lambda d: (d.__setitem__("new", 5), d["a"] * 3)[1])({"a": L.arr(1.0)}))
differs("an array added by fun gets a zero gradient (MLX crashes)",
        lambda L: L.grad(lambda d: (d.__setitem__("new", L.arr(5.0)), d["a"] * 3)[1])({"a": L.arr(1.0)}),
        None, returns(lambda g: list(g) == ["a", "new"] and float(g["a"]) == 3.0 and float(g["new"]) == 0.0))
same("unused input gets zeros", lambda L: L.grad(lambda x, y: L.sum(x * 2), (0, 1))(vec(L), L.ones((2, 3))))
same("broadcasting is reduced away",
     lambda L: L.grad(lambda x, y: L.sum(x * y), (0, 1))(L.arr([1.0, 2.0, 3.0]), L.arr([[1.0], [2.0]])))
same("zero-size input", lambda L: L.grad(lambda x, y: L.sum(x) + y)(L.zeros((0,)), L.arr(1.0)))

# ---------------------------------------------------------------------------
# E. value_and_grad values and aux outputs (docs/mlx.rst: aux outputs)
# ---------------------------------------------------------------------------
same("aux array", lambda L: L.value_and_grad(lambda x: (L.sum(x * x), x * 3))(vec(L)))
same("aux non-arrays kept", lambda L: L.value_and_grad(lambda x: (L.sum(x * x), "hi", None, 3))(vec(L)))
same("(loss,) is a 1-tuple", lambda L: L.value_and_grad(lambda x: (L.sum(x),))(vec(L)))
same("namedtuple output keeps its type", lambda L: L.value_and_grad(lambda x: Out(L.sum(x * x), {"k": x}))(vec(L)))
same("aux list is a new list",
     lambda L: (lambda aux: L.value_and_grad(lambda x: (L.sum(x), aux))(vec(L))[0][1] is aux)([1, 2]))
same("aux dict with arrays and ints (upstream test_auxiliary_values)",
     lambda L: L.value_and_grad(lambda x, y: (
         (x * y).sum(), {"loss": (x * y).sum(), "foo": y.square() + x.square(), "bar": [1, 2, 3, y, x]}))(
         L.ones((2, 2)), L.ones((2, 2))))
same("grad of a function with aux fails",
     lambda L: L.grad(lambda x: ((x * x).sum(), {"x": x}))(L.ones((2,))))
same("aux passes through stop_gradient for an outer grad",
     lambda L: L.grad(lambda y: L.value_and_grad(lambda u: (u * u, u ** 3))(y)[0][1])(L.arr(0.5)))
same("the loss value stays differentiable",
     lambda L: L.grad(lambda y: L.value_and_grad(lambda u: (u * u, u ** 3))(y)[0][0])(L.arr(0.5)))
same("value_and_grad of value_and_grad", lambda L: L.value_and_grad(L.value_and_grad(lambda x: L.sum(x ** 3)))(vec(L)))
same("the loss repeated in aux", lambda L: L.value_and_grad(lambda x: (L.sum(x), {"again": L.sum(x)}))(vec(L)))
same("a loss that ignores the input", lambda L: L.value_and_grad(lambda x: L.arr(4.0))(L.arr(1.0)))

# ---------------------------------------------------------------------------
# F. Higher order and composition (docs/mlx.rst: higher order)
# ---------------------------------------------------------------------------
cube = lambda x: x * x * x  # noqa: E731
same("grad of x³", lambda L: L.grad(cube)(L.arr(0.5)))
same("grad² of x³", lambda L: L.grad(L.grad(cube))(L.arr(0.5)))
same("grad³ of x³", lambda L: L.grad(L.grad(L.grad(cube)))(L.arr(0.5)))
same("grad⁴ of x³", lambda L: L.grad(L.grad(L.grad(L.grad(cube))))(L.arr(0.5)))
same("grad³ of x·x (upstream test_grad)", lambda L: L.grad(L.grad(L.grad(lambda x: x * x)))(L.arr(0.5)))
same("mixed partial through argnums",
     lambda L: L.grad(L.grad(lambda a, b: a * a * b, argnums=1), argnums=0)(L.arr(2.0), L.arr(3.0)))
same("mixed partial, other order",
     lambda L: L.grad(L.grad(lambda a, b: a * a * b, argnums=0), argnums=1)(L.arr(2.0), L.arr(3.0)))
same("Hessian-vector product by grad of a dot",
     lambda L: L.grad(lambda y: L.sum(L.grad(lambda u: L.sum(u ** 3))(y) * L.arr([1.0, 0.0])))(vec(L)))
same("Hessian-vector product by jvp of grad",
     lambda L: L.jvp(L.grad(lambda u: L.sum(u ** 3)), [vec(L)], [L.arr([1.0, 0.0])]))
same("Hessian-vector product by vjp of grad",
     lambda L: L.vjp(L.grad(lambda u: L.sum(u ** 3)), [vec(L)], [L.arr([1.0, 0.0])]))
same("grad of a jvp result",
     lambda L: L.grad(lambda x: L.sum(L.jvp(lambda u: L.sin(u) * u, [x], [L.ones(x.shape)])[1][0]))(vec(L)))
same("grad of a vjp result",
     lambda L: L.grad(lambda x: L.sum(L.vjp(lambda u: L.exp(u) * u, [x], [L.ones(x.shape)])[1][0]))(vec(L)))
same("grad of a vjp result wrt the cotangent",
     lambda L: L.grad(lambda c: L.sum(L.vjp(lambda u: u * u, [L.arr([1.0, 3.0])], [c])[1][0]))(vec(L)))
same("grad of mx.sin directly", lambda L: L.grad(L.sin)(L.arr(0.0)))
same("captured array is a constant (test_captured)",
     lambda L: (lambda a: [L.grad(f)(a).item() for f in (lambda x: a + x, lambda x: a + a, lambda x: x + x)])(
         L.arr(5.0)))
same("captured array, second order",
     lambda L: (lambda a: [L.grad(L.grad(f))(a).item() for f in (lambda x: a + x, lambda x: a + a, lambda x: x + x)])(
         L.arr(5.0)))
same("captured array times x (higher order)", lambda L: (lambda a: L.grad(lambda x: a * x + a)(a))(L.arr(5.0)))
same("nonlocal state keeps the traced value (test_update_state)",
     lambda L: (lambda box: (L.grad(lambda y, x: (box.__setitem__(0, box[0] + y * x), (y * x).sum())[1])(
         L.arr([1.0]), L.ones((2,))), box[0])[1])([L.zeros((2,))]))
same("(x - y) ** x at (1, 1) (test_power_grad)", lambda L: L.grad(lambda x, y: (x - y) ** x)(L.arr(1.0), L.arr(1.0)))
same("x ** 2 at 0", lambda L: L.grad(lambda x: x ** 2)(L.arr(0.0)))
same("x ** 1.5 at 0", lambda L: L.grad(lambda x: x ** 1.5)(L.arr(0.0)))
same("x ** 2 at 2", lambda L: L.grad(lambda x: x ** 2)(L.arr(2.0)))
same("perturbation confusion, grad of grad",
     lambda L: L.grad(lambda x: x * L.grad(lambda y: x + y)(L.arr(1.0)))(L.arr(1.0)))
same("perturbation confusion, jvp of jvp",
     lambda L: L.jvp(lambda x: x * L.jvp(lambda y: x + y, [L.arr(1.0)], [L.arr(1.0)])[1][0],
                     [L.arr(1.0)], [L.arr(1.0)]))
same("enclosing scope: inner grad closes over the outer variable",
     lambda L: L.grad(lambda x: L.grad(lambda y: x * y * y)(x))(L.arr(1.5)))

# ---------------------------------------------------------------------------
# G. jvp (docs/mlx.rst: jvp and vjp)
# ---------------------------------------------------------------------------
same("jvp 2x (upstream test_jvp)", lambda L: L.jvp(lambda x: 2 * x, [L.arr(1.0)], [L.arr(2.0)]))
same("jvp x*y", lambda L: L.jvp(lambda x, y: x * y, [L.arr(4.0), L.arr(2.0)], [L.arr(3.0), L.arr(2.0)]))
same("jvp two outputs",
     lambda L: L.jvp(lambda x, y, z: (x * y, y * z), [L.arr(2.0), L.arr(4.0), L.arr(6.0)],
                     [L.arr(1.0), L.arr(3.0), L.arr(1.0)]))
same("jvp of x*x on a vector", lambda L: L.jvp(lambda x: x * x, [vec(L)], [L.arr([1.0, 1.0])]))
same("jvp with tuple primals", lambda L: L.jvp(lambda x: L.exp(x), (vec(L),), (L.arr([1.0, 0.5]),)))
same("jvp output list", lambda L: L.jvp(lambda x: [x, x * 2], [L.arr(2.0)], [L.arr(2.0)]))
same("jvp through stop_gradient", lambda L: L.jvp(lambda x: L.stop_gradient(x) * x, [L.arr(3.0)], [L.arr(1.0)]))
same("jvp with no primals", lambda L: L.jvp(lambda: L.arr(1.0), [], []))
same("jvp of a constant output", lambda L: L.jvp(lambda x: L.ones((2,)), [L.arr(1.0)], [L.arr(1.0)]))
same("jvp of an empty tuple", lambda L: L.jvp(lambda x: (), [L.arr(1.0)], [L.arr(1.0)]))
same("jvp matmul", lambda L: L.jvp(lambda a, b: a @ b, [L.ones((2, 3)), L.arr([[1.0], [2.0], [3.0]])],
                                   [L.arr([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), L.zeros((3, 1))]))
same("jvp reductions", lambda L: L.jvp(lambda x: (L.sum(x), L.mean(x), L.max(x)), [L.arr([1.0, 5.0, 2.0])],
                                       [L.arr([1.0, 2.0, 3.0])]))
same("J1 count mismatch", lambda L: L.jvp(lambda x, y: x * y, [L.arr(1.0), L.arr(2.0)], [L.arr(1.0)]))
same("J1 before J2", lambda L: L.jvp(lambda x: x, [L.arr([1.0])], [L.arr(1.0), L.arr(2.0)]))
same("J2 shape mismatch", lambda L: L.jvp(lambda x: x, [vec(L)], [L.arr([1.0, 2.0, 3.0])]))
same("J2 runs before fun",
     lambda L: (lambda seen: (_catch(lambda: L.jvp(lambda x: seen.append(1) or x, [vec(L)], [L.arr(1.0)])), seen))([]))
same("jvp: exceptions from fun propagate", lambda L: L.jvp(lambda x: {}["boom"], [L.arr(1.0)], [L.arr(1.0)]))
differs("JV3 jvp dict output: RuntimeError that says what was returned",
        lambda L: L.jvp(lambda x: {"a": x}, [L.arr(1.0)], [L.arr(1.0)]),
        raises(RuntimeError, "std::bad_cast"),
        raises(RuntimeError, "[jvp] The function must return an array or a flat list or tuple of arrays; it returned "
                             "a dict (MLX reports this as std::bad_cast)."))
differs("JV3 jvp nested tuple output",
        lambda L: L.jvp(lambda x: (x, (x,)), [L.arr(1.0)], [L.arr(1.0)]),
        raises(RuntimeError, "std::bad_cast"),
        raises(RuntimeError, "[jvp] The function must return an array or a flat list or tuple of arrays; it returned "
                             "a tuple whose element 1 is a tuple (MLX reports this as std::bad_cast)."))
differs("JV3 jvp float output", lambda L: L.jvp(lambda x: 1.0, [L.arr(1.0)], [L.arr(1.0)]),
        raises(RuntimeError, "std::bad_cast"), raises(RuntimeError))
same_class("JV4 primals a dict", lambda L: L.jvp(lambda x: x, {"a": L.arr(1.0)}, [L.arr(1.0)]))
same_class("JV4 nested list in primals", lambda L: L.jvp(lambda x: x, [[L.arr(1.0)]], [L.arr(1.0)]))
same_class("JV4 a string in tangents", lambda L: L.jvp(lambda x: x, [L.arr(1.0)], ["a"]))
differs("jvp primals may be numbers", lambda L: L.jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0]),
        raises(TypeError), returns(lambda r: values(r[0][0]) == 6.0 and values(r[1][0]) == 3.0))

# ---------------------------------------------------------------------------
# H. vjp (docs/mlx.rst: jvp and vjp)
# ---------------------------------------------------------------------------
same("vjp 2x (upstream test_vjp)", lambda L: L.vjp(lambda x: 2 * x, [L.arr(1.0)], [L.arr(2.0)]))
same("vjp x*y", lambda L: L.vjp(lambda x, y: x * y, [L.arr(4.0), L.arr(2.0)], [L.arr(3.0)]))
same("vjp two outputs",
     lambda L: L.vjp(lambda x, y, z: (x * y, y * z), [L.arr(2.0), L.arr(4.0), L.arr(6.0)], [L.arr(1.0), L.arr(3.0)]))
same("vjp arrays", lambda L: L.vjp(lambda x, y: x * y, [vec(L), L.arr([3.0, 4.0])], [vec(L)]))
same("vjp (2x, sum x)", lambda L: L.vjp(lambda x: (2 * x, L.sum(x)), [vec(L)], [L.arr([1.0, 1.0]), L.arr(10.0)]))
same("vjp tuple primals and cotangents", lambda L: L.vjp(lambda x: x * 2, (L.arr(2.0),), (L.arr(2.0),)))
same("vjp list output", lambda L: L.vjp(lambda x: [2 * x], [L.arr(2.0)], [L.arr(2.0)]))
same("V2 scalar output with a (2) cotangent has the hint", lambda L: L.vjp(lambda x: L.sum(x), [vec(L)], [vec(L)]))
same("V2 no broadcasting of cotangents", lambda L: L.vjp(lambda x: x * 2, [vec(L)], [L.arr([1.0])]))
same("V2 two outputs, no hint", lambda L: L.vjp(lambda x: (x, L.sum(x)), [vec(L)], [vec(L), vec(L)]))
same("V2 one-element output has the hint", lambda L: L.vjp(lambda x: x, [L.arr([1.0])], [L.arr(1.0)]))
same("extra cotangents are ignored", lambda L: L.vjp(lambda y: y * 3, [L.arr(3.0)], [L.arr(1.0), L.arr(5.0)]))
same("V1 too few cotangents", lambda L: L.vjp(lambda y: (y * 3, y * 2), [L.arr(3.0)], [L.arr(1.0)]))
same("V1 counts stop_gradient outputs",
     lambda L: L.vjp(lambda y: (L.stop_gradient(y), y * 2, y * 3), [L.arr(3.0)], [L.arr(1.0)]))
same("stop_gradient output takes no cotangent",
     lambda L: L.vjp(lambda y: (L.stop_gradient(2 * y), 3 * y), [L.arr(3.0)], [L.arr(10.0)]))
same("all outputs stopped, no cotangents", lambda L: L.vjp(lambda y: L.stop_gradient(y * 2), [L.arr(3.0)], []))
same("unreachable primal gets zeros", lambda L: L.vjp(lambda x, y: x * 2, [vec(L), L.ones((3,))], [vec(L)]))
same("vjp with no primals", lambda L: L.vjp(lambda: L.arr(1.0), [], [L.arr(1.0)]))
same("vjp of an empty tuple", lambda L: L.vjp(lambda x: (), [L.arr([1.0, 2.0])], []))
same("the same array as two primals", lambda L: (lambda a: L.vjp(lambda x, y: x * y * y, [a, a], [L.arr(1.0)]))(
    L.arr(2.0)))
same("vjp through stop_gradient and matmul (test_stop_gradient)",
     lambda L: L.vjp(lambda w, x: w @ (3 * L.stop_gradient(2 * x)), [L.ones((4, 4)), L.ones((4, 4))], [L.ones((4, 4))]))
same("vjp stop_gradient 2x2", lambda L: L.vjp(lambda w, x: w @ (3 * L.stop_gradient(2 * x)),
                                              [L.ones((2, 2)), L.ones((2, 2))], [L.ones((2, 2))]))
same("vjp: int cotangent on a float output acts as float", lambda L: L.vjp(lambda x: x * 2, [L.arr(2.0)],
                                                                           [L.arr(1, dtype=L.int32)]))
same("vjp: exceptions from fun propagate", lambda L: L.vjp(lambda x: {}["boom"], [L.arr(1.0)], [L.arr(1.0)]))
differs("the same output object twice: both cotangents count (MLX uses the first)",
        lambda L: L.vjp(lambda x: (lambda y: (y, y))(2 * x), [vec(L)], [L.ones((2,)), L.ones((2,)) * 2]),
        returns(lambda r: values(r[1][0]) == [2.0, 2.0]), returns(lambda r: values(r[1][0]) == [6.0, 6.0]))
differs("JV3 vjp dict output", lambda L: L.vjp(lambda x: {"a": x}, [L.arr(1.0)], [L.arr(1.0)]),
        raises(RuntimeError, "std::bad_cast"), raises(RuntimeError))
same_class("JV4 vjp primals not a sequence", lambda L: L.vjp(lambda x: x, "abc", [L.arr(1.0)]))
same_class("JV4 vjp cotangents hold None", lambda L: L.vjp(lambda x: x, [L.arr(1.0)], [None]))
differs("vjp primals may be numbers", lambda L: L.vjp(lambda x: x * x, [3.0], [1.0]),
        raises(TypeError), returns(lambda r: r[1][0] == 6.0 and isinstance(r[1][0], float)))

# ---------------------------------------------------------------------------
# I. stop_gradient, dtypes, our extensions for inputs (docs/mlx.rst: dtypes, stop_gradient, deliberate differences)
# ---------------------------------------------------------------------------
same("stop_gradient(x) * x", lambda L: L.grad(lambda x: L.stop_gradient(x) * x)(L.arr(3.0)))
same("stop_gradient(x * x)", lambda L: L.grad(lambda x: L.stop_gradient(x * x))(L.arr(3.0)))
same("stop_gradient inside a sum", lambda L: L.grad(lambda x: L.sum(L.stop_gradient(x) * x ** 2))(vec(L)))
differs("stop_gradient accepts a number", lambda L: L.stop_gradient(3.0),
        raises(TypeError), returns(lambda r: isinstance(r, mgx.Tensor) and float(r) == 3.0))
same("float32 stays float32", lambda L: str(L.grad(lambda x: L.sum(x * x))(vec(L)).dtype).split(".")[-1])
differs("a cast to an integer dtype is a constant (MLX passes the gradient through)",
        lambda L: L.grad(lambda x: L.sum(x * x).astype(L.int32))(vec(L)),
        returns(lambda g: values(g) == [2.0, 4.0]), returns(lambda g: values(g) == [0.0, 0.0]))
same("a loss through comparisons only has zero gradient", lambda L: L.grad(lambda x: L.sum(x > 0))(vec(L)))
differs("integer inputs get float gradients",
        lambda L: L.grad(lambda x: L.sum(x * x))(L.arr([1, 2, 3], dtype=L.int32)),
        returns(lambda g: values(g) == [2, 4, 6] and "int" in str(g.dtype)),
        returns(lambda g: values(g) == [2.0, 4.0, 6.0] and g.dtype == np.float64))
differs("integer inputs are not truncated",
        lambda L: L.grad(lambda x: L.sum(x * 1.5))(L.arr([1, 2, 3], dtype=L.int32)),
        returns(lambda g: values(g) == [1, 1, 1]), returns(lambda g: values(g) == [1.5, 1.5, 1.5]))
differs("value_and_grad of integer inputs",
        lambda L: L.value_and_grad(lambda x: L.sum(x / 2))(L.arr([1, 2, 3], dtype=L.int32)),
        returns(lambda r: values(r[1]) == [0, 0, 0]), returns(lambda r: values(r[1]) == [0.5, 0.5, 0.5]))
differs("a Python number is a leaf", lambda L: L.grad(lambda x: x * x)(3.0),
        raises(ValueError, "[tree_flatten] The argument should contain only arrays"),
        returns(lambda g: g == 6.0 and type(g) is float))
differs("a numpy array is a leaf", lambda L: L.grad(lambda x: L.sum(x * x))(np.array([1.0, 2.0])),
        raises(ValueError, "[tree_flatten] The argument should contain only arrays"),
        returns(lambda g: type(g) is np.ndarray and g.tolist() == [2.0, 4.0]))
differs("numbers inside a dict (upstream test_grad_trees expects an error)",
        lambda L: L.value_and_grad(lambda p: p["x"] * p["y"])({"x": 0.5, "y": L.arr(2.0)}),
        raises(ValueError, "[tree_flatten] The argument should contain only arrays"),
        returns(lambda r: r[1]["x"] == 2.0 and type(r[1]["x"]) is float and float(r[1]["y"]) == 0.5))
differs("a Scalar is a leaf", lambda L: L.grad(lambda x: x * x)(mgx.Scalar(3.0)),
        raises(ValueError, "[tree_flatten] The argument should contain only arrays"),
        returns(lambda g: isinstance(g, mgx.Scalar) and g.data == 6.0))


# ---------------------------------------------------------------------------
# J. custom_function (.vjp/.jvp rules) and checkpoint (docs/guide/mlx_transforms.rst)
# ---------------------------------------------------------------------------
def _log1pexp(L):
    """The docs' stable log(1 + e^x): its vjp rule is sigmoid, where the formula's would be inf/inf."""
    @L.custom_function
    def f(x):
        return L.log(1.0 + L.exp(x))

    @f.vjp
    def f_vjp(primals, cotangent, output):
        return cotangent * L.sigmoid(primals)
    return f


def _scaled_product(L):
    """x * y whose vjp rule scales the cotangents by 10 and 100 (so the rule, not the formula, is seen)."""
    @L.custom_function
    def f(x, y):
        return x * y

    @f.vjp
    def f_vjp(primals, cotangent, output):
        x, y = primals
        return cotangent * y * 10, cotangent * x * 100
    return f


def _jvp_rule(L):
    @L.custom_function
    def f(x, y):
        return x * y

    @f.jvp
    def f_jvp(primals, tangents):
        x, y = primals
        tx, ty = tangents
        return 7 * tx * y + (0.0 if ty is None else 11 * ty * x)   # an input without a tangent gets None
    return f


def _two_outputs(L):
    @L.custom_function
    def f(x):
        return x * 2, x * 3

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        return cotangents[0] * 20 + cotangents[1] * 30

    @f.jvp
    def f_jvp(primals, tangents):
        return tangents * 200, tangents * 300
    return f


def _with_kwarg(L, rule: str):
    @L.custom_function
    def f(x, scale=1.0):
        return x * scale
    if rule == "vjp":
        f.vjp(lambda primals, cotangent, output, scale=1.0: cotangent * scale * 2)
    elif rule == "jvp":
        f.jvp(lambda primals, tangents: tangents * 5)
    return f


def _one_cotangent_for_two(L):
    @L.custom_function
    def f(x, y):
        return x * y

    @f.vjp
    def f_vjp(primals, cotangent, output):
        return cotangent
    return f


def _block(L):
    return lambda x, w: L.tanh(x * w + 1.0)


def _dtype(a):
    return str(a.dtype).split(".")[-1]


def _no_overflow_warning(thunk):
    with np.errstate(over="ignore"):   # exp(800) overflows in the forward pass; the rule's gradient does not
        return thunk()


same("custom vjp: stable log1pexp",
     lambda L: _no_overflow_warning(lambda: L.grad(lambda x: L.sum(_log1pexp(L)(x)))(L.arr([0.0, 800.0]))))
same("custom vjp: the value is fun's", lambda L: _log1pexp(L)(L.arr([0.0, 1.0])))
same("custom vjp: gradient dtype float32", lambda L: _dtype(L.grad(lambda x: L.sum(_log1pexp(L)(x)))(vec(L))))
same("custom vjp: float16 stays float16",
     lambda L: _dtype(L.grad(lambda x: L.sum(_log1pexp(L)(x)))(vec(L).astype(L.float16))))
same("custom vjp: second order differentiates the rule", lambda L: L.grad(L.grad(_log1pexp(L)))(L.arr(0.5)))
same("custom vjp: two inputs, value_and_grad",
     lambda L: L.value_and_grad(lambda x, y: L.sum(_scaled_product(L)(x, y)), argnums=(0, 1))(
         vec(L), L.arr([3.0, 4.0])))
same("custom vjp: clip the cotangent", lambda L: L.grad(lambda w: L.sum(
    L.custom_function(lambda x: x).vjp(lambda p, c, o: L.clip(c, -1.0, 1.0))(w) * L.arr([0.5, 3.0, -7.0])))(
    L.ones((3,))))
same("custom vjp: two outputs, vjp", lambda L: L.vjp(_two_outputs(L), [L.arr(1.0)], [L.arr(1.0), L.arr(2.0)]))
same("custom vjp: two outputs, grad of the second", lambda L: L.grad(lambda x: _two_outputs(L)(x)[1])(L.arr(1.0)))
same("custom vjp: keyword arguments reach fun and the rule",
     lambda L: L.value_and_grad(lambda x: _with_kwarg(L, "vjp")(x, scale=3.0))(L.arr(1.0)))
same("custom vjp: a jvp rule does not change grad", lambda L: L.grad(_jvp_rule(L))(L.arr(2.0), L.arr(3.0)))
same("custom vjp: exceptions from fun propagate",
     lambda L: L.grad(L.custom_function(lambda x: {}["boom"]).vjp(lambda p, c, o: c))(L.arr(1.0)))
same("custom function without rules: grad of fun",
     lambda L: L.grad(L.custom_function(lambda x: L.sin(x) * x))(L.arr(0.5)))
same("custom jvp: the rule's tangent",
     lambda L: L.jvp(_jvp_rule(L), [L.arr(2.0), L.arr(3.0)], [L.arr(1.0), L.arr(1.0)]))
same("custom jvp: None for an input without a tangent",
     lambda L: L.jvp(lambda x: _jvp_rule(L)(x, L.arr(3.0)), [L.arr(2.0)], [L.arr(1.0)]))
same("custom jvp: two outputs", lambda L: L.jvp(_two_outputs(L), [L.arr(1.0)], [L.arr(1.0)]))
same("custom jvp: keyword arguments with a jvp rule are MLX's error",
     lambda L: L.jvp(lambda x: _with_kwarg(L, "jvp")(x, scale=3.0), [L.arr(1.0)], [L.arr(1.0)]))
same("custom jvp: keyword arguments without a jvp rule are passed on",
     lambda L: L.jvp(lambda x: _with_kwarg(L, "none")(x, scale=3.0), [L.arr(1.0)], [L.arr(1.0)]))
same_class("custom_function of a number", lambda L: L.custom_function(3))
same_class("custom_function.vjp of a number", lambda L: L.custom_function(lambda x: x).vjp(3))
same_class("custom_function.jvp of a number", lambda L: L.custom_function(lambda x: x).jvp(3))
differs("a vjp rule returning one cotangent for two inputs: ValueError (MLX gives it to both)",
        lambda L: L.grad(_one_cotangent_for_two(L), argnums=(0, 1))(L.arr(1.0), L.arr(2.0)),
        returns(lambda r: values(r[0]) == 1.0 and values(r[1]) == 1.0),
        raises(ValueError, "custom_function: the vjp rule returned 1 cotangents for 2 array inputs"))

def _vjp_rule_only(L):
    """x * x with a vjp rule x 100."""
    @L.custom_function
    def f(x):
        return x * x

    @f.vjp
    def f_vjp(primals, cotangent, output):
        return cotangent * 100
    return f


def _vmap_rule_times_three(L):
    """The same with a vmap rule computing x * 3 (so the rule, not fun, is seen)."""
    f = _vjp_rule_only(L)

    @f.vmap
    def f_vmap(x, axis):   # one input: the array itself and an int axis
        return x * 3, axis
    return f


def _vmap_rule_two_in_two_out(L):
    @L.custom_function
    def f(x, y):
        return x + y, x * y

    @f.vmap
    def f_vmap(inputs, axes):   # several inputs: tuples, None for an input that is not batched
        x, y = inputs
        return (x + y + 100, x * y + 1000), (axes[0], axes[0])
    return f


_M = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
same("custom vmap: the rule of a single input", lambda L: L.vmap(_vmap_rule_times_three(L))(vec(L)))
same("custom vmap: in_axes=1", lambda L: L.vmap(_vmap_rule_times_three(L), in_axes=1)(L.arr(_M)))
same("custom vmap: used inside a vmapped function",
     lambda L: L.vmap(lambda x: _vmap_rule_times_three(L)(x) + 1)(vec(L)))
same("custom vmap: nested vmap calls the rule at the inner level",
     lambda L: L.vmap(L.vmap(_vmap_rule_times_three(L)), in_axes=1)(L.arr(_M)))
same("custom vmap: two inputs (one not batched), two outputs",
     lambda L: L.vmap(_vmap_rule_two_in_two_out(L), in_axes=(0, None))(L.arr(_M), L.arr([3.0, 5.0, 7.0])))
same("custom vmap: one output of two used inside vmap",
     lambda L: L.vmap(lambda x, y: _vmap_rule_two_in_two_out(L)(x, y)[1] * 2, in_axes=(0, None))(
         L.arr(_M), L.arr([3.0, 5.0, 7.0])))
same("custom vmap: grad of vmap differentiates the rule's operations",
     lambda L: L.grad(lambda x: L.sum(L.vmap(_vmap_rule_times_three(L))(x)))(vec(L)))
same("custom vmap: jvp of vmap", lambda L: L.jvp(L.vmap(_vmap_rule_times_three(L)), [vec(L)], [L.ones((2,))]))
same("custom vmap: vmap of grad keeps the vjp rule", lambda L: L.vmap(L.grad(_vmap_rule_times_three(L)))(vec(L)))
same("custom vmap: without a rule, grad of vmap goes through fun",
     lambda L: L.grad(lambda x: L.sum(L.vmap(_vjp_rule_only(L))(x)))(vec(L)))
same("custom vmap: without a rule, vmap of grad keeps the vjp rule",
     lambda L: L.vmap(L.grad(_vjp_rule_only(L)))(vec(L)))
same("custom vmap: checkpoint under vmap", lambda L: L.vmap(L.checkpoint(_block(L)), in_axes=(0, None))(
    L.arr(_M), L.arr([2.0, 3.0, 4.0])))
same_class("custom_function.vmap of a number", lambda L: L.custom_function(lambda x: x).vmap(3))
differs("a vmap rule returning out axis None: the same output for every example (MLX: ValueError)",
        lambda L: L.vmap(L.custom_function(lambda x: x).vmap(lambda x, axis: (L.sum(x), None)))(vec(L)),
        raises(ValueError, "[vmap] Axis 0 invalid for output with 0 dimensions."),
        returns(lambda r: values(r) == [3.0, 3.0]))

same("checkpoint: value", lambda L: L.checkpoint(_block(L))(vec(L), L.arr([2.0, 3.0])))
same("checkpoint: grad of two inputs",
     lambda L: L.grad(lambda x, w: L.sum(L.checkpoint(_block(L))(x, w)), argnums=(0, 1))(vec(L), L.arr([2.0, 3.0])))
same("checkpoint: value_and_grad", lambda L: L.value_and_grad(lambda x: L.sum(L.checkpoint(L.exp)(x) ** 2))(vec(L)))
same("checkpoint: gradient dtype float32", lambda L: _dtype(L.grad(lambda x: L.sum(L.checkpoint(L.exp)(x)))(vec(L))))
same("checkpoint: float16 stays float16",
     lambda L: _dtype(L.grad(lambda x: L.sum(L.checkpoint(lambda v: v * v)(x)))(vec(L).astype(L.float16))))
same("checkpoint: a tuple output",
     lambda L: L.grad(lambda x: L.sum(sum(L.checkpoint(lambda v: (v * 2, L.sin(v)))(x))))(vec(L)))
same("checkpoint: a dict argument",
     lambda L: L.grad(lambda p: L.sum(L.checkpoint(lambda q: q["a"] * q["b"])(p)))(
         {"a": vec(L), "b": L.arr([3.0, 4.0])}))
same("checkpoint: keyword arguments", lambda L: L.grad(lambda x: L.checkpoint(lambda v, s=1.0: v * s)(x, s=3.0))(
    L.arr(1.0)))
same("checkpoint: second order", lambda L: L.grad(L.grad(lambda x: L.checkpoint(lambda v: v ** 3)(x)))(L.arr(2.0)))
same("checkpoint: nested", lambda L: L.grad(lambda x: L.checkpoint(lambda v: L.checkpoint(L.tanh)(v * v) * 2)(x))(
    L.arr(0.3)))
same("checkpoint: jvp", lambda L: L.jvp(L.checkpoint(lambda v: L.sin(v) * v), [L.arr(0.5)], [L.arr(2.0)]))
same("checkpoint: vjp", lambda L: L.vjp(L.checkpoint(lambda v: L.sin(v) * v), [L.arr(0.5)], [L.arr(2.0)]))
same("checkpoint: no arguments", lambda L: L.checkpoint(lambda: L.arr(1.0))())
same("checkpoint: exceptions from fun propagate", lambda L: L.grad(L.checkpoint(lambda v: {}["boom"]))(L.arr(1.0)))
same_class("checkpoint of a number", lambda L: L.checkpoint(3))

# ---------------------------------------------------------------------------
# Running the battery
# ---------------------------------------------------------------------------
def check_case(case: Case) -> str:
    """Run one case through both libraries and compare; return its kind."""
    ours = run(case.fn, MGX)
    if case.kind == "differs":
        if case.mlx is not None:
            case.mlx(run(case.fn, MLX))
        case.ours(ours)
        return case.kind
    theirs = run(case.fn, MLX)
    if theirs.error is not None or ours.error is not None:
        assert theirs.error is not None, f"MLX returned {theirs.value!r}; microgradx raised {ours.error!r}"
        assert ours.error is not None, f"MLX raised {theirs.error!r}; microgradx returned {ours.value!r}"
        assert type(ours.error) is type(theirs.error), (
            f"MLX raised {type(theirs.error).__name__}: {theirs.error}; "
            f"microgradx raised {type(ours.error).__name__}: {ours.error}")
        if case.kind == "same":
            assert str(ours.error) == str(theirs.error), f"messages differ:\n  MLX: {theirs.error}\n  mgx: {ours.error}"
        return case.kind
    assert case.kind == "same", f"expected an exception for a {case.kind} case; both returned"
    assert_same_value(theirs.value, ours.value)
    return case.kind


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_conformance(case):
    check_case(case)


def test_battery_size_and_counts(capsys):
    counts = {k: sum(c.kind == k for c in CASES) for k in ("same", "same_class", "differs")}
    assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"
    assert len(CASES) >= 100
    assert counts["differs"] >= 5
    with capsys.disabled():
        print(f"\nMLX conformance battery: {len(CASES)} cases = {counts['same']} identical + "
              f"{counts['same_class']} same exception class (MLX's text is its binding's signature dump) + "
              f"{counts['differs']} deliberate differences")


def test_the_comparison_can_fail():
    """The harness is not vacuous: shapes, values, containers, keys and messages are really compared."""
    with pytest.raises(AssertionError, match="shape"):
        assert_same_value(mx.ones((2,)), mgx.ones((3,)))
    with pytest.raises(AssertionError, match="values"):
        assert_same_value(mx.ones((2,)), mgx.zeros((2,)))
    with pytest.raises(AssertionError, match="container"):
        assert_same_value((mx.ones(()),), [mgx.ones(())])
    with pytest.raises(AssertionError, match="keys"):
        assert_same_value({"a": 1, "b": 2}, {"b": 2, "a": 1})
    with pytest.raises(AssertionError, match="messages differ"):
        check_case(Case("probe", lambda L: L.grad(f3, argnums=(0, 0, 1) if L.is_mlx else (1, 1))))
    with pytest.raises(AssertionError, match="MLX returned"):
        check_case(Case("probe", lambda L: L.grad(f3)(*xyz(L)) if L.is_mlx else L.grad(f3)("s", 1.0, 2.0)))


def _main() -> int:
    results = {"same": 0, "same_class": 0, "differs": 0}
    failed = []
    for case in CASES:
        try:
            results[check_case(case)] += 1
        except AssertionError as exc:
            failed.append((case.name, str(exc)))
    print(f"MLX {mx.__version__} vs microgradx {mgx.__version__} ({mgx.backend()} backend)")
    print(f"cases run: {len(CASES)}")
    print(f"  identical result or identical exception and message: {results['same']}")
    print(f"  identical exception class (MLX's message is its binding's signature dump): {results['same_class']}")
    print(f"  deliberate differences, both behaviours asserted: {results['differs']}")
    for c in CASES:
        if c.kind == "differs":
            print(f"    - {c.name}{' (MLX not run: it crashes)' if c.mlx is None else ''}")
    print(f"  failing: {len(failed)}")
    for name, msg in failed:
        print(f"    - {name}: {msg}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(_main())
