"""`teach`: refuted beliefs as lessons.

`explain` turns a verdict into text (the belief, its smallest counterexample, the true identity
beside it) and runs the catalogue; `repro` holds the standalone scripts that show each finding
outside this project.
"""
