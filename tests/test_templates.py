"""The HTML pages' templates: every one parses, a missing value is an error, and text reaches a page escaped.

The pages are rendered from hand-made `Verdict` objects (no audit run) whose identity, target,
message and statement carry markup; parsed back, the page holds that text as text, and the only
script on it is the copy buttons'.
"""

from __future__ import annotations

import ast
import dataclasses
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pytest

from conv_equivalence.audit.verdict import CRASH, DIFFERS, ERROR, HOLDS, NOT_INSTALLED, REGRESSION, Verdict
from conv_equivalence.identities import Identity, get_identity
from conv_equivalence.report import lesson, page, templating

HOSTILE = "<script>alert(1)</script> & \" onmouseover=\"alert(2)"
REPORT = Path(templating.__file__).parent


class Parsed(HTMLParser):
    """Tags, attributes and text of a page, as a browser's parser sees them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _hostile(identity_id: str) -> Identity:
    real = get_identity(identity_id)
    return dataclasses.replace(real, statement=f"statement {HOSTILE}", formula=f"formula {HOSTILE}",
                               why=f"why {HOSTILE}")


def _verdicts() -> list[Verdict]:
    case = (np.array([1.0, -2.0, np.nan]), np.array([0.5, 3.0]))
    return [
        Verdict("equals-oracle", "numpy.correlate", HOLDS, HOLDS, examples=3),
        Verdict("equals-oracle", f"numpy.{HOSTILE}", HOLDS, REGRESSION, f"message {HOSTILE}\nsecond line",
                counterexample=case, left=np.array([1.0, np.inf, 3.0]), right=np.array([1.0, 2.0, 3.0])),
        Verdict(f"identity {HOSTILE}", "numpy.correlate", HOLDS, ERROR, f"error {HOSTILE}"),
        Verdict("equals-oracle", "jax.lax.conv_general_dilated", HOLDS, NOT_INSTALLED, f"not installed {HOSTILE}"),
        Verdict("agrees-with-torch", f"torch.functional.conv|numpy.{HOSTILE}", HOLDS, CRASH, f"crash {HOSTILE}"),
        Verdict("numpy-convolve-is-correlate", "numpy.convolve", DIFFERS, DIFFERS, f"differs {HOSTILE}",
                counterexample=(np.array([1.0, 2.0]), np.array([0.0, 1.0])), left=np.array([2.0, 1.0]),
                right=np.array([1.0, 2.0])),
    ]


def _assert_escaped(text: str) -> Parsed:
    assert "<script>alert" not in text and 'onmouseover="alert' not in text
    parsed = Parsed(text)
    assert [tag for tag, _ in parsed.tags].count("script") == 1  # the copy buttons' own
    assert not any("onmouseover" in attrs for _, attrs in parsed.tags)
    return parsed


def test_text_reaches_the_report_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(page, "get_identity", _hostile)
    report = {"profile": f"ci {HOSTILE}", "libraries": {"numpy": HOSTILE}, "environment_notes": [f"note {HOSTILE}"]}
    parsed = _assert_escaped(page.render(report, _verdicts(), None))
    text = "".join(parsed.text)
    for shown in (f"statement {HOSTILE}", f"formula {HOSTILE}", f"message {HOSTILE}", f"numpy.{HOSTILE}",
                  f"identity {HOSTILE}", f"note {HOSTILE}", f"differs {HOSTILE}"):
        assert shown in text, shown  # the markup is there as text, as written
    titles = [attrs.get("title") for tag, attrs in parsed.tags if tag == "th"]
    assert f"identity {HOSTILE}" in titles  # and as an attribute's value, whole
    assert any(attrs.get("id") == "v1" for tag, attrs in parsed.tags if tag == "section")  # the regression's card


def test_text_reaches_the_lesson_pages_escaped() -> None:
    verdicts = _verdicts()
    one = _assert_escaped(page.page(f"title {HOSTILE}", f"lesson {HOSTILE}", verdicts[1]))
    assert f"lesson {HOSTILE}" in "".join(one.text)
    belief = _hostile("numpy-convolve-is-correlate")
    without = Verdict(belief.id, "numpy.convolve", DIFFERS, REGRESSION, f"no counterexample {HOSTILE}")
    catalogue = _assert_escaped(lesson.catalogue_page(
        [(belief, "numpy.convolve", verdicts[-1]), (belief, f"numpy.{HOSTILE}", without)],
        [(belief, f"reason {HOSTILE}")], {"numpy": HOSTILE}, f"ci {HOSTILE}"))
    text = "".join(catalogue.text)
    for shown in (f"statement {HOSTILE}", f"why {HOSTILE}", f"reason {HOSTILE}", f"no counterexample {HOSTILE}"):
        assert shown in text, shown


def test_every_template_parses() -> None:
    env = templating.environment()
    names = env.list_templates()
    assert set(names) == {p.name for p in (REPORT / "templates").glob("*.html")}
    assert {"report.html", "figure_page.html", "catalogue.html", "cards.html", "heatmap.html"} <= set(names)
    for name in names:
        env.get_template(name)  # raises TemplateSyntaxError on a malformed one
    assert env.get_template("report.html").environment is env
    assert templating.environment() is env  # one environment, built once


def test_autoescape_and_strict_undefined() -> None:
    env = templating.environment()
    assert env.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("figure_page.html").render(title="a title", text="a text")  # no lesson card
    with pytest.raises(jinja2.UndefinedError):
        templating.macro("cards.html", "chip")(object())  # a chip without label or colour


def _html_in_python(path: Path) -> list[str]:
    """Calls of ``html.escape`` and f-strings that start a tag, in a module's source."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Attribute) and node.attr == "escape" and ast.unparse(node.value) == "html":
            found.append(f"{path.name}:{node.lineno}: html.escape")
        if isinstance(node, ast.JoinedStr):
            head: Any = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and str(head.value).lstrip().startswith("<"):
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)[:60]}")
    return found


def test_no_html_is_built_in_python() -> None:
    found = [hit for path in sorted(REPORT.glob("*.py")) for hit in _html_in_python(path)]
    assert not found, "\n".join(found)
