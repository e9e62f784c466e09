"""The one Jinja2 environment of the HTML pages: the templates under ``templates/``, autoescaped, strict.

Every value a template prints is HTML-escaped unless it is already `markupsafe.Markup` (what a
template or macro rendered); a name the template uses but is not given raises instead of printing
nothing (``StrictUndefined``). Blocks on their own line leave no blank line (``trim_blocks``,
``lstrip_blocks``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jinja2


@functools.cache
def environment() -> jinja2.Environment:
    """The environment, built once."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("conv_equivalence.report", "templates"),
        autoescape=jinja2.select_autoescape(("html",), default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render(name: str, **context: Any) -> str:
    """The template ``name`` rendered with ``context``."""
    return environment().get_template(name).render(**context)


def macro(template: str, name: str) -> Callable[..., str]:
    """The macro ``name`` of ``template`` as a function; what it returns is escaped HTML (`Markup`)."""
    found: Callable[..., str] = getattr(environment().get_template(template).module, name)
    return found
