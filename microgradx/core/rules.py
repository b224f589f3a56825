"""The rule table: every primitive's forward computation and its derivative rules.

This file is the one place where derivatives are written down.  Scalar,
Tensor and Dual all read it; the compiled kernels in ``ext/`` are a faster
second copy of some elementwise formulas, checked against this table by tests.

Two kinds of entries:

**Elementwise** primitives declare one *local derivative* per input,
``d(inputs..., out)``.  That single formula serves both modes:

* reverse mode (vjp):  ``cotangent_in = unbroadcast(g * d, input shape)``
* forward mode (jvp):  ``tangent_out = sum_i  t_i * d_i``

so a student sees that forward and reverse mode share the same local
derivatives and differ only in the order the chain rule is applied.

**Structural** primitives (reductions, reshapes, matmul, indexing) declare a
``vjp(g, out, inputs, params, needs)`` and a ``jvp(tangents, out, inputs,
params)`` directly.

Every entry also states its **batching rule** for ``vmap``,
``batch(values, axes, params) -> (out, out_axis)``: the operands arrive with
one extra axis, the batch axis, at ``axes[i]`` (``None``: that operand is not
batched), and the rule computes all examples at once with the primitive
itself, then says where the batch axis is in the result.  Elementwise
primitives move the batch axis to the front and line the other axes up for
broadcasting; reductions, cumulative sums, reshapes, transposes, padding and
concatenation shift their axis parameters by one; indexing puts a full
slice in front of the index; matmul uses numpy's broadcasting of leading
axes.  A primitive with ``batch=None`` is computed by ``vmap`` with a loop
over the batch, with a warning (see :mod:`microgradx.transforms.vmap`).

All formulas are written with generic operations (Python operators and the
helpers below, which go through :func:`microgradx.core.dispatch.apply`), so they
work on floats, ndarrays and nodes alike.  When the values are nodes of an
outer level the rule itself is recorded there: that is why ``grad(grad(f))``
needs no extra code.

Examples
--------
>>> TANH.name, TANH.is_elementwise
('tanh', True)
>>> import numpy as np
>>> TANH.vjp(np.array(1.0), np.tanh(0.5), (0.5,), {}, (True,))[0]  # 1 - tanh(0.5)**2
np.float64(0.7864477329659274)
"""

from __future__ import annotations

import operator

import numpy as np

from . import floatmath as fm
from . import kernels as numpy_kernels
from .arguments import axis_indices
from .dispatch import apply
from .dispatch import raw_value as _value

__all__ = [
    "Primitive", "table", "elementwise", "constant", "register", "on_register", "local_derivative",
    "unbroadcast", "cast_like", "shape_of", "mask",
]


# ---------------------------------------------------------------------------
# The entry type
# ---------------------------------------------------------------------------
class Primitive:
    """One entry of the rule table.

    Attributes
    ----------
    name : str
        Name shown in graphs and error messages.
    forward : callable
        ``forward(*values, **params)`` on plain floats / ndarrays.
    partials : tuple of callables or None
        Elementwise only: local derivative of the output w.r.t. each input,
        ``d(*inputs, out)``; ``None`` in the tuple for an input without one.
    vjp, jvp : callable or None
        Reverse and forward rules (built from ``partials`` for elementwise
        primitives).  Both ``None``: the output is a constant (comparisons).
    formulas : tuple of str
        The local derivatives written out for people (graph pictures, the narrator).
    kernel : str or None
        Name of the fused compiled kernel that computes the same backward formula.
    ufunc : numpy ufunc or None
        The numpy ufunc with the same meaning: ``np.exp(tensor)`` runs this primitive.
    commutative : bool
        The operands may be swapped (graph pictures then leave them unnumbered).
    symbol : str or None
        The operator that writes it in an expression (``"+"``, ``"**"``; ``"-"`` for neg and sub).
    works_on_scalars : bool
        Scalars support it (every elementwise primitive, and ``where``).
    batch : callable or None
        The batching rule ``batch(values, axes, params) -> (out, out_axis)`` used by ``vmap``
        (``None``: ``vmap`` loops over the batch for this primitive).
    holomorphic : bool
        Elementwise only: the local derivatives hold for complex inputs too
        (``f'(z)``; see "Complex numbers" at the end of the table).  Other
        elementwise primitives refuse to differentiate at complex inputs.
    plain_forward, plain_vjp, plain_jvp : callable or None
        The rules as this table states them.  :mod:`microgradx.core.fast_rules`
        may replace ``forward``/``vjp``/``jvp`` by faster versions of the same
        formulas; these keep the plain ones (tests check that both agree).
    """

    __slots__ = ("name", "forward", "partials", "vjp", "jvp", "formulas", "kernel",
                 "ufunc", "commutative", "symbol", "works_on_scalars", "plain_forward", "plain_vjp", "plain_jvp",
                 "batch", "holomorphic")

    def __init__(self, name, forward, *, partials=None, vjp=None, jvp=None, formulas=(), kernel=None,
                 ufunc=None, commutative=False, symbol=None, works_on_scalars=None, batch=None):
        self.name = name
        self.forward = self.plain_forward = forward
        self.partials = partials
        self.vjp = self.plain_vjp = vjp
        self.jvp = self.plain_jvp = jvp
        self.formulas = tuple(formulas)
        self.kernel = kernel
        self.ufunc = ufunc
        self.commutative = commutative
        self.symbol = symbol
        self.works_on_scalars = partials is not None if works_on_scalars is None else works_on_scalars
        self.batch = batch
        self.holomorphic = False  # set for the elementwise ones whose local derivatives hold for complex inputs

    @property
    def is_elementwise(self) -> bool:
        return self.partials is not None

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __reduce__(self):
        # pickled (and deep-copied) by name: a pickled graph refers to the rule table's entry, whose
        # functions are not picklable themselves, and a copy stays the same object (``prim is R.WHERE``)
        if table.get(self.name) is not self:
            raise TypeError(f"cannot pickle the primitive {self.name!r}: it is not in the rule table")
        return (_registered, (self.name,))


table: dict[str, Primitive] = {}
_registration_hooks: list = []


def _registered(name: str) -> Primitive:
    return table[name]


def register(prim: Primitive) -> Primitive:
    """Add ``prim`` to the table (under its name) and hand it to every registration hook; returns it.

    Examples
    --------
    >>> table["exp"] is EXP
    True
    """
    table[prim.name] = prim
    for hook in _registration_hooks:
        hook(prim)
    return prim


def on_register(hook) -> None:
    """Call ``hook(prim)`` for every primitive in the table now and for every one registered later.

    This is how :mod:`microgradx.core.fast_rules` puts its faster versions of
    the rules in place: the table itself only states the math.

    Examples
    --------
    >>> seen = []
    >>> on_register(lambda prim: seen.append(prim.name))
    >>> "mul" in seen
    True
    >>> _registration_hooks.pop() is not None  # (undo, for this example)
    True
    """
    _registration_hooks.append(hook)
    for prim in list(table.values()):
        hook(prim)


# ---------------------------------------------------------------------------
# Helpers every rule may use
# ---------------------------------------------------------------------------
ONE = 1.0  # a local derivative that is exactly 1 (fast_rules skips g * ONE)
MINUS_ONE = -1.0  # exactly -1 (fast_rules makes g * MINUS_ONE a plain -g)


def shape_of(x) -> tuple:
    """Shape of a float, ndarray or node (``()`` for numbers).

    >>> shape_of(2.0), shape_of(np.zeros((2, 3)))
    ((), (2, 3))
    """
    return getattr(x, "shape", ())


_FLOAT64 = np.dtype(np.float64)


def _float_dtype(x) -> np.dtype:
    """The dtype a gradient with respect to ``x`` has: ``x``'s own float (or complex) dtype, else float64."""
    dt = getattr(x, "dtype", None)
    if dt is None or dt.kind not in "fc":
        return _FLOAT64
    return dt


def unbroadcast(g, like):
    """Sum ``g`` over the axes that broadcasting added to ``like``.

    The cotangent of an input that was broadcast has the output's shape; the
    chain rule says its copies' gradients add up.  Leading axes that
    broadcasting prepended are summed away, and axes where ``like`` has size
    1 are summed with ``keepdims``.  The result also takes ``like``'s float
    dtype (a float32 input mixed into a float64 result gets a float32
    gradient; an integer input gets float64).

    Examples
    --------
    >>> unbroadcast(np.ones((2, 3)), np.zeros((3,)))
    array([2., 2., 2.])
    >>> unbroadcast(np.ones((2, 3)), np.zeros((2, 1)))
    array([[3.],
           [3.]])
    """
    if type(g) is np.ndarray and type(like) is np.ndarray and g.shape == like.shape and g.dtype == like.dtype:
        return g  # the common case, checked first: nothing to sum and nothing to cast
    target = shape_of(like)
    gshape = shape_of(g)
    if gshape != target:
        lead = len(gshape) - len(target)
        axes = tuple(range(lead)) + tuple(
            i + lead for i, n in enumerate(target) if n == 1 and gshape[i + lead] != 1
        )
        if axes:
            g = sum_(g, axis=axes, keepdims=True)
        if lead or shape_of(g) != target:
            g = reshape(g, shape=target)
    return cast_like(g, like)


def cast_like(g, like):
    """``g`` in the dtype of a gradient with respect to ``like`` (its float dtype, else float64).

    Only mixed precision needs it: a float32 input combined with a float64
    one gives a float64 result, yet the float32 input's gradient is float32.

    >>> cast_like(np.ones(2), np.zeros(2, np.float32)).dtype
    dtype('float32')
    """
    want = _float_dtype(like)
    if want.kind != "c" and _is_complex(g):  # a real input's share of a complex cotangent is its real part
        g = apply(REAL, g)
    if getattr(g, "dtype", want) != want:
        g = astype(g, want)
    return g


def mask(condition, like):
    """``condition`` as 1.0/0.0 in ``like``'s float dtype (bools would upcast float32).

    A Python float only when ``like`` is a Python number: a numpy scalar or
    0-d array of float64 would turn float32 arithmetic into float64.
    """
    if type(condition) is bool or (isinstance(condition, np.bool_) and isinstance(like, (int, float))):
        return 1.0 if condition else 0.0
    return astype(condition, dtype=_float_dtype(like))


def _keep_shape(shape, axes):
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _norm_axes(axis, ndim):
    """Normalise ``axis`` (None, int or tuple) to a sorted tuple of non-negative ints."""
    return axis_indices(axis, ndim, scalar_axis_ok=True)


# Generic operations (floats, ndarrays or nodes), used by the rules below.
def exp(x):
    return apply(EXP, x)


def log(x):
    return apply(LOG, x)


def sin(x):
    return apply(SIN, x)


def cos(x):
    return apply(COS, x)


def sign(x):
    return apply(SIGN, x)


def where(c, x, y):
    return apply(WHERE, c, x, y)


def sum_(x, axis=None, keepdims=False):
    return apply(SUM, x, axis=axis, keepdims=keepdims)


def reshape(x, shape):
    return apply(RESHAPE, x, shape=tuple(shape))


def transpose(x, axes):
    return apply(TRANSPOSE, x, axes=tuple(axes))


def broadcast_to(x, shape):
    return apply(BROADCAST_TO, x, shape=tuple(shape))


def matmul(a, b):
    return apply(MATMUL, a, b)


def astype(x, dtype):
    return apply(ASTYPE, x, dtype=dtype)


def getitem(x, index):
    return apply(GETITEM, x, index=index)


def concatenate(xs, axis):
    return apply(CONCATENATE, *xs, axis=axis)


def scatter_add(g, index, shape):
    return apply(SCATTER_ADD, g, index=index, shape=tuple(shape))


def zeros_like_value(x):
    """Plain zeros with the shape and float dtype of ``x`` (a constant)."""
    s = shape_of(x)
    return np.zeros(s, dtype=_float_dtype(x)) if s else 0.0


# ---------------------------------------------------------------------------
# Batching helpers (for ``vmap``): where the batch axis goes
# ---------------------------------------------------------------------------
# A batching rule receives each operand with its batch axis at ``axes[i]`` (None: not batched).  The
# operands are ordinary values (arrays, or nodes of outer levels), so a rule is written with the generic
# operations above and records on outer levels like any derivative rule does.
def batch_to_front(x, axis):
    """``x`` with its batch axis ``axis`` moved to position 0 (``axis`` None: ``x`` unchanged).

    >>> batch_to_front(np.zeros((2, 3, 4)), 2).shape
    (4, 2, 3)
    """
    if axis is None or axis == 0:
        return x
    n = len(shape_of(x))
    return transpose(x, (axis,) + tuple(i for i in range(n) if i != axis))


def batch_move(x, source, destination):
    """Move axis ``source`` of ``x`` to ``destination`` (both non-negative).

    >>> batch_move(np.zeros((2, 3, 4)), 0, 2).shape
    (3, 4, 2)
    """
    if source == destination:
        return x
    order = [i for i in range(len(shape_of(x))) if i != source]
    order.insert(destination, source)
    return transpose(x, tuple(order))


def batch_size(values, axes) -> int:
    """The length of the batch axis (every batched operand has the same)."""
    for v, a in zip(values, axes):
        if a is not None:
            return shape_of(v)[a]
    raise ValueError("batch_size: no operand is batched")


def _batched_rank(values, axes) -> int:
    """The largest rank among the operands as one example sees them (without the batch axis)."""
    return max(len(shape_of(v)) - (a is not None) for v, a in zip(values, axes))


def _lined_up(x, axis, rank):
    """A batched ``x`` with the batch axis first and 1s after it up to ``rank`` example axes.

    numpy broadcasting lines axes up from the right; an example of lower rank
    than the others must get its missing leading axes *after* the batch axis,
    not before it.  An unbatched ``x`` broadcasts from the right as it is.
    """
    if axis is None:
        return x
    x = batch_to_front(x, axis)
    s = shape_of(x)
    if len(s) - 1 < rank:
        x = reshape(x, s[:1] + (1,) * (rank - len(s) + 1) + s[1:])
    return x


def elementwise_batch(prim):
    """Batching rule of an elementwise primitive: batch axes to the front, lined up; one call.

    >>> out, axis = ADD.batch([np.ones((3, 2)), np.ones(2)], [0, None], {})
    >>> out.shape, axis
    ((3, 2), 0)
    """
    def batch(values, axes, params):
        rank = _batched_rank(values, axes)
        moved = [_lined_up(v, a, rank) for v, a in zip(values, axes)]
        return apply(prim, *moved, **params), 0

    return batch


def _reduction_batch(name):
    """Batching rule of a reduction over ``axis`` (None: all example axes): batch first, axes shifted by one."""
    def batch(values, axes, params):
        prim = table[name]
        x = batch_to_front(values[0], axes[0])
        rank = len(shape_of(x)) - 1
        axis = params.get("axis")
        shifted = tuple(range(1, rank + 1)) if axis is None else tuple(a + 1 for a in _norm_axes(axis, rank))
        return apply(prim, x, **{**params, "axis": shifted}), 0

    return batch


def _axis_param_batch(name):
    """Batching rule of a primitive with one ``axis`` parameter (cumsum, cumprod): shift it by one."""
    def batch(values, axes, params):
        prim = table[name]
        x = batch_to_front(values[0], axes[0])
        rank = len(shape_of(x)) - 1
        return apply(prim, x, **{**params, "axis": params["axis"] % rank + 1}), 0

    return batch


def _same_axis_batch(name):
    """Batching rule of a primitive that does not look at axes (astype): the batch axis stays put."""
    def batch(values, axes, params):
        prim = table[name]
        return apply(prim, values[0], **params), axes[0]

    return batch


def _batched_index(index, rank):
    """The index that does to every example what ``index`` does to one, and the batch axis of the result.

    A full slice goes in front.  numpy moves the axes of *advanced* indices
    (integer or boolean arrays, with any integers among them) to the front of
    the result when they are not next to each other; then the batch axis
    comes after them.
    """
    items = index if isinstance(index, tuple) else (index,)
    arrays = [i for i in items if isinstance(i, np.ndarray)]
    if not arrays:
        return (slice(None),) + items, 0
    advanced = [k for k, i in enumerate(items) if isinstance(i, (np.ndarray, int, np.integer))
                and not isinstance(i, bool)]
    if advanced == list(range(advanced[0], advanced[0] + len(advanced))):
        return (slice(None),) + items, 0  # next to each other: their axes stay in place, after the batch axis
    shapes = [(int(np.count_nonzero(i)),) if i.dtype == np.bool_ else i.shape for i in arrays]
    return (slice(None),) + items, len(np.broadcast_shapes(*shapes))


def _getitem_batch(values, axes, params):
    x = batch_to_front(values[0], axes[0])
    index, axis = _batched_index(params["index"], len(shape_of(x)) - 1)
    return getitem(x, index), axis


def _scatter_add_batch(values, axes, params):
    shape = params["shape"]
    index, axis = _batched_index(params["index"], len(shape))
    g = batch_move(values[0], axes[0], axis)
    return scatter_add(g, index, (shape_of(g)[axis],) + tuple(shape)), 0


def _scatter_set_batch(values, axes, params):
    (x, v), (ax, av) = values, axes
    n = batch_size(values, axes)
    x = batch_to_front(x, ax) if ax is not None else broadcast_to(x, (n,) + shape_of(x))
    index, axis = _batched_index(params["index"], len(shape_of(x)) - 1)
    # the number of example axes of the written slot
    slot = len(np.broadcast_to(np.empty((), dtype=np.bool_), shape_of(x))[index].shape) - 1
    if av is not None:  # the values' batch axis goes where the slot's is
        v = batch_move(_lined_up(v, av, slot), 0, axis)
    elif axis != 0 and len(shape_of(v)):
        sv = shape_of(v)
        v = reshape(v, (1,) * (slot - len(sv)) + sv)
        v = reshape(v, shape_of(v)[:axis] + (1,) + shape_of(v)[axis:])
    return scatter_set(x, v, index), 0


def _reshape_batch(values, axes, params):
    x = batch_to_front(values[0], axes[0])
    return reshape(x, shape_of(x)[:1] + tuple(params["shape"])), 0


def _transpose_batch(values, axes, params):
    x = batch_to_front(values[0], axes[0])
    rank = len(shape_of(x)) - 1
    order = params.get("axes")
    order = tuple(range(rank))[::-1] if order is None else tuple(a % rank for a in order)
    return transpose(x, (0,) + tuple(a + 1 for a in order)), 0


def _broadcast_to_batch(values, axes, params):
    shape = tuple(params["shape"])
    x = _lined_up(values[0], axes[0], len(shape))
    return broadcast_to(x, shape_of(x)[:1] + shape), 0


def _concatenate_batch(values, axes, params):
    n = batch_size(values, axes)
    parts = [batch_to_front(v, a) if a is not None else broadcast_to(v, (n,) + shape_of(v))
             for v, a in zip(values, axes)]
    rank = len(shape_of(parts[0])) - 1
    return concatenate(parts, params["axis"] % rank + 1), 0


def _pad_batch(values, axes, params):
    x = batch_to_front(values[0], axes[0])
    return pad(x, ((0, 0),) + tuple(tuple(w) for w in params["widths"]), params["value"]), 0


def _matmul_batch(values, axes, params):
    """numpy's matmul broadcasts leading axes: give both operands matrix examples, batch first, and multiply.

    A vector example becomes a 1-row (left) or 1-column (right) matrix, and
    that axis is dropped from the product again.  An unbatched operand needs
    nothing: its leading axes broadcast against the batch axis.
    """
    (a, b), (aa, ab) = values, axes
    a_vector = len(shape_of(a)) - (aa is not None) == 1
    b_vector = len(shape_of(b)) - (ab is not None) == 1
    if aa is not None:
        a, aa = batch_to_front(a, aa), 0
    if ab is not None:
        b, ab = batch_to_front(b, ab), 0
    if a_vector:  # (N, k) -> (N, 1, k); an unbatched (k,) -> (1, k)
        sa = shape_of(a)
        a = reshape(a, sa[:-1] + (1,) + sa[-1:])
    if b_vector:  # (N, k) -> (N, k, 1)
        b = reshape(b, shape_of(b) + (1,))
    rank = _batched_rank([a, b], [aa, ab])
    out = matmul(_lined_up(a, aa, rank), _lined_up(b, ab, rank))
    s = shape_of(out)
    if a_vector and b_vector:
        out = reshape(out, s[:-2])
    elif a_vector:
        out = reshape(out, s[:-2] + s[-1:])
    elif b_vector:
        out = reshape(out, s[:-1])
    return out, 0


# ---------------------------------------------------------------------------
# Elementwise primitives: one local-derivative rule each
# ---------------------------------------------------------------------------
_NUMBERS = (float, int)


def _pick(float_fn, array_fn, nargs=1):
    """Forward that uses plain-float math (:mod:`~microgradx.core.floatmath`) for Python numbers, numpy otherwise."""
    if nargs == 1:
        def forward(x):
            return float_fn(x) if type(x) in _NUMBERS else array_fn(x)
    else:
        def forward(x, y):
            return float_fn(x, y) if type(x) in _NUMBERS and type(y) in _NUMBERS else array_fn(x, y)

    forward.__name__ = getattr(array_fn, "__name__", "forward")
    return forward


def _relu_array(x):
    return np.maximum(x, 0)


def local_derivative(prim: Primitive, i: int, inputs, out):
    """The local derivative of elementwise ``prim``'s output with respect to input ``i``, at these values.

    ``prim.partials[i](*inputs, out)``, with IEEE arithmetic for Python
    floats: Python's float arithmetic raises at poles (``1.0 / 0.0``) and turns
    negative bases with fractional powers into complex numbers; numpy
    float64 gives ``inf`` and ``nan`` there, as IEEE-754 says, and so does
    this function.  ``backward()`` and :func:`microgradx.explain` both use it.

    Examples
    --------
    >>> local_derivative(LOG, 0, (0.0,), float("-inf"))   # d(ln x)/dx = 1/x at x = 0
    inf
    >>> local_derivative(MUL, 0, (2.0, 5.0), 10.0)        # d(x*y)/dx = y
    5.0
    """
    d = prim.partials[i]
    if not prim.holomorphic and _is_complex_any(inputs):
        raise ValueError(f"{prim.name}: microgradx has no derivative rule for complex inputs of {prim.name}")
    try:
        local = d(*inputs, out)
        if type(local) is not complex or prim.holomorphic and _is_complex_any(inputs):
            return local
    except ArithmeticError:  # ZeroDivisionError, OverflowError
        pass
    with np.errstate(all="ignore"):  # every Python number as float64 (an int 0 divides too: x / 0)
        local = d(*(np.float64(v) if type(v) in _PY_NUMBERS else v for v in inputs),
                  np.float64(out) if type(out) in _PY_NUMBERS else out)
    return float(local) if np.ndim(local) == 0 else local


_PY_NUMBERS = (float, int, bool)


def elementwise(name, forward, partials, formulas, kernel=None, **facts) -> Primitive:
    """Declare an elementwise primitive from its local derivatives ``d(*inputs, out)``, one per input.

    Both rules are built from the same partials: reverse mode multiplies
    each by the cotangent ``g`` and sums the product back to its input's
    shape (:func:`unbroadcast`); forward mode multiplies each by its input's
    tangent and adds them up.  ``kernel`` names a fused compiled loop for the
    reverse rule of a one-input primitive (used by :mod:`~microgradx.core.fast_rules`); ``facts`` are
    the other attributes of :class:`Primitive` (``ufunc``, ``commutative``, ``symbol``).

    Examples
    --------
    >>> cube = elementwise("cube_example", lambda x: x ** 3, [lambda x, out: 3.0 * x * x], ["d(x³)/dx = 3x²"])
    >>> cube.vjp(1.0, 8.0, (2.0,), {}, (True,))
    [12.0]
    >>> del table["cube_example"]
    """
    prim = Primitive(name, forward, partials=tuple(partials), formulas=formulas, kernel=kernel, **facts)

    def vjp(g, out, inputs, params, needs):
        cotangents = []
        for i, d in enumerate(prim.partials):
            if needs[i] and d is not None:
                cotangents.append(unbroadcast(g * adjoint(local_derivative(prim, i, inputs, out)), inputs[i]))
            else:
                cotangents.append(None)
        return cotangents

    def jvp(tangents, out, inputs, params):
        total = None
        for i, (t, d) in enumerate(zip(tangents, prim.partials)):
            if t is not None and d is not None:
                term = t * local_derivative(prim, i, inputs, out)
                total = term if total is None else total + term
        if total is not None and shape_of(total) != shape_of(out):
            total = broadcast_to(total, shape_of(out))  # only broadcast inputs had tangents
        return total

    prim.vjp = prim.plain_vjp = vjp
    prim.jvp = prim.plain_jvp = jvp
    prim.batch = elementwise_batch(prim)  # vmap: batch axes to the front, one call
    return register(prim)


def constant(name, forward, **facts) -> Primitive:
    """Declare a primitive whose output carries no derivative (comparisons, sign).

    >>> EQ.vjp is None and EQ.ufunc is np.equal
    True
    """
    prim = Primitive(name, forward, formulas=("no derivative",), **facts)
    prim.batch = elementwise_batch(prim)  # every constant primitive is elementwise
    return register(prim)


# --- unary ------------------------------------------------------------------
NEG = elementwise("neg", operator.neg, [lambda x, out: MINUS_ONE], ["d(-x)/dx = -1"], ufunc=np.negative, symbol="-")
EXP = elementwise("exp", _pick(fm.exp, np.exp), [lambda x, out: out], ["d(e^x)/dx = e^x"], kernel="exp",
                  ufunc=np.exp)
LOG = elementwise("log", _pick(fm.log, np.log), [lambda x, out: 1.0 / x], ["d(ln x)/dx = 1/x"], kernel="log",
                  ufunc=np.log)
SIN = elementwise("sin", _pick(fm.sin, np.sin), [lambda x, out: cos(x)], ["d(sin x)/dx = cos x"], ufunc=np.sin)
COS = elementwise("cos", _pick(fm.cos, np.cos), [lambda x, out: -sin(x)], ["d(cos x)/dx = -sin x"], ufunc=np.cos)
TANH = elementwise("tanh", _pick(fm.tanh, np.tanh),
                   [lambda x, out: 1.0 - out * out], ["d(tanh x)/dx = 1 - tanh(x)^2"], kernel="tanh",
                   ufunc=np.tanh)
SIGMOID = elementwise("sigmoid", _pick(fm.sigmoid, numpy_kernels.sigmoid),
                      [lambda x, out: out * (1.0 - out)], ["dσ(x)/dx = σ(x)(1 - σ(x))"], kernel="sigmoid")
RELU = elementwise("relu", _pick(fm.relu, _relu_array),
                   [lambda x, out: mask(x > 0, x)], ["d relu(x)/dx = 1 if x > 0 else 0"], kernel="relu")
SQRT = elementwise("sqrt", _pick(fm.sqrt, np.sqrt), [lambda x, out: 0.5 / out], ["d√x/dx = 1/(2√x)"], ufunc=np.sqrt)
ABS = elementwise("abs", _pick(abs, np.abs), [lambda x, out: sign(x)], ["d|x|/dx = sign(x)"], ufunc=np.absolute)
SQUARE = elementwise("square", _pick(lambda x: x * x, np.square), [lambda x, out: 2.0 * x], ["d(x²)/dx = 2x"],
                     ufunc=np.square)

# --- binary -----------------------------------------------------------------
ADD = elementwise("add", operator.add, [lambda x, y, out: ONE, lambda x, y, out: ONE],
                  ["d(x+y)/dx = 1", "d(x+y)/dy = 1"], ufunc=np.add, commutative=True, symbol="+")
SUB = elementwise("sub", operator.sub, [lambda x, y, out: ONE, lambda x, y, out: MINUS_ONE],
                  ["d(x-y)/dx = 1", "d(x-y)/dy = -1"], ufunc=np.subtract, symbol="-")
MUL = elementwise("mul", operator.mul, [lambda x, y, out: y, lambda x, y, out: x],
                  ["d(x·y)/dx = y", "d(x·y)/dy = x"], ufunc=np.multiply, commutative=True, symbol="*")
DIV = elementwise("div", _pick(fm.div, np.true_divide, 2), [lambda x, y, out: 1.0 / y, lambda x, y, out: -out / y],
                  ["d(x/y)/dx = 1/y", "d(x/y)/dy = -x/y²"], ufunc=np.true_divide, symbol="/")


def _dpow_dbase(x, y, out):
    # y * x**(y-1); where y == 0 the derivative is 0 (x**0 is constant), even at x == 0
    if isinstance(y, (int, float)):
        return 0.0 if y == 0 else y * x ** (y - 1)
    return where(y == 0, 0.0, y * x ** (y - 1))


def _dpow_dexponent(x, y, out):
    # x**y * ln x; at x == 0: 0 for y >= 0 and -inf for y < 0 (the limit from x > 0, and PyTorch's values)
    if isinstance(x, (int, float)):
        if x != 0:
            return out * log(x)
        if isinstance(y, (int, float)):
            return 0.0 if y >= 0 else -np.inf if y < 0 else np.nan
    # ln 1 = 0 where x == 0 <= y; where x == 0 > y, out * ln 0 = inf * -inf = -inf
    mask = np.logical_and(_value(x) == 0, _value(y) >= 0)
    if isinstance(x, (int, float)):
        safe = np.where(mask, 1.0, 0.0).astype(np.result_type(_value(out)))
    else:
        safe = where(mask, 1.0, x)
    return out * log(safe)


def _power(x, y):
    # numpy takes sqrt for a lone exponent 0.5, so (-inf) ** 0.5 is nan there (and inf with an array of
    # 0.5s); IEEE pow, C and the Scalar path say inf: keep that one answer
    out = np.power(x, y)
    if np.ndim(y) == 0 and y == 0.5:
        out = np.where(np.isneginf(x), out.dtype.type(np.inf), out)
    return out


POW = elementwise("pow", _pick(fm.pow, _power, 2), [_dpow_dbase, _dpow_dexponent],
                  ["d(x^y)/dx = y·x^(y-1)", "d(x^y)/dy = x^y·ln x"], ufunc=np.power, symbol="**")


# max and min send the cotangent to the operand they picked: the larger (smaller) one, or the nan one, as
# np.maximum and np.minimum pass nan on (x first when both are nan); ties share it equally.
def _dmax_first(x, y, out):
    return mask(x > y, out) + mask(x != x, out) + 0.5 * mask(x == y, out)


def _dmax_second(x, y, out):
    return mask(y > x, out) + mask(y != y, out) * mask(x == x, out) + 0.5 * mask(x == y, out)


def _dmin_first(x, y, out):
    return mask(x < y, out) + mask(x != x, out) + 0.5 * mask(x == y, out)


def _dmin_second(x, y, out):
    return mask(y < x, out) + mask(y != y, out) * mask(x == x, out) + 0.5 * mask(x == y, out)


MAXIMUM = elementwise("maximum", _pick(fm.maximum, np.maximum, 2), [_dmax_first, _dmax_second],
                      ["1 where x > y or x is nan, ½ at ties, else 0",
                       "1 where y > x or y (not x) is nan, ½ at ties, else 0"],
                      ufunc=np.maximum, commutative=True)
MINIMUM = elementwise("minimum", _pick(fm.minimum, np.minimum, 2), [_dmin_first, _dmin_second],
                      ["1 where x < y or x is nan, ½ at ties, else 0",
                       "1 where y < x or y (not x) is nan, ½ at ties, else 0"],
                      ufunc=np.minimum, commutative=True)


# --- where: the condition has no derivative; cotangents are *selected*, not multiplied
def _where_forward(c, x, y):
    if type(c) in (bool, np.bool_) and type(x) in (int, float) and type(y) in (int, float):
        return x if c else y
    return np.where(c, x, y)


def _where_vjp(g, out, inputs, params, needs):
    c, x, y = inputs
    zero = zeros_like_value(g)
    return (None,
            unbroadcast(where(c, g, zero), x) if needs[1] else None,
            unbroadcast(where(c, zero, g), y) if needs[2] else None)


def _where_jvp(tangents, out, inputs, params):
    _, tx, ty = tangents
    if tx is None and ty is None:
        return None
    c = inputs[0]
    zero = zeros_like_value(out)
    t = where(c, zero if tx is None else tx, zero if ty is None else ty)
    return t if shape_of(t) == shape_of(out) else broadcast_to(t, shape_of(out))


WHERE = register(Primitive("where", _where_forward, vjp=_where_vjp, jvp=_where_jvp,
                            formulas=("no derivative", "g where c", "g where not c"), works_on_scalars=True))
WHERE.batch = elementwise_batch(WHERE)  # batched like an elementwise primitive of three operands

# --- no derivative ------------------------------------------------------------
SIGN = constant("sign", _pick(fm.sign, np.sign), ufunc=np.sign)
EQ = constant("eq", operator.eq, ufunc=np.equal)
NE = constant("ne", operator.ne, ufunc=np.not_equal)
LT = constant("lt", operator.lt, ufunc=np.less)
LE = constant("le", operator.le, ufunc=np.less_equal)
GT = constant("gt", operator.gt, ufunc=np.greater)
GE = constant("ge", operator.ge, ufunc=np.greater_equal)
STOP_GRADIENT = constant("stop_gradient", lambda x: x)


# ---------------------------------------------------------------------------
# Reductions
# ---------------------------------------------------------------------------
def _sum_forward(x, axis=None, keepdims=False):
    dtype = getattr(x, "dtype", None)  # integers keep their dtype (numpy would widen int32 to int64)
    return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype if dtype is not None and dtype.kind in "iu" else None)


def _sum_vjp(g, out, inputs, params, needs):
    shape = shape_of(inputs[0])
    axis = params.get("axis")
    if axis is not None and not params.get("keepdims"):  # put the summed axes back, as 1s
        g = reshape(g, _keep_shape(shape, _norm_axes(axis, len(shape))))
    return (broadcast_to(g, shape),)  # every summed element gets g


def _sum_jvp(tangents, out, inputs, params):
    return sum_(tangents[0], **params)


SUM = register(Primitive("sum", _sum_forward, vjp=_sum_vjp, jvp=_sum_jvp,
                          formulas=("d(Σx)/dx_i = 1",), batch=_reduction_batch("sum")))


def _extremum_forward(reduce, name):
    def forward(x, axis=None, keepdims=False):
        try:
            return reduce(x, axis=axis, keepdims=keepdims)
        except ValueError:
            raise ValueError(f"{name} over an empty axis of shape {np.shape(x)} has no value") from None

    forward.__name__ = name
    return forward


def _extremum_share(out, inputs, params):
    """Where x equals the reduced max (or min): 1/count there (ties share equally), 0 elsewhere."""
    x = inputs[0]
    shape = shape_of(x)
    axes = _norm_axes(params.get("axis"), len(shape))
    keep = _keep_shape(shape, axes)
    hit = mask(x == reshape(out, keep), x)
    return hit / sum_(hit, axis=axes, keepdims=True), keep


def _weighted_reduction(weights):
    """Reverse and forward rules of a reduction whose local derivative is a weight per input element.

    ``weights(out, inputs, params)`` returns the weights (the input's shape)
    and the output's shape with the reduced axes kept as 1.  Reverse mode
    spreads the cotangent over the reduced axes, times the weights; forward
    mode sums the tangent times the weights over them.
    """

    def vjp(g, out, inputs, params, needs):
        w, keep = weights(out, inputs, params)
        return (reshape(g, keep) * adjoint(w),)

    def jvp(tangents, out, inputs, params):
        w, _ = weights(out, inputs, params)
        return sum_(tangents[0] * w, axis=params.get("axis"), keepdims=params.get("keepdims", False))

    return vjp, jvp


_extremum_vjp, _extremum_jvp = _weighted_reduction(_extremum_share)
MAX = register(Primitive("max", _extremum_forward(np.max, "max"), vjp=_extremum_vjp, jvp=_extremum_jvp,
                          formulas=("1 at the maximum (ties share equally), else 0",), batch=_reduction_batch("max")))
MIN = register(Primitive("min", _extremum_forward(np.min, "min"), vjp=_extremum_vjp, jvp=_extremum_jvp,
                          formulas=("1 at the minimum (ties share equally), else 0",), batch=_reduction_batch("min")))


def _logsumexp_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    if x.size == 0:
        return np.log(np.sum(np.exp(x), axis=axis, keepdims=keepdims))
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        s = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return s if keepdims else np.squeeze(s, axis=axis) if axis is not None else s.reshape(())


def _softmax_from(out, inputs, params):
    x = inputs[0]
    shape = shape_of(x)
    keep = _keep_shape(shape, _norm_axes(params.get("axis"), len(shape)))
    return exp(x - reshape(out, keep)), keep


_logsumexp_vjp, _logsumexp_jvp = _weighted_reduction(_softmax_from)
LOGSUMEXP = register(Primitive("logsumexp", _logsumexp_forward, vjp=_logsumexp_vjp, jvp=_logsumexp_jvp,
                                formulas=("d lse(x)/dx_i = softmax(x)_i",), batch=_reduction_batch("logsumexp")))


# ---------------------------------------------------------------------------
# Shape and layout: linear maps, so each jvp is the primitive itself
# ---------------------------------------------------------------------------
def _linear_jvp(prim_fn):
    def jvp(tangents, out, inputs, params):
        return prim_fn(tangents[0], **params)

    return jvp


RESHAPE = register(Primitive(
    "reshape", lambda x, shape: np.reshape(x, shape),
    vjp=lambda g, out, inputs, params, needs: (reshape(g, shape_of(inputs[0])),),
    jvp=_linear_jvp(reshape), formulas=("reshape g back",), batch=_reshape_batch))


def _inverse_permutation(axes):
    return tuple(int(i) for i in np.argsort(axes))


TRANSPOSE = register(Primitive(
    "transpose", lambda x, axes: np.transpose(x, axes),
    vjp=lambda g, out, inputs, params, needs: (transpose(g, _inverse_permutation(params["axes"])),),
    jvp=_linear_jvp(transpose), formulas=("transpose g back",), batch=_transpose_batch))

BROADCAST_TO = register(Primitive(
    "broadcast_to", lambda x, shape: np.broadcast_to(x, shape),
    vjp=lambda g, out, inputs, params, needs: (unbroadcast(g, inputs[0]),),
    jvp=_linear_jvp(broadcast_to), formulas=("sum g over the broadcast axes",), batch=_broadcast_to_batch))


def _astype_vjp(g, out, inputs, params, needs):
    return (cast_like(g, inputs[0]),)


def _astype_forward(x, dtype):
    x = np.asarray(x)
    if x.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        x = x.real  # complex to real keeps the real part (as MLX and numpy do, without numpy's warning)
    return x.astype(dtype)


ASTYPE = register(Primitive(
    "astype", _astype_forward,
    vjp=_astype_vjp, jvp=_linear_jvp(astype), formulas=("cast g back",), batch=_same_axis_batch("astype")))


def _is_basic_index(index) -> bool:
    """True when ``index`` only has ints, slices, None and Ellipsis (no element repeats)."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice)) for i in items)


def _scatter_add_forward(g, index, shape):
    dtype = np.result_type(getattr(g, "dtype", np.float64), np.float32)
    z = np.zeros(shape, dtype=dtype)
    if _is_basic_index(index) or getattr(index, "dtype", None) == np.bool_:
        z[index] += g  # no position repeats: plain assignment is exact
    else:
        np.add.at(z, index, g)  # repeated indices accumulate
    return z


GETITEM = register(Primitive(
    "getitem", lambda x, index: np.asarray(x)[index],
    vjp=lambda g, out, inputs, params, needs: (scatter_add(g, params["index"], shape_of(inputs[0])),),
    jvp=_linear_jvp(getitem), formulas=("scatter-add g into zeros; repeated indices add up",),
    batch=_getitem_batch))

SCATTER_ADD = register(Primitive(
    "scatter_add", _scatter_add_forward,
    vjp=lambda g, out, inputs, params, needs: (getitem(g, params["index"]),),
    jvp=_linear_jvp(scatter_add), formulas=("gather g at the index",), batch=_scatter_add_batch))


def _concatenate_vjp(g, out, inputs, params, needs):
    axis = params["axis"]
    ndim = len(shape_of(out))
    ax = axis % ndim
    cts, start = [], 0
    for need, x in zip(needs, inputs):
        n = shape_of(x)[ax]
        if need:
            cts.append(cast_like(getitem(g, (slice(None),) * ax + (slice(start, start + n),)), x))
        else:
            cts.append(None)
        start += n
    return cts


def _concatenate_jvp(tangents, out, inputs, params):
    if all(t is None for t in tangents):
        return None
    parts = [zeros_like_value(x) if t is None else t for t, x in zip(tangents, inputs)]
    return concatenate(parts, params["axis"])


CONCATENATE = register(Primitive(
    "concatenate", lambda *xs, axis: np.concatenate(xs, axis=axis),
    vjp=_concatenate_vjp, jvp=_concatenate_jvp, formulas=("slice g into the pieces",), batch=_concatenate_batch))


# ---------------------------------------------------------------------------
# Matrix product (numpy's matmul rules: 1-D operands, broadcast batch dimensions)
# ---------------------------------------------------------------------------
def _swap_last(x):
    n = len(shape_of(x))
    return transpose(x, tuple(range(n - 2)) + (n - 1, n - 2))


def _matmul_vjp(g, out, inputs, params, needs):
    a, b = inputs
    sa, sb = shape_of(a), shape_of(b)
    a2 = reshape(a, (1,) + sa) if len(sa) == 1 else a  # a vector is a 1-row matrix
    b2 = reshape(b, sb + (1,)) if len(sb) == 1 else b  # ... and a 1-column matrix on the right
    gshape = shape_of(g)
    if len(sa) == 1:
        gshape = gshape[:-1] + (1,) + gshape[-1:] if len(sb) > 1 else gshape + (1,)
    if len(sb) == 1:
        gshape = gshape + (1,)
    g2 = reshape(g, gshape) if gshape != shape_of(g) else g
    ga = gb = None
    if needs[0]:
        ga = reshape(unbroadcast(matmul(g2, adjoint(_swap_last(b2))), a2), sa)
    if needs[1]:
        gb = reshape(unbroadcast(matmul(adjoint(_swap_last(a2)), g2), b2), sb)
    return ga, gb


def _matmul_jvp(tangents, out, inputs, params):
    ta, tb = tangents
    a, b = inputs
    total = None
    if ta is not None:
        total = matmul(ta, b)
    if tb is not None:
        c = matmul(a, tb)
        total = c if total is None else total + c
    return total


def _matmul_forward(a, b):
    sa, sb = np.shape(a), np.shape(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension; got shapes {sa} and {sb}")
    try:
        return np.matmul(a, b)
    except ValueError:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned") from None


MATMUL = register(Primitive("matmul", _matmul_forward, vjp=_matmul_vjp, jvp=_matmul_jvp,
                             formulas=("d(A@B)/dA: g @ Bᵀ", "d(A@B)/dB: Aᵀ @ g"), ufunc=np.matmul,
                             batch=_matmul_batch))


import math as _pymath  # noqa: E402 - used by the block below only


# ===========================================================================
# Added for the MLX face (issue 13): more elementwise functions, cumulative
# products and sums, products, padding and scatter-by-assignment.  Everything
# else the face offers (sort, split, take_along_axis, cummax, logaddexp, ...)
# is composed from the primitives of this table in microgradx.ops.
# ===========================================================================
def sqrt_(x):
    return apply(SQRT, x)


def cosh(x):
    return apply(COSH, x)


def sinh(x):
    return apply(SINH, x)


def floor(x):
    return apply(FLOOR, x)


def _math(fn):
    """Forward for a plain float with :mod:`math` (IEEE results where :mod:`math` raises), numpy otherwise."""
    scalar = getattr(_pymath, fn.__name__.replace("arc", "a"), None)

    def forward(x):
        if type(x) in _NUMBERS and scalar is not None:
            try:
                return scalar(x)
            except (ValueError, OverflowError):
                pass
        with np.errstate(all="ignore"):
            out = fn(x)
        return float(out) if type(x) in _NUMBERS else out

    forward.__name__ = fn.__name__
    return forward


def _erf(x):
    if type(x) in _NUMBERS:
        return _pymath.erf(x)
    x = np.asarray(x)
    return np.vectorize(_pymath.erf, otypes=[x.dtype if x.dtype.kind == "f" else np.float64])(x)


_erf.__name__ = "erf"

# --- unary, with their local derivatives (written with the generic operations, so second order works)
TAN = elementwise("tan", _math(np.tan), [lambda x, out: 1.0 + out * out], ["d(tan x)/dx = 1 + tan(x)²"])
SINH = elementwise("sinh", _math(np.sinh), [lambda x, out: cosh(x)], ["d(sinh x)/dx = cosh x"])
COSH = elementwise("cosh", _math(np.cosh), [lambda x, out: sinh(x)], ["d(cosh x)/dx = sinh x"])
ARCSIN = elementwise("arcsin", _math(np.arcsin), [lambda x, out: 1.0 / sqrt_(1.0 - x * x)],
                     ["d(arcsin x)/dx = 1/√(1-x²)"])
ARCCOS = elementwise("arccos", _math(np.arccos), [lambda x, out: -1.0 / sqrt_(1.0 - x * x)],
                     ["d(arccos x)/dx = -1/√(1-x²)"])
ARCTAN = elementwise("arctan", _math(np.arctan), [lambda x, out: 1.0 / (1.0 + x * x)], ["d(arctan x)/dx = 1/(1+x²)"])
ARCSINH = elementwise("arcsinh", _math(np.arcsinh), [lambda x, out: 1.0 / sqrt_(x * x + 1.0)],
                      ["d(arcsinh x)/dx = 1/√(x²+1)"])
ARCCOSH = elementwise("arccosh", _math(np.arccosh), [lambda x, out: 1.0 / sqrt_(x * x - 1.0)],
                      ["d(arccosh x)/dx = 1/√(x²-1)"])
ARCTANH = elementwise("arctanh", _math(np.arctanh), [lambda x, out: 1.0 / (1.0 - x * x)],
                      ["d(arctanh x)/dx = 1/(1-x²)"])
LOG1P = elementwise("log1p", _math(np.log1p), [lambda x, out: 1.0 / (1.0 + x)], ["d ln(1+x)/dx = 1/(1+x)"])
EXPM1 = elementwise("expm1", _math(np.expm1), [lambda x, out: out + 1.0], ["d(e^x - 1)/dx = e^x"])
LOG2 = elementwise("log2", _math(np.log2), [lambda x, out: 1.0 / (x * 0.6931471805599453)],
                   ["d(log2 x)/dx = 1/(x ln 2)"])
LOG10 = elementwise("log10", _math(np.log10), [lambda x, out: 1.0 / (x * 2.302585092994046)],
                    ["d(log10 x)/dx = 1/(x ln 10)"])
ERF = elementwise("erf", _erf, [lambda x, out: 1.1283791670955126 * exp(-(x * x))],
                  ["d erf(x)/dx = 2/√π · e^(-x²)"])

# --- binary
def _remainder_float(x, y):
    try:
        return x % y
    except ZeroDivisionError:
        return float("nan")


ARCTAN2 = elementwise("arctan2", _pick(_pymath.atan2, np.arctan2, 2),
                      [lambda y, x, out: x / (x * x + y * y), lambda y, x, out: -y / (x * x + y * y)],
                      ["d atan2(y,x)/dy = x/(x²+y²)", "d atan2(y,x)/dx = -y/(x²+y²)"])
REMAINDER = elementwise("remainder", _pick(_remainder_float, np.remainder, 2),
                        [lambda x, y, out: ONE, lambda x, y, out: -floor(x / y)],
                        ["d(x mod y)/dx = 1", "d(x mod y)/dy = -floor(x/y)"])

# --- no derivative (rounding, logic, bit operations, tests)
FLOOR = constant("floor", np.floor)
CEIL = constant("ceil", np.ceil)
ROUND = constant("round", lambda x, decimals=0: np.round(x, decimals))
TRUNC = constant("trunc", np.trunc)
FLOOR_DIVIDE = constant("floor_divide", np.floor_divide)
LOGICAL_AND = constant("logical_and", np.logical_and)
LOGICAL_OR = constant("logical_or", np.logical_or)
LOGICAL_XOR = constant("logical_xor", np.logical_xor)
LOGICAL_NOT = constant("logical_not", np.logical_not)
BITWISE_AND = constant("bitwise_and", np.bitwise_and)
BITWISE_OR = constant("bitwise_or", np.bitwise_or)
BITWISE_XOR = constant("bitwise_xor", np.bitwise_xor)
BITWISE_INVERT = constant("bitwise_invert", np.invert)
LEFT_SHIFT = constant("left_shift", np.left_shift)
RIGHT_SHIFT = constant("right_shift", np.right_shift)
ISNAN = constant("isnan", np.isnan)
ISINF = constant("isinf", np.isinf)
ISFINITE = constant("isfinite", np.isfinite)


# ---------------------------------------------------------------------------
# Cumulative sum and product (inclusive, forward along one axis; the face
# builds reverse and exclusive variants by flipping and shifting)
# ---------------------------------------------------------------------------
def _flip(x, axis):
    """``x`` reversed along ``axis`` (a getitem, so it is differentiable)."""
    ax = axis % len(shape_of(x))
    return getitem(x, (slice(None),) * ax + (slice(None, None, -1),))


def cumsum(x, axis):
    return apply(CUMSUM, x, axis=axis)


def cumprod(x, axis):
    return apply(CUMPROD, x, axis=axis)


CUMSUM = register(Primitive(
    "cumsum", lambda x, axis: np.cumsum(x, axis=axis, dtype=np.asarray(x).dtype),
    vjp=lambda g, out, inputs, params, needs: (_flip(cumsum(_flip(g, params["axis"]), params["axis"]),
                                                     params["axis"]),),
    jvp=_linear_jvp(cumsum), formulas=("reverse cumulative sum of g",), batch=_axis_param_batch("cumsum")))


def _moveaxis_last(x, axis):
    n = len(shape_of(x))
    ax = axis % n
    perm = tuple(i for i in range(n) if i != ax) + (ax,)
    return transpose(x, perm), _inverse_permutation(perm)


def _products_but_one(x, axis):
    """``P[..., i, j] = prod(x_k for k <= j, k != i)`` along ``axis`` (moved last), and the mask ``j >= i``.

    The exact partial derivatives of a cumulative product, zeros in ``x`` included:
    ``d y_j / d x_i = P[i, j]`` for ``i <= j``.  Built with where and cumprod, so it is differentiable.
    """
    xl, back = _moveaxis_last(x, axis)
    n = shape_of(xl)[-1]
    diagonal = np.eye(n, dtype=bool)
    rows = where(diagonal, 1.0, reshape(xl, shape_of(xl)[:-1] + (1, n)))
    upper = np.triu(np.ones((n, n), dtype=bool))  # [i, j]: j >= i
    return where(upper, cumprod(rows, -1), 0.0), back


def _cumprod_vjp(g, out, inputs, params, needs):
    x, axis = inputs[0], params["axis"]
    if not np.any(np.asarray(_plain(x)) == 0):  # no zeros: the short formula is exact
        return (_flip(cumsum(_flip(g * adjoint(out), axis), axis), axis) / adjoint(x),)
    p, back = _products_but_one(x, axis)
    gl, _ = _moveaxis_last(g, axis)
    s = shape_of(gl)
    return (transpose(sum_(reshape(gl, s[:-1] + (1, s[-1])) * adjoint(p), axis=-1), back),)


def _cumprod_jvp(tangents, out, inputs, params):
    x, axis, t = inputs[0], params["axis"], tangents[0]
    if not np.any(np.asarray(_plain(x)) == 0):
        return out * cumsum(t / x, axis)
    p, back = _products_but_one(x, axis)
    tl, _ = _moveaxis_last(t, axis)
    s = shape_of(tl)
    return transpose(sum_(reshape(tl, s + (1,)) * p, axis=-2), back)


def _plain(x):
    from .dispatch import raw_value

    return raw_value(x)


CUMPROD = register(Primitive(
    "cumprod", lambda x, axis: np.cumprod(x, axis=axis, dtype=np.asarray(x).dtype),
    vjp=_cumprod_vjp, jvp=_cumprod_jvp,
    formulas=("d y_j/d x_i = prod of x_k, k <= j, k != i (for i <= j)",), batch=_axis_param_batch("cumprod")))


# ---------------------------------------------------------------------------
# Product: a weighted reduction whose weight at x_i is the product of the others
# ---------------------------------------------------------------------------
def _prod_forward(x, axis=None, keepdims=False):
    x = np.asarray(x)
    return np.prod(x, axis=axis, keepdims=keepdims, dtype=x.dtype if x.dtype.kind != "b" else None)


def _others_product(out, inputs, params):
    """Weights of a product: prod(x) / x_i, computed without dividing where x has zeros."""
    x = inputs[0]
    shape = shape_of(x)
    axes = _norm_axes(params.get("axis"), len(shape))
    keep = _keep_shape(shape, axes)
    if not np.any(np.asarray(_plain(x)) == 0):
        return reshape(out, keep) / x, keep
    # move the reduced axes last and flatten them: exclusive cumulative products from both ends
    kept = tuple(i for i in range(len(shape)) if i not in axes)
    perm = kept + axes
    moved = transpose(x, perm)
    m = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    flat = reshape(moved, tuple(shape[i] for i in kept) + (m,))
    one = np.ones(shape_of(flat)[:-1] + (1,), dtype=_float_dtype(x))
    left = concatenate([one, getitem(cumprod(flat, -1), (Ellipsis, slice(None, -1)))], -1)
    right = _flip(concatenate([one, getitem(cumprod(_flip(flat, -1), -1), (Ellipsis, slice(None, -1)))], -1), -1)
    others = reshape(left * right, shape_of(moved))
    return transpose(others, _inverse_permutation(perm)), keep


_prod_vjp, _prod_jvp = _weighted_reduction(_others_product)
PROD = register(Primitive("prod", _prod_forward, vjp=_prod_vjp, jvp=_prod_jvp,
                           formulas=("d(Πx)/dx_i = product of the other elements",), batch=_reduction_batch("prod")))


# ---------------------------------------------------------------------------
# Constant padding, and writing values into positions of an array
# ---------------------------------------------------------------------------
def pad(x, widths, value):
    return apply(PAD, x, widths=widths, value=value)


def _unpad(g, widths):
    return getitem(g, tuple(slice(lo, shape_of(g)[i] - hi) for i, (lo, hi) in enumerate(widths)))


PAD = register(Primitive(
    "pad", lambda x, widths, value: np.pad(x, widths, mode="constant", constant_values=value),
    vjp=lambda g, out, inputs, params, needs: (_unpad(g, params["widths"]),),
    jvp=lambda tangents, out, inputs, params: pad(tangents[0], params["widths"], 0),
    formulas=("cut the padding off g",), batch=_pad_batch))


def scatter_set(x, v, index):
    return apply(SCATTER_SET, x, v, index=index)


def _scatter_set_forward(x, v, index):
    out = np.array(x, dtype=np.result_type(x, v) if np.asarray(v).dtype.kind in "fc" else np.asarray(x).dtype)
    out[index] = v
    return out


def _scatter_set_vjp(g, out, inputs, params, needs):
    x, v = inputs
    index = params["index"]
    gx = gv = None
    if needs[0]:
        gx = cast_like(scatter_set(g, 0.0, index), x)
    if needs[1]:
        gv = unbroadcast(getitem(g, index), v)
    return gx, gv


def _scatter_set_jvp(tangents, out, inputs, params):
    tx, tv = tangents
    x, v = inputs
    tx = zeros_like_value(out) if tx is None else tx
    tv = 0.0 if tv is None else tv
    return scatter_set(tx, tv, params["index"])


SCATTER_SET = register(Primitive(
    "scatter_set", _scatter_set_forward, vjp=_scatter_set_vjp, jvp=_scatter_set_jvp,
    formulas=("g with zeros where values were written", "g gathered at the written positions"),
    batch=_scatter_set_batch))


# ---------------------------------------------------------------------------
# Complex numbers (MLX's convention)
#
# A complex number z = x + iy is a pair of reals, and its derivatives are the
# real ones packed back into one complex number:
#
# * a tangent t (a direction dx + i dy) maps to the output's change
#   df = f'(z) t for a holomorphic f (exp, sin, z*w, ...): the same local
#   derivative as for reals;
# * a cotangent g = dL/du + i dL/dv of an output f = u + iv maps back to
#   dL/dx + i dL/dy.  For a holomorphic f that is g * conj(f'(z)): reverse
#   mode multiplies by the conjugate of the local derivative (see
#   :func:`adjoint`).  The gradient of a real loss is dL/dx + i dL/dy.
#
# conj, real, imag and abs are not holomorphic; each states both rules.
# Elementwise primitives not marked ``holomorphic`` refuse complex inputs.
# ---------------------------------------------------------------------------
def _is_complex(x) -> bool:
    """True for a complex number, or an array or node of complex dtype."""
    if type(x) is complex:
        return True
    dt = getattr(x, "dtype", None)
    return dt is not None and getattr(dt, "kind", "") == "c"


def _is_complex_any(values) -> bool:
    for v in values:
        if _is_complex(v):
            return True
    return False


def conj(x):
    return apply(CONJ, x)


def real(x):
    return apply(REAL, x)


def imag(x):
    return apply(IMAG, x)


def adjoint(d):
    """A local derivative as reverse mode applies it: ``conj(d)`` (``d`` itself when it is real).

    >>> adjoint(2.0), adjoint(np.array([1 + 2j]))
    (2.0, array([1.-2.j]))
    """
    return apply(CONJ, d) if _is_complex(d) else d


def _conj_forward(x):
    return x.conjugate() if type(x) is complex else np.conj(x) if _is_complex(x) else x


def _real_forward(x):
    return x.real if type(x) is complex else np.real(x) if _is_complex(x) else x


def _imag_forward(x):
    if type(x) is complex:
        return x.imag
    if _is_complex(x):
        return np.imag(x)
    return np.zeros_like(x) if isinstance(x, np.ndarray) else 0.0 * x


# conj(x + iy) = x - iy:   tangent t -> conj(t);   cotangent g -> conj(g)
CONJ = register(Primitive(
    "conj", _conj_forward,
    vjp=lambda g, out, inputs, params, needs: (cast_like(conj(g), inputs[0]),),
    jvp=lambda tangents, out, inputs, params: conj(tangents[0]),
    formulas=("d conj(z) = conj(dz); cotangent conj(g)",)))

# real(x + iy) = x:   tangent t -> real(t);   cotangent g (real) -> g + 0i
REAL = register(Primitive(
    "real", _real_forward,
    vjp=lambda g, out, inputs, params, needs: (cast_like(g, inputs[0]),),
    jvp=lambda tangents, out, inputs, params: real(tangents[0]),
    formulas=("d real(z) = real(dz); cotangent g + 0i",)))

# imag(x + iy) = y:   tangent t -> imag(t);   cotangent g (real) -> 0 + ig
IMAG = register(Primitive(
    "imag", _imag_forward,
    vjp=lambda g, out, inputs, params, needs: (cast_like(g * 1j, inputs[0]),),
    jvp=lambda tangents, out, inputs, params: imag(tangents[0]),
    formulas=("d imag(z) = imag(dz); cotangent 0 + ig",)))


def _unit(z, out):
    """z / |z|, and 0 where z = 0 (as MLX: no direction to prefer there)."""
    return z / where(_value(out) == 0, 1.0, out)


# |z| = sqrt(x² + y²):   tangent t -> real(conj(z) t) / |z|;   cotangent g (real) -> g z / |z|   (0 at z = 0)
COMPLEX_ABS = register(Primitive(
    "complex_abs", np.abs,
    vjp=lambda g, out, inputs, params, needs: (unbroadcast(g * _unit(inputs[0], out), inputs[0]),),
    jvp=lambda tangents, out, inputs, params: real(conj(_unit(inputs[0], out)) * tangents[0]),
    formulas=("d|z| = real(conj(z) dz) / |z|; cotangent g z / |z|",)))

for _name in ("neg", "exp", "log", "sin", "cos", "tanh", "sqrt", "square", "add", "sub", "mul", "div", "pow",
              "tan", "sinh", "cosh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "log1p",
              "log2", "log10"):
    table[_name].holomorphic = True  # their local derivatives are f'(z) for complex z too
del _name

# vmap: conj, real, imag and |z| act elementwise, so they batch as the other elementwise primitives do
for _prim in (CONJ, REAL, IMAG, COMPLEX_ABS):
    _prim.batch = elementwise_batch(_prim)
del _prim
