"""Backend selection: MICROGRADX_BACKEND, the missing-extension fallback, and the compiled modules' doctests."""

import doctest
import json
import os
import subprocess
import sys

import pytest

import microgradx as mgx

# Run in a fresh interpreter: make every microgradx._ext module unimportable, import the
# package, use it, and report the warnings it gave.
BLOCKED_IMPORT = r"""
import json, sys, warnings

class BlockExtension:
    def find_spec(self, name, path=None, target=None):
        if name.startswith("microgradx._ext."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None

sys.meta_path.insert(0, BlockExtension())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import microgradx as mgx
    import microgradx.nodes.scalar, microgradx.core.engine  # more imports: still one warning
    x = mgx.Scalar(2.0)
    y = x * x + mgx.exp(x)
    y.backward()
    t = mgx.Tensor([1.0, 2.0])
    (t * t).sum().backward()
print(json.dumps({
    "backend": mgx.backend(),
    "reference_scalar": mgx.Scalar is microgradx.nodes.scalar.Scalar,
    "grad": x.grad,
    "tensor_grad": t.grad.tolist(),
    "warnings": [(w.category.__name__, str(w.message)) for w in caught],
}))
"""


def run_python(code, **env):
    full_env = {k: v for k, v in os.environ.items() if k != "MICROGRADX_BACKEND"}
    full_env.update(env)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full_env, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def test_missing_extension_warns_once_and_runs_the_reference():
    report = json.loads(run_python(BLOCKED_IMPORT).stdout)
    assert report["backend"] == "python"
    assert report["reference_scalar"] is True
    assert report["grad"] == pytest.approx(4.0 + 7.38905609893065)
    assert report["tensor_grad"] == [2.0, 4.0]
    assert len(report["warnings"]) == 1
    category, message = report["warnings"][0]
    assert category == "RuntimeWarning"
    assert "compiled extension not available" in message and "MICROGRADX_BACKEND=python" in message


def test_backend_python_selects_the_reference_silently():
    code = BLOCKED_IMPORT.replace("sys.meta_path.insert(0, BlockExtension())", "")
    report = json.loads(run_python(code, MICROGRADX_BACKEND="python").stdout)
    assert report["backend"] == "python" and report["reference_scalar"] is True
    assert report["warnings"] == []


def test_bad_backend_name_is_a_value_error():
    full_env = dict(os.environ, MICROGRADX_BACKEND="fortran")
    done = subprocess.run([sys.executable, "-c", "import microgradx"], capture_output=True, text=True,
                          env=full_env, timeout=120)
    assert done.returncode != 0
    assert "ValueError: MICROGRADX_BACKEND must be 'compiled' or 'python'; got 'fortran'" in done.stderr


def test_compiled_backend_wires_the_compiled_scalar():
    pytest.importorskip("microgradx._ext.scalar", reason="compiled extension not built")
    pytest.importorskip("microgradx._ext.engine", reason="compiled extension not built")
    pytest.importorskip("microgradx._ext.kernels", reason="compiled kernels not built")
    code = (
        "import json, microgradx as mgx\n"
        "from microgradx.core import backend as _backend, dispatch\n"
        "from microgradx._ext import scalar\n"
        "print(json.dumps([mgx.backend(), mgx.Scalar is scalar.Scalar, scalar.Scalar in dispatch.node_types(),"
        " _backend.engine.__name__]))\n"
    )
    assert json.loads(run_python(code, MICROGRADX_BACKEND="compiled").stdout) == [
        "compiled", True, True, "microgradx._ext.engine"]


def test_backend_reports_a_known_name():
    assert mgx.backend() in ("compiled", "python")


@pytest.mark.parametrize("name", ["scalar", "engine"])
def test_compiled_module_docstring_examples(name):
    module = pytest.importorskip(f"microgradx._ext.{name}", reason="compiled extension not built")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted >= (20 if name == "scalar" else 4)
