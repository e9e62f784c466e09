"""Teaching in a notebook: ``docs/notebook.ipynb`` executed, the objects' notebook displays, the rendered notebook
in real Chromium.

The notebook runs in a fresh ``python3`` kernel of this interpreter (nbclient); it must run without an error,
draw its lesson, audit and checks as cards, and give the outputs stored in it (times aside) on the versions it
was stored with (``metadata.conv_equivalence.versions``; on other versions that comparison is skipped). After a
change, store it again with ``python -m tests.test_notebook``. The browser test exports it to HTML with
nbconvert (JupyterLab's light and dark themes), opens it in Chromium at 1366x768 and looks at the outputs;
``CONV_EQUIVALENCE_SCREENSHOTS=DIR`` keeps its screenshots there.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.ipynb"
VERSIONS = ("torch", "numpy", "scipy", "hypothesis")
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 1366, 768
CARDS = 5
"""The notebook's outputs drawn as cards: the audit, a lesson, the failing and the fixed check, the failing assert_matches."""


def versions() -> dict[str, str]:
    return {name: importlib.metadata.version(name) for name in VERSIONS}


def execute(path: Path = NOTEBOOK) -> tuple[Any, float]:
    """The notebook at ``path`` run top to bottom in a fresh kernel, and the seconds it took."""
    nbformat = pytest.importorskip("nbformat", reason="the notebook tests need nbformat (the test extra)")
    nbclient = pytest.importorskip("nbclient", reason="the notebook tests need nbclient and ipykernel (the test extra)")
    pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (the test extra)")
    notebook = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook, time.perf_counter() - start


def store() -> None:
    """Run the notebook and store its outputs in it, with the versions they were made on."""
    import nbformat

    notebook, seconds = execute()
    notebook.metadata["conv_equivalence"] = {"versions": versions()}
    nbformat.write(notebook, NOTEBOOK)
    print(f"{NOTEBOOK}: executed in {seconds:.1f}s and stored")


def outputs(notebook: Any, kind: str) -> list[str]:
    """Each code cell's outputs of MIME type ``kind`` (``stream`` for printed text), joined, one entry a cell."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        parts = [o.get("text", "") if kind == "stream" else o.get("data", {}).get(kind, "") for o in cell.outputs
                 if (o.output_type == "stream") == (kind == "stream")]
        found.append("".join(parts))
    return found


def _timeless(text: str) -> str:
    return re.sub(r"\b\d+\.\ds\b", "_s", text)


@pytest.fixture(scope="module")
def executed() -> tuple[Any, float]:
    return execute()


def test_the_notebook_runs_and_teaches(executed: tuple[Any, float]) -> None:
    notebook, seconds = executed
    print(f"docs/notebook.ipynb executed in {seconds:.1f}s")
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    html = [h for h in outputs(notebook, "text/html") if h]
    assert len(html) == CARDS and all(h.lstrip().startswith('<div class="conv-eq">') for h in html)
    audit, lesson, failing, fixed, mismatch = html
    assert "Nothing changed: all 5 checks are as the catalogue expects" in audit
    assert "torch-conv-is-scipy-convolve" in lesson and "holds on this counterexample" in lesson
    assert 'class="diff' in lesson and 'class="select-all"' in lesson
    assert "fail: 1 of 2 facets fail" in failing and "got - expected" in failing and 'class="diff' in failing
    assert "pass: no facet fails" in fixed
    assert "my_conv2d: fail" in mismatch and "expected (oracle)" in mismatch
    text = "\n".join(outputs(notebook, "text/plain") + outputs(notebook, "stream"))
    assert "the layer's bias:" in text
    assert "nn-conv-adds-no-bias  (differs" in text and "MismatchError: == my_conv2d: fail" in text
    assert all("<script" not in h for h in html)


def test_the_stored_outputs_are_what_it_gives(executed: tuple[Any, float]) -> None:
    """The notebook in docs/ holds the outputs it gives (so it reads the same on a code host as when run)."""
    import nbformat

    stored = nbformat.read(NOTEBOOK, as_version=4)
    counts = [c.execution_count for c in stored.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), "store the notebook run top to bottom: python -m tests.test_notebook"
    assert len([h for h in outputs(stored, "text/html") if h]) == CARDS
    made_on = stored.metadata.get("conv_equivalence", {}).get("versions")
    if made_on != versions():
        pytest.skip(f"the stored outputs were made on {made_on}, this is {versions()}")
    fresh = executed[0]
    for kind in ("text/plain", "stream", "text/html"):
        was, now = outputs(stored, kind), outputs(fresh, kind)
        if kind == "text/html":  # the environment line names this machine's platform and libraries
            was, now = ([re.sub(r"<div><b>(run|libraries|environment)</b>.*?</div>", "", h) for h in x] for x in (was, now))
        assert [_timeless(t) for t in was] == [_timeless(t) for t in now], (
            f"docs/notebook.ipynb's stored {kind} outputs are stale: python -m tests.test_notebook")


# -- the objects a notebook shows, one by one -------------------------------------------------------------------

def flipped_conv2d(input: Any, weight: Any, bias: Any = None, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                   groups: Any = 1) -> Any:
    """A deliberately broken convolution: torch's, with the kernel flipped (textbook convolution)."""
    import torch

    return torch.nn.functional.conv2d(input, weight.flip(-1, -2), bias, stride, padding, dilation, groups)


def _fragment(html: str) -> None:
    """One self-contained notebook output: scoped style, no script, nothing fetched."""
    assert html.startswith('<div class="conv-eq"><style>') and "<script" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_a_lesson_is_its_text_in_a_console_and_a_card_in_a_notebook() -> None:
    from IPython.lib.pretty import pretty

    import conv_equivalence
    from conv_equivalence.teach.explain import Explanation, explain_text

    lesson = conv_equivalence.explain("correlate2d-same-is-correlate-same")
    assert isinstance(lesson, Explanation) and lesson.ok and lesson.verdict.outcome == "differs"
    assert str(lesson) == explain_text(lesson.identity, lesson.target, lesson.verdict)
    assert repr(lesson) == str(lesson).rstrip("\n") == pretty(lesson)
    assert repr(lesson).startswith("correlate2d-same-is-correlate-same  (differs; checked on scipy.signal")
    html = lesson._repr_html_()
    _fragment(html)
    assert "Smallest counterexample" in html and 'class="diff' in html and "holds on this counterexample" in html
    assert '<pre class="select-all"' in html and "<button" not in html


def test_explain_still_works_after_the_old_module_path_is_imported() -> None:
    import warnings

    import conv_equivalence

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import conv_equivalence.explain  # noqa: F401  (the flat layout's path: importing it rebinds the name)
    assert callable(conv_equivalence.explain)
    with pytest.raises(KeyError):
        conv_equivalence.explain("no-such-identity")


def test_a_check_result_draws_its_table_and_failing_cards() -> None:
    from IPython.lib.pretty import pretty

    from conv_equivalence import check_conv
    from conv_equivalence.profiles import PROFILES

    result = check_conv(flipped_conv2d, 2, only=["plain", "bias"], examples=10, dtypes=["float64"],
                        profile=PROFILES["ci"], raise_on_failure=False)
    assert result.verdict == "fail"
    head, _, rest = repr(result).partition("\n")
    assert head.startswith("CheckResult tests.test_notebook:flipped_conv2d: fail, 1 of 2 facets fail")
    assert rest == result.report() and pretty(result) == repr(result)
    plain, bias = result.facets
    assert repr(plain).startswith("== plain: fail") and "expected (oracle)" in repr(plain)
    assert repr(bias) == (f"== bias: explained ({bias.examples} checked, 0 declined): fails as plain does once its own "
                          "feature is taken out")
    html = result._repr_html_()
    _fragment(html)
    assert '<table class="facets">' in html and html.count('<section class="card"') == 1
    assert "got - expected" in html and 'class="diff' in html and '<pre class="select-all"' in html
    _fragment(plain._repr_html_())


def test_an_audit_result_draws_the_reports_first_screen_and_problem_cards() -> None:
    from IPython.lib.pretty import pretty

    from conv_equivalence.audit.run import AuditResult
    from conv_equivalence.audit.verdict import REGRESSION, Verdict, verify
    from conv_equivalence.identities import get_identity
    from conv_equivalence.profiles import PROFILES

    holds = verify(get_identity("equals-oracle"), "numpy.convolve", PROFILES["ci"])
    belief = verify(get_identity("torch-conv-is-scipy-convolve"), "torch", PROFILES["ci"])
    audit = AuditResult("ci", [holds, belief])
    assert repr(audit).startswith("AuditResult (ci profile, 2 checks)\nNothing changed: all 2 checks")
    assert pretty(audit) == repr(audit)
    html = audit._repr_html_()
    _fragment(html)
    assert "Nothing changed: all 2 checks are as the catalogue expects" in html and 'class="matrix"' in html
    assert "torch-conv-is-scipy-convolve" in html and "Regressions" not in html
    broken = Verdict("equals-oracle", "numpy.convolve", "holds", REGRESSION, "values differ",
                     counterexample=(np.array([0.0, 1.0]), np.array([0.0, 1.0])), left=np.array([0.0]), right=np.array([1.0]))
    html = AuditResult("ci", [holds, broken])._repr_html_()
    assert "Changed: 1 regression in 2 checks" in html and "Regressions, errors and crashes (1)" in html
    assert 'class="diff' in html and '<pre class="select-all"' in html
    assert "CHANGED: 1 regression in 2 checks" in repr(AuditResult("ci", [holds, broken]))


def test_a_failing_assert_matches_carries_its_card() -> None:
    from hypothesis import given, settings
    from IPython.lib.pretty import pretty

    from conv_equivalence.profiles import PROFILES
    from conv_equivalence.testing import MismatchError, assert_matches, convolutions

    @settings(PROFILES["ci"], max_examples=20)
    @given(convolutions("torch", ndim=2, dtypes=["float64"], vary=["bias"]))
    def check(conv: Any) -> None:
        assert_matches(conv, flipped_conv2d(*conv.args), name="flipped", function=flipped_conv2d)

    with pytest.raises(AssertionError) as caught:
        check()
    error = caught.value
    assert isinstance(error, MismatchError) and error.facet is not None
    assert str(error).startswith("== flipped: fail") and repr(error) == f"MismatchError: {error}" == pretty(error)
    html = error._repr_html_()
    assert html is not None
    _fragment(html)
    assert "expected (oracle)" in html and 'class="diff' in html and "conv-equivalence check, facet property test" in html
    assert MismatchError("searching")._repr_html_() is None


def test_the_style_stays_in_its_output() -> None:
    """Every rule of a notebook output's style sheet is scoped under .conv-eq, so nothing leaks into the notebook."""
    from conv_equivalence.report.notebook import CSS

    selectors = [s.strip() for group in re.findall(r"([^{}]+)\{", str(CSS)) for s in group.split(",")]
    assert selectors and all(s == ".conv-eq" or s.startswith(".conv-eq ") for s in selectors), \
        [s for s in selectors if not s.startswith(".conv-eq")]
    assert "--jp-layout-color0" in CSS and "@media" not in CSS


# -- the rendered notebook in a real browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Any:
    if os.environ.get("CONV_EQUIVALENCE_NO_BROWSER") == "1":
        pytest.skip("CONV_EQUIVALENCE_NO_BROWSER=1: no browser on this machine")
    pytest.importorskip("playwright.sync_api", reason="the browser test needs playwright (the test extra)")
    pytest.importorskip("nbconvert", reason="the browser test needs nbconvert (the test extra)")
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


def _luminance(colour: str) -> float:
    r, g, b = (int(v) for v in re.findall(r"\d+", colour)[:3])
    return (0.299 * r + 0.587 * g + 0.114 * b) / 255


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_the_rendered_notebook_in_chromium(theme: str, browser: Any, executed: tuple[Any, float],
                                           tmp_path: Path) -> None:
    from nbconvert import HTMLExporter

    shots = Path(os.environ.get("CONV_EQUIVALENCE_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    body, _ = HTMLExporter(template_name="lab", theme=theme).from_notebook_node(executed[0])
    path = tmp_path / f"notebook-{theme}.html"
    path.write_text(body, encoding="utf-8")
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    # the export's own MathJax and require.js come from a CDN; the outputs need nothing from the network
    page.route(re.compile(r"^https?://"), lambda route: route.abort())
    page.goto(path.as_uri())
    cards = page.locator("div.conv-eq")
    assert cards.count() == CARDS
    audit, lesson, failing = cards.nth(0), cards.nth(1), cards.nth(2)
    for name, card in (("audit", audit), ("lesson", lesson), ("check", failing)):
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(shots / f"notebook-{name}-{theme}.png"))
        box = card.bounding_box()
        assert box is not None and box["x"] + box["width"] <= WIDTH, f"the {name} output is wider than the window"
    failing.locator("details.repro summary").first.click()
    script = failing.locator("pre.select-all").first
    assert script.is_visible() and script.evaluate("e => getComputedStyle(e).userSelect") == "all"
    failing.screenshot(path=str(shots / f"notebook-check-reproduction-{theme}.png"))
    text = _luminance(lesson.evaluate("e => getComputedStyle(e).color"))
    assert (text < 0.4) if theme == "light" else (text > 0.6), f"the lesson's text does not follow the {theme} theme"
    cell = lesson.locator("table.grid td.diff").first
    assert _luminance(cell.evaluate("e => getComputedStyle(e).color")) < 0.2 or "nf" in (cell.get_attribute("class") or "")
    assert cell.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"
    chip = lesson.locator(".chip").first
    assert _luminance(chip.evaluate("e => getComputedStyle(e).color")) < 0.2, "a chip's text must be dark on its light colour"
    # the outputs' style stays in them: the printed lesson (a plain <pre> outside .conv-eq) keeps the notebook's
    printed = page.locator(".jp-OutputArea-output pre").filter(has_text="nn-conv-adds-no-bias  (differs").first
    assert printed.evaluate("e => getComputedStyle(e).userSelect") != "all"
    heading = page.locator(".jp-MarkdownOutput h1").first
    assert float(heading.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) > 20
    page.close()


if __name__ == "__main__":
    store()
