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

import numpy as np

from ..core import dispatch, engine
from ..core import rules as R
from ..core.dispatch import Node, node_types
from ..core.state import eager_enabled

__all__ = ["Scalar"]

_NO_PARAMS: dict = {}


def _real(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float); got {type(x).__name__}")
    return float(x)


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
        The value.
    grad : float
        d(output)/d(this node), accumulated by ``backward()``; starts at 0.0.

    Examples
    --------
    >>> x = Scalar(0.5)
    >>> y = x.tanh()
    >>> y.backward()
    >>> round(x.grad, 6)     # 1 - tanh(0.5)**2
    0.786448
    """

    __slots__ = ("data", "grad", "_label", "_prim", "_parents", "_saved", "_mark", "_cot",
                 "_consumers", "_pending", "__weakref__")
    _kind = "scalar"
    _level = 0
    _params = _NO_PARAMS
    __array_ufunc__ = None  # numpy must not treat a Scalar as an object array element

    def __init__(self, data, label: str = ""):
        self.data = _real(data, "Scalar data")
        self.grad = 0.0
        self.label = label
        self._prim = None
        self._parents = ()
        self._saved = ()
        self._mark = 0
        self._cot = None
        self._consumers = 0  # nodes recorded with this one as an operand (one per operand slot)
        self._pending = 0  # during a sweep: consumers that have not yet sent their cotangent

    def __reduce__(self):
        # copy, deepcopy and pickle rebuild a node through _restore, which records it like any new
        # node (its operands count one more consumer); marks and cotangents belong to one sweep
        prim = self._prim.name if self._prim is not None else None
        return (_restore, (self.data, self.grad, self._label, prim, self._parents, self._saved))

    # -- recording ------------------------------------------------------------------
    @classmethod
    def _new(cls, value: float, prim, parents, saved):
        s = cls.__new__(cls)
        s.data = value
        s.grad = 0.0
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
                values.append(a.data)
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
                return NotImplemented
        return self._apply(prim, args, _NO_PARAMS)

    def _inner(self):
        return self.data

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
        engine.backward_sweep(self, 1.0)

    def _accumulate_grad(self, g) -> None:
        self.grad += g

    def zero_grad(self) -> None:
        """Set ``grad`` back to 0.0.

        >>> x = Scalar(1.0); x.grad = 5.0; x.zero_grad(); x.grad
        0.0
        """
        self.grad = 0.0

    # -- micrograd's introspection ---------------------------------------------------------------
    @property
    def _prev(self) -> tuple:
        """The parent nodes, in operand order."""
        return tuple(p for p in self._parents if p is not None)

    @property
    def _op(self) -> str:
        """Name of the operation that made this node ('' for a leaf), as micrograd's ``_op``."""
        return self._prim.name if self._prim is not None else ""

    def __repr__(self) -> str:
        return f"Scalar(data={self.data!r}, grad={self.grad!r})"


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
