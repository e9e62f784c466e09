"""The real-size facet's parts: the shape tables and their format, the exact-data rule, the per-dimension
boundary search, the default sample's reach and harvesting a user's model."""

from __future__ import annotations

import math

import numpy as np
import pytest

from conv_equivalence.check import realsize, shapes
from conv_equivalence.check.shapes import Layer, parse_line
from conv_equivalence.oracle import solve
from conv_equivalence.tolerance import PRECISION_BITS, bound_for

ALL = shapes.builtin()


def test_every_shipped_table_names_its_model_source_and_batch() -> None:
    assert len(shapes.table_names()) >= 10
    for name in shapes.table_names():
        header = shapes.source_of(name)
        assert {"model", "source", "batch"} <= set(header), name
        assert all(header[k] for k in ("model", "source", "batch")), name


def test_the_tables_cover_the_models_and_kinds_asked_for() -> None:
    kinds = {(layer.ndim, layer.transposed) for layer in ALL}
    assert {(1, False), (2, False), (2, True), (3, False)} <= kinds
    assert any(layer.depthwise and layer.kernel == (7, 7) for layer in ALL)  # ConvNeXt
    assert any(layer.stride == layer.kernel and layer.kernel[0] >= 14 for layer in ALL)  # ViT patch embedding
    assert max(layer.batch for layer in ALL) >= 17
    assert max(layer.reduction for layer in ALL) >= 4608
    assert max(layer.size[0] for layer in ALL if layer.ndim == 1) >= 3000


def test_layer_lines_read_back_the_same() -> None:
    for layer in ALL:
        again = parse_line(layer.line(), model=layer.model)
        assert again is not None and again.replace(repeat=layer.repeat) == layer, layer.line()


@pytest.mark.parametrize("text, words", [
    ("a conv2d in=3 out=8 size=32x32", "missing k="),
    ("a conv9d in=3 out=8 size=32x32 k=3", "OP one of"),
    ("a conv2d in=3 out=8 size=32x32 k=3 q=1", "unknown field 'q=1'"),
    ("a conv2d in=3 out=8 size=32x32x3 k=3", "size='32x32x3' must be one non-negative int or 2"),
    ("a conv2d in=6 out=8 size=32x32 k=3 g=4", "in=6 must be divisible by groups g=4"),
    ("a conv2d in=3 out=8 size=2x2 k=3", "output would be empty"),
    ("a conv2d in=3 out=8 size=8x8 k=3 s=2 p=same", "padding='same' is not supported with stride > 1"),
    ("a conv2d in=3 out=8 size=8x8 k=3 bias=2", "bias='2' must be 0 or 1"),
    ("a conv2d in=3 out=8 size=8x8 k=3 k=5", "k= is given twice"),
])
def test_a_bad_table_line_names_the_field_and_the_rule(text: str, words: str) -> None:
    with pytest.raises(ValueError, match="f.txt:7") as info:
        parse_line(text, "f.txt:7")
    assert words in str(info.value)


def test_comments_and_blank_lines_are_not_layers() -> None:
    assert parse_line("   # a comment") is None and parse_line("") is None
    layer = parse_line("x conv_transpose2d n=2 in=8 out=4 size=5x6 k=4 s=2 p=1 op=1 g=2 bias=0  # trailing")
    assert layer is not None and layer.transposed and layer.weight_shape == (8, 2, 4, 4) and layer.output_shape == (2, 4, 11, 13)


@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "bfloat16"])
def test_exact_data_keep_every_partial_sum_inside_the_dtypes_integers(dtype: str) -> None:
    """The density rule: every output's sum of |x||w| + |b| stays below 2**p, at every shipped layer."""
    bits = PRECISION_BITS[dtype]
    for layer in {layer.replace(batch=1, name="", repeat=1) for layer in ALL}:
        m = realsize.nonzeros_per_output(layer.reduction, bits)
        assert m is None or 0 < m < layer.reduction
        per_output = layer.reduction if m is None else m
        assert per_output * realsize.A**2 + realsize.A < 2**bits, layer.line()
    layer = Layer("t", 2, 64, 8, (6, 6), (3, 3), bias=True)  # 576 products per output: past bfloat16's 63
    for transposed in (False, True):
        lay = layer.replace(transposed=transposed, groups=2)
        x, w, b = realsize.exact_operands(lay.input_shape, lay.weight_shape, True, transposed, 2,
                                          realsize.nonzeros_per_output(lay.reduction, bits), seed=3)
        assert set(np.unique(x)) <= {-2, -1, 1, 2}
        from conv_equivalence.problem import ConvProblem

        problem = ConvProblem(lay.spec(), x.astype(float), w.astype(float), b.astype(float), dtype=dtype)
        assert not bound_for(problem).any()  # the tolerance module itself calls the comparison exact
        magnitude = solve(problem.replace(x=np.abs(problem.x), weight=np.abs(problem.weight), bias=np.abs(problem.bias)))
        assert magnitude.max() < 2**bits


def test_sparse_weights_are_counted_per_output_channel_in_both_layouts() -> None:
    m = realsize.nonzeros_per_output(10_000, PRECISION_BITS["float16"])
    assert m == (2**11 - 1 - 2) // 4
    _, w, _ = realsize.exact_operands((1, 24, 3, 3), (24, 5, 3, 3), False, True, 3, 7, seed=0)  # transposed, 3 groups
    for o in range(15):
        g, local = divmod(o, 5)
        assert np.count_nonzero(w[g * 8:(g + 1) * 8, local]) == 7
    _, w, _ = realsize.exact_operands((1, 24, 3, 3), (15, 8, 3, 3), False, False, 3, 7, seed=0)
    assert all(np.count_nonzero(w[o]) == 7 for o in range(15))


def test_the_same_seed_builds_the_same_arrays() -> None:
    a = realsize.exact_operands((2, 3, 5), (4, 3, 2), True, False, 1, None, seed=11)
    b = realsize.exact_operands((2, 3, 5), (4, 3, 2), True, False, 1, None, seed=11)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))


def test_shrinking_finds_where_a_split_reduction_starts_to_fail() -> None:
    """A predicate for 'the last partial chunk of 16 input channels is dropped': fails iff C_in > 16 and
    C_in % 16; from a real layer the boundary is C_in = 17, every other dimension at its smallest."""
    layer = Layer("l", 2, 40, 240, (28, 28), (3, 3), batch=8, padding=(1, 1))
    trial = realsize.Trial(layer, "exact", "float64", 0, 53)

    def fails(t: realsize.Trial) -> str:
        c = t.layer.in_channels
        return "fails" if c > 16 and c % 16 else "passes"

    smallest, boundaries, calls = realsize.shrink(trial, fails)
    assert smallest.layer.in_channels == 17 and smallest.layer.batch == 1 and smallest.layer.size == (1, 1)
    found = {b.dimension: b for b in boundaries}
    assert found["in_channels"].value == 17 and found["in_channels"].below == "passes"
    assert found["out_channels"].value == 1 and found["out_channels"].below is None
    assert "in_channels: fails from 17 (passes at 16)" in realsize.boundary_lines(boundaries)
    assert calls < 150


def test_shrinking_moves_a_patch_embeddings_kernel_and_stride_together() -> None:
    layer = Layer("p", 2, 3, 768, (224, 224), (16, 16), batch=4, stride=(16, 16))

    def fails(t: realsize.Trial) -> str:  # drops the last patch when kernel == stride >= 8 and the input is 128 wide
        lay = t.layer
        return "fails" if lay.kernel == lay.stride and lay.stride[1] >= 8 and lay.size[1] >= 128 else "passes"

    smallest, boundaries, _ = realsize.shrink(realsize.Trial(layer, "exact", "float32", 0, 24), fails)
    found = {b.dimension: b for b in boundaries}
    assert found["width"].value == 128 and found["width"].below == "passes"
    assert found["patch width (kernel = stride)"].value == 8
    assert smallest.layer.out_channels == 1 and smallest.layer.in_channels == 1


def test_shrinking_depthwise_moves_channels_and_groups_together() -> None:
    layer = Layer("d", 2, 384, 384, (14, 14), (7, 7), padding=(3, 3), groups=384)

    def fails(t: realsize.Trial) -> str:
        return "fails" if t.layer.groups >= 33 else "passes"

    smallest, boundaries, _ = realsize.shrink(realsize.Trial(layer, "exact", "float32", 0, 24), fails)
    assert smallest.layer.groups == smallest.layer.in_channels == 33
    assert {b.dimension: b.value for b in boundaries}["channels (C_in = groups)"] == 33


def test_the_default_sample_reaches_every_large_value_within_its_budget() -> None:
    for ndim, transposed in ((1, False), (2, False), (2, True), (3, False)):
        layers = shapes.matching(ALL, ndim, transposed)
        chosen = shapes.sample(layers)
        assert chosen == shapes.sample(layers)  # deterministic
        assert all(layer.macs <= 4 * shapes.SAMPLE_MACS for layer in chosen)
        assert any(layer.batch >= shapes.BATCH_GOAL for layer in chosen)
        for goal, test in shapes.GOALS.items():
            if any(test(lay) for lay in (shapes.within(layer, shapes.SAMPLE_MACS) for layer in layers) if lay.macs <= 2 * shapes.SAMPLE_MACS):
                assert any(test(layer) for layer in chosen), (ndim, transposed, goal)
    two_d = shapes.sample(shapes.matching(ALL, 2, False))
    assert max(layer.out_channels for layer in two_d) >= 256 and max(layer.reduction for layer in two_d) >= 2048
    assert max(max(layer.size) for layer in two_d) >= 224 and max(min(layer.kernel) for layer in two_d) >= 7


def test_drawn_layers_lie_between_the_small_facets_and_the_tables() -> None:
    drawn = realsize.drawn_layers(2, False, 6, None)
    assert drawn == realsize.drawn_layers(2, False, 6, None) and len(drawn) == 6
    assert all(layer.macs <= 20_000_000 for layer in drawn)
    assert max(max(layer.size) for layer in drawn) > 16


def test_harvest_finds_every_convolution_a_model_calls() -> None:
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = torch.nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
            self.blocks = torch.nn.Sequential(*[torch.nn.Conv2d(8, 8, 3, padding=1, groups=8) for _ in range(3)])
            self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = self.up(self.blocks(self.stem(x)))
            return F.conv2d(y, torch.ones(2, 4, 1, 1))  # a functional call is harvested too

    layers = shapes.harvest(Net(), torch.randn(2, 3, 32, 32))
    lines = [layer.replace(name="x").line() for layer in layers]
    assert lines == ["x conv2d n=2 in=3 out=8 size=32x32 k=3 s=2 p=1 bias=0",
                     "x conv2d n=2 in=8 out=8 size=16x16 k=3 p=1 g=8",
                     "x conv_transpose2d n=2 in=8 out=4 size=16x16 k=2 s=2",
                     "x conv2d n=2 in=4 out=2 size=32x32 k=1 bias=0"]
    assert layers[1].repeat == 3


def test_layer_cost_and_shapes() -> None:
    layer = Layer("c", 2, 64, 128, (56, 56), (3, 3), batch=2, stride=(2, 2), padding=(1, 1))
    assert layer.output_shape == (2, 128, 28, 28) and layer.reduction == 576
    assert layer.macs == math.prod(layer.output_shape) * 576
    t = Layer("t", 1, 8, 4, (10,), (3,), stride=(2,), transposed=True)
    assert t.macs == 8 * 10 * 4 * 3
