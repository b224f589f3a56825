"""The narrator: the backward sweep told step by step.

``mgx.explain(y)`` runs the same sweep as ``y.backward()`` — the same
topological order, the same rule-table entries, the same accumulation — but
instead of only storing gradients it writes down what happens at every step:

1. the **forward pass** in topological order (every value after its inputs);
2. for each value, in reverse order: the finished **upstream gradient** ``g``,
   and for each input the rule's **local derivative** (formula and number),
   the **contribution** it sends (``g ×`` local derivative, or the rule's own
   vector–Jacobian product for matrix and shape operations), and the
   **running total** of that input's gradient — where several contributions
   meet (a value used twice) the total is shown as a sum, which is the
   multivariate chain rule at work;
3. the gradients of the leaves: the numbers ``.backward()`` stores in ``.grad``.

A block wrapped in ``mgx.checkpoint`` saved nothing inside it: at its step the
narrator says so, recomputes the block from its saved inputs (as the backward
sweep does), lists the recomputed values and sweeps back through them
(:attr:`Step.recomputed`, :attr:`Step.inner`).

Every number comes from the rule table (:mod:`microgradx.core.rules`): the local
derivative from ``Primitive.partials``, the contribution from
``Primitive.vjp``, the formula text from ``Primitive.formulas``.  Nothing is
differentiated a second way, and the graph is only read (no ``.grad`` is
touched).  Print the result in a terminal; in Jupyter it shows as a table.

Examples
--------
>>> import microgradx as mgx
>>> x = mgx.Scalar(2.0, label="x")
>>> y = x * x
>>> y.label = "y"
>>> print(explain(y))  # doctest: +NORMALIZE_WHITESPACE
Backward sweep of y = mul(x, x) = 4
2 values, 1 operation; seed dy/dy = 1
<BLANKLINE>
Forward pass (topological order: every value after its inputs)
   1  x  = 2   leaf
   2  y  = 4   mul(x, x)
<BLANKLINE>
Backward sweep (the same order, reversed)
step 1  y = mul(x, x)   upstream g = dy/dy = 1
        → x   rule d(x·y)/dx = y  (here y = x)  local derivative 2
              contribution 1 × 2 = 2        dy/dx = 2   (1 of 2 contributions)
        → x   rule d(x·y)/dy = x  (here y = x)  local derivative 2
              contribution 1 × 2 = 2        dy/dx = 2 + 2 = 4   (2 of 2: complete)
<BLANKLINE>
Gradients of the leaves (what y.backward() stores in .grad)
   dy/dx = 4
"""

from __future__ import annotations

import html

import numpy as np

from ..core.engine import chain_rule_step
from ..core.rules import local_derivative
from .viz import _segment, check_root, format_value, topological_order, value_of

__all__ = ["explain", "Narration", "Step", "Contribution"]


# ---------------------------------------------------------------------------
# Numbers as text
# ---------------------------------------------------------------------------
def _num(v) -> str:
    """A value as the narration prints it: :func:`~microgradx.teaching.viz.format_value` with six digits
    (no cotangent, ``None``, is 0)."""
    return "0" if v is None else format_value(v, width=48, digits=6)


def _defined(name: str, definition: str) -> str:
    """'v3 = mul(x, w)', or just the name when it already says how it was made (a label like 'x*w')."""
    compact = definition.replace(" ", "")
    if name.replace(" ", "") == compact or name.replace(" ", "") == compact.replace(",", "*"):
        return name
    return f"{name} = {definition}"


# ---------------------------------------------------------------------------
# What the narration records
# ---------------------------------------------------------------------------
class Contribution:
    """One input's share of one step: what a value sends back to one of its inputs.

    Attributes
    ----------
    to : str
        Name of the input.
    formula : str
        The rule's local derivative, as written in the rule table.
    local : float, ndarray or None
        The local derivative's value (elementwise rules only).
    value : float or ndarray
        The contribution sent: upstream gradient × local derivative (summed
        over broadcast axes), or the rule's vector–Jacobian product.
    before, total : float, ndarray or None
        The input's gradient before and after adding this contribution
        (``before`` is None for the first contribution).
    k, n : int
        This is contribution ``k`` of the ``n`` the input receives in all.
    summed : bool
        True when broadcasting made the product bigger than the input, so it
        was summed back to the input's shape (``unbroadcast``).

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(3.0, label="a")
    >>> c = explain(a * 2.0).steps[0].contributions[0]
    >>> c.to, c.formula, c.local, c.value, c.k, c.n
    ('a', 'd(x·y)/dx = y', 2.0, 2.0, 1, 1)
    """

    __slots__ = ("to", "formula", "local", "value", "before", "total", "k", "n", "summed")

    def __init__(self, to, formula, local, value, before, total, k, n, summed):
        self.to, self.formula, self.local, self.value = to, formula, local, value
        self.before, self.total, self.k, self.n, self.summed = before, total, k, n, summed

    def __repr__(self) -> str:
        return f"Contribution(to={self.to!r}, value={_num(self.value)}, total={_num(self.total)})"


class Step:
    """One step of the backward sweep: a value passes its gradient to its inputs.

    Attributes
    ----------
    name : str
        The value's name.
    definition : str
        How it was computed, e.g. ``"mul(x, w)"``.
    op : str
        The rule-table entry's name.
    bindings : str
        Which inputs the rule's ``x``/``y`` stand for, e.g. ``"x = x, y = w"``.
    upstream : float or ndarray
        The value's finished gradient ``g`` (all its consumers have contributed).
    parts : list of str
        The contributions that made up ``upstream`` when there were several.
    contributions : list of Contribution
        What it sends to each input that is a node.
    constants : list of str
        Operands that are plain numbers: they get no gradient.
    recomputed : list of (name, value, definition)
        For a checkpointed segment (``mgx.checkpoint``): the values inside it, which the forward pass
        did not save and this step computes again from the segment's inputs (empty otherwise).
    inner : list of Step
        For a checkpointed segment: the sweep back through the recomputed values, seeded with
        ``upstream`` (its totals are the segment's share only; the contributions below add it up).

    Examples
    --------
    >>> import microgradx as mgx
    >>> x = mgx.Scalar(0.0, label="x")
    >>> s = explain(x.exp()).steps[0]
    >>> s.op, s.upstream, s.contributions[0].formula
    ('exp', 1.0, 'd(e^x)/dx = e^x')
    """

    __slots__ = ("name", "definition", "op", "bindings", "upstream", "parts", "contributions", "constants",
                 "recomputed", "inner")

    def __init__(self, name, definition, op, bindings, upstream, parts):
        self.name, self.definition, self.op, self.bindings = name, definition, op, bindings
        self.upstream, self.parts = upstream, parts
        self.contributions: list[Contribution] = []
        self.constants: list[str] = []
        self.recomputed: list[tuple] = []
        self.inner: list[Step] = []

    def __repr__(self) -> str:
        return f"Step({self.name} = {self.definition}, upstream={_num(self.upstream)})"


class Narration:
    """The backward sweep of one output, step by step (made by :func:`explain`).

    ``print()`` it for text, or show it in Jupyter for a table.

    Attributes
    ----------
    root : str
        Name of the output.
    order : list of (name, value, definition)
        The forward pass in topological order.
    steps : list of Step
        The backward sweep, one step per value that has inputs.
    grads : dict
        Name → gradient of the output with respect to it, for every value
        the sweep reached (leaves and intermediate values).
    leaves : list of str
        Names of the leaves, in topological order.
    max_steps : int or None
        How many steps the text and the table show (all are computed).

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(2.0, label="a"); b = mgx.Scalar(5.0, label="b")
    >>> n = explain(a * b + a)
    >>> n.grads["a"], n.grads["b"]
    (6.0, 2.0)
    >>> n.grad(a)
    6.0
    """

    def __init__(self, root, order, steps, grads, leaves, seed, ids, nodes, max_steps):
        self.root = root
        self.order = order
        self.steps = steps
        self.grads = grads
        self.leaves = leaves
        self.seed = seed
        self._ids = ids
        self._nodes = nodes  # keeps the graph alive, so the ids in _ids stay unique
        self.max_steps = max_steps

    def grad(self, node):
        """The gradient of the output with respect to ``node`` (0 if it does not reach it).

        >>> import microgradx as mgx
        >>> x = mgx.Scalar(3.0)
        >>> explain(x * x).grad(x)
        6.0
        """
        name = self._ids.get(id(node))
        if name is None:
            raise ValueError("node is not part of this graph")
        g = self.grads.get(name)
        if g is None:
            v = value_of(node)
            return 0.0 if np.ndim(v) == 0 and not isinstance(v, np.ndarray) else np.zeros_like(v, dtype=float)
        return g

    def paths(self, target, limit: int = 100) -> list:
        """Every path from the output down to ``target``, with its product of local derivatives.

        The chain rule as a sum over paths: the gradient with respect to a
        value is the sum, over all paths from the output to it, of the
        product of the local derivatives along the path.  The backward sweep
        computes the same sum without listing the paths (which can be
        exponentially many); listing them for a small graph shows why fan-in
        adds.  Scalar graphs only (each local derivative is a number).

        Parameters
        ----------
        target : node or str
            The value (or its name in the narration).
        limit : int
            Stop after this many paths (a :class:`ValueError` says so).

        Returns
        -------
        list of (tuple of str, tuple of float, float)
            For each path: the names from the output to ``target``, the local
            derivatives along it, and their product.

        Examples
        --------
        >>> import microgradx as mgx
        >>> a = mgx.Scalar(3.0, label="a")
        >>> story = explain(a * a + a)
        >>> for names, factors, product in story.paths(a):
        ...     print(" ← ".join(names), factors, product)
        out ← v2 ← a (1.0, 3.0) 3.0
        out ← v2 ← a (1.0, 3.0) 3.0
        out ← a (1.0,) 1.0
        >>> sum(p for _, _, p in story.paths(a)) == story.grads["a"]
        True
        """
        name = target if isinstance(target, str) else self._ids.get(id(target))
        if name is None or name not in {n for n, _, _ in self.order}:
            raise ValueError("target is not part of this graph")
        edges: dict[str, list] = {}
        for step in self.steps:
            for c in step.contributions:
                local = c.local
                if local is None or np.ndim(local) != 0:
                    raise ValueError(f"paths() needs number-valued local derivatives; {step.name} → {c.to} "
                                     "has none (a Tensor graph: the factors would be Jacobians)")
                edges.setdefault(step.name, []).append((c.to, float(local)))
        found = []
        stack = [(self.root, (self.root,), ())]
        budget = 1000 * (limit + 10)  # partial paths explored: the number of paths can grow exponentially
        while stack:  # depth first, children in operand order (pushed in reverse)
            budget -= 1
            if budget < 0:
                raise ValueError(f"too many paths in this graph to list those leading to {name}")
            node, names, factors = stack.pop()
            if node == name:
                product = 1.0
                for f in factors:
                    product *= f
                found.append((names, factors, product))
                if len(found) > limit:
                    raise ValueError(f"more than {limit} paths lead to {name}; pass a larger limit")
                continue
            for child, local in reversed(edges.get(node, [])):
                stack.append((child, names + (child,), factors + (local,)))
        return found

    def _d(self, name: str) -> str:
        def wrap(n):
            return n if n.replace("#", "").isidentifier() else f"({n})"

        return f"d{wrap(self.root)}/d{wrap(name)}"

    def _unsaved(self) -> dict:
        """Checkpointed values -> the names of the values inside their segment (not saved, recomputed)."""
        return {s.name: [n for n, _, _ in s.recomputed if n != s.name] for s in self.steps if s.recomputed}

    def _shown_steps(self):
        if self.max_steps is None or len(self.steps) <= self.max_steps:
            return self.steps, 0
        return self.steps[: self.max_steps], len(self.steps) - self.max_steps

    # -- text ---------------------------------------------------------------------------------
    def __str__(self) -> str:
        lines = []
        root_def = self.order[-1][2]
        root_val = self.order[-1][1]
        if root_def == "leaf":
            head = f"Backward sweep of {self.root} = {_num(root_val)} (a leaf: nothing to sweep)"
        else:
            head = f"Backward sweep of {_defined(self.root, root_def)} = {_num(root_val)}"
        lines.append(head)
        n_ops = len(self.steps)
        lines.append(f"{len(self.order)} value{'s' if len(self.order) != 1 else ''}, {n_ops} operation"
                     f"{'s' if n_ops != 1 else ''}; seed {self._d(self.root)} = {_num(self.seed)}")
        lines.append("")
        lines.append("Forward pass (topological order: every value after its inputs)")
        width = max(len(name) for name, _, _ in self.order)
        vwidth = max(len(_num(v)) for _, v, _ in self.order)
        limit = None if self.max_steps is None else 2 * self.max_steps
        shown = self.order if limit is None or len(self.order) <= limit else self.order[:limit]
        segments = self._unsaved()
        for i, (name, value, definition) in enumerate(shown, 1):
            mark = f"   (inside it, not saved: {', '.join(segments[name])})" if segments.get(name) else ""
            lines.append(f"  {i:>2}  {name:<{width}}  = {_num(value):<{vwidth}}   {definition}{mark}")
        if len(shown) < len(self.order):
            lines.append(f"  ... {len(self.order) - len(shown)} more values (explain(..., max_steps=None) shows all)")
        lines.append("")
        lines.append("Backward sweep (the same order, reversed)")
        steps, hidden = self._shown_steps()
        for i, s in enumerate(steps, 1):
            up = f"{self._d(s.name)} = " + (" + ".join(s.parts) + " = " if len(s.parts) > 1 else "")
            lines.append(f"step {i}  {_defined(s.name, s.definition)}   upstream g = {up}{_num(s.upstream)}")
            pad = " " * (len(f"step {i}") + 2)
            lines.extend(self._segment_lines(s, pad))
            for c in s.contributions:
                here = f"  (here {s.bindings})" if s.bindings else ""
                if c.local is not None:
                    lines.append(f"{pad}→ {c.to}   rule {c.formula}{here}  local derivative {_num(c.local)}")
                    how = f"{_num(s.upstream)} × {_num(c.local)}"
                    if c.summed:
                        how = f"sum over broadcast axes of {how}"
                    elif np.ndim(c.value) > 0:
                        how = f"{_num(s.upstream)} ⊙ {_num(c.local)}"
                else:
                    lines.append(f"{pad}→ {c.to}   rule {c.formula}{here}")
                    how = "the rule's vector-Jacobian product"
                total = f"{self._d(c.to)} = "
                total += f"{_num(c.before)} + {_num(c.value)} = {_num(c.total)}" if c.before is not None else \
                    _num(c.total)
                if c.n > 1:
                    total += f"   ({c.k} of {c.n}: complete)" if c.k == c.n else f"   ({c.k} of {c.n} contributions)"
                lines.append(f"{pad}      contribution {how} = {_num(c.value)}        {total}")
            for const in s.constants:
                lines.append(f"{pad}→ {const}   a constant: no gradient needed")
        if hidden:
            lines.append(f"... {hidden} more steps (explain(..., max_steps=None) shows all)")
        lines.append("")
        lines.append(f"Gradients of the leaves (what {self.root}.backward() stores in .grad)")
        for name in self.leaves:
            lines.append(f"   {self._d(name)} = {_num(self.grads.get(name))}")
        return "\n".join(lines)

    __repr__ = __str__

    def _segment_lines(self, s: Step, pad: str) -> list[str]:
        """A checkpointed segment's step: what it recomputes, then the sweep back through it."""
        if not s.recomputed:
            return []
        inputs = ", ".join(c.to for c in s.contributions)
        lines = [f"{pad}recomputes {s.op} from its saved inputs {inputs} (the forward pass kept none of its "
                 f"inner values):"]
        width = max(len(f"{n} = {d}") for n, _, d in s.recomputed)
        lines += [f"{pad}    {f'{n} = {d}':<{width}} = {_num(v)}" for n, v, d in s.recomputed]
        lines.append(f"{pad}then sweeps back through them (g = {_num(s.upstream)} enters at {s.name}):")
        for inner in s.inner:
            for c in inner.contributions:
                local = "" if c.local is None else f"  local derivative {_num(c.local)}"
                lines.append(f"{pad}    {inner.name} → {c.to}   rule {c.formula}{local}   sends {_num(c.value)}")
            lines += [f"{pad}    {inner.name} → {const}   a constant: no gradient" for const in inner.constants]
        return lines

    # -- Jupyter ------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        e = html.escape
        css = ("<style>.mgx-nar{overflow-x:auto}.mgx-nar table{font-size:85%;border-collapse:collapse}"
               ".mgx-nar td,.mgx-nar th{padding:2px 6px;text-align:left;vertical-align:top;"
               "border-bottom:1px solid #ddd}.mgx-nar code{white-space:pre-wrap}.mgx-fan{background:#fff3c4}"
               ".mgx-step{border-top:2px solid #999}</style>")
        out = [css, '<div class="mgx-nar">']
        out.append(f"<p><b>Backward sweep of <code>{e(self.root)}</code></b>: {len(self.order)} values, "
                   f"{len(self.steps)} operations; seed <code>{e(self._d(self.root))} = {e(_num(self.seed))}"
                   "</code>.</p>")
        out.append("<p>Forward pass, in topological order (every value after its inputs):</p>")
        out.append("<table><tr><th>#</th><th>value</th><th>=</th><th>computed as</th></tr>")
        segments = self._unsaved()
        for i, (name, value, definition) in enumerate(self.order, 1):
            if segments.get(name):
                definition += f"   (inside it, not saved: {', '.join(segments[name])})"
            if self.max_steps is not None and i > 2 * self.max_steps:
                out.append(f"<tr><td colspan=4>… {len(self.order) - i + 1} more</td></tr>")
                break
            out.append(f"<tr><td>{i}</td><td><code>{e(name)}</code></td><td><code>{e(_num(value))}</code></td>"
                       f"<td><code>{e(definition)}</code></td></tr>")
        out.append("</table>")
        out.append("<p>Backward sweep, the same order reversed. Highlighted: an input that receives several "
                   "contributions; its gradient is their sum (the multivariate chain rule).</p>")
        out.append("<table><tr><th>step</th><th>value (upstream g)</th><th>→ input</th><th>rule</th>"
                   "<th>local derivative</th><th>contribution</th><th>running total</th></tr>")
        steps, hidden = self._shown_steps()
        for i, s in enumerate(steps, 1):
            rows = len(s.contributions) + len(s.constants)
            up = " + ".join(s.parts) + " = " if len(s.parts) > 1 else ""
            rows += 1 if s.recomputed else 0
            first = (f'<td rowspan="{max(rows, 1)}">{i}</td><td rowspan="{max(rows, 1)}"><code>'
                     f"{e(_defined(s.name, s.definition))}</code><br>g = <code>{e(up + _num(s.upstream))}</code></td>")
            cells = []
            for c in s.contributions:
                total = (f"{_num(c.before)} + {_num(c.value)} = {_num(c.total)}" if c.before is not None
                         else _num(c.total))
                if c.n > 1:
                    total += f" ({c.k} of {c.n})"
                cls = ' class="mgx-fan"' if c.n > 1 else ""
                local = "—" if c.local is None else _num(c.local)
                how = _num(c.value) + (" (summed over broadcast axes)" if c.summed else "")
                rule = c.formula + (f"  [{s.bindings}]" if s.bindings else "")
                cells.append(f"<td><code>{e(c.to)}</code></td><td><code>{e(rule)}</code></td>"
                             f"<td><code>{e(local)}</code></td><td><code>{e(how)}</code></td>"
                             f"<td{cls}><code>{e(self._d(c.to))} = {e(total)}</code></td>")
            for const in s.constants:
                cells.append(f"<td><code>{e(const)}</code></td><td colspan=4>a constant: no gradient needed</td>")
            if s.recomputed:
                done = "; ".join(f"{n} = {d} = {_num(v)}" for n, v, d in s.recomputed)
                back = "; ".join(f"{inner.name} → {c.to} sends {_num(c.value)}" for inner in s.inner
                                 for c in inner.contributions)
                cells.insert(0, f"<td colspan=5>recomputed (not saved by the forward pass): <code>{e(done)}</code>"
                                f"<br>then swept back: <code>{e(back)}</code></td>")
            if not cells:
                cells.append("<td colspan=5>no input is a node</td>")
            for j, c in enumerate(cells):
                row_cls = ' class="mgx-step"' if j == 0 else ""
                out.append(f"<tr{row_cls}>{first if j == 0 else ''}{c}</tr>")
        if hidden:
            out.append(f"<tr><td colspan=7>… {hidden} more steps (max_steps=None shows all)</td></tr>")
        out.append("</table>")
        out.append(f"<p>Gradients of the leaves (what <code>{e(self.root)}.backward()</code> stores in "
                   "<code>.grad</code>):</p><table>")
        for name in self.leaves:
            out.append(f"<tr><td><code>{e(self._d(name))}</code></td>"
                       f"<td><code>{e(_num(self.grads.get(name)))}</code></td></tr>")
        out.append("</table></div>")
        return "\n".join(out)


# ---------------------------------------------------------------------------
# The sweep
# ---------------------------------------------------------------------------
def _names(order, root) -> list[str]:
    """A readable, unique name per node: its label, else v1, v2, ...

    The output is called by its label when that is a plain name, else ``out``.
    """
    labels = [getattr(n, "label", "") or "" for n in order]
    taken = {lab for lab in labels if lab}
    names = []
    count: dict[str, int] = {}
    for i, (node, lab) in enumerate(zip(order, labels), 1):
        if node is root and lab and not lab.isidentifier():
            lab = ""  # a long label like 'tanh(x*w + b)' makes d(...)/d(...) unreadable: call the output 'out'
        if not lab:
            lab = "out" if node is root and "out" not in taken else f"v{i}"
            while lab in taken and lab != f"v{i}":
                lab = f"v{i}"
        names.append(lab)
        count[lab] = count.get(lab, 0) + 1
    seen: dict[str, int] = {}
    for i, lab in enumerate(names):  # the same label on several nodes: x, x#2, ...
        if count[lab] > 1:
            seen[lab] = seen.get(lab, 0) + 1
            if seen[lab] > 1:
                names[i] = f"{lab}#{seen[lab]}"
    return names


def _seed(root, seed):
    out = value_of(root)
    if np.ndim(out) == 0 and not isinstance(out, np.ndarray):  # a Scalar
        if seed is None:
            return 1.0
        if isinstance(seed, bool) or not isinstance(seed, (int, float, np.number)):
            raise TypeError(f"seed must be a number for a Scalar output; got {type(seed).__name__}")
        return float(seed)
    out = np.asarray(out)
    dtype = out.dtype if out.dtype.kind == "f" else np.dtype(np.float64)
    if seed is None:
        if out.size != 1:
            raise ValueError(f"explain() without seed= needs a single-element output; this one has shape "
                             f"{out.shape}. Pass seed= (the output's cotangent) or reduce first, e.g. y.sum()")
        return np.ones(out.shape, dtype=dtype)
    s = np.asarray(value_of(seed) if hasattr(seed, "_parents") else seed, dtype=dtype)
    if s.shape != out.shape:
        raise ValueError(f"seed has shape {s.shape} but the output has shape {out.shape}")
    return s


def _bindings(prim, names) -> str:
    """Which operands the rule's placeholder names stand for: 'x = a, y = b'."""
    if prim is None or not prim.is_elementwise:
        return ""
    letters = ("x", "y", "z")
    if len(names) > len(letters):
        return ""
    # "x = x" says nothing (the user's own variable is called x): only the other pairs are shown
    pairs = [f"{letters[i]} = {n}" for i, n in enumerate(names) if n != letters[i]]
    return ", ".join(pairs)


def _recompute(step: Step, node, g, arg_names) -> None:
    """For a checkpointed node: run its segment again, as the backward sweep just did, and narrate it.

    The segment's fresh leaves take the names of the node's inputs, its inner values are called
    ``<name>_1``, ``<name>_2``, ... (or their own labels), and the inner sweep is seeded with ``g``.
    """
    found = _segment(node)
    if found is None:
        return
    leaves, out = found
    for leaf, name in zip(leaves, arg_names):
        if leaf is not None:
            leaf.label = name
    inner = [n for n in topological_order(out) if n._parents]
    for k, n in enumerate(inner, 1):
        n.label = step.name if n is out else (getattr(n, "label", "") or f"{step.name}_{k}")
    story = explain(out, seed=g, max_steps=None)
    step.recomputed = [(n, v, d) for n, v, d in story.order if not d.startswith("leaf")]
    step.inner = story.steps
    reached = {name for leaf, name in zip(leaves, arg_names) if leaf is not None} | {n.label for n in inner}
    for inner_step in step.inner:  # a Tensor the function captured is a constant of the segment (as in MLX)
        captured = [c for c in inner_step.contributions if c.to not in reached]
        inner_step.contributions = [c for c in inner_step.contributions if c.to in reached]
        inner_step.constants += [f"{c.to} (captured by the function)" for c in captured]


def explain(y, seed=None, *, max_steps: int | None = 40) -> Narration:
    """Narrate the backward sweep from ``y``: order, rules, contributions, running totals.

    Parameters
    ----------
    y : Scalar or Tensor
        The output.  Give nodes a ``label`` to see their names in the story
        (others are called ``v1``, ``v2``, ... by their place in the order).
    seed : number or array, optional
        The output's cotangent; 1 by default (a single-element output only,
        as for ``backward()``).
    max_steps : int or None
        Show at most this many steps (all are computed; None shows all).

    Returns
    -------
    Narration
        Print it, or show it in Jupyter (a table).  ``.grads`` holds every
        gradient; they equal what ``y.backward()`` would accumulate.

    Examples
    --------
    >>> import microgradx as mgx
    >>> a = mgx.Scalar(-1.0, label="a")
    >>> n = explain((a * a).relu())
    >>> [s.op for s in n.steps]
    ['relu', 'mul']
    >>> n.grads["a"]
    -2.0
    """
    check_root(y)
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1):
        raise ValueError(f"max_steps must be a positive int or None; got {max_steps!r}")
    order = topological_order(y)
    names = _names(order, y)
    ids = {id(n): name for n, name in zip(order, names)}
    g0 = _seed(y, seed)

    uses: dict[int, int] = {}
    definitions = []
    for node in order:
        parents = node._parents
        for p in parents:
            if p is not None:
                uses[id(p)] = uses.get(id(p), 0) + 1
        prim = node._prim
        if not parents:
            definitions.append("leaf" if prim is None else f"leaf ({prim.name}: no gradient flows through)")
            continue
        saved = getattr(node, "_saved", ())
        args = [ids[id(p)] if p is not None else (_num(saved[j]) if j < len(saved) else "const")
                for j, p in enumerate(parents)]
        params = []
        for k, v in (getattr(node, "_params", None) or {}).items():
            if v is None or v is False or (k == "index" and getattr(prim, "count", 0) == 1):
                continue  # defaults, and the output number of a one-output custom function, say nothing
            params.append(f"{k}=[…]" if k == "index" else f"{k}={np.dtype(v).name if k == 'dtype' else v}")
        definitions.append(f"{prim.name}({', '.join(args + params)})")
    forward = [(name, value_of(n), d) for n, name, d in zip(order, names, definitions)]

    cot: dict[int, object] = {id(y): g0}
    parts: dict[int, list[str]] = {}
    received: dict[int, int] = {}
    steps: list[Step] = []
    grads: dict[str, object] = {}
    for node, name, definition in zip(reversed(order), reversed(names), reversed(definitions)):
        g = cot.get(id(node))
        if g is None:
            continue  # no gradient reaches this value
        grads[name] = g
        parents = node._parents
        if not parents:
            continue
        prim = node._prim
        out = node._inner()
        saved = node._saved
        cts = chain_rule_step(node, g)  # the engine's own step: the rule table's numbers themselves
        arg_names = [ids[id(p)] if p is not None else _num(saved[j]) for j, p in enumerate(parents)]
        step = Step(name, definition, prim.name, _bindings(prim, arg_names), g, parts.get(id(node), []))
        formulas = prim.formulas
        for j, (p, c) in enumerate(zip(parents, cts)):
            if p is None:
                step.constants.append(arg_names[j])
                continue
            if c is None:
                continue
            local = None
            if prim.is_elementwise and prim.partials[j] is not None:
                local = local_derivative(prim, j, saved, out)  # IEEE-safe, as in backward()
                local = float(local) if np.ndim(local) == 0 and not isinstance(local, np.ndarray) else local
            formula = formulas[j] if j < len(formulas) else (formulas[-1] if formulas else prim.name)
            key = id(p)
            before = cot.get(key)
            total = c if before is None else before + c
            cot[key] = total
            received[key] = received.get(key, 0) + 1
            parts.setdefault(key, []).append(_num(c))
            summed = prim.is_elementwise and np.shape(c) != np.shape(g)
            step.contributions.append(Contribution(ids[key], formula, local, c, before, total,
                                                   received[key], uses[key], summed))
        _recompute(step, node, g, arg_names)
        steps.append(step)
    leaves = [name for node, name in zip(order, names) if not node._parents]
    ordered = {name: grads[name] for name in names if name in grads}
    return Narration(names[-1], forward, steps, ordered, leaves, g0, ids, order, max_steps)
