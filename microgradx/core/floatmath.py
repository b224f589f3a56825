"""Plain-float math with IEEE semantics: the scalar forward formulas.

Python's :mod:`math` raises where IEEE-754 arithmetic gives a special value
(``math.log(0)`` raises, IEEE says ``-inf``; ``1.0 / 0.0`` raises, IEEE says
``inf``).  An autodiff engine must not turn a valid float computation into an
exception, so these small functions return what IEEE arithmetic returns.
The rule table (:mod:`microgradx.core.rules`) uses them for Python floats and numpy
for arrays; the compiled Scalar uses the C library, which is IEEE already.

Examples
--------
>>> log(0.0), log(-1.0)
(-inf, nan)
>>> div(1.0, 0.0), div(-1.0, 0.0), div(0.0, 0.0)
(inf, -inf, nan)
>>> exp(1000.0)
inf
"""

from __future__ import annotations

import math

inf = math.inf
nan = math.nan

__all__ = ["exp", "log", "sqrt", "div", "pow", "tanh", "sigmoid", "sin", "cos", "relu", "sign", "maximum", "minimum"]


def exp(x: float) -> float:
    """e**x; ``inf`` on overflow.

    >>> exp(0.0)
    1.0
    """
    try:
        return math.exp(x)
    except OverflowError:
        return inf


def log(x: float) -> float:
    """Natural log; ``-inf`` at 0 and ``nan`` below 0.

    >>> log(1.0)
    0.0
    """
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -inf
    return nan if x < 0.0 or x != x else math.log(x)


def sqrt(x: float) -> float:
    """Square root; ``nan`` below 0.

    >>> sqrt(4.0), sqrt(-1.0)
    (2.0, nan)
    """
    return math.sqrt(x) if x >= 0.0 else nan


def div(x: float, y: float) -> float:
    """x / y with IEEE division by zero.

    >>> div(3.0, 2.0)
    1.5
    """
    try:
        return x / y
    except ZeroDivisionError:
        if x != x or x == 0.0:
            return nan
        return math.copysign(inf, x) * math.copysign(1.0, y)


def pow(x: float, y: float) -> float:
    """x ** y as IEEE ``pow``: real results only (``nan`` where the result is complex).

    >>> pow(2.0, 3.0), pow(0.0, -1.0), pow(-8.0, 1.0 / 3.0)
    (8.0, inf, nan)
    """
    try:
        r = math.pow(x, y)
    except OverflowError:
        r = inf if x > 0.0 or float(y).is_integer() and int(y) % 2 == 0 else math.copysign(inf, x)
    except ValueError:  # 0 ** negative, or negative ** non-integer
        if x == 0.0:
            odd = float(y).is_integer() and int(y) % 2 == 1
            return math.copysign(inf, x) if odd else inf
        return nan
    return r


def tanh(x: float) -> float:
    """Hyperbolic tangent.

    >>> tanh(0.0)
    0.0
    """
    return math.tanh(x)


def sigmoid(x: float) -> float:
    """Logistic function 1 / (1 + e**-x), computed without overflow.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def sin(x: float) -> float:
    """Sine; ``nan`` for infinite input.

    >>> sin(0.0)
    0.0
    """
    return math.sin(x) if math.isfinite(x) else nan


def cos(x: float) -> float:
    """Cosine; ``nan`` for infinite input.

    >>> cos(0.0)
    1.0
    """
    return math.cos(x) if math.isfinite(x) else nan


def relu(x: float) -> float:
    """max(x, 0) (``nan`` stays ``nan``).

    >>> relu(-2.0), relu(3.0)
    (0.0, 3.0)
    """
    return x if x > 0.0 or x != x else 0.0


def sign(x: float) -> float:
    """-1, 0 or 1 (``nan`` stays ``nan``).

    >>> sign(-3.0), sign(0.0)
    (-1.0, 0.0)
    """
    if x > 0.0:
        return 1.0
    if x < 0.0:
        return -1.0
    return x  # 0.0, -0.0 or nan


def maximum(x: float, y: float) -> float:
    """The larger of two floats; ``nan`` if either is ``nan`` (as ``np.maximum``).

    >>> maximum(1.0, 2.0), maximum(nan, 2.0), maximum(2.0, nan)
    (2.0, nan, nan)
    """
    return x if x > y or x != x else y


def minimum(x: float, y: float) -> float:
    """The smaller of two floats; ``nan`` if either is ``nan`` (as ``np.minimum``).

    >>> minimum(1.0, 2.0), minimum(nan, 2.0)
    (1.0, nan)
    """
    return x if x < y or x != x else y
