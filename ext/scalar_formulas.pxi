# The compiled Scalar (ext/scalar.pyx), part 1: its op codes and the C copy of the scalar formulas.
#
# An op code stands for one rule-table primitive that has a C formula here.  ``_OPS`` is the one place that
# says, for each code, which rule-table entry it copies and how many operands it takes; every lookup below
# comes from it, and nothing depends on the order of the codes.  The formulas are two C ``switch``es over
# the code -- the value (``_forward``) and the local derivatives (``_partials``) -- with the same values as
# the rule table's (tests/test_scalar_formulas.py compares them at every point of a grid, entry by entry).
#
# To give a primitive a C formula: add its code to the enum, its row to _OPS, and its case to both switches.

cdef enum:
    OP_LEAF = 0   # made by the user, or computed without recording
    OP_ADD
    OP_SUB
    OP_MUL
    OP_DIV
    OP_POW
    OP_MAXIMUM
    OP_MINIMUM
    OP_NEG
    OP_EXP
    OP_LOG
    OP_TANH
    OP_RELU
    OP_SIGMOID
    OP_SIN
    OP_COS
    OP_SQRT
    OP_ABS
    OP_SQUARE
    OP_RULE       # any other primitive: the node keeps its rule-table entry, and the sweep calls its vjp
    N_OPS

# code          rule-table entry   operands
_OPS = (
    (OP_ADD,        "add",         2),
    (OP_SUB,        "sub",         2),
    (OP_MUL,        "mul",         2),
    (OP_DIV,        "div",         2),
    (OP_POW,        "pow",         2),
    (OP_MAXIMUM,    "maximum",     2),
    (OP_MINIMUM,    "minimum",     2),
    (OP_NEG,        "neg",         1),
    (OP_EXP,        "exp",         1),
    (OP_LOG,        "log",         1),
    (OP_TANH,       "tanh",        1),
    (OP_RELU,       "relu",        1),
    (OP_SIGMOID,    "sigmoid",     1),
    (OP_SIN,        "sin",         1),
    (OP_COS,        "cos",         1),
    (OP_SQRT,       "sqrt",        1),
    (OP_ABS,        "abs",         1),
    (OP_SQUARE,     "square",      1),
)

cdef unsigned char _ARITY[N_OPS]  # operands of each op code (0 for OP_LEAF; an OP_RULE node counts its own)


def _op_names():
    """Fill ``_ARITY`` from ``_OPS`` and return the rule-table name of each op code (``''``: leaf, rule).

    Every code between OP_LEAF and OP_RULE must have exactly one row: a missing
    or repeated row stops the import.
    """
    names = [""] * N_OPS
    for code, name, arity in _OPS:
        if names[code]:
            raise ImportError(f"op code {code} has two rows in _OPS")
        names[code] = name
        _ARITY[code] = arity
    missing = [code for code in range(OP_LEAF + 1, OP_RULE) if not names[code]]
    if missing:
        raise ImportError(f"op codes {missing} have no row in _OPS")
    return tuple(names)


_OP_NAMES = _op_names()  # rule-table name, indexed by op code
_OP_CODES = {name: code for code, name, arity in _OPS}  # op code, by rule-table name


# ---------------------------------------------------------------------------
# The formulas (same values as microgradx.core.floatmath)
# ---------------------------------------------------------------------------
cdef inline double _sigmoid(double x) noexcept nogil:
    cdef double e
    if x >= 0.0:
        return 1.0 / (1.0 + c_exp(-x))
    e = c_exp(x)  # never overflows for x < 0
    return e / (1.0 + e)


cdef inline double _sin(double x) noexcept nogil:
    return c_sin(x) if isfinite(x) else NAN


cdef inline double _cos(double x) noexcept nogil:
    return c_cos(x) if isfinite(x) else NAN


cdef inline double _sign(double x) noexcept nogil:
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # 0.0, -0.0 or nan


cdef inline double _forward(int op, double x, double y) noexcept nogil:
    """The value of op ``op`` at ``x`` (and ``y``; a one-operand op ignores it)."""
    if op == OP_ADD:
        return x + y
    elif op == OP_SUB:
        return x - y
    elif op == OP_MUL:
        return x * y
    elif op == OP_DIV:
        return x / y  # cdivision: IEEE (1/0 = inf, 0/0 = nan)
    elif op == OP_POW:
        return c_pow(x, y)  # IEEE pow: nan for negative ** fractional, inf on overflow
    elif op == OP_MAXIMUM:
        return x if x > y or x != x else y  # nan if either is nan, as np.maximum
    elif op == OP_MINIMUM:
        return x if x < y or x != x else y
    elif op == OP_NEG:
        return -x
    elif op == OP_EXP:
        return c_exp(x)
    elif op == OP_LOG:
        return c_log(x)  # -inf at 0, nan below 0
    elif op == OP_TANH:
        return c_tanh(x)
    elif op == OP_RELU:
        return x if x > 0.0 or x != x else 0.0
    elif op == OP_SIGMOID:
        return _sigmoid(x)
    elif op == OP_SIN:
        return _sin(x)
    elif op == OP_COS:
        return _cos(x)
    elif op == OP_SQRT:
        return c_sqrt(x) if x >= 0.0 else NAN
    elif op == OP_ABS:
        return fabs(x)
    elif op == OP_SQUARE:
        return x * x
    return NAN


cdef inline void _partials(int op, double x, double y, double out, double* dx, double* dy) noexcept nogil:
    """The local derivatives d(out)/dx and d(out)/dy (the rule table's ``partials``; ``dy`` is 0 for one operand)."""
    dy[0] = 0.0
    if op == OP_ADD:
        dx[0] = 1.0
        dy[0] = 1.0
    elif op == OP_SUB:
        dx[0] = 1.0
        dy[0] = -1.0
    elif op == OP_MUL:
        dx[0] = y
        dy[0] = x
    elif op == OP_DIV:
        dx[0] = 1.0 / y
        dy[0] = -out / y
    elif op == OP_POW:
        dx[0] = 0.0 if y == 0.0 else y * c_pow(x, y - 1.0)
        # at x == 0: 0 for y >= 0, -inf for y < 0 (as the rule table)
        dy[0] = (0.0 if y >= 0.0 else (-INFINITY if y < 0.0 else NAN)) if x == 0.0 else out * c_log(x)
    elif op == OP_MAXIMUM:  # to the operand picked: the larger, or the nan one (x if both); ties share
        dx[0] = (1.0 if x > y or x != x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if y > x or (y != y and x == x) else 0.0) + 0.5 * (1.0 if x == y else 0.0)
    elif op == OP_MINIMUM:
        dx[0] = (1.0 if x < y or x != x else 0.0) + 0.5 * (1.0 if x == y else 0.0)
        dy[0] = (1.0 if y < x or (y != y and x == x) else 0.0) + 0.5 * (1.0 if x == y else 0.0)
    elif op == OP_NEG:
        dx[0] = -1.0
    elif op == OP_EXP:
        dx[0] = out
    elif op == OP_LOG:
        dx[0] = 1.0 / x
    elif op == OP_TANH:
        dx[0] = 1.0 - out * out
    elif op == OP_RELU:
        dx[0] = 1.0 if x > 0.0 else 0.0
    elif op == OP_SIGMOID:
        dx[0] = out * (1.0 - out)
    elif op == OP_SIN:
        dx[0] = _cos(x)
    elif op == OP_COS:
        dx[0] = -_sin(x)
    elif op == OP_SQRT:
        dx[0] = 0.5 / out
    elif op == OP_ABS:
        dx[0] = _sign(x)
    elif op == OP_SQUARE:
        dx[0] = 2.0 * x
    else:
        dx[0] = NAN
        dy[0] = NAN


# ---------------------------------------------------------------------------
# For the test that checks the C formulas against the rule table
# ---------------------------------------------------------------------------
def _c_formulas():
    """The C copy of the rule table, for the test that checks it against the table: ``{name: arity}``.

    >>> _c_formulas()["mul"], _c_formulas()["exp"]
    (2, 1)
    """
    return {name: arity for code, name, arity in _OPS}


def _c_formula(str name, double x, double y=0.0):
    """The C formula of primitive ``name`` at ``x`` (and ``y``): its value and local derivatives.

    >>> _c_formula("mul", 2.0, 3.0)
    (6.0, 3.0, 2.0)
    >>> _c_formula("exp", 0.0)
    (1.0, 1.0)
    """
    if name not in _OP_CODES:
        raise KeyError(f"no C formula for {name!r}")
    cdef int op = _OP_CODES[name]
    cdef double out = _forward(op, x, y)
    cdef double dx, dy
    _partials(op, x, y, out, &dx, &dy)
    if _ARITY[op] == 1:
        return (out, dx)
    return (out, dx, dy)
