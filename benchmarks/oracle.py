"""Oracle time / torch CPU time for float64 problems (issue 2's targets: <= 3x on the first, <= 10x on the second;
the transposed cases measure the tap-by-tap scatter that keeps non-finite weights to their defined products; the
ResNet-50 layers, issue 23's target: within 2x of torch at real sizes).

    python benchmarks/oracle.py
"""

from __future__ import annotations

import time

import numpy as np
import torch

from conv_equivalence import oracle

CASES = [
    ("(8,16,32,32)x(32,16,3,3)", (8, 16, 32, 32), (32, 16, 3, 3), {}),
    ("(1,1,6,6)x(1,1,3,3)", (1, 1, 6, 6), (1, 1, 3, 3), {}),
    ("3-D grouped, strided, dilated (2,8,12,14,16)x(12,2,3,2,3)", (2, 8, 12, 14, 16), (12, 2, 3, 2, 3),
     dict(stride=(2, 1, 2), padding=(1, 2, 0), dilation=(2, 1, 2), groups=4)),
    ("transposed (8,16,16,16)x(16,8,3,3) stride 2", (8, 16, 16, 16), (16, 8, 3, 3), dict(stride=2, padding=1, transposed=True)),
    ("transposed (1,1,6,6)x(1,1,3,3)", (1, 1, 6, 6), (1, 1, 3, 3), dict(transposed=True)),
    # ResNet-50's layers (conv_equivalence/shape_tables/resnet50.txt) at batch 4: the real-sizes facet's oracle calls
    ("resnet50 conv1 (4,3,224,224)x(64,3,7,7) s2 p3", (4, 3, 224, 224), (64, 3, 7, 7), dict(stride=2, padding=3)),
    ("resnet50 layer1 3x3 (4,64,56,56)x(64,64,3,3) p1", (4, 64, 56, 56), (64, 64, 3, 3), dict(padding=1)),
    ("resnet50 layer2 1x1 (4,256,56,56)x(128,256,1,1)", (4, 256, 56, 56), (128, 256, 1, 1), {}),
    ("resnet50 layer3 3x3 (4,256,14,14)x(256,256,3,3) p1", (4, 256, 14, 14), (256, 256, 3, 3), dict(padding=1)),
    ("resnet50 layer4 3x3 (4,512,7,7)x(512,512,3,3) p1", (4, 512, 7, 7), (512, 512, 3, 3), dict(padding=1)),
    ("resnet50 layer4 1x1 (4,2048,7,7)x(512,2048,1,1)", (4, 2048, 7, 7), (512, 2048, 1, 1), {}),
]


def best_of(fn, repeats: int) -> float:  # type: ignore[no-untyped-def]
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    print(f"{'case':60s} {'oracle':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, xs, ws, kw in CASES:
        x, w = rng.standard_normal(xs), rng.standard_normal(ws)
        tx, tw = torch.from_numpy(x), torch.from_numpy(w)
        kw = dict(kw)
        transposed = kw.pop("transposed", False)
        fn = getattr(torch.nn.functional, f"conv{'_transpose' if transposed else ''}{len(xs) - 2}d")
        ours = oracle.conv_transpose if transposed else oracle.conv
        repeats = 20 if x.size < 10_000 else 5
        t_oracle = best_of(lambda: ours(x, w, **kw), repeats)
        t_torch = best_of(lambda: fn(tx, tw, **kw), repeats)
        assert np.allclose(ours(x, w, **kw), fn(tx, tw, **kw).numpy())
        print(f"{name:60s} {t_oracle * 1e3:9.3f}ms {t_torch * 1e3:9.3f}ms {t_oracle / t_torch:6.2f}x")


if __name__ == "__main__":
    main()
