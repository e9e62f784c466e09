"""`report`: HTML pages rendered from results, never calling back into the audit or the check.

`page` (the audit report), `lesson` (the teaching catalogue's page), `cards` (one verdict as a
card: value grids, differing cells marked, the reproduction) and `heatmap` (small value grids as
coloured tables). Each page's structure is a Jinja2 template under ``templates/``.
"""
