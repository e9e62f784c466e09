"""Real layer shapes: the convolution layers of well-known models, a user's own table, or a user's model.

A `Layer` is one convolution call's geometry (no values): batch, channels, the input's spatial
size, kernel, stride, padding, dilation, groups, output_padding and whether a bias is added. The
shipped tables (``conv_equivalence/shape_tables/*.txt``, one file a model, each naming its source)
and a user's ``--shapes FILE`` share one text format, one layer a line::

    # comments start with '#'
    NAME  OP  in=C_IN out=C_OUT size=H[xW[xD]] k=K [n=N] [s=S] [p=P|same|valid] [d=D] [g=G] [op=OP] [bias=0|1] [repeat=R]

``OP`` is ``conv1d``, ``conv2d``, ``conv3d`` or ``conv_transpose{1,2,3}d``; ``size`` is the layer's
input spatial size; ``k``, ``s``, ``p``, ``d`` and ``op`` are one int for every axis or one per axis
(``7x1``). Defaults: ``n=1 s=1 p=0 d=1 g=1 op=0 bias=1 repeat=1``. ``--shapes-from MODULE:ATTR``
runs a user's ``torch.nn.Module`` on a sample input and harvests every convolution it calls
(`harvest`), functional calls included.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conv_equivalence.problem import ConvSpec

TABLES = Path(__file__).with_name("shape_tables")
OPS = {f"conv{t}{n}d": (n, bool(t)) for n in (1, 2, 3) for t in ("", "_transpose")}
_FIELDS = ("n", "in", "out", "size", "k", "s", "p", "d", "g", "op", "bias", "repeat")


@dataclass(frozen=True)
class Layer:
    """One convolution's geometry, as torch's ``conv{N}d``/``conv_transpose{N}d`` take it."""

    name: str
    ndim: int
    in_channels: int
    out_channels: int
    size: tuple[int, ...]
    kernel: tuple[int, ...]
    batch: int = 1
    stride: tuple[int, ...] = ()
    padding: tuple[int, ...] | str = ()
    dilation: tuple[int, ...] = ()
    groups: int = 1
    transposed: bool = False
    output_padding: tuple[int, ...] = ()
    bias: bool = True
    repeat: int = 1
    model: str = ""

    def __post_init__(self) -> None:
        ones, zeros = (1,) * self.ndim, (0,) * self.ndim
        for name, default in (("stride", ones), ("dilation", ones), ("output_padding", zeros), ("padding", zeros)):
            if getattr(self, name) == ():
                object.__setattr__(self, name, default)
        self.spec()  # every rule checked at construction
        for name in ("batch", "in_channels", "out_channels", "repeat"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if len(self.size) != self.ndim or len(self.kernel) != self.ndim or min(self.size + self.kernel) < 1:
            raise ValueError(f"size and kernel need {self.ndim} positive entries, got size={self.size}, k={self.kernel}")
        for what, count in (("in", self.in_channels), ("out", self.out_channels)):
            if count % self.groups:
                raise ValueError(f"{what}={count} must be divisible by groups g={self.groups}")
        if min(self.output_size) < 1:
            raise ValueError(f"the output would be empty: output size {self.output_size}")

    def spec(self) -> ConvSpec:
        return ConvSpec.create(self.ndim, stride=self.stride, padding=self.padding, dilation=self.dilation,
                               groups=self.groups, transposed=self.transposed, output_padding=self.output_padding)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.batch, self.in_channels, *self.size)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        if self.transposed:
            return (self.in_channels, self.out_channels // self.groups, *self.kernel)
        return (self.out_channels, self.in_channels // self.groups, *self.kernel)

    @property
    def output_shape(self) -> tuple[int, ...]:
        return self.spec().output_shape(self.input_shape, self.weight_shape)

    @property
    def output_size(self) -> tuple[int, ...]:
        return self.output_shape[2:]

    @property
    def reduction(self) -> int:
        """Products summed into each output element: ``C_in/groups * prod(kernel)``."""
        return self.in_channels // self.groups * math.prod(self.kernel)

    @property
    def macs(self) -> int:
        """Multiply-adds of the whole call."""
        if self.transposed:
            return self.batch * self.in_channels * math.prod(self.size) * (self.out_channels // self.groups) * math.prod(self.kernel)
        return math.prod(self.output_shape) * self.reduction

    @property
    def depthwise(self) -> bool:
        return self.groups > 1 and self.groups == self.in_channels

    @property
    def op(self) -> str:
        return f"conv{'_transpose' if self.transposed else ''}{self.ndim}d"

    def replace(self, **changes: Any) -> Layer:
        """A checked copy (`ValueError` when the change makes no valid layer)."""
        return dataclasses.replace(self, **changes)

    def kwargs(self) -> dict[str, Any]:
        """torch's keyword arguments, ints where every axis agrees."""
        def form(v: Any) -> Any:
            return v if isinstance(v, str) or len(set(v)) > 1 else v[0]
        out = {"stride": form(self.stride), "padding": form(self.padding), "dilation": form(self.dilation), "groups": self.groups}
        if self.transposed:
            out["output_padding"] = form(self.output_padding)
        return out

    def line(self) -> str:
        """The layer in the table format (`parse_line` reads it back)."""
        def axes(v: Any) -> str:
            return v if isinstance(v, str) else str(v[0]) if len(set(v)) == 1 else "x".join(map(str, v))
        parts = [self.name, self.op, f"n={self.batch}", f"in={self.in_channels}", f"out={self.out_channels}",
                 f"size={'x'.join(map(str, self.size))}", f"k={axes(self.kernel)}"]
        for key, value, default in (("s", self.stride, 1), ("p", self.padding, 0), ("d", self.dilation, 1),
                                    ("op", self.output_padding, 0)):
            if isinstance(value, str) or any(v != default for v in value):
                parts.append(f"{key}={axes(value)}")
        if self.groups != 1:
            parts.append(f"g={self.groups}")
        if not self.bias:
            parts.append("bias=0")
        return " ".join(parts)

    @property
    def label(self) -> str:
        return f"{self.model}:{self.name}" if self.model else self.name


def _axes(text: str, ndim: int, key: str) -> tuple[int, ...]:
    parts = text.split("x")
    if not all(re.fullmatch(r"\d+", p) for p in parts) or len(parts) not in (1, ndim):
        raise ValueError(f"{key}={text!r} must be one non-negative int or {ndim} joined by 'x' (like {'x'.join(['3'] * ndim)})")
    values = tuple(int(p) for p in parts)
    return values * ndim if len(values) == 1 else values


def parse_line(text: str, where: str = "", model: str = "") -> Layer | None:
    """One table line as a `Layer` (``None`` for a comment or blank line); `ValueError` naming ``where``,
    the field and the rule otherwise."""
    body = text.split("#", 1)[0].strip()
    if not body:
        return None
    prefix = f"{where}: " if where else ""
    words = body.split()
    if len(words) < 3 or "=" in words[0] or words[1] not in OPS:
        raise ValueError(f"{prefix}a layer line is 'NAME OP key=value ...' with OP one of {', '.join(OPS)}, got {body!r}")
    name, op, fields = words[0], words[1], words[2:]
    ndim, transposed = OPS[op]
    values: dict[str, str] = {}
    for field in fields:
        key, eq, value = field.partition("=")
        if not eq or key not in _FIELDS:
            raise ValueError(f"{prefix}unknown field {field!r}: fields are {', '.join(f'{k}=' for k in _FIELDS)}")
        if key in values:
            raise ValueError(f"{prefix}{key}= is given twice")
        values[key] = value
    missing = [k for k in ("in", "out", "size", "k") if k not in values]
    if missing:
        raise ValueError(f"{prefix}missing {', '.join(f'{k}=' for k in missing)} (in, out, size and k are required)")

    def integer(key: str, default: int) -> int:
        value = values.get(key, str(default))
        if not re.fullmatch(r"\d+", value):
            raise ValueError(f"{prefix}{key}={value!r} must be a non-negative int")
        return int(value)

    padding: tuple[int, ...] | str = values.get("p", "0")
    padding = padding if padding in ("same", "valid") else _axes(str(padding), ndim, "p")
    bias = values.get("bias", "1")
    if bias not in ("0", "1"):
        raise ValueError(f"{prefix}bias={bias!r} must be 0 or 1")
    try:
        return Layer(name=name, ndim=ndim, transposed=transposed, batch=integer("n", 1), in_channels=integer("in", 1),
                     out_channels=integer("out", 1), size=_axes(values["size"], ndim, "size"),
                     kernel=_axes(values["k"], ndim, "k"), stride=_axes(values.get("s", "1"), ndim, "s"),
                     padding=padding, dilation=_axes(values.get("d", "1"), ndim, "d"), groups=integer("g", 1),
                     output_padding=_axes(values.get("op", "0"), ndim, "op"), bias=bias == "1",
                     repeat=integer("repeat", 1), model=model)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{prefix}{exc}") from None


def read_table(path: Path, model: str | None = None) -> list[Layer]:
    """Every layer of a table file (`parse_line` for each line)."""
    model = path.stem if model is None else model
    layers = [parse_line(line, f"{path}:{i}", model) for i, line in enumerate(path.read_text().splitlines(), 1)]
    found = [layer for layer in layers if layer is not None]
    if not found:
        raise ValueError(f"{path}: no layer lines (see conv_equivalence.check.shapes for the format)")
    return found


def table_names() -> list[str]:
    """The shipped tables, by model name."""
    return sorted(p.stem for p in TABLES.glob("*.txt"))


def source_of(model: str) -> dict[str, str]:
    """A shipped table's header comments (``model``, ``source``, ``batch``)."""
    header: dict[str, str] = {}
    for line in (TABLES / f"{model}.txt").read_text().splitlines():
        m = re.match(r"#\s*(\w+):\s*(.*)", line)
        if m and m.group(1) not in header:
            header[m.group(1)] = m.group(2).strip()
    return header


def builtin(names: Iterable[str] | None = None) -> list[Layer]:
    """The shipped tables' layers (all of them, or those of ``names``)."""
    chosen = table_names() if names is None else list(names)
    return [layer for name in chosen for layer in read_table(TABLES / f"{name}.txt")]


def resolve(words: Sequence[str]) -> list[Layer]:
    """``--shapes`` words: ``all``, shipped table names, and table files; `ValueError` naming the word otherwise."""
    layers: list[Layer] = []
    for word in words:
        if word == "all":
            layers += builtin()
        elif word in table_names():
            layers += builtin([word])
        elif Path(word).is_file():
            layers += read_table(Path(word))
        else:
            raise ValueError(f"--shapes {word!r} is neither 'all', a shipped table ({', '.join(table_names())}) nor a file")
    return layers


def matching(layers: Iterable[Layer], ndim: int, transposed: bool) -> list[Layer]:
    """The layers a check of this rank and kind can call."""
    return [layer for layer in layers if layer.ndim == ndim and layer.transposed == transposed]


# The large values a default real-size check must reach (issue: channels in the hundreds, reductions in the
# thousands, batch past 16, kernels of 7 and more, 224-wide inputs and long signals, depthwise with many
# channels, patch embeddings, channel counts that are not multiples of 16, transposed upsampling).
GOALS: dict[str, Callable[[Layer], bool]] = {
    "wide input": lambda layer: max(layer.size) >= (4096 if layer.ndim == 1 else 224 if layer.ndim == 2 else 112),
    "long reduction": lambda layer: layer.reduction >= 2048,
    "many output channels": lambda layer: layer.out_channels >= 256,
    "odd channel count": lambda layer: layer.in_channels % 16 not in (0, layer.in_channels) and layer.in_channels > 16,
    "large kernel": lambda layer: min(layer.kernel) >= 7 or (layer.ndim == 1 and layer.kernel[0] >= 10),
    "depthwise, many channels": lambda layer: layer.depthwise and layer.in_channels >= 128,
    "depthwise, large kernel": lambda layer: layer.depthwise and min(layer.kernel) >= 7,
    "depthwise, wide output": lambda layer: layer.depthwise and max(layer.output_size) >= (112 if layer.ndim == 2 else 4096),
    "patch embedding": lambda layer: layer.stride == layer.kernel and min(layer.stride) >= 8,
    "strided": lambda layer: max(layer.stride) >= 2,
    "upsampling": lambda layer: layer.transposed and max(layer.stride) >= 2,
}
BATCH_GOAL = 17
"""One sampled layer runs with at least this batch (past blocks of 8 and 16)."""
SAMPLE_MACS = 100_000_000
"""Multiply-adds a sampled layer may cost: batches are cut (never below 1) to fit."""
TABLE_MACS = 1_000_000_000
TABLE_ELEMENTS = 2**24
"""What one layer of a table named with ``--shapes`` may cost (Stable Diffusion's decoder has layers of 38 billion
multiply-adds at batch 1, which the float64 oracle would take minutes over): cut the same way (`within`)."""
SAMPLE_ELEMENTS = 2**22
"""Elements a sampled layer's input and output may each hold (32 MiB in float64): a depthwise layer's few
multiply-adds per output would otherwise let its batch, and the arrays sent to the worker, grow large."""


def elements(layer: Layer) -> int:
    """The larger of the input's and the output's element counts (what crosses to the worker and back)."""
    return max(math.prod(layer.input_shape), math.prod(layer.output_shape))


def with_batch_within(layer: Layer, macs: int, most: int | None = None) -> Layer:
    """``layer`` with its batch cut so that it costs at most ``macs`` and its input and output hold at most
    ``most`` elements (`SAMPLE_ELEMENTS` by default; batch 1 at least)."""
    most = SAMPLE_ELEMENTS if most is None else most
    per_item, per_item_elements = layer.macs // layer.batch, elements(layer) // layer.batch
    return layer.replace(batch=max(1, min(layer.batch, macs // max(per_item, 1), most // max(per_item_elements, 1))))


def within(layer: Layer, macs: int, floor: int = 32, most: int | None = None) -> Layer:
    """``layer`` cut to cost at most ``macs`` and hold at most ``most`` elements: its batch first
    (`with_batch_within`), then its largest spatial axis halved while it stays at least ``floor`` and twice
    the kernel's extent (named ``NAME@cropped``)."""
    most = SAMPLE_ELEMENTS if most is None else most
    layer = with_batch_within(layer, macs, most)
    while layer.macs > macs or elements(layer) > most:
        extents = [d * (k - 1) + 1 for k, d in zip(layer.kernel, layer.dilation)]
        axis = max(range(layer.ndim), key=lambda i: layer.size[i])
        half = layer.size[axis] // 2
        if half < max(floor, 2 * extents[axis]):
            break
        try:
            layer = layer.replace(size=tuple(half if i == axis else n for i, n in enumerate(layer.size)),
                                  name=layer.name.removesuffix("@cropped") + "@cropped")
        except ValueError:
            break
    return layer


def sample(layers: Sequence[Layer], macs: int = SAMPLE_MACS) -> list[Layer]:
    """A few layers that together reach every `GOALS` value the table has, each the cheapest that reaches
    one not reached yet (cut to at most ``macs`` multiply-adds by `within`), plus one run at a batch of at
    least `BATCH_GOAL`; ordered by cost, cheapest first. Deterministic."""
    fitting = [within(layer, macs) for layer in layers]
    fitting = [layer for layer in fitting if layer.macs <= 2 * macs]
    chosen: list[Layer] = []
    for test in GOALS.values():
        if any(test(layer) for layer in chosen):
            continue
        candidates = sorted((layer for layer in fitting if test(layer)), key=lambda layer: (layer.macs, layer.label))
        if candidates:
            chosen.append(candidates[0])
    if not any(layer.batch >= BATCH_GOAL for layer in chosen) and fitting:
        per_item = min(fitting, key=lambda layer: (layer.macs // layer.batch, layer.label))
        chosen.append(within(per_item.replace(batch=1), macs // BATCH_GOAL, floor=8).replace(batch=BATCH_GOAL))
    unique: dict[str, Layer] = {}
    for layer in chosen:
        unique.setdefault(layer.line(), layer)
    return sorted(unique.values(), key=lambda layer: (layer.macs, layer.label))


def parse_input_size(text: str) -> tuple[int, ...]:
    """``--input-size 1x3x224x224`` as a shape."""
    if not re.fullmatch(r"\d+(x\d+){2,4}", text):
        raise ValueError(f"--input-size must be the sample input's shape like 1x3x224x224, got {text!r}")
    return tuple(int(p) for p in text.split("x"))


def harvest(model: Any, sample_input: Any) -> list[Layer]:
    """Every convolution ``model(sample_input)`` calls (``torch.nn.functional.conv*`` and
    ``conv_transpose*``, through modules or directly), as layers named by call order, distinct
    configurations once (``repeat`` counts the others)."""
    import torch
    import torch.nn.functional as F
    from torch.overrides import TorchFunctionMode

    functions = {getattr(F, op): (n, t) for op, (n, t) in OPS.items()}
    seen: dict[str, Layer] = {}

    class Recorder(TorchFunctionMode):
        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            kwargs = kwargs or {}
            if func in functions:
                ndim, transposed = functions[func]
                names = (["input", "weight", "bias", "stride", "padding", "output_padding", "groups", "dilation"] if transposed
                         else ["input", "weight", "bias", "stride", "padding", "dilation", "groups"])
                call = dict(zip(names, args)) | kwargs
                x, w = call["input"], call["weight"]
                batched = x.dim() == ndim + 2
                shape = tuple(x.shape) if batched else (1, *x.shape)

                def axes(v: Any, default: int) -> Any:
                    if isinstance(v, str):
                        return v
                    v = default if v is None else v
                    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * ndim

                groups = int(call.get("groups", 1) or 1)
                out = w.shape[1] * groups if transposed else w.shape[0]
                layer = Layer(name=f"conv{len(seen) + 1}", ndim=ndim, transposed=transposed, batch=shape[0],
                              in_channels=shape[1], out_channels=int(out), size=tuple(shape[2:]), kernel=tuple(w.shape[2:]),
                              stride=axes(call.get("stride"), 1), padding=axes(call.get("padding"), 0),
                              dilation=axes(call.get("dilation"), 1), groups=groups,
                              output_padding=axes(call.get("output_padding"), 0) if transposed else (0,) * ndim,
                              bias=call.get("bias") is not None, model="harvested")
                key = layer.replace(name="").line()
                if key in seen:
                    seen[key] = seen[key].replace(repeat=seen[key].repeat + 1)
                else:
                    seen[key] = layer
            return func(*args, **kwargs)

    with torch.no_grad(), Recorder():
        model(sample_input)
    return list(seen.values())


def harvest_spec(spec: str, input_size: str | None = None) -> list[Layer]:
    """``--shapes-from MODULE:ATTR``: ATTR is a ``torch.nn.Module``, a zero-argument callable returning
    one, or returning ``(module, sample_input)``; a module's sample input is ``--input-size`` (random
    normal values) or its ``example_input`` attribute. `ValueError` with the reason otherwise."""
    import torch

    from conv_equivalence.check.conventions import LoadError, load

    try:
        obj = load(spec)
    except LoadError as exc:
        raise ValueError(f"--shapes-from: {exc}") from None
    built: Any = obj
    if not isinstance(obj, torch.nn.Module) and callable(obj):
        built = obj()
    module, example = (built if isinstance(built, tuple) and len(built) == 2 else (built, None))
    if not isinstance(module, torch.nn.Module):
        raise ValueError(f"--shapes-from {spec}: expected a torch.nn.Module, a callable returning one, or (module, "
                         f"sample_input); got {type(built).__name__}")
    if input_size is not None:
        example = torch.randn(parse_input_size(input_size))
    example = example if example is not None else getattr(module, "example_input", None)
    if example is None:
        raise ValueError(f"--shapes-from {spec}: give the sample input's shape with --input-size (like 1x3x224x224), "
                         "or return (module, sample_input), or set module.example_input")
    module.eval()
    layers = harvest(module, example)
    if not layers:
        raise ValueError(f"--shapes-from {spec}: the module called no convolution on the sample input")
    return layers
