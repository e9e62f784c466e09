"""The ``conv-equivalence check`` command line: its options and its output (`conv_equivalence.check.run` runs it)."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from conv_equivalence.check.conventions import CONVENTIONS, DEVICES
from conv_equivalence.check.options import EXCLUDABLE, SIGNAL_EXCLUDABLE, CheckOptions, UsageError
from conv_equivalence.check.result import STATUSES
from conv_equivalence.check.run import check_conv
from conv_equivalence.check.runner import time_limit as checked_time_limit
from conv_equivalence.cli.common import UsageError as CommandLineError
from conv_equivalence.cli.common import check_output_file, interruptible, write_atomically
from conv_equivalence.tolerance import PRECISIONS


def _seconds(text: str) -> float:
    """argparse type for --time-limit."""
    import argparse

    try:
        return checked_time_limit(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--time-limit ")) from None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The ``check`` subcommand."""
    add_arguments(sub.add_parser(
        "check", help="check your own convolution against the oracle, facet by facet",
        description="Check a callable with the signature of torch.nn.functional.conv{N}d (or conv_transpose{N}d "
                    "with --transposed), facet by facet. Exit 0: no facet fails; 1: one does; 2: usage error; 3: the "
                    "checker itself failed (no verdict)."))


def add_arguments(parser: Any) -> None:
    """The ``check`` subcommand's options."""
    from conv_equivalence.profiles import PROFILES

    parser.add_argument("impl", metavar="MODULE:ATTR|FILE.py:ATTR", nargs="?", help="the convolution to check")
    parser.add_argument("--layer", metavar="MODULE:CLASS",
                        help="check a layer class instead, built like torch.nn.Conv{N}d (ConvTranspose{N}d with "
                             "--transposed), weights loaded through its state_dict; padding_mode is checked too")
    parser.add_argument("--grad", action=argparse.BooleanOptionalAction, default=None,
                        help="check the backward too (input, weight and bias gradients): by default where the output "
                             "has a grad_fn (torch tensors and layers); --no-grad: forward only")
    parser.add_argument("--ndim", type=int, choices=(1, 2, 3), default=2, help="spatial rank (default 2)")
    parser.add_argument("--transposed", action="store_true", help="it has conv_transpose{N}d's signature")
    parser.add_argument("--convention", choices=CONVENTIONS, default="torch",
                        help="how it takes arrays: torch tensors (default), numpy or jax arrays, or NumPy channels-last "
                             "nhwc-hwio / nhwc-ohwi (input, weight and output)")
    parser.add_argument("--device", choices=DEVICES, default="cpu", help="torch device for the inputs (compared on the host)")
    parser.add_argument("--precision", choices=PRECISIONS, default="exact",
                        help="how it computes: exact (direct summation in the input's dtype), float32/tf32/float16/bfloat16 "
                             "accumulation, or fft (normwise bound; NaN/inf propagation not required)")
    parser.add_argument("--dtypes", nargs="+", metavar="DTYPE", help="only these dtypes (default: all torch accepts)")
    words = EXCLUDABLE + tuple(w for w in SIGNAL_EXCLUDABLE if w not in EXCLUDABLE)
    parser.add_argument("--exclude", nargs="+", action="extend", choices=words, metavar="WHAT",
                        help=f"leave out: {', '.join(EXCLUDABLE)}; with --convention signal, signal2d or filter: "
                             f"{', '.join(SIGNAL_EXCLUDABLE)}")
    parser.add_argument("--decline-on", nargs="+", default=[], metavar="EXC",
                        help="exception types (name or module.Name) that, like NotImplementedError, mean 'not supported'")
    parser.add_argument("--equal-per-axis", action="store_true", help="stride, padding and dilation equal on every axis only")
    parser.add_argument("--int-padding", action="store_true", help="integer padding only (no 'same'/'valid')")
    parser.add_argument("--bias-always", action="store_true", help="always pass a bias (zeros where the check has none)")
    parser.add_argument("--facets", nargs="+", metavar="FACET", help="check only these facets")
    parser.add_argument("--examples", type=int, metavar="N", help="examples per facet (default: the profile's)")
    parser.add_argument("--json", metavar="FILE", help="also write the facet table as JSON (conv_equivalence/check/schema.json)")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="ci")
    parser.add_argument("--seed", type=int, help="Hypothesis seed (random search instead of the derandomised default)")
    parser.add_argument("--shapes", nargs="+", metavar="NAME|FILE",
                        help="the real-sizes facet's layers: 'all', shipped model tables (resnet50, vit_b_16, ...; "
                             "see conv_equivalence/check/shape_tables) or table files, one layer a line (default: a sample of "
                             "the shipped tables that reaches every large value)")
    parser.add_argument("--shapes-from", metavar="MODULE:ATTR",
                        help="harvest the real-sizes facet's layers from your torch.nn.Module (or a callable returning it, "
                             "or (module, sample_input)) run on a sample input")
    parser.add_argument("--input-size", metavar="NxCxHxW", help="the sample input's shape for --shapes-from")
    parser.add_argument("--nondeterministic", action="store_true",
                        help="do not require two calls on the same real-size problem to give bitwise-identical answers")
    signal = parser.add_argument_group("signal processing and filters", "with --convention signal "
                                       "(fn(in1, in2, mode)), signal2d (fn(in1, in2, mode, boundary, fillvalue)) "
                                       "or filter (fn(input, weights, mode, cval, origin))")
    signal.add_argument("--correlate", action="store_true",
                        help="it correlates (scipy.signal.correlate, correlate2d, scipy.ndimage.correlate): the "
                             "second operand is not flipped (signal: conjugated); default: it convolves")
    signal.add_argument("--modes", nargs="+", metavar="MODE",
                        help="the modes it takes: full same valid (signal, signal2d), or scipy.ndimage's boundary "
                             "modes (filter); default: all")
    signal.add_argument("--same", default="scipy", choices=("scipy", "numpy"),
                        help="the rule its 'same' follows: scipy's (the shape of in1) or numpy's (max(n1, n2) "
                             "samples, as np.convolve); default scipy")
    signal.add_argument("--arrays", default="numpy", choices=("numpy", "torch", "jax"),
                        help="the arrays it takes: numpy (default), torch tensors (on --device) or JAX arrays "
                             "(jax_enable_x64 on); it may answer with any of the three")
    domain = parser.add_argument_group("declared domain", "every facet draws inside it; the table's note says what "
                                       "it leaves out")
    domain.add_argument("--depthwise", action="store_true",
                        help="every convolution depthwise: groups = input channels = output channels")
    domain.add_argument("--shared-kernel", action="store_true",
                        help="one kernel for every channel, as an image filter applies it")
    domain.add_argument("--odd-kernels", action="store_true", help="odd kernel sizes only")
    domain.add_argument("--square-kernels", action="store_true", help="the same kernel size on every axis")
    parser.add_argument("--time-limit", type=_seconds, default=10.0, metavar="SECONDS",
                        help="seconds allowed per call, native code included (default 10)")


def main(args: Any) -> int:
    """``conv-equivalence check``: print the facet table and the failures; exit 0 pass, 1 fail, 2 usage.
    SIGINT/SIGTERM stop it (`conv_equivalence.cli.common.Interrupted`, exit 130/143)."""
    from pathlib import Path

    from conv_equivalence.profiles import PROFILES

    if (args.impl is None) == (args.layer is None):
        raise CommandLineError("name the convolution to check (MODULE:ATTR or FILE.py:ATTR) or a layer class with "
                               "--layer MODULE:CLASS, one of the two")
    if args.layer is not None and args.convention != "torch":
        raise CommandLineError(f"--layer takes torch tensors: leave out --convention {args.convention}")
    if args.json:
        check_output_file(Path(args.json), "--json")
    try:
        options = CheckOptions(
            ndim=args.ndim, transposed=args.transposed, convention="layer" if args.layer else args.convention,
            device=args.device, precision=args.precision, dtypes=args.dtypes, exclude=frozenset(args.exclude or ()),
            only=args.facets, examples=args.examples, profile=PROFILES[args.profile], seed=args.seed,
            time_limit=args.time_limit, grad=args.grad, decline_on=args.decline_on, equal_per_axis=args.equal_per_axis,
            int_padding=args.int_padding, bias_always=args.bias_always, depthwise=args.depthwise,
            shared_kernel=args.shared_kernel, odd_kernels=args.odd_kernels, square_kernels=args.square_kernels,
            correlate=args.correlate, modes=args.modes, same=args.same, arrays=args.arrays,
            shapes=args.shapes,
            shapes_from=args.shapes_from, input_size=args.input_size, nondeterministic=args.nondeterministic)
        with interruptible():
            result = check_conv(args.impl or args.layer, options=options, raise_on_failure=False)
    except UsageError as exc:
        raise CommandLineError(str(exc)) from None
    print(result.report())
    if args.json:
        from conv_equivalence.check.reproduce import dumps

        write_atomically(Path(args.json), dumps(result.to_json()))
    counts = Counter(f.status for f in result.facets)
    summary = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: STATUSES.index(kv[0])))
    print(f"\nverdict: {result.verdict} for {args.impl or args.layer} ({summary}; {result.seconds:.1f}s, {args.profile} profile)")
    return 1 if result.verdict == "fail" else 0
