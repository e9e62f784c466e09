"""The corpus of real-world-style convolutions (`tests/corpus/`) and the verdicts it must get.

Two kinds of test:

* ``test_check_verdict`` runs ``conv-equivalence check --json`` on every member in a fresh process
  and compares each facet's status with ``tests/corpus/manifest.py`` (a facet the check does not
  report counts as ``skipped``), the exit code (1 if a facet fails, crashes or times out, else 0)
  and the facets that must report declined examples.
* ``test_member_on_facet_example`` calls every member directly on one hand-made example per facet
  and compares with the oracle under the derived bound, so that the behaviour each expectation
  rests on (agrees, differs, declines with ``NotImplementedError``, aborts) is confirmed without
  the check: ``pass`` must agree; ``fail`` and ``explained`` must differ (the examples are
  non-square, so the square-input member's defect shows in every facet); ``declined`` must raise
  ``NotImplementedError``; ``crash`` must kill the process. ``skipped`` facets have nothing to show,
  and ``combined`` is called directly only where no other facet fails (elsewhere the facets whose
  defects it meets are).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from conv_equivalence import oracle, tolerance
from conv_equivalence.problem import ConvProblem, ConvSpec
from tests.corpus.manifest import CORPUS, FAILING, Member

ROOT = Path(__file__).resolve().parents[1]
DERIVED_ON = (2, 13)
"""The manifest's expectations were derived with torch 2.13: older releases change the members' own
behaviour (no float16 convolution on the CPU before 2.2; F.unfold raises RuntimeError, not
NotImplementedError, for int64 on 2.1), so the verdicts they must get differ there."""


@pytest.fixture(autouse=True)
def _environment(request: pytest.FixtureRequest) -> None:
    from conv_equivalence.backends.torch_issues import torch_version

    if torch_version() < DERIVED_ON:
        pytest.skip(f"the corpus verdicts are derived on torch >= {DERIVED_ON[0]}.{DERIVED_ON[1]}; this is "
                    f"{'.'.join(map(str, torch_version()))}")
    member = request.node.callspec.params.get("member") if hasattr(request.node, "callspec") else None
    if member is not None and member.convention == "jax":
        pytest.importorskip("jax", reason="the jax member needs jax (the jax extra)")

@pytest.fixture(scope="session")
def c_library(tmp_path_factory: pytest.TempPathFactory) -> str:
    """``tests/corpus/cconv.c`` compiled with the system C compiler (asserts on) into a temp dir."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no C compiler (cc) on PATH")
    out = tmp_path_factory.mktemp("cconv") / "libcconv.so"
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-UNDEBUG", "-o", str(out), str(ROOT / "tests/corpus/cconv.c")],
                   check=True, capture_output=True, timeout=120)
    return str(out)


def member_env(member: Member, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {**os.environ, "CI": "true", "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    if member.needs_c_library:
        env["CCONV_LIB"] = request.getfixturevalue("c_library")
    return env


def run_check(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``conv-equivalence ARGS`` in its own session; on a timeout every process of it is killed and the test fails."""
    command = [sys.executable, "-m", "conv_equivalence.cli", *args]
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          stdin=subprocess.DEVNULL, start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"{' '.join(command)} ran past {timeout:g}s")
    return subprocess.CompletedProcess(command, proc.returncode, out, err)


# --- the check's verdict --------------------------------------------------------------------------

@pytest.mark.parametrize("member", CORPUS, ids=lambda m: m.name)
def test_check_verdict(member: Member, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    report = tmp_path / "verdict.json"
    proc = run_check(member.command(str(report)), tmp_path, member_env(member, request))
    context = f"{' '.join(member.command(str(report)))}\nexit {proc.returncode}\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    assert report.exists(), f"no JSON report was written\n{context}"
    data = json.loads(report.read_text())
    got = {facet["name"]: facet for facet in data["facets"]}
    wrong = []
    for name, expect in member.expected.items():
        status = got[name]["status"] if name in got else "skipped"
        if status != expect.status:
            wrong.append(f"{name}: expected {expect.status} ({expect.reason or 'no defect'}), got {status}")
    for name in member.declines_in:
        if not got.get(name, {}).get("declined"):
            wrong.append(f"{name}: expected some declined examples, got {got.get(name, {}).get('declined')}")
    assert not wrong, "\n".join(wrong) + "\n" + context
    assert proc.returncode == member.exit_code, context
    assert data["verdict"] == ("fail" if member.exit_code else "pass"), context


# --- direct calls on hand-made examples -----------------------------------------------------------

def _values(rng: np.random.Generator, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """Non-zero small integers (exact in every dtype), complex parts for complex dtypes."""
    def draw() -> np.ndarray:
        return rng.choice([-4, -3, -2, -1, 1, 2, 3, 4], size=shape)
    if dtype.startswith("complex"):
        return draw() + 1j * draw()
    return draw().astype(np.int64 if dtype == "int64" else np.float64)


def facet_example(facet: str, member: Member) -> ConvProblem:
    """One example of ``facet``: non-square, two channels, an even, non-square kernel, batch 2."""
    rng = np.random.default_rng(sum(map(ord, facet)))
    dtype = facet.partition(":")[2] if facet.startswith("dtype:") else "float64"
    layout = facet.partition(":")[2] if facet.startswith("layout:") else "contiguous"
    equal = "--equal-per-axis" in member.options
    batch, c_in, c_out, groups = (0 if facet == "empty-batch" else 2), 2, 3, 1
    spatial, kernel = (6, 9), (2, 3)  # output 5x7
    kw: dict[str, object] = {}
    if facet == "stride":
        kw["stride"] = (2, 2)
    elif facet in ("padding", "nonfinite"):  # nonfinite: its inf weight meets the zero padding (NaN in torch)
        kw["padding"] = (2, 2) if equal else (1, 2)
    elif facet == "padding-strings":
        kw["padding"] = "same"
    elif facet == "dilation":
        kw["dilation"] = (2, 2)
    elif facet == "padding-mode":
        kw.update(padding=(1, 2), padding_mode="reflect")
    elif facet == "groups":
        c_in, c_out, groups = 4, 4, 2
    elif facet == "large":
        batch, c_in, c_out, spatial, kernel = 1, 3, 4, (40, 37), (3, 2)
    elif facet == "output-padding":
        kw.update(stride=(2, 2), output_padding=(1, 1))
    elif facet == "nonfinite-crossed":  # NaN/inf with groups, stride, padding and dilation
        c_in, c_out, groups = 4, 4, 2
        kw.update(stride=(2, 2), padding=(2, 2) if equal else (1, 2), dilation=(1, 1) if equal else (1, 2))
    elif facet == "combined":  # everything at once: groups, stride, padding, dilation, bias, NaN/inf, channels-last
        c_in, c_out, groups, layout = 4, 4, 2, "channels_last"
        kw.update(stride=(2, 2), padding=(1, 1) if equal else (1, 2), dilation=(1, 1) if equal else (1, 2))
    if member.transposed:
        if facet == "padding":
            kw["padding"] = (1, 1)
        spec = ConvSpec.create(2, groups=groups, transposed=True, **kw)  # type: ignore[arg-type]
        w_shape = (c_in, c_out // groups, *kernel)
    else:
        spec = ConvSpec.create(2, groups=groups, **kw)  # type: ignore[arg-type]
        w_shape = (c_out, c_in // groups, *kernel)
    x = _values(rng, (batch, c_in, *spatial), dtype)
    w = _values(rng, w_shape, dtype)
    bias = _values(rng, (c_out,), dtype) if facet in ("bias", "combined") or "--bias-always" in member.options else None
    if facet in ("nonfinite", "nonfinite-crossed", "combined"):
        x[0, 0, 1, 1], x[1, 1, 2, 3], x[0, 1, 3, 0] = np.inf, np.nan, -np.inf
        w[0, 0, 0, 1] = np.inf
    return ConvProblem(spec, x, w, bias, dtype=dtype, layout=layout)


def _numpy_array(carrier: np.ndarray, dtype: str, layout: str) -> np.ndarray:
    a = carrier.astype(dtype)
    if layout == "channels_last" and a.ndim == 4:
        return np.ascontiguousarray(a.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    if layout == "strided" and a.size:
        big = np.zeros((*a.shape[:-1], 2 * a.shape[-1]), dtype=a.dtype)
        big[..., ::2] = a
        return big[..., ::2]
    return a


def _load(member: Member):  # type: ignore[no-untyped-def]
    module = importlib.import_module(f"tests.corpus.{member.path.stem}")
    return getattr(module, member.attr)


def call(member: Member, problem: ConvProblem) -> tuple[np.ndarray, str]:
    """The member's result for ``problem`` in its own convention, as NumPy, and the dtype it returned."""
    fn = _load(member)
    s = problem.spec
    args = (s.stride, s.padding, s.output_padding, s.groups, s.dilation) if s.transposed else \
        (s.stride, s.padding, s.dilation, s.groups)
    if member.convention in (None, "layer"):
        from conv_equivalence.backends.pytorch import problem_tensors, to_numpy
        x, w, b = problem_tensors(problem, "cpu")
        if member.convention == "layer":
            layer = fn(w.shape[1] * s.groups, w.shape[0], tuple(w.shape[2:]), stride=s.stride, padding=s.padding,
                       dilation=s.dilation, groups=s.groups, bias=b is not None, padding_mode=s.padding_mode).to(w.dtype)
            layer.load_state_dict({"weight": w, **({"bias": b} if b is not None else {})})
            out = layer(x)
        else:
            out = fn(x, w, b, *args)
        return to_numpy(out.detach()), str(out.dtype).removeprefix("torch.")
    if member.convention == "jax":
        return _call_jax(fn, problem, args)
    x, w = (_numpy_array(a, problem.dtype, problem.layout) for a in (problem.x, problem.weight))
    b = None if problem.bias is None else problem.bias.astype(problem.dtype)
    if member.convention == "numpy":
        out = np.asarray(fn(x, w, b, *args))
    elif member.convention == "nhwc-hwio":
        out = np.asarray(fn(x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), b, *args)).transpose(0, 3, 1, 2)
    else:
        raise AssertionError(f"no direct call for convention {member.convention!r}")
    return out, str(out.dtype)


def _call_jax(fn, problem: ConvProblem, args: tuple[object, ...]) -> tuple[np.ndarray, str]:  # type: ignore[no-untyped-def]
    import jax.numpy as jnp

    arrays = [None if a is None else jnp.asarray(a, dtype=jnp.dtype(problem.dtype)) for a in (problem.x, problem.weight, problem.bias)]
    out = fn(*arrays, *args)
    dtype = str(out.dtype)
    return np.asarray(out.astype(jnp.float32) if dtype == "bfloat16" else out), dtype


def outcome(member: Member, problem: ConvProblem) -> str:
    """``agrees``, ``differs`` (wrong value, shape or dtype, or any exception but a decline) or ``declines``."""
    try:
        got, dtype = call(member, problem)
    except NotImplementedError:
        return "declines"
    except Exception:  # noqa: BLE001 - an exception is a discrepancy, as in the check
        return "differs"
    if dtype != problem.dtype or got.shape != problem.output_shape:
        return "differs"
    fft = "fft" in member.options
    bound = tolerance.fft_bound_for(problem) if fft else tolerance.bound_for(problem)
    try:
        return "agrees" if tolerance.compare(got, oracle.solve(problem), bound) is None else "differs"
    except AssertionError:
        return "differs"


CRASH_SCRIPT = textwrap.dedent("""
    import importlib, sys
    import numpy as np
    fn = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])
    data = np.load(sys.argv[3], allow_pickle=False)
    fn(data["x"], data["w"], None, tuple(data["stride"]), tuple(data["padding"]), tuple(data["dilation"]), 1)
""")


def crashes(member: Member, problem: ConvProblem, env: dict[str, str], tmp_path: Path) -> int:
    """The exit status of a fresh interpreter that calls the member on ``problem`` (negative: a signal)."""
    s = problem.spec
    arrays = tmp_path / "problem.npz"
    np.savez(arrays, x=problem.x, w=problem.weight, stride=s.stride, padding=s.padding, dilation=s.dilation)
    proc = subprocess.run([sys.executable, "-c", CRASH_SCRIPT, f"tests.corpus.{member.path.stem}", member.attr, str(arrays)],
                          cwd=ROOT, env=env, capture_output=True, timeout=120)
    return proc.returncode


def _combined_only(member: Member) -> bool:
    """Whether ``combined`` is the only facet that can fail (so its direct example must show it)."""
    return not any(e.status in FAILING for f, e in member.expected.items() if f != "combined")


DIRECT = {"pass": "agrees", "fail": "differs", "explained": "differs", "declined": "declines"}
CASES = [
    pytest.param(member, facet, id=f"{member.name}-{facet}")
    for member in CORPUS for facet, expect in member.expected.items()
    if expect.status in (*DIRECT, "crash") and (facet != "combined" or _combined_only(member)) and facet != "grad"
]


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")  # the C wrapper drops imaginary parts
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN/inf met in the members' own arithmetic
@pytest.mark.filterwarnings("ignore:Complex modules:UserWarning")  # torch on complex layers (ws_conv members)
@pytest.mark.parametrize(("member", "facet"), CASES)
def test_member_on_facet_example(member: Member, facet: str, tmp_path: Path, request: pytest.FixtureRequest,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    expect = member.expected[facet]
    problem = facet_example(facet, member)
    if expect.status == "crash" or (expect.status == "explained" and any(e.status == "crash" for e in member.expected.values())):
        # an explained facet of a member that crashes elsewhere may meet the crash (c_conv: padding >= kernel)
        code = crashes(member, problem, member_env(member, request), tmp_path)
        if expect.status == "crash" or code < 0:
            assert code < 0, expect.reason
            return
    if member.needs_c_library:
        monkeypatch.setenv("CCONV_LIB", request.getfixturevalue("c_library"))
    # a facet that passes with some examples declined may decline this one (autograd_function: groups=2)
    # (shift_add: stride 2 is declined, and the stride facet with it, while stride 1 agrees)
    wanted = {DIRECT[expect.status], "declines", "agrees"} if facet in member.declines_in else {DIRECT[expect.status]}
    assert outcome(member, problem) in wanted, f"{facet}: {expect.status} because {expect.reason or 'no defect'}"


@pytest.mark.parametrize("member", [m for m in CORPUS if "stride" in m.declines_in], ids=lambda m: m.name)
def test_member_declines_unequal_strides(member: Member) -> None:
    """The facets that must report declined examples: an unequal per-axis stride is declined, an equal one is not."""
    base = facet_example("stride", member)
    assert outcome(member, base) == "agrees"
    assert outcome(member, base.replace(spec=base.spec.replace(stride=(2, 3)))) == "declines"


def test_manifest_is_consistent() -> None:
    """Every member's file and callable exist, and its expectations name every facet once."""
    for member in CORPUS:
        assert member.path.is_file(), member.path
        assert member.inspiration, f"{member.name}: cite what it was written after"
        failing = [f for f, e in member.expected.items() if e.status in FAILING]
        explained = [f for f, e in member.expected.items() if e.status == "explained"]
        assert not explained or failing, f"{member.name}: 'explained' needs a facet that fails"
    assert sum(not any(e.status != "pass" for e in m.expected.values()) for m in CORPUS) >= 1, "a correct member"


@pytest.mark.parametrize(("stride", "dilation", "right"), [((1, 1), (1, 1), True), ((2, 2), (2, 2), True),
                                                            ((1, 2), (1, 1), False), ((1, 3), (1, 1), False)])
def test_autograd_member_weight_gradient_is_right_only_where_stride_is_dilation(
        stride: tuple[int, int], dilation: tuple[int, int], right: bool) -> None:
    """The autograd member's input gradient is right; its weight gradient only where stride and dilation agree."""
    import torch

    from conv_equivalence.adjoint import vjp

    member = next(m for m in CORPUS if m.name == "autograd_function")
    rng = np.random.default_rng(0)
    problem = ConvProblem(ConvSpec.create(2, stride=stride, dilation=dilation), _values(rng, (2, 2, 7, 9), "float64"),
                          _values(rng, (3, 2, 2, 3), "float64"))
    cotangent = _values(rng, problem.output_shape, "float64")
    x, w = (torch.from_numpy(a).requires_grad_() for a in (problem.x, problem.weight))
    out = _load(member)(x, w, None, stride, 0, dilation, 1)
    try:
        grad_x, grad_w = torch.autograd.grad(out, [x, w], torch.from_numpy(cotangent))
    except RuntimeError:  # a shape error inside the backward: wrong too
        assert not right
        return
    want = vjp(problem, cotangent)
    np.testing.assert_array_equal(grad_x.numpy(), want.x)
    assert np.array_equal(grad_w.numpy(), want.weight) == right
