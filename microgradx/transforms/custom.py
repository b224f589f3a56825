"""``custom_function`` (your own vjp/jvp/vmap rules for a function) and ``checkpoint`` (recompute, don't save).

Both make a whole Python function behave like one primitive of the rule table:

* its forward pass runs ``fun`` on plain values, so no graph of its inside is recorded (nothing of it is
  saved for the backward sweep except its inputs);
* its reverse rule is the ``.vjp`` you gave -- or, without one, a ``vjp`` of ``fun`` computed *during the
  backward sweep*, which runs ``fun`` again: that is gradient checkpointing;
* its forward-mode rule is the ``.jvp`` you gave, or a ``jvp`` of ``fun``.

``checkpoint(fun)`` is exactly a custom function with no custom rules.

Examples
--------
>>> import microgradx as mgx
>>> from microgradx.transforms.custom import custom_function
>>> @custom_function
... def clip_gradient(x):
...     return x
>>> @clip_gradient.vjp
... def clip_gradient_vjp(primals, cotangent, output):
...     return mgx.clip(cotangent, -1.0, 1.0)
>>> mgx.grad(lambda x: mgx.sum(clip_gradient(x) * 5.0))(mgx.array([1.0, 2.0]))
Tensor([1., 1.])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from ..core import rules as R
from ..core.dispatch import apply, node_types, raw_value, value_dtype, value_shape
from ..core.state import is_active
from ..nodes.batched import constant_of
from ..nodes.tensor import Tensor
from ..tree import is_node
from .vmap import unrecorded, vmap

__all__ = ["custom_function", "checkpoint"]


def _leaves(tree, out: list):
    """Append the node leaves of ``tree`` (the differentiable inputs) to ``out``; return a template."""
    if is_node(tree) and not isinstance(tree, dict):
        return type(tree), [_leaves(t, out) for t in tree]
    if isinstance(tree, dict):
        return dict, {k: _leaves(v, out) for k, v in tree.items()}
    if isinstance(tree, node_types()):
        out.append(tree)
        return _SLOT
    return ("const", tree)


_SLOT = ("slot",)


def _fill(template, values: list, pos: list, constant=_SLOT):
    """Rebuild a tree from :func:`_leaves`' template, taking node leaves from ``values`` in order.

    A constant leaf comes back as itself, or as ``constant`` when one is given (``None`` for the batch axes
    of a vmap rule: a constant is not batched).
    """
    if template is _SLOT:
        v = values[pos[0]]
        pos[0] += 1
        return v
    kind, body = template
    if kind == "const":
        return body if constant is _SLOT else constant
    if kind is dict:
        return {k: _fill(v, values, pos, constant) for k, v in body.items()}
    items = [_fill(t, values, pos, constant) for t in body]
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _flat_outputs(out) -> tuple[list, Callable]:
    """The leaves of ``fun``'s output and a function that rebuilds that structure from new leaves."""
    if isinstance(out, (list, tuple)):
        kind = type(out)
        return list(out), (lambda leaves: kind(leaves) if not hasattr(kind, "_fields") else kind(*leaves))
    return [out], (lambda leaves: leaves[0])


def _primals_view(args: tuple):
    """MLX hands custom rules the single positional argument itself, or the tuple of them."""
    return args[0] if len(args) == 1 else tuple(args)


def _zeros(v):
    dtype = value_dtype(v)   # (shape and dtype only: inside vmap, one example's)
    return np.zeros(value_shape(v), dtype if dtype.kind == "f" else np.float64)


class custom_function:  # noqa: N801 - MLX's name
    """Wrap ``fun`` so that its derivatives come from rules you give (``.vjp``, ``.jvp``, ``.vmap``).

    The rules, as in MLX:

    * ``@f.vjp``: ``vjp_fn(primals, cotangents, outputs, **kwargs)`` returns the cotangents of the
      primals.  ``primals`` is the single positional argument itself or the tuple of them;
      ``cotangents`` and ``outputs`` have the structure of ``fun``'s output.
    * ``@f.jvp``: ``jvp_fn(primals, tangents)`` returns the output tangent(s); an input without a
      tangent gets ``None``.
    * ``@f.vmap``: ``vmap_fn(inputs, axes)`` returns ``(outputs, out_axes)``: ``inputs`` hold the whole
      batch, ``axes`` say where each input's batch axis is (``None``: not batched); as for the vjp
      rule, a single input comes as itself with an int axis, several as tuples.  Used wherever the
      custom function is called under ``vmap``, in place of a loop over the examples.

    A rule you do not give is derived from ``fun`` itself (by running it again under ``vjp``/``jvp``).
    Keyword arguments are passed to ``fun`` and to the vjp rule, and are not differentiated; as in MLX,
    arrays captured in a closure are constants (pass what should be differentiated as an argument).

    Examples
    --------
    A numerically stable ``log(1 + e^x)``: its derivative ``sigmoid(x)`` never overflows, where the
    derivative of the naive formula is ``inf / inf`` for large ``x``.

    >>> import microgradx as mgx
    >>> @custom_function
    ... def log1pexp(x):
    ...     return mgx.log(1.0 + mgx.exp(x))
    >>> @log1pexp.vjp
    ... def log1pexp_vjp(primals, cotangent, output):
    ...     return cotangent * mgx.sigmoid(primals)
    >>> mgx.grad(lambda x: mgx.sum(log1pexp(x)))(mgx.array([0.0, 1000.0]))
    Tensor([0.5, 1. ])
    """

    def __init__(self, fun: Callable):
        if not callable(fun):
            raise TypeError(f"custom_function: fun must be callable; got {type(fun).__name__}")
        self._fun = fun
        self._vjp = self._jvp = self._vmap = None
        self._checkpoint = False
        functools.update_wrapper(self, fun)

    def _set(self, name: str, rule):
        if not callable(rule):
            raise TypeError(f"custom_function.{name}: the rule must be callable; got {type(rule).__name__}")
        setattr(self, "_" + name, rule)
        return self

    def vjp(self, rule: Callable) -> custom_function:
        """Set the reverse rule (a decorator; returns the custom function).

        >>> f = custom_function(lambda x: x).vjp(lambda p, c, o: 2 * c)
        >>> import microgradx as mgx
        >>> mgx.grad(f)(1.0)
        2.0
        """
        return self._set("vjp", rule)

    def jvp(self, rule: Callable) -> custom_function:
        """Set the forward-mode rule (a decorator; returns the custom function).

        >>> import microgradx as mgx
        >>> f = custom_function(lambda x: x).jvp(lambda p, t: 3 * t)
        >>> mgx.jvp(f, [1.0], [1.0])[1]
        [Tensor(3.)]
        """
        return self._set("jvp", rule)

    def vmap(self, rule: Callable) -> custom_function:
        """Set the batching rule ``rule(inputs, axes) -> (outputs, out_axes)`` (a decorator).

        >>> import numpy as np
        >>> from microgradx.transforms.vmap import vmap
        >>> f = custom_function(lambda x: x * 2).vmap(lambda x, axis: (x * 10, axis))
        >>> vmap(lambda x: f(x) + 1)(np.array([1.0, 2.0]))
        Tensor([11., 21.])
        """
        return self._set("vmap", rule)

    def __call__(self, *args, **kwargs):
        inputs: list = []
        template = _leaves(args, inputs)
        if not any(isinstance(a, node_types()) and is_active(a._level) for a in inputs):
            return self._fun(*args, **kwargs)     # nothing to differentiate: a plain call
        prim = _CustomPrimitive(self, template, kwargs)
        first = apply(prim, *inputs, index=0)
        if prim.rebuild is None:
            return first
        return prim.rebuild([first] + [apply(prim, *inputs, index=i) for i in range(1, prim.count)])


class _CustomPrimitive(R.Primitive):
    """The rule-table entry made for one call of a custom function (its inputs' tree is the call's)."""

    __slots__ = ("owner", "template", "kwargs", "count", "rebuild", "_cache", "_batch_cache")

    def __init__(self, owner: custom_function, template, kwargs: dict):
        kind = "checkpoint" if owner._checkpoint else "custom"
        reverse = "your vjp rule" if owner._vjp else "vjp of the segment, recomputed in the backward sweep"
        super().__init__(f"{kind}[{getattr(owner._fun, '__name__', 'fun')}]", self._forward, vjp=self._vjp,
                         jvp=self._jvp, formulas=(reverse,),   # one entry: it holds for every input
                         batch=self._batch)
        self.owner, self.template, self.kwargs = owner, template, kwargs
        self.count, self.rebuild, self._cache, self._batch_cache = 1, None, (None, None), (None, None)

    @property
    def recomputes(self) -> bool:
        """True when the backward sweep runs ``fun`` again (no ``.vjp`` rule: checkpointing)."""
        return self.owner._vjp is None

    def segment(self, saved, parents) -> tuple[list, list]:
        """Run ``fun`` again on fresh leaves: the graph the backward sweep rebuilds (for pictures and narration).

        ``saved`` and ``parents`` are a node's ``_saved`` and ``_parents``: each input that is a node becomes
        a new leaf Tensor with its value, a constant stays a constant.  Returns the new leaves (``None`` for
        a constant, in input order) and ``fun``'s outputs -- the recomputed values are the nodes between them.
        Nothing of the original graph is touched.

        >>> import microgradx as mgx
        >>> y = checkpoint(lambda x: mgx.tanh(x * x))(mgx.Tensor([1.0]))
        >>> leaves, outs = y._prim.segment(y._saved, y._parents)
        >>> outs[0]._prim.name, outs[0]._parents[0]._prim.name, outs[0]._parents[0]._parents[0] is leaves[0]
        ('tanh', 'mul', True)
        """
        leaves = [None if p is None else Tensor(np.asarray(v)) for v, p in zip(saved, parents)]
        values = [v if leaf is None else leaf for v, leaf in zip(saved, leaves)]
        return leaves, _flat_outputs(self.owner._fun(*self._args(values), **self.kwargs))[0]

    def _args(self, values) -> tuple:
        return _fill(self.template, list(values), [0])

    def _forward(self, *values, index=0):
        key, outs = self._cache
        if not _same_values(key, values):
            outs = [raw_value(o) for o in self._flat_fun(*values)]
            self._cache = (values, outs)
        return outs[index]

    def _batch(self, values, axes, params):
        """The batching rule: your ``.vmap`` rule (once per call of the function, for all its outputs), or
        without one ``vmap`` of ``fun`` itself, as MLX does."""
        key, result = self._batch_cache
        if _same_values(key, values):
            return result[params.get("index", 0)]
        if self.owner._vmap is None:
            outs = vmap(self._flat_fun, in_axes=tuple(axes))(*values)
            result = [_batch_output(o, 0) for o in outs]
        else:   # the rule sees arrays as the caller passed them (plain Tensors), nodes of outer levels as they are
            args = self._args([Tensor._constant(np.asarray(v)) if isinstance(v, (np.ndarray, np.generic)) else v
                               for v in values])
            arg_axes = _fill(self.template, list(axes), [0], constant=None)
            returned = self.owner._vmap(_primals_view(args), _primals_view(arg_axes))
            if not (isinstance(returned, (list, tuple)) and len(returned) == 2):
                raise ValueError("custom_function: the vmap rule must return a pair (outputs, out_axes); got "
                                 f"{type(returned).__name__}")
            outs, out_axes = returned
            leaves = self._outputs_of(outs)
            out_axes = list(out_axes) if isinstance(out_axes, (list, tuple)) else [out_axes] * len(leaves)
            if len(out_axes) != len(leaves):
                raise ValueError(f"custom_function: the vmap rule returned {len(out_axes)} axes for "
                                 f"{len(leaves)} outputs")
            result = [_batch_output(o, a) for o, a in zip(leaves, out_axes)]
        self._batch_cache = (values, result)
        return result[params.get("index", 0)]

    def _flat_fun(self, *values):
        """``fun`` on the flat inputs, returning the list of its outputs."""
        return self._outputs_of(self.owner._fun(*self._args(values), **self.kwargs))

    def _outputs_of(self, out) -> list:
        """The leaves of one output of ``fun`` (or of its vmap rule); notes how many there are and their tree."""
        leaves, rebuild = _flat_outputs(out)
        if isinstance(out, (list, tuple)):
            self.count, self.rebuild = len(leaves), rebuild
        return leaves

    def _outputs(self, inputs):
        """fun's outputs for the vjp rule: constants, still batched under ``vmap(grad(...))``."""
        values = [constant_of(v) for v in inputs]
        return [apply(self, *values, index=i) for i in range(self.count)]

    def _vjp(self, g, out, inputs, params, needs):
        index = params.get("index", 0)
        args = self._args(inputs)
        if self.owner._vjp is None:  # checkpointing: run fun again, under vjp, now
            from .basic import vjp as vjp_transform
            single = lambda *xs: _flat_outputs(self.owner._fun(*self._args(xs), **self.kwargs))[0][index]
            return list(vjp_transform(single, list(inputs), [g])[1])
        outs = self._outputs(inputs)
        cots = [g if i == index else _zeros(o) for i, o in enumerate(outs)]
        rebuild = self.rebuild or (lambda leaves: leaves[0])
        result = self.owner._vjp(_primals_view(args), rebuild(cots), rebuild(outs), **self.kwargs)
        flat: list = []
        _leaves_any(result if len(args) > 1 else (result,), flat)
        if len(flat) != len(inputs):
            raise ValueError(f"custom_function: the vjp rule returned {len(flat)} cotangents for "
                             f"{len(inputs)} array inputs")
        return flat

    def _jvp(self, tangents, out, inputs, params):
        index = params.get("index", 0)
        if self.owner._jvp is None:  # derived from fun (keyword arguments are passed on, as in MLX)
            from .basic import jvp as jvp_transform
            single = lambda *xs: _flat_outputs(self.owner._fun(*self._args(xs), **self.kwargs))[0][index]
            filled = [t if t is not None else _zeros(x) for t, x in zip(tangents, inputs)]
            return jvp_transform(single, list(inputs), filled)[1][0]
        if self.kwargs:  # MLX's check, for a jvp rule only
            raise ValueError("[custom jvp] Function should only accept positional arguments")
        args = self._args(inputs)
        tangent_args = _fill(self.template, list(tangents), [0])
        result = self.owner._jvp(_primals_view(args), _primals_view(tangent_args))
        if self.rebuild is not None:
            return _flat_outputs(result)[0][index]
        return result


def _batch_output(out, axis):
    """One output of a vmap rule as a batching rule returns it: the value (nodes of levels that are not
    recording stripped, as for vmap's inputs) and its batch axis, checked and made non-negative."""
    out = unrecorded(out)
    if axis is None:
        return out, None
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"custom_function: the vmap rule's out_axes must be ints or None; got {axis!r}")
    ndim = len(value_shape(out))
    if not -ndim <= axis < ndim:
        raise ValueError(f"custom_function: the vmap rule returned batch axis {axis} for an output with "
                         f"{ndim} dimensions")
    return out, int(axis) % ndim


def _same_values(key, values) -> bool:
    """True when a cache's key holds these very objects (the same call of the function)."""
    return key is not None and len(key) == len(values) and all(a is b for a, b in zip(key, values))


def _leaves_any(tree, out: list) -> None:
    """All leaves of a tree (arrays, numbers, None) in order."""
    if isinstance(tree, dict):
        for v in tree.values():
            _leaves_any(v, out)
    elif isinstance(tree, (list, tuple)):
        for v in tree:
            _leaves_any(v, out)
    else:
        out.append(tree)


def checkpoint(fun: Callable) -> Callable:
    """``fun`` with gradient checkpointing: nothing inside it is saved; the backward sweep recomputes it.

    The forward pass runs ``fun`` on plain values (no graph, no saved intermediates); when the
    backward sweep reaches its output, it runs ``fun`` again under ``vjp`` from the saved inputs.
    Memory for ``fun``'s intermediates is traded for a second forward pass.  ``mgx.viz.draw`` draws the
    values inside ``fun`` in a frame marked "recomputed in the backward sweep", and ``mgx.explain`` says
    at which step they are recomputed, lists them and sweeps back through them.

    Examples
    --------
    >>> import microgradx as mgx
    >>> block = checkpoint(lambda x: mgx.tanh(x) * x)
    >>> mgx.grad(lambda x: mgx.sum(block(x)))(mgx.array([0.5]))
    Tensor([0.85534102])
    >>> mgx.grad(lambda x: mgx.sum(mgx.tanh(x) * x))(mgx.array([0.5]))
    Tensor([0.85534102])
    """
    if not callable(fun):
        raise TypeError(f"checkpoint: fun must be callable; got {type(fun).__name__}")
    wrapped = custom_function(fun)
    wrapped._checkpoint = True   # only the name differs: "checkpoint[fun]" in pictures and narration
    return wrapped
