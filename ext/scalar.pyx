"""Scalar, compiled: the fast twin of :mod:`microgradx.nodes.scalar`.

Same public behaviour as the reference ``microgradx.nodes.scalar.Scalar`` (tests
check the two against each other); what changes is where the work happens:

* **forward**: each operator checks the exact types of its operands first
  (Scalar, float), computes the result with a C ``switch`` over op codes --
  this module's C copy of the rule table's scalar formulas -- and fills a new
  node's C fields (value, op code, parents, operand values).  No Python
  function of the rule table is called on the fast path.
* **backward**: ``backward()`` runs entirely in C, in one pass: every node
  counts the nodes recorded with it as an operand (its consumers), so the
  sweep starts at once from the output and releases a node as soon as all
  its consumers have sent their cotangents (Kahn's algorithm, the
  consumer-count form of the topological sort), applying the node's local
  derivatives and adding its cotangent, accumulated in a C double, to
  ``.grad``.  When some consumer is not part of the output's graph, the
  sweep counts again what is left.  A million-node chain sweeps and frees
  without recursion.  Its Python twin is
  :func:`microgradx.core.engine.backward_by_counts`.
* **memory**: parents are held directly in two C fields (``_parents`` gives
  them as a tuple); ``@cython.trashcan(True)`` makes freeing a deep chain
  iterative.  Nodes never form reference cycles, so they are not tracked by
  the cycle collector: reference counting frees every graph.

Operations the C copy does not know (rule-table primitives such as
``where``) are still recorded: the node keeps the primitive and its saved
values and the sweep calls the primitive's ``vjp`` for that node.

Whether eager operations record a graph is a C thread-local flag kept in
step with :func:`microgradx.no_grad` and the transforms by
:func:`set_eager_enabled` (registered with :mod:`microgradx.core.state`).

The source is one module in six files, read in this order:

========================  ==========================================================
``scalar_formulas.pxi``   op codes (one row each: rule-table name, operands) and the
                          C formulas: value and local derivatives
``scalar_node.pxi``       the node: its C fields (named as the reference's
                          attributes), operators and properties
``scalar_record.pxi``     recording: what ``a * b`` does, and ``_apply`` for the
                          rule table's other primitives
``scalar_copy.pxi``       copy, deepcopy and pickle
``node_array.pxi``        the growable array of borrowed node pointers
``scalar_sweep.pxi``      topological order and ``backward()``'s sweep
========================  ==========================================================

Examples
--------
>>> from microgradx._ext.scalar import Scalar
>>> a = Scalar(2.0); b = Scalar(-3.0)
>>> c = a * b + a ** 2
>>> c.backward()
>>> a.grad, b.grad            # dc/da = b + 2a, dc/db = a
(1.0, 2.0)
"""

cimport cython
from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.object cimport PyObject
from cpython.tuple cimport PyTuple_GET_ITEM, PyTuple_GET_SIZE
from libc.math cimport INFINITY, NAN
from libc.math cimport cos as c_cos
from libc.math cimport exp as c_exp
from libc.math cimport fabs
from libc.math cimport isfinite
from libc.math cimport log as c_log
from libc.math cimport pow as c_pow
from libc.math cimport sin as c_sin
from libc.math cimport sqrt as c_sqrt
from libc.math cimport tanh as c_tanh
from libc.limits cimport INT_MAX
from libc.stdint cimport uintptr_t
from libc.stdlib cimport free, malloc, realloc
from libc.string cimport memmove

import numbers as _numbers
import weakref as _weakref

import numpy as _np

from microgradx.core import dispatch as _dispatch
from microgradx.core import state as _state

_eager_sweep = _state.eager_sweep

__all__ = ["Scalar", "set_eager_enabled", "eager_enabled"]

cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void* op)


include "scalar_formulas.pxi"
include "scalar_node.pxi"
include "scalar_record.pxi"
include "scalar_copy.pxi"
include "node_array.pxi"
include "scalar_sweep.pxi"


# Take part in generic dispatch (mgx.exp(s), Duals over Scalars) and follow no_grad()/transforms,
# however this module was imported (by microgradx.core.backend, or directly by a test): the one
# place where the compiled Scalar registers.
_dispatch.register_node_type(Scalar)
_state._register_compiled_eager_flag(set_eager_enabled)
