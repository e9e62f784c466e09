"""The Hypothesis versions whose shrinker the shrink-size tests were recorded with.

How small a counterexample the shrinker reaches is a property of Hypothesis itself, and changes
between its releases; the tests that hold the shrinker to an exact size run from this version on
(the CI gate pins it in the `dev` extra), and elsewhere only check that a counterexample exists.
"""

import hypothesis

RECORDED_WITH = (6, 170)
SHRINKER_AS_RECORDED = tuple(int(part) for part in hypothesis.__version__.split(".")[:2]) >= RECORDED_WITH
REASON = f"shrink sizes were recorded with Hypothesis >= {RECORDED_WITH[0]}.{RECORDED_WITH[1]}; this is {hypothesis.__version__}"
