"""Arrays for people: numbers in short form, arrays as grids with marked cells, the positions where
two arrays differ. Used by the check's failure text, the lessons and the HTML cards alike."""

from __future__ import annotations

from typing import Any

import numpy as np


def number(value: Any) -> str:
    """Integers without a decimal point, other floats in short form, complex as a+bj."""
    if isinstance(value, (bool, np.bool_)):
        return "T" if value else "F"
    if isinstance(value, (complex, np.complexfloating)):
        z = complex(value)
        return f"{number(z.real)}{'+' if z.imag >= 0 or np.isnan(z.imag) else '-'}{number(abs(z.imag))}j"
    if isinstance(value, (np.float16, np.float32)) and np.isfinite(value) and value != int(value):
        return str(value)  # shortest in its own precision: float16 0.1 is "0.1", not 0.0999756
    v = float(value)
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.6g}"


def grid(array: Any, marked: set[tuple[int, ...]] | None = None) -> str:
    """An array as rows of right-aligned numbers; marked positions in [brackets]."""
    a = np.asarray(array)
    if a.ndim == 0:
        return number(a.item())
    marked = marked or set()
    cells = {idx: number(a[idx]) for idx in np.ndindex(a.shape)}
    cells = {idx: f"[{text}]" if idx in marked else f" {text} " for idx, text in cells.items()}
    width = max((len(t) for t in cells.values()), default=1)
    if a.ndim == 1:
        return "".join(cells[(i,)].rjust(width) for i in range(a.shape[0]))
    lead = a.shape[:-2]
    blocks = []
    for prefix in np.ndindex(lead) if lead else [()]:
        rows = ["".join(cells[(*prefix, r, c)].rjust(width) for c in range(a.shape[-1])) for r in range(a.shape[-2])]
        label = f"[{', '.join(map(str, prefix))}, :, :]\n" if prefix else ""
        blocks.append(label + "\n".join(rows))
    return "\n".join(blocks)


def argument_names(count: int) -> list[str]:
    """What a belief's arguments are called in the lessons: ``x, w, y``, or ``arg0, arg1, ...``."""
    return ["x", "w", "y"][:count] if count <= 3 else [f"arg{i}" for i in range(count)]


def differing(left: np.ndarray, right: np.ndarray) -> set[tuple[int, ...]]:
    """Positions where two same-shaped arrays differ (NaN equals NaN); empty when the shapes differ."""
    if left.shape != right.shape:
        return set()
    with np.errstate(invalid="ignore"):
        same = (left == right) | (np.isnan(left.astype(np.complex128)) & np.isnan(right.astype(np.complex128)))
    return {tuple(int(i) for i in idx) for idx in np.argwhere(~np.asarray(same, dtype=bool))}
