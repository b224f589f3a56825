"""Issue 15 §9: a hypothesis fuzz of random Tensor programs against PyTorch (float64).

Each example builds a random straight-line program over two inputs from the operations below, then
compares its value, its gradient (``mgx.value_and_grad`` and eager ``.backward()``) and its
forward-mode derivative along a random direction (``mgx.jvp``) with PyTorch's.  Inputs stay away
from the kinks (|x| >= 0.1) and every operation is finite on its whole input range, so any
difference is a wrong rule, not one of the documented choices in docs/guide/peers.rst.  Sized for CI:
MICROGRADX_HYPOTHESIS_EXAMPLES (default 60) programs of up to 8 operations, a few seconds.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import microgradx as mgx

torch = pytest.importorskip("torch", reason="PyTorch not installed: the fuzz compares against it")

UNARY = {
    "tanh": (mgx.tanh, torch.tanh),
    "sigmoid": (mgx.sigmoid, torch.sigmoid),
    "sin": (mgx.sin, torch.sin),
    "cos": (mgx.cos, torch.cos),
    "exp∘tanh": (lambda x: mgx.exp(mgx.tanh(x)), lambda x: torch.exp(torch.tanh(x))),
    "log(1+x²)": (lambda x: mgx.log(1.0 + x * x), lambda x: torch.log(1.0 + x * x)),
    "sqrt(1+x²)": (lambda x: mgx.sqrt(1.0 + x * x), lambda x: torch.sqrt(1.0 + x * x)),
    "relu": (mgx.relu, torch.relu),
    "abs": (mgx.abs, torch.abs),
    "neg": (lambda x: -x, lambda x: -x),
    "square": (mgx.square, torch.square),
    "softmax": (lambda x: mgx.softmax(x, axis=-1), lambda x: torch.softmax(x, -1)),
    "log_softmax": (lambda x: mgx.log_softmax(x, axis=-1), lambda x: torch.log_softmax(x, -1)),
    "x - mean(x, 0)": (lambda x: x - mgx.mean(x, axis=0, keepdims=True), lambda x: x - x.mean(0, keepdim=True)),
    "transpose·x": (lambda x: mgx.reshape(mgx.transpose(x), (2, 3)), lambda x: x.T.reshape(2, 3)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "a/(1+b²)": (lambda a, b: a / (1.0 + b * b), lambda a, b: a / (1.0 + b * b)),
    "(1+a²)**tanh(b)": (lambda a, b: (1.0 + a * a) ** mgx.tanh(b), lambda a, b: (1.0 + a * a) ** torch.tanh(b)),
    "a·bᵀ·a": (lambda a, b: mgx.matmul(mgx.matmul(a, mgx.transpose(b)), a) * 0.1,
               lambda a, b: (a @ b.T @ a) * 0.1),
    "where(a>b)": (lambda a, b: mgx.where(a > b, a, b * 2.0), lambda a, b: torch.where(a > b, a, b * 2.0)),
}
REDUCE = {
    "sum": (mgx.sum, torch.sum),
    "mean": (mgx.mean, torch.mean),
    "logsumexp": (mgx.logsumexp, lambda x: torch.logsumexp(x.reshape(-1), 0)),
    "sum of var(axis=1)": (lambda x: mgx.sum(mgx.var(x, axis=1)), lambda x: x.var(1, unbiased=False).sum()),
}

values = st.floats(0.1, 2.0).flatmap(lambda v: st.sampled_from([v, -v]))
inputs = st.lists(values, min_size=6, max_size=6).map(lambda v: np.array(v).reshape(2, 3))


@st.composite
def programs(draw):
    steps = []
    for k in range(draw(st.integers(1, 8))):
        n = 2 + k  # values available: the two inputs and every earlier result
        if draw(st.booleans()):
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), (draw(st.integers(0, n - 1)),)))
        else:
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))),
                          (draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1)))))
    return steps, draw(st.sampled_from(sorted(REDUCE)))


def run(program, side, a, b):
    steps, reduce = program
    table = {"unary": UNARY, "binary": BINARY}
    vals = [a, b]
    for kind, name, args in steps:
        vals.append(table[kind][name][side](*(vals[i] for i in args)))
    return REDUCE[reduce][side](vals[-1]) + 0.1 * REDUCE["sum"][side](vals[-2] if len(vals) > 2 else vals[0])


def close(ours, theirs, what, program):
    np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), theirs, rtol=1e-7, atol=1e-9,
                               err_msg=f"{what} differs from PyTorch for {program}")


@given(programs(), inputs, inputs, inputs, inputs)
def test_random_programs_match_pytorch(program, x, y, vx, vy):
    ta, tb = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (x, y))
    tout = run(program, 1, ta, tb)
    tout.backward()
    expected_grads = [np.zeros((2, 3)) if t.grad is None else t.grad.numpy() for t in (ta, tb)]

    value, grads = mgx.value_and_grad(lambda a, b: run(program, 0, a, b), argnums=(0, 1))(mgx.array(x), mgx.array(y))
    close(value, tout.item(), "value", program)
    for g, e in zip(grads, expected_grads):
        close(g, e, "grad", program)

    la, lb = mgx.Tensor(x), mgx.Tensor(y)  # eager reverse mode, the other engine
    run(program, 0, la, lb).backward()
    for leaf, e in zip((la, lb), expected_grads):
        close(leaf.grad if leaf.grad is not None else np.zeros_like(x), e, "backward()", program)

    _, (tangent,) = mgx.jvp(lambda a, b: run(program, 0, a, b), [mgx.array(x), mgx.array(y)],
                            [mgx.array(vx), mgx.array(vy)])
    close(tangent, float(np.sum(expected_grads[0] * vx) + np.sum(expected_grads[1] * vy)), "jvp", program)
