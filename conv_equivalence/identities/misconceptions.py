"""Tempting beliefs that a library contradicts (status ``differs``), each with the true identity beside it.

A belief's check asserts the belief; Hypothesis refutes it and shrinks the counterexample. Each
entry also carries ``truth``, the corrected statement, which `conv-equivalence explain` checks on
the same counterexample, and ``minimal_size``: the fewest array elements any counterexample can
have (argued in the entry's ``why``), which the tests hold the shrinker to.

The verdict is ``differs`` (as documented) while a counterexample exists; a belief that starts to
hold on a new library version is a change the audit reports. This module holds `belief` and the
helpers the ``beliefs_*`` modules share; those modules register the entries, and `SCRIPTS` keeps each
belief's upstream-ready reproduction (`conv_equivalence.teach.repro`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conv_equivalence.identities import Identity, IdentityFailure, assert_close, register

Pair = tuple[np.ndarray, np.ndarray]
_INTS = st.integers(-3, 3)
SCRIPTS: dict[str, tuple[str, str]] = {}
"""Belief id -> (library, script body) for `conv_equivalence.teach.repro`: the body, run after ``import
library`` and numpy, sets ``expected`` (what the belief predicts, written as literals) and ``actual``."""


def vector(min_side: int = 1, max_side: int = 5, dtype: Any = np.float64, kernel: bool = False,
           elements: st.SearchStrategy[Any] = _INTS) -> st.SearchStrategy[np.ndarray]:
    """A 1-D array of small integers (every element drawn for kernels, so few are palindromes)."""
    shape = st.integers(min_side, max_side).map(lambda n: (n,))
    return hnp.arrays(dtype, shape, elements=elements, fill=st.nothing() if kernel else None)


def pairs(**kw: Any) -> st.SearchStrategy[Pair]:
    return st.tuples(vector(**kw), vector(kernel=True, **kw))


def complex_pairs() -> st.SearchStrategy[Pair]:
    parts = st.builds(complex, _INTS, _INTS)
    return st.tuples(vector(dtype=np.complex128, elements=parts), vector(dtype=np.complex128, elements=parts, kernel=True))


def grids(max_side: int = 4) -> st.SearchStrategy[Pair]:
    """An image and a kernel, each the top-left corner of a full ``max_side`` square drawn first:
    a shape shrinks without shifting the values of the elements it keeps."""
    shape = hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=max_side)
    square = (max_side, max_side)
    return st.builds(
        lambda image, kernel, s, t: (image[:s[0], :s[1]].copy(), kernel[:t[0], :t[1]].copy()),
        hnp.arrays(np.float64, square, elements=_INTS), hnp.arrays(np.float64, square, elements=_INTS, fill=st.nothing()),
        shape, shape)


def torch_conv(x: np.ndarray, w: np.ndarray, **kwargs: Any) -> np.ndarray:
    """torch.nn.functional.conv1d/2d on single-channel arrays (float64/complex128)."""
    import torch

    fn = getattr(torch.nn.functional, f"conv{x.ndim}d")
    out = fn(torch.from_numpy(np.array(x))[None, None], torch.from_numpy(np.array(w))[None, None], **kwargs)
    return out[0, 0].numpy()


def belief(identity_id: str, library: str, statement: str, formula: str, strategy: st.SearchStrategy[Any],
           sides: Callable[[Any], tuple[Any, Any]], truth: Callable[[Any], tuple[Any, Any]], truth_formula: str,
           why: str, minimal_size: int, tags: tuple[str, ...] = (), truth_bound: Callable[[Any], Any] | None = None,
           script: str = "") -> None:
    """Register a ``differs`` entry: ``sides(case)`` are the belief's two sides (compared exactly),
    ``truth(case)`` the corrected ones (within ``truth_bound(case)``, exact by default); ``script`` is
    the body of its standalone reproduction on the minimal counterexample (see `SCRIPTS`)."""
    if script:
        SCRIPTS[identity_id] = (library, script)

    def compare(parts: Callable[[Any], tuple[Any, Any]], text: str,
                bound: Callable[[Any], Any] | None = None) -> Callable[[str, Any], None]:
        def check(target: str, case: Any) -> None:
            try:
                left, right = parts(case)
            except IdentityFailure:
                raise
            except Exception as exc:  # the library refusing the case refutes the belief as surely
                raise IdentityFailure(f"{text}: {type(exc).__name__}: {exc}", case=case) from None
            if isinstance(left, (bool, np.bool_)) or isinstance(left, (str, tuple)):
                if left != right:
                    raise IdentityFailure(f"{text}: {left!r} != {right!r}", case=case, left=left, right=right)
                return
            assert_close(np.asarray(left), np.asarray(right), 0.0 if bound is None else bound(case), what=text, case=case)
        return check

    register(Identity(identity_id, statement, formula, lambda: [library], lambda target: strategy,
                      compare(sides, formula), status="differs", why=why, tags=("misconception", *tags),
                      truth=compare(truth, truth_formula, truth_bound), truth_formula=truth_formula, minimal_size=minimal_size))


def _signal() -> Any:
    import scipy.signal

    return scipy.signal


def _ndimage() -> Any:
    import scipy.ndimage

    return scipy.ndimage


def _longer_first(case: Pair) -> Pair:
    x, w = case
    return (x, w) if x.size >= w.size else (w, x)


def _torch_same(c: Pair) -> np.ndarray:
    return torch_conv(c[0], c[1], padding="same")

def _layer(x: np.ndarray, w: np.ndarray, *, bias: bool = False, padding_mode: str | None = None) -> np.ndarray:
    """A torch.nn.Conv1d layer (seed 0) with weight w applied to x; with a padding_mode, padding k//2 in that mode."""
    import torch

    torch.manual_seed(0)
    padding: dict[str, Any] = {} if padding_mode is None else {"padding": (w.size - 1) // 2, "padding_mode": padding_mode}
    layer = torch.nn.Conv1d(1, 1, w.size, bias=bias, dtype=torch.float64, **padding)
    with torch.no_grad():
        layer.weight.copy_(torch.from_numpy(w)[None, None])
        return layer(torch.from_numpy(x)[None, None])[0, 0].numpy()
