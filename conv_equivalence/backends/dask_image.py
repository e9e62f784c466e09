"""dask-image: ``dask_image.ndfilters.correlate`` and ``convolve`` on chunked dask arrays, computed on a
``dask.distributed`` LocalCluster.

They are scipy.ndimage's filters run chunk by chunk with ``map_overlap``: each chunk is extended by
the kernel's reach ``depth = K // 2 + |origin|`` with its neighbours' samples (``boundary='none'``) and
filtered by ``scipy.ndimage.correlate``/``convolve`` with the same ``mode``, ``cval`` and ``origin``, so
the conventions are ndimage's (see `conv_equivalence.backends.scipy_ndimage`): an output as large as the
input, the kernel centred at ``K // 2 + origin``, ``convolve`` flipping the kernel and mirroring the
origin (one further on an even axis), ``correlate`` conjugating complex weights; the result keeps the
image's dtype. ``mode='wrap'`` is computed with a periodic overlap instead (dask-image#242, fixed by
PR 243). A torch problem is, as for ndimage, the filter with ``origin = before - K // 2`` (mirrored for
``convolve``), cut to torch's output length, whenever ``before + after <= K - 1``; the batch is a leading
axis the kernel spans with length 1.

The answer users rely on is that the chunked result equals the unchunked one: here every array is
chunked whole along the batch and in two halves along each spatial axis (`chunking`); the native
identity ``native-dask-image-chunking-is-invisible`` draws the chunking.

Refused (a ValueError, declared unsupported): a kernel whose reach ``K // 2 + |origin|`` exceeds the
array's length on some axis ("The overlapping depth 3 is larger than your array 2": dask's
``map_overlap``, dask#11934, open). scipy.ndimage's own defects come along (its known issues
``ndimage-nan-weights-ignored`` and ``ndimage-absolute-epsilon``). ``mode='grid-wrap'`` wraps within each
chunk instead of the array (the belief ``dask-image-grid-wrap-is-wrap``); torch's circular is ``'wrap'``.

The cluster: one per process, started on first use (``n_workers=1, threads_per_worker=1,
processes=True``, no dashboard, logs at ERROR; about 2 s), closed at exit. Each problem's chunked graph
goes to the worker process as one task that runs it with dask's synchronous scheduler (`compute`): the
chunk-by-chunk algorithm, its pickling and the worker are real, at one round trip a problem; scheduling
each chunk as a task of its own (``compute(..., scheduled=True)``, what tests/test_dask_image.py checks)
gives the same values at 3 to 15 times the cost.
"""

from __future__ import annotations

import atexit
from collections.abc import Callable
from typing import Any

import numpy as np

from conv_equivalence.backends import Backend, Capabilities, register
from conv_equivalence.backends._signal import as_output, conj, flip, signals
from conv_equivalence.backends.scipy_ndimage import ABSOLUTE_EPSILON, DTYPES, NAN_WEIGHTS_IGNORED
from conv_equivalence.boundary import by_torch_mode
from conv_equivalence.problem import ConvProblem


def chunking(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The adapter's chunks: the whole batch, and each spatial axis cut in two (``ceil(n / 2)``), so that
    windows cross a chunk boundary while a problem stays a handful of tasks."""
    return (max(shape[0], 1), *(max(-(-n // 2), 1) for n in shape[1:]))
_CLIENT: list[Any] = []


def client() -> Any:
    """This process's ``dask.distributed`` client on a one-worker LocalCluster, started on first use."""
    if not _CLIENT:
        import logging

        from distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        _CLIENT.append(Client(cluster, set_as_default=False))
        atexit.register(close)
    return _CLIENT[0]


def close() -> None:
    """Close the client and its cluster, if this process started them."""
    while _CLIENT:
        c = _CLIENT.pop()
        cluster = c.cluster
        c.close()
        if cluster is not None:
            cluster.close()


def _compute_here(array: Any) -> np.ndarray:
    return np.asarray(array.compute(scheduler="sync"))


def compute(array: Any, *, scheduled: bool = False) -> np.ndarray:
    """A dask array's value, computed on this process's cluster: its whole chunked graph shipped to the
    worker as one task and run there by dask's synchronous scheduler (one round trip, ~20 ms), or with
    ``scheduled`` task by task by the distributed scheduler (~70 ms and more a call on two shared cores)."""
    if scheduled:
        return np.asarray(array.compute(scheduler=client()))
    return np.asarray(client().submit(_compute_here, array, pure=False).result())


def origins(problem: ConvProblem, convolving: bool) -> list[int]:
    """ndimage's origin per spatial axis for torch's padding (mirrored for ``convolve``)."""
    kernel = problem.weight.shape[2:]
    found = [pl - n // 2 for (pl, _), n in zip(problem.spec.pads(kernel), kernel)]
    return [-o - (1 - n % 2) for o, n in zip(found, kernel)] if convolving else found


def _rule(convolving: bool) -> Callable[[ConvProblem], str | None]:
    def rule(problem: ConvProblem) -> str | None:
        kernel = problem.weight.shape[2:]
        if not all(pl + pr <= k - 1 for (pl, pr), k in zip(problem.spec.pads(kernel), kernel)):
            return "unsupported: padding wider than kernel size - 1 (the output is as large as the input)"
        reach = [k // 2 + abs(o) for k, o in zip(kernel, origins(problem, convolving))]
        if any(r > n for r, n in zip(reach, problem.x.shape[2:])):
            return "unsupported: kernel reach K // 2 + |origin| longer than the array (map_overlap refuses: dask#11934)"
        return None

    return rule


def _filter(function: str) -> Callable[[ConvProblem], np.ndarray]:
    convolving = function == "convolve"

    def run(problem: ConvProblem) -> np.ndarray:
        import dask.array as da
        from dask_image import ndfilters

        x, k = signals(problem)
        weights = flip(k) if convolving else conj(k)
        image = da.from_array(x, chunks=chunking(x.shape))
        mode = by_torch_mode(problem.spec.padding_mode).ndimage
        y = getattr(ndfilters, function)(image, weights, mode=mode, cval=0.0, origin=[0, *origins(problem, convolving)])
        out_len = problem.output_shape[2:]
        return as_output(compute(y)[(slice(None), *(slice(0, n) for n in out_len))])

    return run


for _function in ("correlate", "convolve"):
    register(Backend(
        f"dask_image.ndfilters.{_function}", "dask_image",
        f"dask_image.ndfilters.{_function} on chunks halving each spatial axis with ndimage's mode and origin for torch's padding, "
        "on a distributed LocalCluster",
        Capabilities(ranks=(1, 2, 3), dtypes=DTYPES, padding_modes=("zeros", "reflect", "replicate", "circular"),
                     padding_pairs=True, extra_rule=_rule(_function == "convolve")),
        _filter(_function),
        available_check=lambda: None,
        known_issues=(NAN_WEIGHTS_IGNORED, ABSOLUTE_EPSILON),
    ))
