"""What `conv-equivalence check` must say about each corpus member, facet by facet.

Each expectation was derived by reading the member's code (the reasons say what in the code
decides it); ``tests/test_corpus.py`` holds the check to them and calls every member directly
on hand-made inputs to confirm the behaviour each reason names. Statuses are the facet
statuses of issue 12: ``pass``, ``fail``, ``crash``, ``timeout``, ``declined`` (every example
raised ``NotImplementedError``), ``skipped`` (left out by an option, or a dtype the calling
convention cannot hold; a facet the check does not report at all counts as skipped) and
``explained`` (it fails only the way a more basic facet already failed).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conv_equivalence.backends.torch_issues import torch_version

HERE = Path(__file__).parent

FACETS = ("plain", "stride", "padding", "padding-strings", "dilation", "groups", "bias",
          "dtype:float32", "dtype:float16", "dtype:bfloat16", "dtype:int64", "dtype:complex64", "dtype:complex128",
          "layout:channels_last", "layout:strided", "empty-batch", "nonfinite", "nonfinite-crossed", "large", "combined")
TRANSPOSED_FACETS = tuple(f for f in FACETS if f != "padding-strings") + ("output-padding",)
EXTRA_FACETS = {"grad": ("grad",), "layer": ("padding-mode", "grad")}
"""Facets a member's expectations name only where asked (``verdict(extra=...)``): the backward, and a
layer's ``padding_mode``."""
STATUSES = ("pass", "fail", "crash", "timeout", "declined", "skipped", "explained")
FAILING = ("fail", "crash", "timeout")

_TORCH = torch_version()

@dataclass(frozen=True)
class Expect:
    """The status a facet must get and, unless ``pass``, what in the code decides it."""

    status: str
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if self.status != "pass" and not self.reason:
            raise ValueError(f"a {self.status!r} expectation needs a reason")


@dataclass(frozen=True)
class Member:
    """One implementation, how to check it, and the verdict it must get."""

    name: str
    file: str
    attr: str
    convention: str | None  # None: torch's functional signature (the default)
    ndim: int
    transposed: bool
    options: tuple[str, ...]
    expected: dict[str, Expect]
    declines_in: tuple[str, ...] = ()  # facets that must report declined > 0 examples
    needs_c_library: bool = False
    inspiration: str = ""

    @property
    def path(self) -> Path:
        return HERE / self.file

    @property
    def target(self) -> str:
        return f"{self.path}:{self.attr}"

    @property
    def exit_code(self) -> int:
        return 1 if any(e.status in FAILING for e in self.expected.values()) else 0

    def command(self, json_path: str) -> list[str]:
        layer = self.convention == "layer"
        args = ["check", *(["--layer"] if layer else []), self.target, "--ndim", str(self.ndim)]
        if self.transposed:
            args.append("--transposed")
        if self.convention and not layer:
            args += ["--convention", self.convention]
        # The manifest states the verdicts on small problems; the real-sizes facet is checked on its own kernels
        # (tests/test_check_realsize.py) and would add its sizes to every member's run.
        return args + list(self.options) + ["--exclude", "real-sizes", "--json", json_path]


def _facet_name(keyword: str) -> str:
    """``dtype_float16`` -> ``dtype:float16``, ``layout_channels_last`` -> ``layout:channels_last``, ``empty_batch`` -> ``empty-batch``."""
    for prefix in ("dtype", "layout"):
        if keyword.startswith(prefix + "_"):
            return f"{prefix}:{keyword[len(prefix) + 1:]}"
    return keyword.replace("_", "-")


def verdict(transposed: bool = False, default: Expect = Expect("pass"), extra: str = "", **overrides: Expect) -> dict[str, Expect]:
    """Every facet's expectation: ``default`` unless named (``dtype_float16=...`` for ``dtype:float16``);
    ``extra`` adds `EXTRA_FACETS` (``grad``, ``layer``)."""
    facets = (TRANSPOSED_FACETS if transposed else FACETS) + EXTRA_FACETS.get(extra, ())
    named = {_facet_name(k): v for k, v in overrides.items()}
    unknown = set(named) - set(facets)
    if unknown:
        raise ValueError(f"unknown facets {sorted(unknown)}")
    return {f: named.get(f, default) for f in facets}


NO_NUMPY_BFLOAT16 = Expect("skipped", "NumPy has no bfloat16: the convention cannot hand one over")
NO_JAX_LAYOUT = Expect("skipped", "JAX arrays have no memory layout to vary")
NHWC_ALREADY = Expect("skipped", "the NHWC convention's arrays are channels-last already")


def _explained(by: str) -> Expect:
    """For ``combined``: every facet is more basic than it, so it is explained by the facets whose defects it meets."""
    return Expect("explained", f"its shrunk counterexample fails only as {by} does")


CORPUS: tuple[Member, ...] = (
    Member(
        "naive_square", "naive_square.py", "conv2d", "numpy", 2, False, (),
        verdict(
            default=_explained("plain (any non-square input)"),
            plain=Expect("fail", "W_out = H_out: on a non-square input (smallest: 1x2 with a 1x1 kernel) the "
                                 "output has the wrong width, or the window cannot broadcast against the weight"),
            padding_strings=Expect("declined", "padding strings raise NotImplementedError before anything else"),
            dtype_bfloat16=NO_NUMPY_BFLOAT16,
        ),
        inspiration="CS231n assignment 2 conv_forward_naive (e.g. Clarence-G/learngit cs231n/assignment2/conv1.py)",
    ),
    Member(
        "im2col_numpy", "im2col_numpy.py", "conv2d", "numpy", 2, False, (),
        verdict(
            nonfinite_crossed=_explained("dilation"),
            padding_strings=Expect("fail", "_pair('same') is a tuple of four characters: `ph, pw = padding` raises ValueError"),
            dilation=Expect("fail", "dilation is never used: the output size and the columns are those of dilation 1"),
            groups=Expect("fail", "w.reshape(F, -1) has C/groups*HH*WW columns against C*HH*WW im2col rows: matmul raises"),
            dtype_bfloat16=NO_NUMPY_BFLOAT16,
            combined=_explained("dilation, groups or padding-strings"),
        ),
        inspiration="wiseodd/hipsternet im2col.py get_im2col_indices (copied e.g. in motmaytinh/ML_181)",
    ),
    Member(
        "unfold_matmul", "unfold_matmul.py", "conv2d", None, 2, False, (),
        verdict(
            nonfinite_crossed=_explained("groups"),
            padding_strings=Expect("fail", "'same' pads d*(k-1)//2 on both sides: one sample short for an even dilated kernel"),
            groups=Expect("fail", "weight.view(F, -1) has C/groups*KH*KW columns against C*KH*KW unfold rows: matmul raises"),
            dtype_int64=Expect("declined", "torch's F.unfold raises NotImplementedError for int64 "
                                           "(\"im2col_out_cpu\" not implemented for 'Long'), which declines the example"),
            layout_channels_last=Expect("fail", "weight.view(F, -1) raises on a channels-last weight with 2+ input channels"),
            combined=_explained("groups, padding-strings or layout:channels_last"),
        ),
        inspiration="torch.nn.Unfold docstring example (unfold + matmul + view)",
    ),
    Member(
        "unfold_matmul_transpose", "unfold_matmul_transpose.py", "conv_transpose2d", None, 2, True, (),
        verdict(
            nonfinite_crossed=_explained("groups"),
            transposed=True,
            groups=Expect("fail", "weight.view(C_in, -1) makes C_out/groups output channels, not C_out"),
            output_padding=Expect("fail", "output_padding is never used: the output is output_padding samples short"),
            dtype_int64=Expect("declined", "torch's F.fold raises NotImplementedError for int64 "
                                           "(\"col2im_out_cpu\" not implemented for 'Long'), which declines the example"),
            layout_channels_last=Expect("fail", "weight.view(C_in, -1) raises on a channels-last weight with 2+ output channels"),
            combined=_explained("groups, output-padding or layout:channels_last"),
        ),
        inspiration="torch.nn.Fold documentation; col2im-based transposed convolutions of NumPy NN libraries",
    ),
    Member(
        "fft_conv", "fft_conv.py", "fft_conv2d", None, 2, False, ("--precision", "fft"),
        verdict(
            nonfinite_crossed=Expect("skipped", "declared --precision fft: NaN/inf need not propagate"),
            # torch 2.14 raises NotImplementedError there instead, which the check takes as declining
            dtype_float16=Expect("fail", "torch.fft on the CPU raises RuntimeError 'Unsupported dtype Half'") if _TORCH < (2, 14)
            else Expect("declined", "torch.fft on the CPU raises NotImplementedError for Half (torch >= 2.14)"),
            dtype_bfloat16=Expect("fail", "torch.fft on the CPU raises RuntimeError 'Unsupported dtype BFloat16'") if _TORCH < (2, 14)
            else Expect("declined", "torch.fft on the CPU raises NotImplementedError for BFloat16 (torch >= 2.14)"),
            dtype_int64=Expect("fail", "rfftn promotes int64 to complex64, so the result comes back float32"),
            dtype_complex64=Expect("fail", "rfftn raises RuntimeError on complex input"),
            dtype_complex128=Expect("fail", "rfftn raises RuntimeError on complex input"),
            empty_batch=Expect("fail", "rfftn of a batch of 0 raises an MKL FFT error"),
            nonfinite=Expect("skipped", "--precision fft does not require NaN/inf to stay where IEEE arithmetic puts them"),
            combined=_explained("a dtype facet or empty-batch"),
        ),
        inspiration="fkodom/fft-conv-pytorch fft_conv",
    ),
    Member(
        "nhwc_hwio", "nhwc_hwio.py", "conv2d_nhwc", "nhwc-hwio", 2, False, ("--bias-always",),
        verdict(
            nonfinite_crossed=_explained("groups"),
            groups=Expect("fail", "the windows take the weight's C/groups channels from the start of the input "
                                  "for every output channel: groups are silently ignored"),
            dtype_bfloat16=NO_NUMPY_BFLOAT16,
            layout_channels_last=NHWC_ALREADY,
            combined=_explained("groups"),
        ),
        inspiration="dlsyscourse convolution_implementation notebook; conv2d_nhwc_v1 (as_strided + tensordot)",
    ),
    Member(
        # Its one defect needs NaN/inf and padding together, which only combined draws, and rarely:
        # the ci profile's 60 examples miss it; 200 find it (minimal: a 1x1 input, an inf weight, padding (0, 1)).
        "jax_conv", "jax_conv.py", "conv2d", "jax", 2, False, (),
        verdict(
            layout_channels_last=NO_JAX_LAYOUT,
            layout_strided=NO_JAX_LAYOUT,
            nonfinite=Expect("fail", "XLA leaves the zero padding out of the sum: a NaN or inf weight over the padding "
                                     "gives a finite or infinite value where torch multiplies it by the padded 0 (NaN)"),
            nonfinite_crossed=Expect("fail", "JAX's grouped convolution leaks a non-finite input into the other "
                                             "groups (the jax.lax backend's known issue jax-cpu-grouped-conv-mixes-groups): "
                                             "nonfinite-crossed draws groups together with NaN/inf"),
            combined=_explained("nonfinite-crossed"),
        ),
        inspiration="lax.conv_general_dilated with ('NCHW', 'OIHW', 'NCHW') as Flax and PyTorch ports call it",
    ),
    Member(
        "c_conv", "c_conv.py", "conv2d", "numpy", 2, False, ("--equal-per-axis", "--int-padding"),
        verdict(
            nonfinite_crossed=Expect("explained", "its examples have padding: from the kernel size on it crashes as "
                                                  "padding does"),
            padding=Expect("crash", "cconv.c asserts pad < KH && pad < KW: SIGABRT once padding reaches the kernel size"),
            padding_strings=Expect("skipped", "--int-padding: padding strings are not drawn"),
            dtype_complex64=Expect("fail", "np.ascontiguousarray(x, dtype=float64) drops the imaginary part"),
            dtype_complex128=Expect("fail", "np.ascontiguousarray(x, dtype=float64) drops the imaginary part"),
            dtype_bfloat16=NO_NUMPY_BFLOAT16,
            nonfinite=Expect("explained", "its examples have padding: from the kernel size on it crashes as padding does "
                                          "(NaN/inf themselves propagate: the padding is written into a zeroed buffer)"),
            combined=_explained("padding (the C assert) or a complex dtype"),
        ),
        needs_c_library=True,
        inspiration="plain-C forward convolutions of small NN libraries (Darknet-style), bound with ctypes",
    ),
    Member(
        "shift_add", "shift_add.py", "conv2d", None, 2, False, (),
        verdict(),  # stride: unequal per-axis strides raise NotImplementedError, equal ones are computed right
        declines_in=("stride",),
        inspiration="vectorised 'shift and add' convolutions from NumPy tutorials",
    ),
    Member(
        "windows_einsum", "windows_einsum.py", "conv2d", None, 2, False, (),
        verdict(),
        inspiration="Tensor.unfold / sliding_window_view + einsum recipes (e.g. ARENA chapter 0 convolutions)",
    ),
    Member(
        # One Python-level torch op per output element and channel pair: the large facet's examples
        # take seconds each, so the default 10 s per example is raised rather than reported as a timeout.
        "d2l_corr2d", "d2l_corr2d.py", "conv2d", None, 2, False, ("--time-limit", "60"),
        verdict(
            nonfinite_crossed=_explained("groups"),
            padding=Expect("fail", "F.pad(X, (ph, ph, pw, pw)) pads the last axis by ph: wrong whenever ph != pw"),
            padding_strings=Expect("declined", "padding strings raise NotImplementedError"),
            groups=Expect("fail", "zip(X, K) pairs the first C/groups input channels with every output's kernel"),
            empty_batch=Expect("fail", "torch.stack of the empty list of per-image results raises RuntimeError"),
            nonfinite=Expect("explained", "its examples have padding: with ph != pw they fail as padding does"),
            combined=_explained("padding, groups or empty-batch"),
        ),
        inspiration="d2l.ai chapter 7 corr2d / corr2d_multi_in / corr2d_multi_in_out",
    ),
    Member(
        "onehot_einsum", "onehot_einsum.py", "conv2d", None, 2, False, (),
        verdict(
            nonfinite_crossed=_explained("nonfinite"),
            nonfinite=Expect("fail", "every input sample meets the one-hot patterns' zeros: inf * 0 = NaN spreads "
                                     "over whole output rows"),
            combined=_explained("nonfinite"),
        ),
        inspiration="f-dangel/einconv convNd_forward (one-hot index patterns contracted in one einsum)",
    ),
    Member(
        "autograd_function", "autograd_function.py", "conv2d", None, 2, False, (),
        verdict(
            extra="grad",
            grad=Expect("fail", "the weight gradient correlates with the forward's stride and dilation where the two "
                                "exchange roles: wrong (or a shape error) wherever stride != dilation"),
            dtype_int64=Expect("declined", "torch's F.unfold raises NotImplementedError for int64"),
            padding_strings=Expect("declined", "padding strings raise NotImplementedError"),
            groups=Expect("declined", "groups > 1 raise NotImplementedError: the examples that passed had one group"),
        ),
        declines_in=("groups", "nonfinite-crossed"),
        inspiration="Triton / CUDA-extension convolutions: a torch.autograd.Function with a hand-written backward",
    ),
    Member(
        "ws_conv_forgetful", "ws_conv.py", "StdConv2dForgetful", "layer", 2, False, (),
        verdict(
            extra="layer",
            padding_mode=Expect("fail", "forward calls F.conv2d directly, skipping _conv_forward: padding_mode "
                                        "'reflect'/'replicate'/'circular' pads with zeros"),
            dtype_int64=Expect("skipped", "a layer's Parameter holds no int64"),
            combined=_explained("padding-mode"),
            grad=_explained("padding-mode"),
        ),
        inspiration="weight-standardised StdConv2d of BiT / timm (F.conv2d with self.padding in forward)",
    ),
    Member(
        "ws_conv", "ws_conv.py", "StdConv2d", "layer", 2, False, (),
        verdict(extra="layer", dtype_int64=Expect("skipped", "a layer's Parameter holds no int64")),
        inspiration="weight-standardised StdConv2d of BiT / timm, forward through nn.Conv2d._conv_forward",
    ),
)
