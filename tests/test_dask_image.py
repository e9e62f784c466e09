"""dask-image on a real LocalCluster: chunked equals unchunked (task by task too), its refusal, and the grid-wrap belief."""

from __future__ import annotations

import numpy as np
import pytest

from conv_equivalence import oracle_filters
from conv_equivalence.identities import get_identity
from conv_equivalence.problem import ConvProblem, ConvSpec

pytest.importorskip("dask_image", reason="dask-image is not installed (extra [dask-image])")
pytest.importorskip("distributed", reason="distributed is not installed")


def test_chunks_of_one_on_the_distributed_scheduler_equal_ndimage() -> None:
    import dask.array as da
    from dask_image import ndfilters

    from conv_equivalence.backends.dask_image import client, compute

    assert client().cluster is not None and len(client().scheduler_info()["workers"]) == 1
    x = np.arange(1.0, 9.0)
    w = np.array([1.0, 10.0, 100.0])
    for mode in ("reflect", "constant", "nearest", "mirror", "wrap", "grid-constant", "grid-mirror"):
        got = compute(ndfilters.correlate(da.from_array(x, chunks=1), w, mode=mode, cval=2.0, origin=1), scheduled=True)
        np.testing.assert_array_equal(got, oracle_filters.filter_correlate(x, w, mode, 2.0, 1), err_msg=mode)


def test_adapter_on_a_hand_computed_example() -> None:
    from conv_equivalence.backends import get_backend

    x = np.array([[[1.0, 2.0, 4.0, 8.0, 16.0]]])
    problem = ConvProblem(ConvSpec.create(1, padding=1, padding_mode="circular"), x, np.array([[[100.0, 10.0, 1.0]]]))
    for name in ("dask_image.ndfilters.correlate", "dask_image.ndfilters.convolve"):
        np.testing.assert_array_equal(get_backend(name)(problem)[0, 0], [1612.0, 124.0, 248.0, 496.0, 961.0])


def test_reach_longer_than_the_array_is_still_refused() -> None:
    import dask.array as da
    from dask_image import ndfilters

    from conv_equivalence.backends import get_backend

    with pytest.raises(ValueError, match="larger than your array"):
        ndfilters.correlate(da.from_array(np.ones(2), chunks=2), np.ones(7))
    problem = ConvProblem(ConvSpec.create(1, padding=((1, 2),)), np.ones((1, 1, 1)), np.ones((1, 1, 4)))
    assert "dask#11934" in str(get_backend("dask_image.ndfilters.correlate").capabilities.reason_unsupported(problem))


def test_grid_wrap_belief_counterexample_still_differs() -> None:
    identity = get_identity("dask-image-grid-wrap-is-wrap")
    case = (np.array([0.0, 0.0, 1.0]), np.array([1.0, 0.0]), (1, 1, 1))
    with pytest.raises(AssertionError):
        identity.check("dask_image", case)
    assert identity.truth is not None
    identity.truth("dask_image", case)
