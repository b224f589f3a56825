"""The core: the layers every node stands on, lowest first.

=======================================  ==================================================================
module                                   what
=======================================  ==================================================================
:mod:`~microgradx.core.state`            which differentiation levels are recording (thread-local)
:mod:`~microgradx.core.floatmath`        IEEE float math for Python floats
:mod:`~microgradx.core.kernels`          elementwise kernels, numpy reference of ``_ext.kernels``
:mod:`~microgradx.core.dispatch`         ``apply(prim, *args)``: one operation on the innermost level
:mod:`~microgradx.core.rules`            the rule table: every primitive's forward and derivative rules
:mod:`~microgradx.core.engine`           topological order and backward sweep, reference of ``_ext.engine``
:mod:`~microgradx.core.backend`          compiled or reference: which engine and kernels are in use
=======================================  ==================================================================

A module imports only modules above it in this table (checked by ``tests/test_layers.py``).
"""
