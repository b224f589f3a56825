"""The command line: ``python -m microgradx demo`` and the sub-command registry."""

import importlib.util
import os
import re
import subprocess
import sys

import pytest

import microgradx as mgx
from microgradx import cli


def _compiled_available() -> bool:
    return all(importlib.util.find_spec(f"microgradx._ext.{name}") is not None
               for name in ("scalar", "engine", "kernels"))


def _run_module(*args, backend_env=None):
    env = dict(os.environ)
    env.pop("MICROGRADX_BACKEND", None)
    if backend_env is not None:
        env["MICROGRADX_BACKEND"] = backend_env
    return subprocess.run([sys.executable, "-W", "ignore::RuntimeWarning", "-m", "microgradx", *args],
                          capture_output=True, text=True, env=env, timeout=300)


def test_help_documents_the_demo_options(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["demo", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--steps", "--seed", "--backend", "--samples", "--noise", "--every", "compiled", "python"):
        assert option in out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "demo" in capsys.readouterr().out


def test_no_command_prints_usage_and_fails(capsys):
    assert cli.main([]) == 2
    assert "usage: microgradx" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["demo", "--steps", "0"], ["demo", "--steps", "x"], ["demo", "--seed", "-1"],
                                  ["demo", "--backend", "gpu"], ["demo", "--noise", "nan"], ["nonsense"]])
def test_bad_options_exit_with_status_2(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(args)
    assert exit_info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_short_demo_in_process_shows_progress_and_final_accuracy(capsys):
    assert cli.main(["demo", "--steps", "4", "--samples", "12", "--every", "2"]) == 0
    out = capsys.readouterr().out
    assert f"backend: {mgx.backend()}" in out.splitlines()[0]
    steps = re.findall(r"^step\s+(\d+)/4\s+loss (\S+)\s+accuracy (\S+)$", out, re.M)
    assert [int(s) for s, _, _ in steps] == [0, 2, 3]
    final = re.search(r"^final accuracy: ([\d.]+) \((\d+)/12 points\)\s+backend: (\w+)\s+time: [\d.]+ s$", out, re.M)
    assert final is not None and final.group(3) == mgx.backend()
    assert float(final.group(1)) == pytest.approx(int(final.group(2)) / 12, abs=1e-3)


def test_backend_option_really_switches_the_engine():
    other = "python" if mgx.backend() == "compiled" else "compiled"
    for requested, env in [(other, mgx.backend()), (mgx.backend(), other)]:
        result = _run_module("demo", "--steps", "2", "--samples", "8", "--backend", requested, backend_env=env)
        assert result.returncode == 0, result.stderr
        final = re.search(r"^final accuracy: .* backend: (\w+)", result.stdout, re.M)
        ran = requested if requested == "python" or _compiled_available() else "python"
        assert final is not None and final.group(1) == ran, result.stdout
        if ran != requested:
            assert "not built" in result.stdout


def test_train_moons_is_reproducible():
    a = cli.train_moons(steps=3, samples=10, nouts=(4, 1), seed=5)
    b = cli.train_moons(steps=3, samples=10, nouts=(4, 1), seed=5)
    assert (a.loss, a.correct) == (b.loss, b.correct)
    assert a.steps == 3 and a.samples == 10 and a.backend == mgx.backend()


@pytest.mark.skipif(mgx.backend() != "compiled",
                    reason="the full 100-step demo takes minutes on the reference backend; the compiled run checks it")
def test_full_demo_reaches_95_percent():
    seen = []
    result = cli.train_moons(progress=lambda step, loss, acc: seen.append(step))
    assert seen == list(range(100))
    assert result.samples == 100 and result.accuracy >= 0.95


def test_python_dash_m_entry_point():
    result = _run_module()
    assert result.returncode == 2 and "usage: microgradx" in result.stdout


def test_register_adds_a_sub_command(capsys):
    seen = []
    cli.register("echo-test", "repeat a word",
                 lambda parser: parser.add_argument("word"),
                 lambda args: seen.append(args.word) or 0)
    try:
        assert "echo-test" in cli.build_parser().format_help()
        assert cli.main(["echo-test", "hi"]) == 0 and seen == ["hi"]
        with pytest.raises(ValueError, match="already registered"):
            cli.register("echo-test", "again", lambda parser: None, lambda args: 0)
    finally:
        del cli.SUBCOMMANDS["echo-test"]
