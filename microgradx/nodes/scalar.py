"""Scalar: a micrograd-compatible float node, reference implementation.

This is the readable twin of the compiled ``microgradx._ext.scalar.Scalar``
(same methods, same behaviour, checked against each other by the tests).
Code written for micrograd's ``Value`` runs unchanged with
``from microgradx import Scalar as Value``.

How it works, in three lines: each operation computes its float result with
the rule table's forward formula and returns a new Scalar that remembers the
rule, its parents (a tuple, so the order never changes) and the values the
rule needs.  ``backward()`` sorts the graph and visits it in reverse
(:func:`microgradx.core.engine.backward_sweep`); at each node its rule turns
the node's gradient into its inputs' gradients.  Gradients *accumulate*
with ``+=``.  (Each parent also counts its consumers, for
:func:`microgradx.core.engine.backward_by_counts`, the Python twin of the
compiled Scalar's one-pass sweep.)

Examples
--------
>>> from microgradx.nodes.scalar import Scalar
>>> a = Scalar(2.0); b = Scalar(-3.0)
>>> c = a * b + a ** 2
>>> c.backward()
>>> a.grad, b.grad            # dc/da = b + 2a, dc/db = a
(1.0, 2.0)
"""

from __future__ import annotations

import numbers
import weakref

import numpy as np

from ..core import dispatch, engine
from ..core import rules as R
from ..core.dispatch import Node, node_types
from ..core.state import NESTED_SWEEP, eager_enabled, sweep_lock

__all__ = ["Scalar"]

_NO_PARAMS: dict = {}


def _real(x, name: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float); got {type(x).__name__}")
    try:
        return float(x)
    except OverflowError:
        raise OverflowError(f"{name} is too large for a float: {x!r:.40}") from None


_ARRAY_OPERAND = ("a Scalar cannot be combined with a numpy array: a Scalar holds one number "
                  "(use float(a) for a 0-d array), a Tensor holds arrays (use mgx.array(a) and Tensors)")


class Scalar(Node):
    """A float that records how it was computed (micrograd's ``Value``).

    Parameters
    ----------
    data : int or float
        The value (stored as a float).
    label : str, optional
        A name shown in graph pictures and in the narrator.

    Attributes
    ----------
    data : float
        The value (assigning anything but a real number is a TypeError).
    grad : float
        d(output)/d(this node), accumulated by ``backward()``; starts at 0.0.

    Notes
    -----
    Scalar cannot be subclassed (a TypeError): its compiled twin is a final C
    type -- its operators test ``type(x) is Scalar`` and call their C
    functions directly, which is where its speed comes from -- and the two
    classes behave the same.  Wrap a Scalar, or add functions, instead.

    Examples
    --------
    >>> x = Scalar(0.5)
    >>> y = x.tanh()
    >>> y.backward()
    >>> round(x.grad, 6)     # 1 - tanh(0.5)**2
    0.786448
    """

    __slots__ = ("_data", "_grad", "_label", "_prim", "_parents", "_saved", "_mark", "_cot",
                 "_consumers", "_pending", "__weakref__")
    _kind = "scalar"
    _level = 0
    _params = _NO_PARAMS
    __array_ufunc__ = None  # numpy must not treat a Scalar as an object array element

    def __init_subclass__(cls, **kwargs):
        raise TypeError("Scalar cannot be subclassed (its compiled twin is a final C type; see the class notes)")

    def __init__(self, data, label: str = ""):
        self._data = _real(data, "Scalar data")
        self._grad = 0.0
        self.label = label
        self._prim = None
        self._parents = ()
        self._saved = ()
        self._mark = 0
        self._cot = None
        self._consumers = 0  # nodes recorded with this one as an operand (one per operand slot)
        self._pending = 0  # during a sweep: consumers that have not yet sent their cotangent

    @property
    def data(self) -> float:
        """The value (a float).

        >>> s = Scalar(1.0); s.data = 2; s.data
        2.0
        """
        return self._data

    @data.setter
    def data(self, value) -> None:
        self._data = _real(value, "data")

    @property
    def grad(self) -> float:
        """d(output)/d(this node), accumulated by ``backward()`` (a float).

        >>> s = Scalar(1.0); s.grad = None
        Traceback (most recent call last):
        ...
        TypeError: grad must be a real number (int or float); got NoneType
        """
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        self._grad = _real(value, "grad")

    # copy, deepcopy and pickle rebuild a node as a leaf (_restore_leaf), then record it on the same
    # operands (__setstate__), which count one more consumer; marks and cotangents belong to one sweep.
    def __reduce__(self):
        if self._prim is None:
            return (_restore_leaf, (self._data, self._grad, self._label))
        state = (_ancestors_first(self), self._prim.name, self._parents, self._saved)
        return (_restore_leaf, (self._data, self._grad, self._label), state)

    def __setstate__(self, state) -> None:
        _, prim, parents, saved = state
        if self._prim is not None or self._consumers:
            raise ValueError("__setstate__: only a new leaf can be given a recorded state")
        if prim not in R.table:
            raise ValueError(f"no rule-table primitive named {prim!r}")
        if type(parents) is not tuple or type(saved) is not tuple or len(parents) != len(saved):
            raise ValueError("__setstate__: parents and saved must be tuples of one length")
        if any(p is not None and type(p) is not Scalar for p in parents):
            raise TypeError("__setstate__: parents must be Scalars or None")
        self._prim = R.table[prim]
        self._parents = parents
        self._saved = saved
        for p in parents:
            if p is not None:
                p._consumers += 1

    def __deepcopy__(self, memo):
        return _deepcopy_graph(self, memo)

    def __copy__(self):
        # a new node recorded on the same operands (no walk of the graph: see _ancestors_first)
        s = _restore_leaf(self._data, self._grad, self._label)
        if self._prim is not None:
            s.__setstate__((None, self._prim.name, self._parents, self._saved))
        return s

    # -- recording ------------------------------------------------------------------
    @classmethod
    def _new(cls, value: float, prim, parents, saved):
        s = cls.__new__(cls)
        s._data = value
        s._grad = 0.0
        s._label = ""
        s._prim = prim
        s._parents = parents
        s._saved = saved
        s._mark = 0
        s._cot = None
        s._consumers = 0
        s._pending = 0
        for p in parents:
            if p is not None:
                p._consumers += 1
        return s

    def _apply(self, prim, args, params):
        """Run ``prim`` on Scalars and numbers (the scalar engine's part of :func:`~microgradx.core.dispatch.apply`).

        >>> Scalar(0.0)._apply(R.EXP, (Scalar(0.0),), {}).data
        1.0
        """
        if dispatch._n_swapped:  # a student's rule in place of the table's (exercises.swap_rule)
            prim = dispatch.rule_in_use(prim)
        if prim.vjp is not None and not prim.works_on_scalars:
            raise TypeError(f"Scalar supports elementwise operations only; {prim.name} needs a Tensor")
        record = eager_enabled() and prim.vjp is not None
        values = []
        parents = []
        for a in args:
            if isinstance(a, np.generic) or type(a) is np.ndarray and a.ndim == 0 and a.dtype.kind in "biuf":
                a = a.item()  # a numpy number (e.g. where's condition) is a number
            if isinstance(a, Scalar):
                values.append(a._data)
                parents.append(a if record else None)
            elif isinstance(a, (numbers.Real, bool)):
                values.append(a if isinstance(a, (float, bool)) else float(a))
                parents.append(None)
            elif isinstance(a, node_types()) and getattr(a, "_level", None) == 0:
                raise TypeError(
                    f"cannot combine a Scalar with a {type(a).__name__} in one eager graph; "
                    "use plain numbers (s.data) or make both Tensors"
                )
            else:
                raise TypeError(f"Scalar operations take Scalars and numbers; got {type(a).__name__}")
        out = prim.forward(*values)
        if prim.vjp is None:
            return out  # comparisons and sign: a plain constant
        if not record or not any(p is not None for p in parents):
            return Scalar._new(float(out), None, (), ())
        return Scalar._new(float(out), prim, tuple(parents), tuple(values))

    def _binop(self, prim, *args):
        for a in args:
            if not isinstance(a, (Scalar, numbers.Real)):
                if isinstance(a, np.ndarray):
                    raise TypeError(_ARRAY_OPERAND)
                return NotImplemented
        return self._apply(prim, args, _NO_PARAMS)

    def _inner(self):
        return self._data

    @property
    def label(self) -> str:
        """A name shown in graph pictures and the narrator ('' by default).

        >>> Scalar(1.0, label="x").label
        'x'
        """
        return self._label

    @label.setter
    def label(self, value: str) -> None:
        # a str only: a node then never takes part in a reference cycle (see the compiled twin)
        if not isinstance(value, str):
            raise TypeError(f"label must be a str; got {type(value).__name__}")
        self._label = str(value)

    # -- micrograd's operators ------------------------------------------------------------
    def __add__(self, other):
        return self._binop(R.ADD, self, other)

    def __radd__(self, other):
        return self._binop(R.ADD, other, self)

    def __sub__(self, other):
        return self._binop(R.SUB, self, other)

    def __rsub__(self, other):
        return self._binop(R.SUB, other, self)

    def __mul__(self, other):
        return self._binop(R.MUL, self, other)

    def __rmul__(self, other):
        return self._binop(R.MUL, other, self)

    def __truediv__(self, other):
        return self._binop(R.DIV, self, other)

    def __rtruediv__(self, other):
        return self._binop(R.DIV, other, self)

    def __pow__(self, other):
        return self._binop(R.POW, self, other)

    def __rpow__(self, other):
        return self._binop(R.POW, other, self)

    def __neg__(self):
        return self._binop(R.NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return self._binop(R.ABS, self)

    def exp(self):
        """e ** self.

        >>> Scalar(0.0).exp().data
        1.0
        """
        return self._binop(R.EXP, self)

    def log(self):
        """Natural log (``-inf`` at 0, ``nan`` below).

        >>> Scalar(1.0).log().data, Scalar(0.0).log().data
        (0.0, -inf)
        """
        return self._binop(R.LOG, self)

    def tanh(self):
        """Hyperbolic tangent.

        >>> Scalar(0.0).tanh().data
        0.0
        """
        return self._binop(R.TANH, self)

    def relu(self):
        """max(self, 0).

        >>> Scalar(-2.0).relu().data, Scalar(3.0).relu().data
        (0.0, 3.0)
        """
        return self._binop(R.RELU, self)

    def sigmoid(self):
        """1 / (1 + e ** -self), without overflow.

        >>> Scalar(0.0).sigmoid().data
        0.5
        """
        return self._binop(R.SIGMOID, self)

    def sin(self):
        """Sine.

        >>> Scalar(0.0).sin().data
        0.0
        """
        return self._binop(R.SIN, self)

    def cos(self):
        """Cosine.

        >>> Scalar(0.0).cos().data
        1.0
        """
        return self._binop(R.COS, self)

    def sqrt(self):
        """Square root (``nan`` below 0).

        >>> Scalar(9.0).sqrt().data
        3.0
        """
        return self._binop(R.SQRT, self)

    def abs(self):
        """Absolute value.

        >>> Scalar(-2.5).abs().data
        2.5
        """
        return self._binop(R.ABS, self)

    # -- comparisons compare values ---------------------------------------------------------
    def _cmp_value(self, other):
        if isinstance(other, Scalar):
            return other.data
        if isinstance(other, numbers.Real):
            return other
        return None

    def __lt__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data < v

    def __le__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data <= v

    def __gt__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data > v

    def __ge__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data >= v

    def __eq__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data == v

    def __ne__(self, other):
        v = self._cmp_value(other)
        return NotImplemented if v is None else self.data != v

    __hash__ = object.__hash__  # a node is an identity (micrograd keeps them in sets)

    def __float__(self) -> float:
        return self.data

    # -- reverse mode ------------------------------------------------------------------------
    def backward(self) -> None:
        """Set this node's gradient to 1 and accumulate d(self)/d(node) into every node's ``.grad``.

        Gradients accumulate: a second call adds again.  Use ``zero_grad()``
        (or ``Module.zero_grad()``) to start over.

        >>> x = Scalar(3.0); y = x * x
        >>> y.backward(); y.backward(); x.grad
        12.0
        """
        if sweep_lock._is_owned():  # this thread is inside a sweep already (see microgradx.core.state)
            raise RuntimeError(NESTED_SWEEP)
        with sweep_lock:  # one sweep at a time in the process
            engine.backward_sweep(self, 1.0)

    def _accumulate_grad(self, g) -> None:
        self._grad += g

    def zero_grad(self) -> None:
        """Set ``grad`` back to 0.0.

        >>> x = Scalar(1.0); x.grad = 5.0; x.zero_grad(); x.grad
        0.0
        """
        self.grad = 0.0

    # -- micrograd's introspection ---------------------------------------------------------------
    # (the engine reads _prim and _parents; these two views are for code written against micrograd)
    @property
    def _prev(self) -> tuple:
        """micrograd's ``_prev``: the operands, a number as a new leaf holding it (``()`` for a leaf).

        >>> x = Scalar(3.0); [p.data for p in (x * 2 + 1)._prev]
        [6.0, 1.0]
        """
        return _micrograd_prev(self)

    @property
    def _op(self) -> str:
        """micrograd's ``_op``: ``'+'``, ``'*'``, ``'ReLU'``, ``'**2'`` ... ('' for a leaf); the rule is ``_prim``.

        >>> x = Scalar(3.0); (x * 2)._op, (x ** 2)._op, x.relu()._op, x.tanh()._op
        ('*', '**2', 'ReLU', 'tanh')
        """
        return _micrograd_op(self)

    def __repr__(self) -> str:
        return f"Scalar(data={self.data!r}, grad={self.grad!r})"


# micrograd's names for the operations it has (micrograd writes a - b as a + (-b) and a / b as a * b**-1;
# we keep them as one node each, under their own symbols)
_MICROGRAD_OPS = {"add": "+", "mul": "*", "relu": "ReLU", "sub": "-", "div": "/", "pow": "**"}


def _micrograd_op(node) -> str:
    """micrograd's ``_op`` of ``node``: '+', '*', 'ReLU', '**2' (a constant exponent), else the rule's name."""
    prim = node._prim
    if prim is None:
        return ""
    if prim.name == "pow" and node._parents[1] is None:
        e = node._saved[1]
        return f"**{int(e) if float(e).is_integer() else e}"
    return _MICROGRAD_OPS.get(prim.name, prim.name)


def _micrograd_prev(node) -> tuple:
    """micrograd's ``_prev`` of ``node``: its operands in order, a number as a new leaf holding it (micrograd
    wraps numbers in a ``Value`` too), except a constant exponent, which is part of ``_op``."""
    prim = node._prim
    if prim is None:
        return ()
    prev = []
    for i, (p, v) in enumerate(zip(node._parents, node._saved)):
        if p is not None:
            prev.append(p)
        elif not (prim.name == "pow" and i == 1) and type(v) is not bool:  # (bool: where's condition)
            prev.append(type(node)(float(v)))
    return tuple(prev)


def _restore(data, grad, label, prim, parents, saved):
    """Rebuild a pickled or copied Scalar: a new node recorded on the same operands.

    >>> x = Scalar(2.0); y = x * 3.0
    >>> _restore(6.0, 0.0, "", "mul", y._parents, y._saved)._parents[0] is x, x._consumers
    (True, 2)
    """
    if prim is not None and prim not in R.table:
        raise ValueError(f"no rule-table primitive named {prim!r}")
    s = Scalar._new(float(data), R.table[prim] if prim is not None else None, tuple(parents), tuple(saved))
    s.grad = float(grad)
    s.label = label
    return s


def _restore_leaf(data, grad, label):
    """A leaf with this value, gradient and label (copy, deepcopy and pickle start each node with it).

    >>> _restore_leaf(2.0, 0.5, "x")
    Scalar(data=2.0, grad=0.5)
    """
    s = Scalar(data, label)
    s.grad = grad
    return s


# Pickling a node pickles its parents first, recursively: a chain of 100,000 nodes would nest
# 100,000 calls deep.  So the first node pickled lists its ancestors, parents first, in its state:
# pickle (and deepcopy) then handle them one after another, and each finds its own parents done.
# The ancestors it listed are remembered here so that their own __reduce__ lists nothing (else
# every node would list all of its ancestors again).
def _deepcopy_graph(root, memo):
    """``copy.deepcopy`` of a node: its ancestors copied first, one after another (no recursion).

    Nodes already in ``memo`` (copied earlier in the same deepcopy) are
    reused, and their ancestors are not visited again.

    >>> import copy
    >>> x = Scalar(2.0); y = x * x; z = y + x
    >>> a, c = copy.deepcopy([x, z])
    >>> [p is a for p in c._parents[0]._parents + c._parents[1:]]
    [True, True, True]
    """
    keep = memo.setdefault(id(memo), [])  # as copy.deepcopy does: the originals outlive the memo
    stack = [root]
    while stack:
        node = stack[-1]
        if id(node) in memo:
            stack.pop()
            continue
        missing = [p for p in node._parents if p is not None and id(p) not in memo]
        if missing:
            stack.extend(missing)
            continue
        stack.pop()
        new = _restore_leaf(node.data, node.grad, node.label)
        if node._prim is not None:
            parents = tuple(None if p is None else memo[id(p)] for p in node._parents)
            new.__setstate__((None, node._prim.name, parents, node._saved))
        memo[id(node)] = new
        keep.append(node)
    return memo[id(root)]


_listed: weakref.WeakValueDictionary = weakref.WeakValueDictionary()  # id -> node (nodes compare by value)


def _ancestors_first(node) -> list | None:
    if _listed.pop(id(node), None) is node:
        return None
    inner = [n for n in engine.topological_order(node)[:-1] if n._prim is not None]
    _listed.update((id(n), n) for n in inner)
    return inner or None
