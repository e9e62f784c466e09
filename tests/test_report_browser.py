"""The HTML report and the teaching page as a person sees them: opened in real headless Chromium.

The report comes from a small real audit (`run_audit` on a few pairs, with a deliberately broken
registered backend, ``tests.report_backends``, so regression cards exist), written by
`write_reports`; the teaching page from real verdicts of a few beliefs. The browser is Debian's
``/usr/bin/chromium`` driven by Playwright. Without it these tests fail (CI installs it), unless
``CONV_EQUIVALENCE_NO_BROWSER=1`` says this machine has no browser on purpose.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conv_equivalence.profiles import PROFILES
from conv_equivalence.values import number

ROOT = Path(__file__).parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTH, HEIGHT = 1366, 768


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("CONV_EQUIVALENCE_NO_BROWSER") == "1":
        pytest.skip("CONV_EQUIVALENCE_NO_BROWSER=1: no browser on this machine")
    pytest.importorskip("playwright.sync_api", reason="the browser tests need playwright (the dev extra; tox -e oldest has only test)")
    assert shutil.which(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium (or set CONV_EQUIVALENCE_NO_BROWSER=1)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def audit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Any]]:
    """A real audit: numpy and torch backends, the broken one, a pairwise check and a belief."""
    import tests.report_backends  # noqa: F401  (registers test.flipped-kernel here too)
    from conv_equivalence.audit.run import run_audit, select
    from conv_equivalence.cli.audit import write_reports
    from conv_equivalence.identities import all_identities

    pairs = select(["numpy", "test.flipped", "torch.functional.conv"],
                   ["equals-oracle", "keeps-dtype", "agrees-with-torch", "numpy-convolve-is-correlate"])
    pairs = [(i, t) for i, t in pairs if not (i.id == "agrees-with-torch" and "numpy" not in t and "flipped" not in t)]
    result = run_audit(pairs, "ci", PROFILES["ci"], jobs=2, setup=["tests.report_backends"])
    out = tmp_path_factory.mktemp("report")
    write_reports(result, out, {i.id: i for i in all_identities()})
    return out / "report.html", result.verdicts


def _open(browser: Any, path: Path) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT})
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())
    return page, requests


def _in_first_screen(page: Any, locator: Any) -> bool:
    box = locator.bounding_box()
    return locator.is_visible() and box is not None and box["y"] >= 0 and box["y"] + box["height"] <= HEIGHT \
        and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH


def _no_horizontal_scroll(page: Any) -> None:
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client, f"the page scrolls sideways: {scroll} px of content in {client} px"


def _heatmaps_readable(page: Any) -> int:
    """Every heatmap writes a value in each cell and has a legend (-M, colour bar, +M); returns how many."""
    figures = page.locator("figure.heatmap")
    for k in range(figures.count()):
        figure = figures.nth(k)
        cells = figure.locator("table.grid td")
        if cells.count() == 0:
            assert "empty" in figure.inner_text()
            continue
        texts = cells.all_inner_texts()
        assert all(re.fullmatch(r"-?[\d.e+\-]+|nan|-?inf|[TF]|.*j", t.strip()) for t in texts), texts
        legend = figure.locator(".legend")
        assert legend.count() == 1 and legend.locator(".bar").count() == 1, figure.inner_html()[:300]
        assert legend.is_visible(), f"legend of heatmap {k} is hidden"
    return figures.count()


def test_report_first_screen_shows_summary_and_every_regression(browser: Any, audit: tuple[Path, list[Any]]) -> None:
    path, verdicts = audit
    regressions = [v for v in verdicts if v.outcome == "regression"]
    assert {v.target for v in regressions} >= {"test.flipped-kernel", "torch.functional.conv|test.flipped-kernel"}
    page, requests = _open(browser, path)
    assert _in_first_screen(page, page.locator("#summary")), "the summary does not fit the first screen"
    assert f"{len(regressions)} regressions" in page.locator("#summary .verdict").inner_text()
    counts = page.locator("#summary .counts").inner_text()
    for status in ("regression", "holds", "differs", "not-installed"):
        n = sum(v.outcome == status for v in verdicts)
        assert f"{status} {n}" in counts, (status, n, counts)
    links = page.locator("#problem-list a")
    assert links.count() == len(regressions)
    for k, v in enumerate(regressions):
        link = links.nth(k)
        assert link.inner_text() == v.target
        assert _in_first_screen(page, link), f"regression {v.identity} [{v.target}] is below the first screen"
    for line in ("run", "libraries", "tolerance"):
        assert page.locator("#summary .env b", has_text=line).count() == 1
    _no_horizontal_scroll(page)
    assert all(url.startswith("file://") for url in requests), requests  # self-contained: nothing fetched
    page.close()


def test_report_cards_draw_the_counterexample_one_click_away(browser: Any, audit: tuple[Path, list[Any]]) -> None:
    path, verdicts = audit
    page, _ = _open(browser, path)
    index = next(i for i, v in enumerate(verdicts) if v.identity == "equals-oracle" and v.target == "test.flipped-kernel")
    verdict = verdicts[index]
    page.locator(f"#problem-list a[href=\"#v{index}\"]").click()
    card = page.locator(f"#v{index}")
    assert _in_first_screen(page, card.locator("h3")), "the link does not bring its card into view"
    # the input grid holds the counterexample's values, in order
    x_cells = card.locator("figure.heatmap", has_text="input x").locator("td").all_inner_texts()
    assert x_cells == [number(v) for v in verdict.counterexample.x.ravel()]
    # the differing outputs are outlined, and only those
    got = card.locator("figure.heatmap", has_text="got (left side)")
    marked = int(got.locator("td.diff").count())
    assert marked == int(np.sum(verdict.left != verdict.right)) > 0
    # diverging colours: positive red, negative blue, zero (near) white
    styles = card.locator("td").evaluate_all(
        "cells => cells.map(c => [c.innerText, getComputedStyle(c).backgroundColor])")
    colour = {text: tuple(int(n) for n in re.findall(r"\d+", bg)[:3]) for text, bg in styles}
    if "1" in colour:
        r, _, b = colour["1"]
        assert r > b
    if "-1" in colour:
        r, _, b = colour["-1"]
        assert b > r
    if "0" in colour:
        assert min(colour["0"]) > 230
    assert "ConvSpec.create" in (card.locator("pre[id^=repro]").text_content() or "")
    card.locator("button.copy").click()
    page.wait_for_function(f"document.querySelector('#v{index} button.copy').textContent === 'Copied'")
    page.close()


def test_report_has_no_sideways_scroll_and_readable_heatmaps(browser: Any, audit: tuple[Path, list[Any]]) -> None:
    path, verdicts = audit
    page, _ = _open(browser, path)
    for summary in page.locator("details > summary").all():
        summary.click()  # open every lesson: the page must still fit the width
    assert _heatmaps_readable(page) >= 5 * sum(v.counterexample is not None for v in verdicts)
    _no_horizontal_scroll(page)
    text = page.locator("body").inner_text()
    assert "not available here: no CUDA device" in text or "cuda" not in text
    # one compact pairwise table, the belief among the lessons, not in the matrix
    assert page.locator("#agreement .pairs .chip", has_text="test.flipped-kernel").count() == 1
    assert page.locator("#lessons", has_text="numpy-convolve-is-correlate").count() == 1
    assert page.locator("#backends", has_text="numpy-convolve-is-correlate").count() == 0
    page.close()


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``conv-equivalence explain --html FILE``: the whole catalogue, written by the command itself."""
    path = tmp_path_factory.mktemp("teaching") / "catalogue.html"
    result = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "explain", "--html", str(path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=900, env={**os.environ, "CI": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"catalogue: {path}" in result.stdout
    assert not list(path.parent.glob(".*tmp"))
    return path


def test_teaching_page_is_one_printable_catalogue(browser: Any, catalogue: Path) -> None:
    from conv_equivalence.identities import all_identities

    beliefs = [i for i in all_identities() if i.status == "differs"]
    runnable = {i.id for i in beliefs if any(i.unavailable_reason(t) is None for t in i.targets())}
    page, requests = _open(browser, catalogue)
    assert set(page.locator("nav.toc a").all_inner_texts()) == runnable
    for identity in beliefs:
        if identity.id not in runnable:
            assert identity.id in page.locator("nav.toc").inner_text()  # listed as not installed
            continue
        lesson = page.locator(f'section.lesson[id="{identity.id}"]')
        assert lesson.locator("h2 .chip").inner_text().endswith("differs")
        assert lesson.locator("figure.heatmap").count() >= 1, identity.id  # its counterexample, drawn
        if identity.why:
            assert identity.why[:40] in lesson.inner_text()
        if identity.truth is not None:
            assert "holds on this counterexample" in lesson.inner_text(), identity.id
    assert _heatmaps_readable(page) >= 3 * len(runnable)
    _no_horizontal_scroll(page)
    last = sorted(runnable)[-1]
    page.locator("nav.toc a", has_text=re.compile(f"^{re.escape(last)}$")).click()
    assert _in_first_screen(page, page.locator(f'section.lesson[id="{last}"] h2'))
    page.emulate_media(media="print")
    assert not page.locator("button.copy").first.is_visible()
    assert page.pdf()[:4] == b"%PDF"
    assert all(url.startswith("file://") for url in requests), requests
    page.close()


def test_one_lesson_page_still_draws_its_counterexample(browser: Any, tmp_path: Path) -> None:
    path = tmp_path / "one.html"
    result = subprocess.run([sys.executable, "-m", "conv_equivalence.cli", "explain", "torch-conv-is-scipy-convolve",
                             "--html", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "CI": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    page, _ = _open(browser, path)
    x = page.locator("figure.heatmap", has_text="x (2,)")
    assert x.locator("td").all_inner_texts() == ["0", "1"]  # the lesson's smallest counterexample, as printed
    assert _heatmaps_readable(page) == 5
    _no_horizontal_scroll(page)
    script = page.locator("pre[id^=repro]").text_content() or ""  # what the copy button copies
    assert "from conv_equivalence" not in script  # upstream-ready: only the library and numpy
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert run.returncode == 1 and "the behaviour persists" in run.stdout, run.stdout + run.stderr
    page.close()
