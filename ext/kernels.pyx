"""Elementwise kernels, compiled: the fast twin of :mod:`microgradx.core.kernels`.

Same functions, same signatures, same results as the numpy reference (tests
compare them element by element):

``sigmoid(x)``
    the sigmoid forward, one pass where numpy needs six;
``backward(name, g, x, out)``
    the *fused* backward ``g * f'(x)``: one pass over memory, where numpy
    needs three or four temporaries for ``g * (1 - y * y)``;  ``None`` when
    the inputs are not plain float arrays of one shape and dtype (the rule
    table's formula handles those: broadcasting, nodes of an outer level);
``accumulate(acc, g, d=None)``
    ``acc + g`` or ``acc + g * d``, written into ``acc`` when it may be
    (gradient accumulation; forward mode's sum of partial products).

Where they pay off (``bench/bench_tensor.py`` T3 measures it): the fused
backward is 5-6x faster than numpy's ``g * (1 - y*y)`` on 10**6 float64
elements, and the sigmoid forward is one pass where numpy needs six.  numpy's
own single-pass ufuncs are as fast or faster than a loop compiled for
baseline x86-64 (numpy picks the CPU's vector instructions at run time, and
its tanh beats libm's by ~1.7x): so there is no compiled forward for
tanh/exp/log/relu (the rule table calls numpy), and ``Tensor`` accumulates with numpy's
in-place add rather than with ``accumulate``.  ``accumulate(acc, g, d)`` does
pay: forward mode adds a second partial product ``t * d`` into the first in
one pass, where numpy needs a temporary array for the product.

How the code is organised, which is the pattern to copy for a new kernel:

* one ``cdef`` loop per kernel over ``cython.floating`` (float and double
  from one source), on typed memoryviews, ``noexcept nogil``;
* one Python-facing wrapper that checks type, dtype, byte order, shape and
  contiguity first and hands everything the loops don't cover (strided or
  broadcast views, float16, integer arrays, mixed dtypes, byte-swapped
  arrays, zero-size arrays) to the
  numpy reference, so no input can reach an unchecked loop.

No ``prange``: a prototype of the fused tanh backward with ``prange``
(``schedule="static"``) ran about 1.9x faster on 10**6 elements on an idle
2-core machine, but saves only ~10 us on the 128x256 arrays of the T1
training step, competes with the BLAS threads for the same two cores, and
would make OpenMP a build requirement (the default macOS compiler has none).

Examples
--------
>>> import numpy as np
>>> from microgradx._ext import kernels
>>> y = kernels.sigmoid(np.array([0.0, 1.0]))
>>> kernels.backward("sigmoid", np.ones(2), None, y)
array([0.25      , 0.19661193])
"""

cimport cython
cimport numpy as cnp
from cython cimport floating
from libc.math cimport exp, expf, fabs, fabsf

import numpy as np

cnp.import_array()

from microgradx.core import kernels as _reference

__all__ = ["sigmoid", "backward", "accumulate", "BACKWARD"]

BACKWARD = _reference.BACKWARD  # the kernel names, and the numpy fallbacks

# kernel numbers (a switch on ints in the loops, not string compares)
cdef enum Kernel:
    K_TANH, K_SIGMOID, K_RELU, K_EXP, K_LOG

cdef dict _KERNELS = {"tanh": K_TANH, "sigmoid": K_SIGMOID, "relu": K_RELU, "exp": K_EXP, "log": K_LOG}


# ---------------------------------------------------------------------------
# The loops: float32 and float64 from one source
# ---------------------------------------------------------------------------
cdef inline floating _sigmoid(floating v) noexcept nogil:
    # e = exp(-|v|) never overflows; the two branches are the same function
    cdef floating e, one = 1  # a typed 1: a bare literal would make float32 arithmetic double
    if floating is float:
        e = expf(-fabsf(v))
    else:
        e = exp(-fabs(v))
    if v >= 0:
        return one / (one + e)
    return e / (one + e)


@cython.boundscheck(False)
@cython.wraparound(False)
cdef void _sigmoid_loop(const floating[::1] x, floating[::1] y) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        y[i] = _sigmoid(x[i])


@cython.boundscheck(False)
@cython.wraparound(False)
cdef void _backward_loop(int kernel, const floating[::1] g, const floating[::1] s,
                         floating[::1] r) noexcept nogil:
    """r = g * f'(.) where s is the saved value the formula needs (the output, or x for relu/log)."""
    cdef Py_ssize_t i, n = g.shape[0]
    cdef floating y, one = 1  # typed, so float32 stays float32 arithmetic (as numpy's)
    if kernel == K_TANH:  # g * (1 - y*y)
        for i in range(n):
            y = s[i]
            r[i] = g[i] * (one - y * y)
    elif kernel == K_SIGMOID:  # g * (y * (1 - y))
        for i in range(n):
            y = s[i]
            r[i] = g[i] * (y * (one - y))
    elif kernel == K_RELU:  # g where x > 0, else 0
        for i in range(n):
            r[i] = g[i] if s[i] > 0 else 0
    elif kernel == K_EXP:  # g * y
        for i in range(n):
            r[i] = g[i] * s[i]
    elif kernel == K_LOG:  # g / x
        for i in range(n):
            r[i] = g[i] / s[i]


@cython.boundscheck(False)
@cython.wraparound(False)
cdef void _accumulate_loop(floating[::1] acc, const floating[::1] g) noexcept nogil:
    cdef Py_ssize_t i, n = acc.shape[0]
    for i in range(n):
        acc[i] += g[i]


@cython.boundscheck(False)
@cython.wraparound(False)
cdef void _accumulate_product_loop(floating[::1] acc, const floating[::1] g,
                                   const floating[::1] d) noexcept nogil:
    cdef Py_ssize_t i, n = acc.shape[0]
    cdef floating p
    for i in range(n):
        p = g[i] * d[i]  # rounded on its own, as numpy's g * d: no fused multiply-add
        acc[i] += p


# ---------------------------------------------------------------------------
# Python-facing wrappers: validate, then either loop or hand over to numpy
# ---------------------------------------------------------------------------
cdef int _kernel_number(str name) except -1:
    k = _KERNELS.get(name)
    if k is None:
        raise ValueError(f"unknown kernel {name!r}; expected one of {sorted(_KERNELS)}")
    return k


cdef inline bint _loopable(object a):
    """A C-contiguous, non-empty float32/float64 ndarray in native byte order: what the loops take.

    (Checked with numpy's C API.  A byte-swapped array, e.g. ``dtype('>f8')``
    on a little-endian machine, has the same type number as a native one,
    so its byte order is checked separately: numpy's reference handles it.)
    """
    if type(a) is not cnp.ndarray:
        return False
    cdef cnp.ndarray arr = <cnp.ndarray>a
    cdef int typenum = cnp.PyArray_TYPE(arr)
    return (cnp.PyArray_IS_C_CONTIGUOUS(arr) and cnp.PyArray_SIZE(arr) != 0
            and (typenum == cnp.NPY_DOUBLE or typenum == cnp.NPY_FLOAT) and cnp.PyArray_ISNOTSWAPPED(arr))


cdef inline bint _same_layout(cnp.ndarray a, cnp.ndarray b):
    """Same dtype and shape (both already loopable)."""
    cdef int nd = cnp.PyArray_NDIM(a)
    if cnp.PyArray_TYPE(a) != cnp.PyArray_TYPE(b) or nd != cnp.PyArray_NDIM(b):
        return False
    cdef cnp.npy_intp* da = cnp.PyArray_DIMS(a)
    cdef cnp.npy_intp* db = cnp.PyArray_DIMS(b)
    cdef int i
    for i in range(nd):
        if da[i] != db[i]:
            return False
    return True


cdef inline bint _overlap_shifted(cnp.ndarray a, cnp.ndarray b):
    """``a`` and ``b`` (same layout) share memory at different offsets.

    An in-place loop writing ``a`` would then read elements of ``b`` that it
    has already overwritten -- numpy buffers such cases, so they go to numpy.
    The same array twice (same start) is fine: each element is read before
    it is written.
    """
    cdef char* pa = <char*>cnp.PyArray_DATA(a)
    cdef char* pb = <char*>cnp.PyArray_DATA(b)
    cdef Py_ssize_t na = cnp.PyArray_NBYTES(a)
    cdef Py_ssize_t nb = cnp.PyArray_NBYTES(b)
    return pa != pb and pa < pb + nb and pb < pa + na


cdef inline cnp.ndarray _flat(cnp.ndarray a):
    """A 1-D view of a C-contiguous array (the loops run over memory, whatever the shape)."""
    if cnp.PyArray_NDIM(a) == 1:
        return a
    return a.reshape(-1)


cdef inline cnp.ndarray _empty_like(cnp.ndarray a):
    return cnp.PyArray_EMPTY(cnp.PyArray_NDIM(a), cnp.PyArray_DIMS(a), cnp.PyArray_TYPE(a), 0)


def sigmoid(x):
    """Elementwise ``1 / (1 + exp(-x))``, without overflow.

    Contiguous float32/float64 arrays run the compiled loop; anything else
    (numbers, integer arrays, strided views, zero-size arrays) runs the
    numpy reference.

    Examples
    --------
    >>> import numpy as np
    >>> sigmoid(np.array([0.0, 800.0, -800.0]))
    array([0.5, 1. , 0. ])
    """
    if not _loopable(x):
        return _reference.sigmoid(x)
    cdef cnp.ndarray xa = <cnp.ndarray>x
    cdef cnp.ndarray y = _empty_like(xa)
    if cnp.PyArray_TYPE(xa) == cnp.NPY_DOUBLE:
        _sigmoid_loop[double](_flat(xa), _flat(y))
    else:
        _sigmoid_loop[float](_flat(xa), _flat(y))
    return y


def backward(str name, g, x, out):
    """Fused ``g * f'(x)`` for kernel ``name``; ``None`` if the inputs are not plain float arrays.

    Parameters
    ----------
    name : str
        Kernel name (``tanh``, ``sigmoid``, ``relu``, ``exp``, ``log``).
    g : ndarray
        Upstream gradient, same shape as ``out``.
    x, out : ndarray
        The primitive's input and output (``relu`` and ``log`` read ``x``,
        the others ``out``; the unused one may be ``None``).

    Returns
    -------
    ndarray or None
        ``None`` when ``g`` and the saved array are not float ndarrays of one
        shape and dtype: the caller then uses the rule-table formula.

    Examples
    --------
    >>> import numpy as np
    >>> backward("relu", np.ones(3), np.array([-1.0, 0.0, 2.0]), None)
    array([0., 0., 1.])
    """
    cdef int k = _kernel_number(name)
    saved = x if (k == K_RELU or k == K_LOG) else out
    if not (_loopable(g) and _loopable(saved)):
        return _reference.backward(name, g, x, out)
    cdef cnp.ndarray ga = <cnp.ndarray>g
    cdef cnp.ndarray sa = <cnp.ndarray>saved
    if not _same_layout(ga, sa):
        return None  # broadcasting or mixed dtypes: the rule-table formula handles them
    cdef cnp.ndarray r = _empty_like(ga)
    if cnp.PyArray_TYPE(ga) == cnp.NPY_DOUBLE:
        _backward_loop[double](k, _flat(ga), _flat(sa), _flat(r))
    else:
        _backward_loop[float](k, _flat(ga), _flat(sa), _flat(r))
    return r


def accumulate(acc, g, d=None):
    """``acc + g`` (or ``acc + g * d``), added into ``acc`` in place when it may be written; returns the sum.

    In place needs ``acc`` to be a writeable C-contiguous float32/float64
    array and ``g`` (and ``d``) ones of the same shape and dtype that do not
    overlap ``acc`` at a shift (numpy handles those, in place too); any other
    case returns a new array from numpy (``acc`` untouched).  With ``d`` the
    product is added in the same pass, with no temporary array.  The caller
    must own ``acc``.

    Examples
    --------
    >>> import numpy as np
    >>> a = np.zeros(3)
    >>> accumulate(a, np.ones(3)) is a, a
    (True, array([1., 1., 1.]))
    >>> accumulate(a, np.ones(3), np.full(3, 2.0)) is a, a
    (True, array([3., 3., 3.]))
    """
    if not (_loopable(acc) and _loopable(g) and (d is None or _loopable(d))):
        return _reference.accumulate(acc, g, d)
    cdef cnp.ndarray aa = <cnp.ndarray>acc
    cdef cnp.ndarray ga = <cnp.ndarray>g
    cdef cnp.ndarray da
    if not (cnp.PyArray_ISWRITEABLE(aa) and _same_layout(aa, ga)) or _overlap_shifted(aa, ga):
        return _reference.accumulate(acc, g, d)
    if d is None:
        if cnp.PyArray_TYPE(aa) == cnp.NPY_DOUBLE:
            _accumulate_loop[double](_flat(aa), _flat(ga))
        else:
            _accumulate_loop[float](_flat(aa), _flat(ga))
        return acc
    da = <cnp.ndarray>d
    if not _same_layout(aa, da) or _overlap_shifted(aa, da):
        return _reference.accumulate(acc, g, d)
    if cnp.PyArray_TYPE(aa) == cnp.NPY_DOUBLE:
        _accumulate_product_loop[double](_flat(aa), _flat(ga), _flat(da))
    else:
        _accumulate_product_loop[float](_flat(aa), _flat(ga), _flat(da))
    return acc
