"""Expressions typed by people: parse ``"tanh(x*w + b)"`` safely into a Scalar graph.

This is what ``python -m microgradx graph EXPR --at x=2,w=-3`` (:mod:`microgradx.cli.graph`) runs.  The text
is parsed with Python's :mod:`ast` and then checked against a whitelist:

* numbers (int or float literals) and variable names given values with ``--at``;
* the operators ``+ - * / **`` and unary ``-``/``+``;
* calls of the functions in :func:`functions` (read from the rule table) with one argument.

Anything else — attribute access, subscripts, calls of other names,
keywords, lambdas, comprehensions, strings, names starting with ``_``,
constant exponents larger than :data:`MAX_EXPONENT`, more than
:data:`MAX_NODES` syntax nodes or :data:`MAX_LENGTH` characters — is
refused with an :class:`ExpressionError` *before anything is computed*.
The text is never passed to ``eval`` or ``exec``; the checked tree is walked
by :func:`evaluate`, which only knows how to build Scalars.

Examples
--------
>>> y = evaluate("tanh(x*w + b)", {"x": 2.0, "w": -3.0, "b": 6.88})
>>> round(y.data, 4), y.label
(0.7064, 'tanh(x*w + b)')
>>> evaluate("__import__('os').system('id')", {})
Traceback (most recent call last):
...
microgradx.teaching.expression.ExpressionError: not allowed in an expression: attribute access (.system)
"""

from __future__ import annotations

import ast
import math

from ..core import rules
from ..core.dispatch import apply
from ..nodes import scalar_class

__all__ = [
    "ExpressionError", "parse", "evaluate", "parse_values", "text_of",
    "functions", "FUNCTIONS", "MAX_LENGTH", "MAX_NODES", "MAX_DEPTH", "MAX_EXPONENT",
]

def functions() -> tuple[str, ...]:
    """The functions an expression may call: every one-input elementwise primitive of the rule table
    that is not written as an operator (``neg`` is ``-x``).

    Examples
    --------
    >>> {"exp", "tanh", "relu"} <= set(functions())
    True
    """
    return tuple(sorted(name for name, p in rules.table.items()
                        if p.partials is not None and len(p.partials) == 1 and p.symbol is None))


#: The functions an expression may call, as the rule table had them at import (see :func:`functions`).
FUNCTIONS = functions()
#: Longest expression accepted, in characters.
MAX_LENGTH = 500
#: Most syntax-tree nodes accepted.
MAX_NODES = 200
#: Deepest nesting accepted.
MAX_DEPTH = 100
#: Largest constant exponent accepted (``x ** 1000`` is refused).
MAX_EXPONENT = 100
#: Longest label put on an intermediate node; longer subexpressions stay unlabelled.
LABEL_LENGTH = 24

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}
_WHAT = {
    ast.Attribute: "attribute access", ast.Subscript: "subscripts", ast.Lambda: "lambda",
    ast.ListComp: "comprehensions", ast.GeneratorExp: "comprehensions", ast.SetComp: "comprehensions",
    ast.DictComp: "comprehensions", ast.List: "lists", ast.Tuple: "tuples", ast.Dict: "dicts", ast.Set: "sets",
    ast.Compare: "comparisons", ast.BoolOp: "and/or", ast.IfExp: "if/else", ast.NamedExpr: "assignment (:=)",
    ast.Starred: "starred arguments", ast.JoinedStr: "strings", ast.Await: "await", ast.Yield: "yield",
    ast.YieldFrom: "yield", ast.Slice: "slices", ast.FormattedValue: "strings",
}


class ExpressionError(ValueError):
    """An expression (or a ``--at`` value list) that is not allowed or cannot be read.

    Examples
    --------
    >>> issubclass(ExpressionError, ValueError)
    True
    """


def _refuse(node: ast.AST) -> ExpressionError:
    if isinstance(node, ast.Attribute):
        return ExpressionError(f"not allowed in an expression: attribute access (.{node.attr})")
    what = _WHAT.get(type(node), type(node).__name__)
    return ExpressionError(f"not allowed in an expression: {what}")


def parse(text: str) -> ast.expr:
    """Parse ``text`` and check every node against the whitelist; return the expression tree.

    Parameters
    ----------
    text : str
        An arithmetic expression such as ``"tanh(x*w + b)"``.

    Returns
    -------
    ast.expr
        The checked tree (the ``body`` of an ``ast.Expression``).

    Raises
    ------
    ExpressionError
        If the text is too long, not a valid expression, or uses anything
        outside the whitelist (the message names what).

    Examples
    --------
    >>> ast.dump(parse("-x"))
    "UnaryOp(op=USub(), operand=Name(id='x', ctx=Load()))"
    >>> parse("x.real")
    Traceback (most recent call last):
    ...
    microgradx.teaching.expression.ExpressionError: not allowed in an expression: attribute access (.real)
    >>> parse("x ** 10**10")
    Traceback (most recent call last):
    ...
    microgradx.teaching.expression.ExpressionError: exponent 10 ** 10 is too large (at most 100 in absolute value)
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a str; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"expression is too long ({len(text)} characters; at most {MAX_LENGTH})")
    if not text.strip():
        raise ExpressionError("expression is empty")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a byte that was not UTF-8 arrives from argv as a lone surrogate
        bad = text[exc.start]
        byte = f"byte 0x{ord(bad) - 0xDC00:02x}" if 0xDC80 <= ord(bad) <= 0xDCFF else f"character {bad!r}"
        raise ExpressionError(f"expression is not valid UTF-8 text ({byte} at position {exc.start})") from None
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(f"not a valid expression: {exc.msg}") from None
    except (RecursionError, MemoryError):
        raise ExpressionError("expression is nested too deeply") from None
    except ValueError as exc:  # e.g. a NUL character
        raise ExpressionError(f"not a valid expression: {exc}") from None
    _check(tree.body)
    return tree.body


def _check(root: ast.expr) -> int:
    """Check a parsed tree against the whitelist and the limits in one walk; return the steps it took.

    Each node is taken off the stack twice: once on the way down (whitelist,
    node count, depth) and once on the way up, when the constant value of a
    subtree without variables is known from its children's, so an exponent
    is judged from its value without parsing or walking it again.  The walk
    stops after MAX_NODES + 1 nodes, so a parse never takes more than
    ``2 * MAX_NODES + 2`` steps, whatever the text.  A refusal carries the
    steps taken so far as its ``steps`` attribute.
    """
    steps = count = 0
    value: dict[int, float | None] = {}  # id(node) -> value of a subtree without variables, None if it has some
    stack: list[tuple[ast.AST, int, bool]] = [(root, 1, False)]
    try:
        while stack:
            node, depth, up = stack.pop()
            steps += 1
            if up:
                value[id(node)] = _value_from_children(node, value)
                continue
            count += 1
            if count > MAX_NODES:
                raise ExpressionError(f"expression is too large (more than {MAX_NODES} syntax nodes)")
            if depth > MAX_DEPTH:
                raise ExpressionError(f"expression is nested too deeply (more than {MAX_DEPTH} levels)")
            stack.append((node, depth, True))
            if isinstance(node, ast.Constant):
                v = node.value
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ExpressionError(f"not allowed in an expression: the constant {v!r} (numbers only)")
                if isinstance(v, int) and abs(v) > 10**15 or isinstance(v, float) and not math.isfinite(v):
                    raise ExpressionError(f"number {text_of(node)} is too large")
            elif isinstance(node, ast.Name):
                if node.id.startswith("_"):
                    raise ExpressionError(f"not allowed in an expression: the name {node.id!r} (names may not start "
                                          "with '_')")
                if node.id in functions():
                    raise ExpressionError(f"{node.id} is a function: call it, e.g. {node.id}(x)")
            elif isinstance(node, ast.BinOp):
                if type(node.op) not in _BINARY:
                    raise ExpressionError(f"not allowed in an expression: the operator {type(node.op).__name__} "
                                          "(allowed: + - * / **)")
                stack.append((node.right, depth + 1, False))
                stack.append((node.left, depth + 1, False))
            elif isinstance(node, ast.UnaryOp):
                if type(node.op) not in _UNARY:
                    raise ExpressionError(f"not allowed in an expression: the operator {type(node.op).__name__} "
                                          "(allowed: unary - and +)")
                stack.append((node.operand, depth + 1, False))
            elif isinstance(node, ast.Call):
                if not isinstance(node.func, ast.Name):
                    raise _refuse(node.func) if isinstance(node.func, ast.Attribute) else ExpressionError(
                        "not allowed in an expression: calling the result of an expression")
                name = node.func.id
                if name not in functions():
                    raise ExpressionError(f"unknown function {name!r} (allowed: {', '.join(functions())})")
                if node.keywords or len(node.args) != 1 or isinstance(node.args[0], ast.Starred):
                    raise ExpressionError(f"{name}() takes exactly one argument")
                stack.append((node.args[0], depth + 1, False))
            else:
                raise _refuse(node)
    except ExpressionError as exc:
        exc.steps = steps  # how far the walk got: tests read it
        raise
    return steps


def _value_from_children(node: ast.expr, value: dict) -> float | None:
    """Value of a checked node whose children have theirs in ``value``: a float, or None if it has variables.

    Constants are computed in IEEE floats (never Python's big ints); an
    exponent without variables above MAX_EXPONENT is refused here.
    """
    if isinstance(node, ast.Constant):
        return float(node.value)
    if isinstance(node, ast.Name):
        return None
    if isinstance(node, ast.UnaryOp):
        v = value[id(node.operand)]
        return None if v is None else -v if isinstance(node.op, ast.USub) else v
    if isinstance(node, ast.BinOp):
        a, b = value[id(node.left)], value[id(node.right)]
        if isinstance(node.op, ast.Pow) and b is not None and not abs(b) <= MAX_EXPONENT:
            raise ExpressionError(f"exponent {text_of(node.right)} is too large (at most {MAX_EXPONENT} in "
                                  "absolute value)")
        if a is None or b is None:
            return None
        return _constant_of(_primitive(node).name, a, b)
    v = value[id(node.args[0])]  # a call of a whitelisted function
    return None if v is None else _constant_of(node.func.id, v)


def _constant_of(name: str, *xs: float) -> float:
    try:
        return _float_function(name, *xs)
    except (ArithmeticError, ValueError):
        return math.nan


def text_of(node: ast.AST) -> str:
    """The source text of a (checked) expression node, normalised by :func:`ast.unparse`.

    >>> text_of(parse("x*w+b"))
    'x * w + b'
    """
    return ast.unparse(node)


def _names_in(tree: ast.expr) -> list[str]:
    """Variable names in order of first appearance, left to right."""
    names: list[str] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id not in names:
            names.append(node.id)
        elif isinstance(node, ast.Call):
            stack.append(node.args[0])  # not node.func: that is the function's name
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return names


def parse_values(text: str) -> dict[str, float]:
    """Read ``"x=2,w=-3,b=6.88"`` into ``{"x": 2.0, "w": -3.0, "b": 6.88}``.

    Each value is read with ``float()`` (never evaluated); it must be finite.

    Examples
    --------
    >>> parse_values("x=2, w=-3.5")
    {'x': 2.0, 'w': -3.5}
    >>> parse_values("x=1+1")
    Traceback (most recent call last):
    ...
    microgradx.teaching.expression.ExpressionError: --at: x must be a number; got '1+1'
    """
    values: dict[str, float] = {}
    if not isinstance(text, str):
        raise TypeError(f"values must be a str like 'x=2,w=-3'; got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"--at: too long ({len(text)} characters; at most {MAX_LENGTH})")
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, eq, number = item.partition("=")
        name, number = name.strip(), number.strip()
        if not eq or not name.isidentifier() or name.startswith("_"):
            raise ExpressionError(f"--at: expected name=number, e.g. x=2; got {item!r}")
        if name in values:
            raise ExpressionError(f"--at: {name} is given twice")
        try:
            v = float(number)
        except ValueError:
            raise ExpressionError(f"--at: {name} must be a number; got {number!r}") from None
        if not math.isfinite(v):
            raise ExpressionError(f"--at: {name} must be finite; got {number!r}")
        values[name] = v
    return values


def evaluate(text: str, values: dict, *, label: bool = True):
    """Build the Scalar graph of expression ``text`` with the variables set to ``values``.

    Parameters
    ----------
    text : str
        The expression (checked by :func:`parse` first).
    values : dict
        A number for every variable in the expression (and no others).
    label : bool
        Label the leaves with their variable names and the other nodes with
        their subexpression (when it is short), so pictures and narrations
        read like the formula.

    Returns
    -------
    Scalar
        The output.  Variables become Scalar leaves; numbers stay constants.

    Examples
    --------
    >>> y = evaluate("x**2 + 3*x", {"x": 2.0})
    >>> y.data
    10.0
    >>> evaluate("x + y", {"x": 1.0})
    Traceback (most recent call last):
    ...
    microgradx.teaching.expression.ExpressionError: no value for y (give it with --at, e.g. --at y=1)
    """
    Scalar = scalar_class()
    tree = parse(text)
    source = text.strip()
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict of name -> number; got {type(values).__name__}")
    needed = _names_in(tree)
    for name in needed:
        if name not in values:
            raise ExpressionError(f"no value for {name} (give it with --at, e.g. --at {name}=1)")
    unused = [n for n in values if n not in needed]
    if unused:
        raise ExpressionError(f"--at gives {', '.join(unused)}, which the expression does not use")
    leaves = {}
    for name in needed:
        v = values[name]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(f"value of {name} must be a number; got {type(v).__name__}")
        leaves[name] = Scalar(float(v), label=name if label else "")

    def build(node: ast.expr):  # depth is bounded by MAX_DEPTH, checked in parse()
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return leaves[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd):
            out = build(node.operand)
        else:  # an operator or a call of a whitelisted function: one primitive of the rule table
            args = [build(child) for child in _operands(node)]
            prim = _primitive(node)
            out = apply(prim, *args) if any(isinstance(a, Scalar) for a in args) else _float_function(prim.name, *args)
        if label and isinstance(out, Scalar) and not out.label and out._parents:
            typed = " ".join((ast.get_source_segment(source, node) or text_of(node)).split())
            if len(typed) <= LABEL_LENGTH:
                out.label = typed
        return out

    try:
        out = build(tree)
    except (ArithmeticError, ValueError) as exc:
        raise ExpressionError(f"cannot compute the expression: {exc}") from None
    if not isinstance(out, Scalar):
        raise ExpressionError("the expression has no variables: nothing to differentiate (use --at x=...)")
    return out


def _operands(node: ast.expr) -> list:
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    return [node.args[0]]  # a call


def _primitive(node: ast.expr):
    """The rule-table primitive that a checked operator or call stands for (found by its ``symbol`` or name)."""
    if isinstance(node, ast.Call):
        return rules.table[node.func.id]
    arity = 1 if isinstance(node, ast.UnaryOp) else 2
    symbol = (_UNARY if arity == 1 else _BINARY)[type(node.op)]
    return next(p for p in rules.table.values()
                if p.symbol == symbol and p.partials is not None and len(p.partials) == arity)


def _float_function(name: str, *xs: float) -> float:
    """A constant subexpression (no variables): computed with the rule table's forward, IEEE style."""
    return float(rules.table[name].forward(*xs))
