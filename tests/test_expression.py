"""Expressions from the command line: a whitelist parser that never runs code, and the graph command."""

import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

import microgradx as mgx
from microgradx.cli import graph as graph_command
from microgradx.teaching import expression as E


@pytest.mark.parametrize("text, values, value", [
    ("tanh(x*w + b)", {"x": 2, "w": -3, "b": 6.88}, math.tanh(0.88)),
    ("x**2 + 3*x - 1/x", {"x": 2.0}, 9.5),
    ("-x ** 0.5", {"x": 4.0}, -2.0),
    ("exp(log(x)) * sigmoid(0) + relu(-x) + abs(-x) + sqrt(x)", {"x": 9.0}, 4.5 + 0 + 9 + 3),
    ("sin(x)**2 + cos(x)**2", {"x": 0.7}, 1.0),
    ("x / y + 2 ** 3 + (1 / 0) * 0 + y", {"x": 1.0, "y": 4.0}, math.nan),
])
def test_evaluate_values(text, values, value):
    y = E.evaluate(text, values)
    assert isinstance(y, mgx.Scalar)
    if math.isnan(value):
        assert math.isnan(y.data)
    else:
        assert y.data == pytest.approx(value)


def test_gradients_and_labels():
    y = E.evaluate("x*x + 3*x", {"x": 2.0})
    y.backward()
    x = next(n for n in mgx.viz.topological_order(y) if n.label == "x") if hasattr(mgx, "viz") else None
    from microgradx.teaching.viz import topological_order

    nodes = {n.label: n for n in topological_order(y)}
    x = nodes["x"]
    assert x.grad == 7.0
    assert set(nodes) == {"x", "x*x", "3*x", "x*x + 3*x"}
    unlabelled = E.evaluate("x*x + 3*x", {"x": 2.0}, label=False)
    assert all(n.label == "" for n in topological_order(unlabelled))


def test_long_subexpressions_stay_unlabelled():
    text = "tanh(alpha*beta + gamma*delta + epsilon)"
    y = E.evaluate(text, dict(alpha=1, beta=2, gamma=3, delta=4, epsilon=5))
    from microgradx.teaching.viz import topological_order

    labels = [n.label for n in topological_order(y)]
    assert "alpha*beta" in labels and "" in labels and text not in labels  # 40 > LABEL_LENGTH


@pytest.mark.parametrize("text, message", [
    ("__import__('os').system('id')", "attribute access (.system)"),
    ("__import__('os')", "unknown function '__import__'"),
    ("open('f')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("x.real", "attribute access (.real)"),
    ("().__class__", "attribute access (.__class__)"),
    ("x[0]", "subscripts"),
    ("lambda: 1", "lambda"),
    ("[x for x in y]", "comprehensions"),
    ("(x, x)", "tuples"),
    ("'abc'", "the constant 'abc'"),
    ("f'{x}'", "strings"),
    ("True + x", "the constant True"),
    ("1j * x", "the constant 1j"),
    ("x if x else x", "if/else"),
    ("x and x", "and/or"),
    ("x < 1", "comparisons"),
    ("(y := x)", "assignment"),
    ("x @ x", "the operator MatMult"),
    ("x // 2", "the operator FloorDiv"),
    ("x % 2", "the operator Mod"),
    ("x << 2", "the operator LShift"),
    ("~x", "the operator Invert"),
    ("not x", "the operator Not"),
    ("_x + 1", "names may not start with '_'"),
    ("__builtins__", "names may not start with '_'"),
    ("tanh", "tanh is a function"),
    ("tanh(x, x)", "takes exactly one argument"),
    ("exp(x=1)", "takes exactly one argument"),
    ("exp(*x)", "takes exactly one argument"),
    ("exp(x)(x)", "calling the result"),
    ("x ** 101", "exponent 101 is too large"),
    ("x ** -1000", "exponent -1000 is too large"),
    ("x ** 10 ** 10", "exponent 10 ** 10 is too large"),
    ("x ** (9 ** 9 ** 9)", "too large"),
    ("2 ** 10 ** 10 * x", "exponent 10 ** 10 is too large"),
    ("1e999 * x", "too large"),
    ("10000000000000000 * x", "too large"),
    ("import os", "not a valid expression"),
    ("x = 1", "not a valid expression"),
    ("x; x", "not a valid expression"),
    ("", "expression is empty"),
    ("x" + "+x" * 120, "nested too deeply"),
    ("x" + "+x" * 300, "too long"),
    ("-" * 120 + "x", "nested too deeply"),
    ("(-" * 101 + "x" + ")" * 101, "nested too deeply"),
    ("(" * 220 + "x" + ")" * 220, "not a valid expression: too many nested parentheses"),
])
def test_refused(text, message):
    with pytest.raises(E.ExpressionError, match=None) as info:
        E.evaluate(text, {"x": 1.0, "y": 2.0})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_node_limit(monkeypatch):
    monkeypatch.setattr(E, "MAX_NODES", 10)
    E.parse("x+x+x+x+x")  # 9 nodes
    with pytest.raises(E.ExpressionError, match="too large"):
        E.parse("x+x+x+x+x+x")


def test_refused_before_anything_runs(tmp_path):
    marker = tmp_path / "ran"
    text = f"__import__('os').system('touch {marker}')"
    with pytest.raises(E.ExpressionError):
        E.parse(text)
    assert not marker.exists()


@pytest.mark.parametrize("values, message", [
    ("x=1+1", "x must be a number; got '1+1'"),
    ("x=__import__('os')", "x must be a number"),
    ("x", "expected name=number"),
    ("_x=1", "expected name=number"),
    ("x=1,x=2", "x is given twice"),
    ("x=nan", "x must be finite"),
    ("x=inf", "x must be finite"),
])
def test_bad_values(values, message):
    with pytest.raises(E.ExpressionError) as info:
        E.parse_values(values)
    assert message in str(info.value)


def test_missing_and_extra_values():
    with pytest.raises(E.ExpressionError, match="no value for w"):
        E.evaluate("x*w", {"x": 1.0})
    with pytest.raises(E.ExpressionError, match="--at gives z, which the expression does not use"):
        E.evaluate("x", {"x": 1.0, "z": 2.0})
    with pytest.raises(E.ExpressionError, match="no variables"):
        E.evaluate("2 * 3", {})
    with pytest.raises(TypeError, match="expression must be a str"):
        E.parse(3)


def test_values_list():
    assert E.parse_values(" x = 2 , w=-3,b=6.88, ") == {"x": 2.0, "w": -3.0, "b": 6.88}
    assert E.parse_values("") == {}


# ---------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------
def test_command_writes_svg_and_dot(tmp_path, capsys):
    svg = tmp_path / "graph.svg"
    assert graph_command.main(["tanh(x*w + b)", "--at", "x=2,w=-3,b=6.88", "-o", str(svg), "--engine", "builtin"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"wrote {svg}: Graph(6 values, 3 operations")
    texts = " ".join("".join(t.itertext()) for t in ET.parse(svg).getroot().iter() if t.tag.endswith("text"))
    assert "x*w + b" in texts and "grad -1.503" in texts and "tanh" in texts
    dot = tmp_path / "graph.dot"
    assert graph_command.main(["x*x", "--at", "x=3", "-o", str(dot)]) == 0
    assert dot.read_text().startswith("digraph") and "rankdir=LR" in dot.read_text()
    assert graph_command.main(["x*x", "--at", "x=3", "-o", str(dot), "--rankdir", "TB"]) == 0
    assert "rankdir=TB" in dot.read_text()


def test_command_explain_and_dot_to_stdout(capsys):
    assert graph_command.main(["x*x + 3*x", "--at", "x=2", "--explain"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Backward sweep of out = add(x*x, 3*x) = 10")
    assert "dout/dx = 7" in out
    assert graph_command.main(["x*x", "--at", "x=2"]) == 0
    assert capsys.readouterr().out.startswith("digraph microgradx {")


@pytest.mark.parametrize("argv, message", [
    (["x.y", "--at", "x=1"], "attribute access (.y)"),
    (["x", "--at", "x=a"], "x must be a number"),
    (["x", "--at", "x=1", "-o", "graph.png"], "must end in .svg, .dot or .gv"),
])
def test_command_errors_are_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert graph_command.main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("microgradx graph: error: ") and message in err
    assert not (tmp_path / "graph.png").exists()


def _run(*args, cwd):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_command_line_refuses_code_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    for entry, text in [(["-m", "microgradx", "graph"], f"__import__('os').system('touch {marker}')"),
                        (["-m", "microgradx", "graph"], f"exec(\"open('{marker}','w')\")"),
                        (["-m", "microgradx", "graph"], f"(lambda: __import__('os').system('touch {marker}'))()"),
                        (["-m", "microgradx.cli.graph"], f"open('{marker}', 'w')")]:
        done = _run(*entry, text, "--at", "x=1", cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert done.stdout == ""
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("microgradx graph: error: ")
        assert not marker.exists()
    done = _run("-m", "microgradx", "graph", "__import__('os').system('id')", cwd=tmp_path)
    assert done.returncode == 2 and "attribute access (.system)" in done.stderr and "uid=" not in done.stdout


def test_command_line_draws(tmp_path):
    done = _run("-m", "microgradx", "graph", "tanh(x*w + b)", "--at", "x=2,w=-3,b=6.88", "-o", "graph.svg",
                "--explain", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote graph.svg: Graph(6 values, 3 operations")
    assert "d(tanh x)/dx = 1 - tanh(x)^2" in done.stdout and "dout/dx = -1.50292" in done.stdout
    ET.parse(tmp_path / "graph.svg")


# --- issue 15 §2: the total work of a parse is bounded by a count, not by luck --------------------------------
@pytest.mark.parametrize("text", [
    "x" + "**x" * 24,                       # the 73-character expression that used to hang
    "x" + "**x" * 99,                       # the longest power chain within MAX_DEPTH: accepted
    "x" + "**-x" * 49,
    "x" + "**x" * 166,                      # 166 chained powers, at the length limit: refused
    "2" + "**2" * 166,
    "x" + "**-x" * 124,                     # 497 characters
    "2" + "**-2" * 124,
    "2" + "**2" * 99,
    "(" + "x**" * 99 + "x)",
])
def test_parse_work_is_linear(text, monkeypatch):
    parses = []
    real_parse = E.ast.parse
    monkeypatch.setattr(E.ast, "parse", lambda *a, **k: parses.append(a) or real_parse(*a, **k))
    try:
        tree = E.parse(text)
    except E.ExpressionError as exc:
        steps = exc.steps
    else:
        steps = E._check(tree)  # the same walk once more, to read its count
    assert len(parses) == 1  # the text is parsed once: no exponent is re-parsed
    # every node is taken off the stack at most twice, and the walk stops after MAX_NODES + 1 nodes
    nodes = sum(1 for _ in E.ast.walk(real_parse(text, mode="eval").body))
    assert 0 < steps <= 2 * min(nodes, E.MAX_NODES + 1)


def test_parse_step_count_is_exact():
    assert E._check(E.ast.parse("x", mode="eval").body) == 2
    assert E._check(E.ast.parse("x" + "**x" * 24, mode="eval").body) == 2 * 49
    assert E._check(E.ast.parse("tanh(x) ** -2", mode="eval").body) == 2 * 5


def test_long_power_chains_accepted_and_computed():
    assert E.evaluate("x" + "**x" * 24, {"x": 1.0}).data == 1.0
    y = E.evaluate("x" + "**x" * 99, {"x": 1.0})
    y.backward()
    assert y.data == 1.0


def test_constant_exponents_are_judged_by_value():
    assert E.evaluate("x ** (2 ** 2 ** 2 / 1000)", {"x": 4.0}).data == pytest.approx(4.0 ** 0.016)
    with pytest.raises(E.ExpressionError, match="exponent 2 \\*\\* 2 \\*\\* 2 \\*\\* 2 is too large"):
        E.parse("x ** 2 ** 2 ** 2 ** 2")
    with pytest.raises(E.ExpressionError, match="exponent 0 / 0 is too large"):
        E.parse("x ** (0 / 0)")
    with pytest.raises(E.ExpressionError, match="exponent 1 / 0 is too large"):
        E.parse("x ** (1 / 0)")
    E.parse("x ** (x ** 100 * 10 ** 99)")  # the exponent has a variable: its size cannot be known


# --- issue 15 §6: an invalid UTF-8 byte is reported as such ------------------------------------------------------
def test_invalid_utf8_is_named():
    text = b"x + \xff".decode("utf-8", "surrogateescape")  # how Python hands argv's bad bytes over
    with pytest.raises(E.ExpressionError, match="not valid UTF-8 text \\(byte 0xff at position 4\\)"):
        E.parse(text)
    with pytest.raises(E.ExpressionError, match="not a valid expression"):
        E.parse("x + \0")


def test_invalid_utf8_from_the_command_line():
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-m", "microgradx", "graph", b"x*\xfe", "--at", "x=1"],
                          capture_output=True, env=env, timeout=120)
    assert done.returncode == 2
    assert b"not valid UTF-8 text (byte 0xfe at position 2)" in done.stderr
