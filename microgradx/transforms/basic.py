"""Function transforms: ``grad``, ``value_and_grad``, ``vjp`` and ``jvp`` with MLX's rules; ``jacfwd``,
``jacrev`` and ``hessian`` beyond MLX.

MLX's argument rules -- how ``argnums`` and ``argnames`` are read, which
checks run in which order, the exact error messages -- live in
:mod:`microgradx.transforms.mlx_arguments`; the documentation page "microgradx
and MLX" (``docs/mlx.rst``) states them and every deliberate difference.  This
module does the differentiation, with one core per mode: :func:`_trace` then
:func:`_pull_back` for reverse mode, :func:`_push_forward` for forward mode.

How a transform computes, in terms of levels (see :mod:`microgradx.core.state`):

**reverse mode** (``grad``, ``value_and_grad``, ``vjp``, ``jacrev``)
    open a new level ``k``; replace each differentiated input by a fresh
    leaf ``Tensor`` of level ``k`` (a *tracer*) whose value is the input;
    run ``fun``, which records a graph on level ``k``; sweep backward from
    the output (:mod:`microgradx.core.engine`); each tracer's cotangent is the
    gradient with respect to that input.

**forward mode** (``jvp``, ``jacfwd``)
    open a new level ``k``; hand ``fun`` a :class:`~microgradx.Dual` of
    level ``k`` per input (value + tangent); the tangent of the output is the
    directional derivative.

Inside an enclosing transform the inputs are nodes of that transform's
(outer) level, so everything computed here -- including the backward sweep's
own arithmetic -- is recorded there, and the result can be differentiated
again: ``grad(grad(f))``, ``jvp(grad(f))``, ``grad`` of a ``vjp``, ...  Each
call has its own level, so nested derivatives never confuse their
perturbations.

What counts as "an array" when a transform checks what ``fun`` returned:
a :class:`~microgradx.Tensor` or a :class:`~microgradx.Dual` (of any level).
numpy arrays, numbers and Scalars returned by ``fun`` are not arrays, as
numpy arrays and numbers are not ``mx.array`` in MLX.

Examples
--------
>>> import microgradx as mgx
>>> f = lambda x, y: mgx.sum(x * y)
>>> mgx.grad(f)(mgx.array([1.0, 2.0]), mgx.array([3.0, 4.0]))
Tensor([3., 4.])
>>> mgx.grad(lambda x: x ** 3)(2.0)                 # numbers work too (an extension)
12.0
>>> mgx.grad(mgx.grad(lambda x: x ** 3))(2.0)       # higher order
12.0
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from .. import ops
from ..core import backend as _backend
from ..core import state
from ..core.dispatch import node_types, raw_value
from ..nodes.dual import Dual
from ..nodes.tensor import Tensor
from ..tree import is_node, rebuild
from . import mlx_arguments as A

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacfwd", "jacrev", "hessian"]



# ---------------------------------------------------------------------------
# Leaves
# ---------------------------------------------------------------------------




def _shape(x) -> tuple:
    return tuple(np.shape(raw_value(x)))


def _float_dtype(x) -> np.dtype:
    """The dtype of a gradient for ``x``: its own float (or complex) dtype, float64 for integers and bools."""
    dt = np.asarray(raw_value(x)).dtype
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _zeros_like(x) -> np.ndarray:
    return np.zeros(_shape(x), dtype=_float_dtype(x))


def _input_value(x):
    """The value a tracer holds: nodes of running transforms stay (so outer levels record);
    eager values (level 0) and nodes of finished transforms are constants."""
    types = node_types()
    while isinstance(x, types) and (x._level == 0 or not state.is_active(x._level)):
        x = x._inner()
    if not isinstance(x, types) and not isinstance(x, np.ndarray):
        x = np.asarray(x)
    return x


def _as_array(x):
    """A transform's output value as a Tensor (nodes of enclosing transforms stay as they are)."""
    if isinstance(x, node_types()):
        return x
    return Tensor._constant(np.asarray(x))


def _like_input(g, original):
    """Gradient ``g`` (None = zero) in the kind of the input ``original`` (Tensor, ndarray, float, Scalar).

    Inside an enclosing transform a gradient that depends on its variables
    is a node of that transform and is returned as it is, so it can be
    differentiated again.
    """
    if isinstance(g, node_types()):
        return g
    shape, dtype = _shape(original), _float_dtype(original)
    if g is not None and dtype.kind != "c" and np.iscomplexobj(g):
        g = np.real(g)  # a real input's share of a complex gradient is its real part
    g = np.zeros(shape, dtype) if g is None else np.asarray(g, dtype=dtype).reshape(shape)
    if getattr(original, "_kind", None) == "scalar":
        return type(original)(float(g))
    if isinstance(original, np.ndarray):
        return g
    if isinstance(original, node_types()):
        return Tensor._constant(g)
    return float(g)


def _through_hand_made(x, level, read):
    """``read`` (how a transform reads its own node ``x``), applied through hand-made Duals around it.

    A hand-made Dual used inside a transform stays just inside it (see
    :func:`microgradx.core.state.effective_level`), so an output may be such
    a Dual whose parts are nodes of ``level``: ``p + t·ε`` reads as
    ``read(p) + read(t)·ε``, with the hand-made ε kept.
    """
    if isinstance(x, Dual) and x._level > level and x._level != int(x._level):
        return _through_hand_made(x._primal, level, read) + Dual(0.0, 1.0) * _through_hand_made(x.tangent, level, read)
    return read(x)


def _unwrap(x, level):
    """The value of ``x`` one level out, if ``x`` belongs to ``level``; a Tensor in any case."""

    def read(x):
        if isinstance(x, Tensor) and x._level == level:
            return _as_array(x._value)
        if isinstance(x, Dual) and x._level == level:
            return _as_array(x._primal)
        return _as_array(x) if not A.is_array(x) else x

    return _through_hand_made(x, level, read)


def _sweep(out, cotangent, level) -> None:
    """Send ``cotangent`` from ``out`` back to the tracers of ``level`` (nothing if ``out`` ignores them)."""
    if isinstance(out, Dual) and out._level > level and out._level != int(out._level):  # see _through_hand_made
        _sweep(out._primal, cotangent, level)
        if out._tangent is not None:
            _sweep(out._tangent, Dual(0.0, 1.0) * cotangent, level)
    elif isinstance(out, Tensor) and out._level == level:
        _backend.engine.backward_sweep(out, cotangent, False)


def _take_cotangents(tracers) -> list:
    """Collect (and reset) the cotangent each tracer received; None where nothing arrived."""
    cots = []
    for t in tracers:
        cots.append(t._cot)
        t._cot = None
    return cots


def _trace(fun, args: list, kwargs: dict, selected) -> tuple:
    """Run ``fun`` on a new level with a tracer in place of every leaf of the ``selected`` arguments.

    ``selected`` holds positions of ``args`` and keys of ``kwargs``.  A tracer
    is a leaf Tensor of the new level whose value is the input, so ``fun``
    records its graph on that level.  Returns ``(out, tracing, level)``;
    ``tracing.tracers`` are the leaves to pull cotangents back to.
    """
    with state.transform_level() as level:
        tracing = _Tracing(lambda v: Tensor._leaf(_input_value(v), level))
        for key in selected:
            place = args if isinstance(key, int) else kwargs
            place[key] = tracing.swap(place[key], (key,))
        try:
            out = fun(*args, **kwargs)
        finally:
            tracing.restore()
    return out, tracing, level


def _pull_back(pairs, tracing, level) -> list:
    """Sweep each ``(output, cotangent)`` back to the tracers; their cotangents (added up), None where none arrived."""
    try:
        for out, cotangent in pairs:
            _sweep(out, cotangent, level)
    finally:
        cots = _take_cotangents(tracing.tracers)
    return cots


def _cotangent_value(c, out):
    """A user cotangent ready for the sweep: plain values get ``out``'s float dtype (MLX casts too)."""
    c = _input_value(c)
    if isinstance(c, node_types()):
        return c
    return np.asarray(c, dtype=_float_dtype(out))


# ---------------------------------------------------------------------------
# Reverse mode's core: tracers in place of the inputs, then the sweep back to them
# ---------------------------------------------------------------------------
class _Tracing:
    """Swap every leaf of the differentiated arguments for a tracer, and put the originals back.

    Lists and dicts are updated in place (``fun`` gets the caller's own
    container, as in MLX); tuples are rebuilt.  Every position that held an
    input is remembered by its path, so the gradient tree can be shaped like
    the arguments as they are *after* ``fun`` ran.
    """

    def __init__(self, make_tracer: Callable):
        self.make_tracer = make_tracer
        self.tracers: list = []
        self.originals: list = []
        self.position: dict[tuple, int] = {}  # path -> index into tracers
        self.undo: list = []  # (container, key, tracer, original)

    def swap(self, tree, path: tuple):
        if isinstance(tree, (list, dict)):
            keys = list(tree.keys()) if isinstance(tree, dict) else range(len(tree))
            for key in keys:
                child = tree[key]
                new = self.swap(child, path + (key,))
                if new is not child:
                    tree[key] = new
                    self.undo.append((tree, key, new, child))
            return tree
        if isinstance(tree, tuple):
            return rebuild(tree, [self.swap(c, path + (i,)) for i, c in enumerate(tree)])
        tracer = self.make_tracer(tree)
        self.position[path] = len(self.tracers)
        self.tracers.append(tracer)
        self.originals.append(tree)
        return tracer

    def restore(self) -> None:
        """Put the originals back wherever a tracer still sits; whatever ``fun`` wrote there stays."""
        for container, key, tracer, original in reversed(self.undo):
            present = key in container if isinstance(container, dict) else key < len(container)
            if present and container[key] is tracer:
                container[key] = original

    def gradient_tree(self, tree, path: tuple, grads: list):
        """The gradient of an argument, shaped like the argument is now.

        A position that held an input gets that input's gradient.  Positions
        ``fun`` added get zeros if they hold an array, and keep their value
        otherwise (MLX keeps such non-array entries; it crashes on arrays).
        """
        if is_node(tree):
            keys = list(tree.keys()) if isinstance(tree, dict) else range(len(tree))
            return rebuild(tree, [self.gradient_tree(tree[k], path + (k,), grads) for k in keys])
        index = self.position.get(path)
        if index is not None:
            return grads[index]
        if A.is_array(tree):
            return Tensor._constant(_zeros_like(tree))
        return tree








# ---------------------------------------------------------------------------
# grad and value_and_grad
# ---------------------------------------------------------------------------
def _value_and_grad(fun, argnums, argnames, fname: str, scalar_only: bool):
    A.check_callable(fun, fname)
    tag = f"[{fname}]"
    nums, names = A.selection(argnums, argnames, fname)
    A.check_selection(nums, names, tag)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        A.check_call(nums, names, args, kwargs, tag)  # (1) argnums in range, (2) argnames passed by keyword
        # (3) strict flattening of the differentiated arguments, (4) at least one leaf
        selected = list(nums) + [k for k in kwargs if k in names]  # positional first, then call order
        args = list(args)
        place = lambda key: args if isinstance(key, int) else kwargs  # noqa: E731
        if sum(A.count_strict(place(key)[key]) for key in selected) == 0:
            raise ValueError("[grad] Must specify at least one argument.")
        # (5) run fun on tracers, (6) check what it returned, (7) the loss, (8) the backward pass from it
        out, tracing, level = _trace(fun, args, kwargs, selected)
        loss = A.loss_of(out, tag, scalar_only)
        cots = _pull_back([(loss, np.ones((), dtype=_float_dtype(loss)))], tracing, level)
        # (9) gradient trees shaped like the arguments after the call
        grads = [_like_input(c, o) for c, o in zip(cots, tracing.originals)]
        positional = [tracing.gradient_tree(args[i], (i,), grads) for i in nums]
        g = positional[0] if len(nums) == 1 else tuple(positional)
        if names:
            g = (g if nums else None, {k: tracing.gradient_tree(kwargs[k], (k,), grads) for k in selected[len(nums):]})
        if scalar_only:
            return g
        return _value_tree(out, level), g

    return wrapped






def _value_tree(out, level):
    """value_and_grad's value: the loss (still differentiable by outer transforms) and aux through stop_gradient."""
    seen_loss = False

    def walk(x):
        nonlocal seen_loss
        if is_node(x):
            return rebuild(x, [walk(c) for c in (x.values() if isinstance(x, dict) else x)])
        if not A.is_array(x):
            return x
        if not seen_loss:  # the first array is the loss
            seen_loss = True
            return _unwrap(x, level)
        return ops.stop_gradient(x)

    return walk(out)


def grad(fun: Callable, argnums: int | Sequence[int] | None = None,
         argnames: str | Sequence[str] = ()) -> Callable:
    """Return a function that computes the gradient of ``fun`` (MLX's ``grad``).

    Parameters
    ----------
    fun : callable
        Returns a scalar Tensor (shape ``()``).
    argnums : int or sequence of int, optional
        Positional arguments to differentiate.  Default: ``0``, unless
        ``argnames`` is given (then none).
    argnames : str or sequence of str, optional
        Keyword arguments to differentiate; they must be passed by keyword.

    Returns
    -------
    callable
        Same arguments as ``fun``.  It returns the gradient tree of the
        single selected argument; a tuple (in sorted argnums order) for
        several; ``(positional_or_None, {name: gradient})`` when
        ``argnames`` is given.

    Notes
    -----
    Arguments are trees (lists, tuples, dicts) whose leaves may be Tensors,
    numpy arrays, numbers or Scalars; each gradient comes back in the kind of
    its leaf (MLX: arrays only).  See ``docs/mlx.rst`` for every difference.

    Examples
    --------
    >>> import microgradx as mgx
    >>> f = lambda x, y: x * y * y
    >>> mgx.grad(f)(mgx.array(2.0), mgx.array(3.0))
    Tensor(9.)
    >>> mgx.grad(f, argnums=(1, 0))(mgx.array(2.0), mgx.array(3.0))
    (Tensor(9.), Tensor(12.))
    >>> mgx.grad(lambda p: p["w"] ** 2)({"w": 3.0})
    {'w': 6.0}
    """
    return _value_and_grad(fun, argnums, argnames, "grad", scalar_only=True)


def value_and_grad(fun: Callable, argnums: int | Sequence[int] | None = None,
                   argnames: str | Sequence[str] = ()) -> Callable:
    """Return a function that computes ``fun`` and its gradient (MLX's ``value_and_grad``).

    ``fun`` returns a scalar Tensor, or a non-empty tuple whose first element
    is the scalar loss and whose other elements are anything ("aux"); the
    arrays in the aux part pass through :func:`~microgradx.stop_gradient`.
    Arguments are selected as in :func:`grad`.

    Returns
    -------
    callable
        Returns ``(value, gradient)``; ``value`` is what ``fun`` returned
        (containers rebuilt), ``gradient`` as :func:`grad` gives it.

    Examples
    --------
    >>> import microgradx as mgx
    >>> loss = lambda w, x: mgx.sum((w * x) ** 2)
    >>> value, dw = mgx.value_and_grad(loss)(mgx.array([1.0, 2.0]), mgx.array([3.0, 1.0]))
    >>> value, dw
    (Tensor(13.), Tensor([18.,  4.]))
    >>> (value, aux), dw = mgx.value_and_grad(lambda w: (w * w, {"w": w}))(mgx.array(3.0))
    >>> aux, dw
    ({'w': Tensor(3.)}, Tensor(6.))
    """
    return _value_and_grad(fun, argnums, argnames, "value_and_grad", scalar_only=False)


# ---------------------------------------------------------------------------
# vjp and jvp
# ---------------------------------------------------------------------------
def vjp(fun: Callable, primals: Sequence, cotangents: Sequence) -> tuple[list, list]:
    """Vector-Jacobian product: ``fun``'s outputs and ``cotangentsᵀ · J`` for each primal (MLX's ``vjp``).

    Parameters
    ----------
    fun : callable
        Takes ``len(primals)`` positional arguments; returns an array or a
        flat list/tuple of arrays.
    primals : list or tuple
        Where to evaluate (Tensors, numpy arrays, numbers or Scalars).
    cotangents : list or tuple
        One per output, same shapes (no broadcasting).  Outputs made by
        :func:`~microgradx.stop_gradient` take none; extra ones are ignored.

    Returns
    -------
    (list, list)
        The outputs, and one vector-Jacobian product per primal (in the
        primal's kind).

    Examples
    --------
    >>> import microgradx as mgx
    >>> outs, vjps = mgx.vjp(lambda x, y: x * y, [mgx.array([1.0, 2.0]), mgx.array([3.0, 4.0])],
    ...                      [mgx.array([1.0, 10.0])])
    >>> outs, vjps
    ([Tensor([3., 8.])], [Tensor([ 3., 40.]), Tensor([ 1., 20.])])
    """
    A.check_callable(fun, "vjp")
    primals = A.sequence_of_leaves(primals, "vjp", "primals")
    cotangents = A.sequence_of_leaves(cotangents, "vjp", "cotangents")
    out, tracing, level = _trace(fun, list(primals), {}, range(len(primals)))
    outputs = A.outputs_of(out, "vjp")
    pairs = A.pair_cotangents(outputs, cotangents, _shape)
    cots = _pull_back([(o, _cotangent_value(c, o)) for o, c in pairs], tracing, level)  # one sweep per output
    return [_unwrap(o, level) for o in outputs], [_like_input(c, p) for c, p in zip(cots, primals)]


def _push_forward(fun, args: list, tangents: dict, fname: str, like=None) -> tuple[object, list, list]:
    """Forward mode's core: run ``fun`` on a new level with Duals at the positions in ``tangents``.

    ``tangents`` maps a position of ``args`` to its tangent.  Returns what
    ``fun`` returned, its outputs (values one level out) and their tangents
    (zeros for an output that does not depend on the inputs; of dtype ``like``
    for an output with no float dtype).
    """
    with state.transform_level() as level:
        for i, t in tangents.items():
            args[i] = Dual._make(_input_value(args[i]), t, level)
        out = fun(*args)
    outputs = A.outputs_of(out, fname)
    return out, [_unwrap(o, level) for o in outputs], [_tangent_of(o, level, like) for o in outputs]


def _tangent_of(o, level, like=None):
    """The tangent carried by output ``o`` at ``level`` (zeros if ``o`` does not depend on the inputs).

    The zeros for an output with no float dtype (a comparison) take dtype ``like``, the tangents'
    float dtype, as in MLX (float32 tangents give float32 zeros).
    """

    def read(o):
        if isinstance(o, Dual) and o._level == level and o._tangent is not None:
            t = o._tangent
            if _shape(t) != o.shape:  # a rule may hand back a broadcastable tangent
                t = ops.broadcast_to(t, o.shape)
            return t
        if like is not None and np.asarray(raw_value(o)).dtype.kind not in "fc":
            return np.zeros(_shape(o), dtype=like)
        return _zeros_like(o)

    return _through_hand_made(o, level, read)


def jvp(fun: Callable, primals: Sequence, tangents: Sequence) -> tuple[list, list]:
    """Jacobian-vector product: ``fun``'s outputs and ``J · tangents`` (MLX's ``jvp``), by dual numbers.

    Parameters
    ----------
    fun : callable
        Takes ``len(primals)`` positional arguments (it receives
        :class:`~microgradx.Dual` values); returns an array or a flat
        list/tuple of arrays.
    primals : list or tuple
        Where to evaluate (Tensors, numpy arrays, numbers or Scalars).
    tangents : list or tuple
        One direction per primal, same shapes.

    Returns
    -------
    (list, list)
        The outputs and their tangents.

    Examples
    --------
    >>> import microgradx as mgx
    >>> mgx.jvp(lambda x: mgx.sin(x) * x, [mgx.array(0.0)], [mgx.array(1.0)])
    ([Tensor(0.)], [Tensor(0.)])
    >>> mgx.jvp(lambda x, y: x * y, [2.0, 3.0], [1.0, 0.0])
    ([Tensor(6.)], [Tensor(3.)])
    """
    A.check_callable(fun, "jvp")
    primals = A.sequence_of_leaves(primals, "jvp", "primals")
    tangents = A.sequence_of_leaves(tangents, "jvp", "tangents")
    A.check_tangents(primals, tangents, _shape)
    like = np.result_type(*[_float_dtype(t) for t in tangents]) if tangents else None
    _, outputs, out_tangents = _push_forward(fun, primals, {i: _input_value(t) for i, t in enumerate(tangents)},
                                             "jvp", like)
    return outputs, [_as_array(t) for t in out_tangents]


# ---------------------------------------------------------------------------
# Jacobians and Hessians (JAX-style argnums; beyond MLX)
# ---------------------------------------------------------------------------




def _stack(rows: list, shape: tuple, dtype):
    """Stack equally shaped pieces and reshape to ``shape`` (with differentiable ops when they are nodes)."""
    if not rows:
        return Tensor._constant(np.zeros(shape, dtype=dtype))
    if any(isinstance(r, node_types()) for r in rows):
        return ops.reshape(ops.stack(rows), shape)
    return Tensor._constant(np.stack([np.asarray(r) for r in rows]).reshape(shape))


def _arrange(out, per_output: list, single: bool):
    """JAX's nesting: output structure outside, argnums inside."""
    results = [r[0] if single else tuple(r) for r in per_output]
    return results[0] if A.is_array(out) else tuple(results)


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function that computes the Jacobian of ``fun`` by reverse mode (one sweep per output element).

    Parameters
    ----------
    fun : callable
        Returns an array or a flat list/tuple of arrays.
    argnums : int or tuple of int
        Which positional arguments (each an array or a number) to differentiate.

    Returns
    -------
    callable
        For output shape ``S`` and input shape ``I`` the Jacobian has shape
        ``S + I``.  Several outputs give a tuple (one entry per output);
        a tuple ``argnums`` gives a tuple per output (JAX's convention).

    Examples
    --------
    >>> import microgradx as mgx
    >>> mgx.jacrev(lambda x: x * x)(mgx.array([1.0, 2.0]))
    Tensor([[2., 0.],
            [0., 4.]])
    """
    nums, single = A.jax_argnums(argnums, "jacrev")
    A.check_callable(fun, "jacrev")

    @functools.wraps(fun)
    def jacobian(*args):
        A.check_jacobian_args(args, nums, "jacrev")
        out, tracing, level = _trace(fun, list(args), {}, nums)
        tracers = tracing.tracers
        outputs = A.outputs_of(out, "jacrev")
        per_output = []
        for o in outputs:
            oshape, m = o.shape, o.size
            dtype = _float_dtype(o)
            rows: list[list] = [[] for _ in tracers]
            for e in range(m if isinstance(o, Tensor) and o._level == level else 0):
                seed = np.zeros(m, dtype=dtype)
                seed[e] = 1.0  # one row of the Jacobian per output element
                cots = _pull_back([(o, seed.reshape(oshape))], tracing, level)
                for row, c, t in zip(rows, cots, tracers):
                    row.append(_zeros_like(t) if c is None else c)
            per_output.append([
                _stack(row, oshape + t.shape, _float_dtype(t)) if row
                else Tensor._constant(np.zeros(oshape + t.shape, dtype=_float_dtype(t)))
                for row, t in zip(rows, tracers)
            ])
        return _arrange(out, per_output, single)

    return jacobian


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function that computes the Jacobian of ``fun`` by forward mode (one jvp per input element).

    Parameters and results as :func:`jacrev`: for output shape ``S`` and
    input shape ``I`` the Jacobian has shape ``S + I``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> J = mgx.jacfwd(lambda x: mgx.sum(x * x, axis=1))(mgx.ones((2, 3)))
    >>> J.shape
    (2, 2, 3)
    >>> mgx.jacfwd(lambda x, y: x * y, argnums=(0, 1))(2.0, 5.0)
    (Tensor(5.), Tensor(2.))
    """
    nums, single = A.jax_argnums(argnums, "jacfwd")
    A.check_callable(fun, "jacfwd")

    @functools.wraps(fun)
    def jacobian(*args):
        A.check_jacobian_args(args, nums, "jacfwd")
        columns: dict = {}  # (output index, argnum position) -> list of tangents
        out = outputs = None
        for a, i in enumerate(nums):
            value = _input_value(args[i])
            in_shape = _shape(value)
            n = int(np.prod(in_shape, dtype=np.int64))
            dtype = _float_dtype(value)
            for e in range(max(n, 1)):
                direction = np.zeros(n, dtype=dtype)
                if n:
                    direction[e] = 1.0
                out, outputs, tangents = _push_forward(fun, list(args), {i: direction.reshape(in_shape)}, "jacfwd")
                for j, t in enumerate(tangents):
                    col = columns.setdefault((j, a), [])
                    if n:
                        col.append(t)
        per_output = []
        for j, o in enumerate(outputs):
            row = []
            for a, i in enumerate(nums):
                in_shape = _shape(args[i])
                col = columns[(j, a)]
                shape = o.shape + in_shape
                if col and any(isinstance(c, node_types()) for c in col):
                    row.append(ops.reshape(ops.stack(col, axis=-1), shape))
                elif col:
                    row.append(Tensor._constant(np.stack([np.asarray(c) for c in col], axis=-1).reshape(shape)))
                else:
                    row.append(Tensor._constant(np.zeros(shape, dtype=_float_dtype(args[i]))))
            per_output.append(row)
        return _arrange(out, per_output, single)

    return jacobian


def hessian(fun: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """Return a function that computes the Hessian of scalar ``fun``: forward mode over reverse mode.

    ``hessian(f) = jacfwd(jacrev(f))``.  For an input of shape ``I`` the
    Hessian has shape ``I + I``; a tuple ``argnums`` gives the blocks
    ``H[i][j] = d²f / dx_i dx_j``.

    Examples
    --------
    >>> import microgradx as mgx
    >>> rosenbrock = lambda v: (1 - v[0]) ** 2 + 100 * (v[1] - v[0] ** 2) ** 2
    >>> mgx.hessian(rosenbrock)(mgx.array([1.0, 1.0]))
    Tensor([[ 802., -400.],
            [-400.,  200.]])
    """
    return functools.wraps(fun)(jacfwd(jacrev(fun, argnums), argnums))
