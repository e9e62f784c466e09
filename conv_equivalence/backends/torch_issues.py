"""torch's known issues: verified defects of its CPU convolutions, each with the smallest problem that shows it.

Most live in oneDNN's CPU kernels, where IEEE arithmetic on non-finite values depends on which
kernel a shape selects: a padded zero left out of the sum (``inf * 0`` never formed), a product
with a sample beyond the input formed (a phantom ``inf * 0``), infinities combined into NaN.
The definition (`conv_equivalence.oracle`) decides: each output is the sum of exactly the products
``x[i] * w[k]`` its window holds, with torch's zero padding multiplied like any sample; torch's own
float64 path, and float32 with ``torch.backends.mkldnn`` disabled, agree with it on every example here.
"""

from __future__ import annotations

import importlib.metadata
import os

import numpy as np

from conv_equivalence.backends import KnownIssue, cpu_reason
from conv_equivalence.problem import ConvProblem, ConvSpec


def torch_version() -> tuple[int, int]:
    """torch's (major, minor), read without importing it."""
    try:
        major, minor = importlib.metadata.version("torch").split(".")[:2]
        return int(major), int(minor)
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return (0, 0)


def _bf16_nonfinite(problem: ConvProblem) -> bool:
    return problem.dtype == "bfloat16" and not np.isfinite(problem.x).all()


def _bf16_nonfinite_weight(problem: ConvProblem) -> bool:
    return problem.dtype == "bfloat16" and not np.isfinite(problem.weight).all()


def _nan_spread_example() -> ConvProblem:
    x = np.array([[[0.0, 0.0, 0.0, 0.0, np.nan, 0.0, 0.0, 0.0]]])
    return ConvProblem(ConvSpec.create(1), x, np.ones((1, 1, 2)), dtype="bfloat16")


def _nan_spread_transposed_example() -> ConvProblem:
    x = np.array([[[0.0, 0.0, 0.0]], [[0.0, np.nan, 0.0]]])
    spec = ConvSpec.create(1, stride=2, transposed=True)
    return ConvProblem(spec, x, np.ones((1, 1, 2)), dtype="bfloat16")


ONEDNN_BF16_ISA = "AVX512_CORE_BF16"


def avx512_bf16_reason() -> str | None:
    """``None`` where oneDNN runs its AVX-512 bfloat16 convolution kernels (the bfloat16 issues below live
    there): a CPU with AVX-512 and without AMX, or AMX turned off by ``ONEDNN_MAX_CPU_ISA``. Seen on an
    AMD EPYC with AVX-512; an Intel Xeon with ``amx_bf16`` runs AMX kernels that are right, and shows
    every one of these issues with ``ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16`` (checked 2026-12-06)."""
    reason = cpu_reason("avx512f")
    if reason is not None:
        return reason
    capped = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if cpu_reason("amx_bf16") is None and capped in ("", "ALL", "AVX512_CORE_AMX", "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX",
                                                     "AVX10_1_512_AMX_FP16"):
        return (f"seen only where oneDNN runs its AVX-512 bfloat16 kernels: this CPU has amx_bf16, whose AMX kernels "
                f"are right (ONEDNN_MAX_CPU_ISA={ONEDNN_BF16_ISA} shows it here)")
    return None


BF16_NAN_SPREAD = KnownIssue(
    "torch-cpu-bfloat16-nan-spread",
    "torch's CPU (oneDNN) bfloat16 convolution mishandles non-finite input: a NaN spreads to outputs "
    "whose window does not contain it (conv1d([0,0,0,0,nan,0,0,0], [1,1]) is NaN at 2, 3 and 4, not only "
    "at 3 and 4), and inf + inf gives NaN (conv1d([inf, inf], [1, 1]) is NaN, not inf)",
    _bf16_nonfinite,
    _nan_spread_example,
    condition=avx512_bf16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.tensor([[[0.0, 0.0, 0.0, 0.0, float("nan"), 0.0, 0.0, 0.0]]], dtype=torch.bfloat16)
    w = torch.ones((1, 1, 2), dtype=torch.bfloat16)
    # out[i] = x[i] + x[i + 1]: NaN where the window holds x[4], at 3 and 4 only
    expected = np.array([[[0.0, 0.0, 0.0, np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv1d(x, w).float().numpy()
    """,
    reported=('not found; related open reports: pytorch#157237 (extra NaNs in Conv1d depending on batch size), '
              'pytorch#163347 (wrong bfloat16 Conv through oneDNN on AMD CPUs) (searched 2026-11-25)'),
)
BF16_NAN_SPREAD_TRANSPOSED = KnownIssue(
    "torch-cpu-bfloat16-nan-spread-transposed",
    "torch's CPU bfloat16 conv_transpose spreads a NaN across the output: with batch 2, "
    "conv_transpose1d([0,nan,0], [1,1], stride=2) gives NaN at 0 to 3, not only at 2 and 3",
    _bf16_nonfinite,
    _nan_spread_transposed_example,
    condition=avx512_bf16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.tensor([[[0.0, 0.0, 0.0]], [[0.0, float("nan"), 0.0]]], dtype=torch.bfloat16)
    w = torch.ones((1, 1, 2), dtype=torch.bfloat16)
    # out[2 i + j] += x[i] w[j]: x[1] reaches outputs 2 and 3 only
    expected = np.array([[[0.0, 0.0, 0.0, 0.0, 0.0, 0.0]], [[0.0, 0.0, np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv_transpose1d(x, w, stride=2).float().numpy()
    """,
    reported='not found; related open reports: pytorch#157237, pytorch#163347 (searched 2026-11-25)',
)

def _phantom_example() -> ConvProblem:
    spec = ConvSpec.create(1, stride=3, output_padding=2, transposed=True)
    return ConvProblem(spec, np.zeros((2, 1, 1)), np.full((1, 1, 2), np.nan), dtype="float32")


OUTPUT_PADDING_PHANTOM = KnownIssue(
    "torch-cpu-float32-transpose-phantom-sample-nan",
    "torch's CPU float32 conv_transpose with a batch of more than one and a non-finite weight puts NaN where "
    "only output_padding reaches, as if a sample beyond the input were multiplied: conv_transpose1d(zeros(2,1,1), "
    "[[[nan, nan]]], stride=3, output_padding=2) is [nan, nan, 0, nan] per item, not [nan, nan, 0, 0]; the same "
    "where a kernel longer than the stride overhangs the last sample: conv_transpose1d(ones(2,1,1), [[[inf, 1, 1]]], "
    "stride=2) is [inf, 1, nan], not [inf, 1, 1] (float64, float16 and batch 1 are right)",
    lambda problem: (problem.dtype == "float32" and problem.spec.transposed and problem.x.shape[0] > 1
                     and not np.isfinite(problem.weight).all()),
    _phantom_example,
    verified_with="torch==2.13.0",
    # verified absent on torch 2.1.2 (the oldest supported); the releases between were not tried
    condition=lambda: None if torch_version() >= (2, 13) else
    f"seen on torch 2.13.0, absent on 2.1.2; this is {'.'.join(map(str, torch_version()))}",
    script="""
    x = torch.zeros((2, 1, 1), dtype=torch.float32)
    w = torch.full((1, 1, 2), float("nan"), dtype=torch.float32)
    # out[3 i + j] += x[i] w[j]: the only sample (i = 0) reaches outputs 0 and 1; 2 and 3 are output_padding
    expected = np.array([[[np.nan, np.nan, 0.0, 0.0]], [[np.nan, np.nan, 0.0, 0.0]]])
    actual = torch.nn.functional.conv_transpose1d(x, w, stride=3, output_padding=2).numpy()
    """,
    reported="not found in the tracker (searched 2026-11-25)",
)


def _batched_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=1), np.ones((2, 1, 1)), np.array([[[np.inf, 1.0]]]), dtype="float32")


BATCHED_SKIPS_PADDING = KnownIssue(
    "torch-cpu-float32-batched-skips-zero-padding",
    "torch's CPU float32 convolution of a batch of more than one leaves the zero padding out of its sums, so a "
    "NaN or inf weight over the padding gives a finite value where torch's definition multiplies the padded zero "
    "(NaN): conv1d(ones(2,1,1), [[[inf, 1]]], padding=1) is [1, inf] per item, not [nan, inf] (batch 1, float64, "
    "float16 and torch.backends.mkldnn disabled are right; seen on torch 2.1.2, 2.13.0 and 2.14.1 on a CPU with "
    "AVX-512)",
    lambda problem: _float32_nonfinite_weight_over_padding(problem) and problem.x.shape[0] > 1,
    _batched_padding_example,
    condition=lambda: cpu_reason("avx512f"),  # measured on AVX-512 only; the AMD EPYC without it not tried
    verified_with="torch==2.13.0",
    script="""
    x = torch.ones((2, 1, 1), dtype=torch.float32)
    w = torch.tensor([[[float("inf"), 1.0]]], dtype=torch.float32)
    # out[o] = w[0] xp[o] + w[1] xp[o + 1] over the zero-padded xp = [0, 1, 0]: inf * 0 + 1 * 1 is NaN at 0
    expected = np.array([[[np.nan, np.inf]], [[np.nan, np.inf]]])
    actual = torch.nn.functional.conv1d(x, w, padding=1).numpy()
    """,
    reported="not found in the tracker (searched 2026-12-04)",
)


def _bf16_weight_example() -> ConvProblem:
    weight = np.ones((4, 1, 1))
    weight[3] = np.inf
    return ConvProblem(ConvSpec.create(1, groups=2), np.ones((1, 2, 2)), weight, dtype="bfloat16")


BF16_NONFINITE_WEIGHT = KnownIssue(
    "torch-cpu-bfloat16-nonfinite-weight",
    "torch's CPU (oneDNN) bfloat16 convolution mishandles a NaN or inf weight: a product inf * 1 comes out NaN "
    "(conv1d(ones(1,2,2), w, groups=2) with w = [1,1,1,inf] gives NaN in channel 3, not inf), and padded zeros "
    "are left out of the sum (float32 with torch.backends.mkldnn disabled, float16 and float64 are right; torch "
    "2.1.2, 2.13.0 and 2.14.1)",
    _bf16_nonfinite_weight,
    _bf16_weight_example,
    condition=avx512_bf16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.ones((1, 2, 2), dtype=torch.bfloat16)
    w = torch.tensor([1.0, 1.0, 1.0, float("inf")], dtype=torch.bfloat16).reshape(4, 1, 1)
    # groups=2: out[o] = w[o] x[o // 2], so channel 3 is inf * 1 = inf at both positions
    expected = np.array([[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [np.inf, np.inf]]])
    actual = torch.nn.functional.conv1d(x, w, groups=2).float().numpy()
    """,
    reported="not found; related open reports: pytorch#157237, pytorch#163347 (searched 2026-12-04)",
)


def _bf16_weight_transposed_example() -> ConvProblem:
    weight = np.ones((2, 2, 1))
    weight[1, 1] = np.inf
    return ConvProblem(ConvSpec.create(1, groups=2, transposed=True), np.ones((1, 2, 2)), weight, dtype="bfloat16")


BF16_NONFINITE_WEIGHT_TRANSPOSED = KnownIssue(
    "torch-cpu-bfloat16-nonfinite-weight-transposed",
    "torch's CPU (oneDNN) bfloat16 conv_transpose mishandles a NaN or inf weight: a product inf * 1 comes out NaN "
    "(conv_transpose1d(ones(1,2,2), w, groups=2) with w[1, 1] = inf, every other weight 1, gives NaN in channel 3, "
    "not inf), and samples beyond the input are multiplied (float32 with torch.backends.mkldnn disabled, float16 "
    "and float64 are right; torch 2.1.2, 2.13.0 and 2.14.1)",
    _bf16_nonfinite_weight,
    _bf16_weight_transposed_example,
    condition=avx512_bf16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.ones((1, 2, 2), dtype=torch.bfloat16)
    w = torch.tensor([[[1.0], [1.0]], [[1.0], [float("inf")]]], dtype=torch.bfloat16)
    # groups=2: out[2 g + j] = w[g, j] x[g], so channel 3 is inf * 1 = inf at both positions
    expected = np.array([[[1.0, 1.0], [1.0, 1.0], [1.0, 1.0], [np.inf, np.inf]]])
    actual = torch.nn.functional.conv_transpose1d(x, w, groups=2).float().numpy()
    """,
    reported="not found; related open reports: pytorch#157237, pytorch#163347 (searched 2026-12-04)",
)


def _zero_channels_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(2), np.zeros((2, 0, 5, 5)), np.zeros((3, 0, 2, 2)), np.ones(3))


ZERO_INPUT_CHANNELS = KnownIssue(
    "torch-zero-input-channels-drop-output-channels",
    "With zero input channels the sum over channels is empty, so every output is the bias; torch's conv returns "
    "no output channels at all instead: F.conv2d(zeros(2,0,5,5), zeros(3,0,2,2), bias=ones(3)) has shape "
    "(2, 0, 4, 4), not (2, 3, 4, 4) of ones (context: pytorch#56998, PR #66256, where weight and bias "
    "gradients were asked to exist for such inputs)",
    lambda problem: problem.x.shape[1] == 0,
    _zero_channels_example,
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((2, 0, 5, 5), dtype=torch.float64)
    w = torch.zeros((3, 0, 2, 2), dtype=torch.float64)
    b = torch.ones(3, dtype=torch.float64)
    # out[n, o] = b[o] + (a sum over zero input channels, which is 0): shape (2, 3, 4, 4), all ones
    expected = np.ones((2, 3, 4, 4))
    actual = attempt(lambda: torch.nn.functional.conv2d(x, w, b).numpy())
    """,
    reported='not found as such; context: pytorch#56998 (zero-channel layers, with #58984 closed as its duplicate) and PR 66256 (searched 2026-11-25)',
)


def _nonfinite_weight_over_padding(problem: ConvProblem) -> bool:
    return problem.zero_padded and not np.isfinite(problem.weight).all()


def _float32_nonfinite_weight_over_padding(problem: ConvProblem) -> bool:
    return problem.dtype == "float32" and _nonfinite_weight_over_padding(problem)


def _depthwise_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=1, groups=2), np.zeros((1, 2, 1)),
                       np.array([[[1.0, 1.0]], [[1.0, np.nan]]]), dtype="float32")


DEPTHWISE_SKIPS_PADDING = KnownIssue(
    "torch-cpu-float32-depthwise-skips-zero-padding",
    "torch's CPU float32 depthwise convolution (oneDNN; one output channel per input channel) leaves the zero "
    "padding out of its sums, so a NaN or inf weight over the padding gives a finite value where torch's own "
    "definition multiplies the padded zero (NaN): conv1d(zeros(1,2,1), [[[1,1]],[[1,nan]]], padding=1, groups=2) "
    "is [[0,0],[nan,0]], not [[0,0],[nan,nan]] (float64, float16, bfloat16, torch.backends.mkldnn disabled, "
    "channel multipliers above 1 and ungrouped convolutions of batch 1 are right; seen on torch 2.1.2, 2.13.0 and 2.14.1)",
    lambda problem: (_float32_nonfinite_weight_over_padding(problem) and problem.spec.groups > 1
                     and problem.x.shape[1] == problem.spec.groups == problem.weight.shape[0]),
    _depthwise_padding_example,
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((1, 2, 1), dtype=torch.float32)
    w = torch.tensor([[[1.0, 1.0]], [[1.0, float("nan")]]], dtype=torch.float32)
    # out[c, o] = w[c, 0] xp[c, o] + w[c, 1] xp[c, o + 1] over the zero-padded xp = [0, 0, 0]: nan * 0 is NaN
    expected = np.array([[[0.0, 0.0], [np.nan, np.nan]]])
    actual = torch.nn.functional.conv1d(x, w, padding=1, groups=2).numpy()
    """,
    reported="not found in the tracker; pytorch#121715 (a depthwise conv2d giving NaN from finite input) is another "
             "defect (searched 2026-11-25)",
)


def avx512_fp16_reason() -> str | None:
    """``None`` where oneDNN runs its AVX-512 float16 convolution kernels (``avx512_fp16``, Sapphire Rapids and
    later, unless ``ONEDNN_MAX_CPU_ISA`` caps it below AVX512_CORE_FP16)."""
    reason = cpu_reason("avx512_fp16")
    capped = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if reason is None and capped and not (capped == "ALL" or "FP16" in capped or "AMX" in capped or "AVX10" in capped):
        return f"oneDNN is capped at {capped}, below its AVX-512 float16 kernels"
    return reason


def _float16_short_axis_crash(problem: ConvProblem) -> bool:
    s = problem.spec
    if s.transposed or problem.dtype != "float16" or problem.x.shape[0] < 2:
        return False
    pads = s.pads(problem.weight.shape[2:])
    return any(n == 1 and st >= 2 and (pl or pr) for n, st, (pl, pr) in zip(problem.x.shape[2:], s.stride, pads))


def _float16_crash_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, stride=2, padding=1, dilation=2), np.zeros((2, 1, 1)), np.zeros((1, 1, 1)),
                       dtype="float16")


FLOAT16_SHORT_AXIS_CRASH = KnownIssue(
    "torch-cpu-float16-short-axis-segfault",
    "torch's CPU float16 convolution (oneDNN's AVX-512 float16 kernels) kills the process with a segmentation fault "
    "on a batch of two or more whose input has length 1 on an axis with stride 2 and padding: conv1d(zeros(2,1,1), "
    "zeros(1,1,1), stride=2, padding=1, dilation=2) (batch 1, float32, bfloat16, dilation 1 and a kernel of 2 taps "
    "return; so does the same call with ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16). The generated problems leave out every "
    "float16 problem with a length-1 axis, stride 2 or more and padding, batch two or more",
    _float16_short_axis_crash,
    _float16_crash_example,
    condition=avx512_fp16_reason,
    verified_with="torch==2.13.0",
    crashes=True,
    script="""
    import subprocess
    call = ("import torch; x = torch.zeros((2, 1, 1), dtype=torch.float16); w = torch.zeros((1, 1, 1), dtype=torch.float16); "
            "print(torch.nn.functional.conv1d(x, w, None, 2, 1, 2, 1).float().tolist())")
    child = subprocess.run([sys.executable, "-c", call], capture_output=True, text=True)  # the crash, in a child
    expected = "exit 0: [[[0.0, 0.0]], [[0.0, 0.0]]]"
    actual = f"exit {child.returncode}: {child.stdout.strip()}"
    """,
    reported="not found; the same corner (a length-1 input, stride 2, padding, an output of 2 read from padding) "
             "crashes oneDNN's BRGEMM kernels in float32 in oneDNN#5942 / pytorch#195394 (searched 2026-12-06)",
)


def amx_bf16_reason() -> str | None:
    """``None`` where oneDNN runs its AMX bfloat16 convolution kernels (``amx_bf16``, unless ``ONEDNN_MAX_CPU_ISA``
    caps it below AMX)."""
    reason = cpu_reason("amx_bf16")
    capped = os.environ.get("ONEDNN_MAX_CPU_ISA", "").upper()
    if reason is None and capped and not (capped == "ALL" or "AMX" in capped):
        return f"oneDNN is capped at {capped}, below its AMX kernels"
    return reason


def _bf16_amx_strided(problem: ConvProblem) -> bool:
    s = problem.spec
    return problem.dtype == "bfloat16" and not s.transposed and (s.ndim == 3 or (s.ndim == 2 and any(v > 1 for v in s.stride)))


def _bf16_amx_strided_example() -> ConvProblem:
    spec = ConvSpec.create(2, stride=(1, 3), padding=(1, 0), dilation=(1, 2))
    return ConvProblem(spec, np.ones((2, 1, 6, 6)), np.ones((2, 1, 2, 3)), dtype="bfloat16")


BF16_AMX_STRIDED = KnownIssue(
    "torch-cpu-bfloat16-amx-strided-wrong-values",
    "torch's CPU bfloat16 convolution through oneDNN's AMX kernels (a CPU with amx_bf16) gives wrong values, rows of "
    "zeros among them, on some strided 2-D and 3-D problems: conv2d(ones(2,1,6,6), ones(2,1,2,3), stride=(1,3), "
    "padding=(1,0), dilation=(1,2)) is [3,6,6,0,0,0,0] down the first column, not [3,6,6,6,6,6,3] (exact in bfloat16; "
    "ONEDNN_MAX_CPU_ISA=AVX512_CORE_BF16 and float32 are right). In a scan of 1,500 small integer problems it hit "
    "12 of 857 strided 2-D and 3-D ones and none of 643 without stride or in 1-D; a second scan hit 19 of 1,080 "
    "unstrided padded 3-D ones (none with the ISA capped), some with values from uninitialised memory (1.4e+31 "
    "from zeros), and none of 1,227 unstrided 2-D ones. The generated problems leave out every 3-D and every "
    "strided 2-D bfloat16 convolution on such a CPU",
    _bf16_amx_strided,
    _bf16_amx_strided_example,
    condition=amx_bf16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.ones((2, 1, 6, 6), dtype=torch.bfloat16)
    w = torch.ones((2, 1, 2, 3), dtype=torch.bfloat16)
    # out[i, j] sums the 2x3 window rows i-1..i (padded by one row each side), columns 3j + 0, 2, 4
    expected = np.array([3.0, 6.0, 6.0, 6.0, 6.0, 6.0, 3.0])
    actual = torch.nn.functional.conv2d(x, w, None, (1, 3), (1, 0), (1, 2)).float()[0, 0, :, 0].numpy()
    """,
    reported=("likely pytorch#169688 (open: stride-3 bfloat16 CPU convolutions incorrect); the root cause fixed in "
              "oneDNN#5494 / #5568 (AMX brgemm convolution overwrote its input when a stride exceeds the kernel), "
              "after the oneDNN torch 2.13.0 ships (searched 2026-12-06)"),
)


def _half_kernels(dtype: str) -> bool:
    """Whether oneDNN's AMX bfloat16 or AVX-512 FP16 kernels compute this dtype here."""
    return (dtype == "bfloat16" and amx_bf16_reason() is None) or (dtype == "float16" and avx512_fp16_reason() is None)


def _half_padding_example() -> ConvProblem:
    return ConvProblem(ConvSpec.create(1, padding=1), np.zeros((1, 1, 1)), np.array([[[np.nan, 1.0]]]), dtype="float16")


HALF_SKIPS_PADDING = KnownIssue(
    "torch-cpu-half-skips-zero-padding",
    "torch's CPU float16 and bfloat16 convolutions through oneDNN's AVX-512 FP16 and AMX kernels (an Intel Xeon with "
    "avx512_fp16 and amx_bf16) leave the zero padding out of their sums at every batch size and rank, so a NaN or inf "
    "weight over the padding gives a finite value: conv1d(zeros(1,1,1), [[[nan, 1]]], padding=1) is [0, nan], not "
    "[nan, nan] (float64 is right; float32 only with a batch of more than one, the issue above)",
    lambda problem: _half_kernels(problem.dtype) and _nonfinite_weight_over_padding(problem),
    _half_padding_example,
    condition=lambda: None if amx_bf16_reason() is None or avx512_fp16_reason() is None else
    "seen only where oneDNN runs its AMX bfloat16 or AVX-512 FP16 kernels (this CPU has neither amx_bf16 nor avx512_fp16)",
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((1, 1, 1), dtype=torch.float16)
    w = torch.tensor([[[float("nan"), 1.0]]], dtype=torch.float16)
    # out[o] = w[0] xp[o] + w[1] xp[o + 1] over the zero-padded xp = [0, 0, 0]: nan * 0 is NaN at both outputs
    expected = np.array([[[np.nan, np.nan]]])
    actual = torch.nn.functional.conv1d(x, w, padding=1).float().numpy()
    """,
    reported="not found; the float32 batched and depthwise issues above are the same family (searched 2026-12-06)",
)


CONV_ISSUES = (BF16_NAN_SPREAD, BF16_NONFINITE_WEIGHT, ZERO_INPUT_CHANNELS, DEPTHWISE_SKIPS_PADDING, BATCHED_SKIPS_PADDING,
               FLOAT16_SHORT_AXIS_CRASH, BF16_AMX_STRIDED, HALF_SKIPS_PADDING)
def _fp16_transposed_nonfinite(problem: ConvProblem) -> bool:
    return problem.dtype == "float16" and problem.spec.transposed and not (
        np.isfinite(problem.x).all() and np.isfinite(problem.weight).all())


def _fp16_transposed_example() -> ConvProblem:
    weight = np.ones((1, 2, 4, 3))
    weight[0, 1, 3, 2] = np.nan
    return ConvProblem(ConvSpec.create(2, stride=(1, 2), transposed=True), np.zeros((1, 1, 1, 1)), weight, dtype="float16")


FLOAT16_TRANSPOSED_NAN_SPREAD = KnownIssue(
    "torch-cpu-float16-transposed-nan-spread",
    "torch's CPU float16 conv_transpose (oneDNN's AVX-512 FP16 kernels) spreads a NaN weight to an output it does "
    "not reach: conv_transpose2d(zeros(1,1,1,1), w, stride=(1,2)) with w ones(1,2,4,3) and w[0,1,3,2] = NaN gives "
    "[nan, 0, nan] in the last row of channel 1, not [0, 0, nan] (float32 and 1-D are right)",
    _fp16_transposed_nonfinite,
    _fp16_transposed_example,
    condition=avx512_fp16_reason,
    verified_with="torch==2.13.0",
    script="""
    x = torch.zeros((1, 1, 1, 1), dtype=torch.float16)
    w = torch.ones((1, 2, 4, 3), dtype=torch.float16)
    w[0, 1, 3, 2] = float("nan")
    # out[c, i, j] = x[0, 0] w[0, c, i, j]: 0 * 1 = 0, and 0 * NaN = NaN only at (1, 3, 2)
    expected = np.array([0.0, 0.0, np.nan])
    actual = torch.nn.functional.conv_transpose2d(x, w, None, (1, 2)).float()[0, 1, 3].numpy()
    """,
    reported="not found; torch's bfloat16 NaN spread above (pytorch#157237 related) is the same family (searched 2026-12-06)",
)


TRANSPOSE_ISSUES = (BF16_NAN_SPREAD_TRANSPOSED, BF16_NONFINITE_WEIGHT_TRANSPOSED, OUTPUT_PADDING_PHANTOM,
                    FLOAT16_TRANSPOSED_NAN_SPREAD)
"""The issues of torch's ``conv`` and ``conv_transpose`` (functional and layers alike)."""
