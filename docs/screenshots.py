"""Screenshots of the audit report and the teaching page for the README, from real runs.

    python docs/screenshots.py [--out docs/images] [--jobs N]

Runs a real audit (a few identities on every installed backend, every pairwise check, the
catalogue's beliefs, and ``test.flipped-kernel``, a deliberately broken backend from
``tests/report_backends.py``, so that the report shows what a regression looks like), writes
the HTML report and the whole teaching catalogue (`teaching_html`) to a temporary directory,
and photographs them in headless Chromium (``/usr/bin/chromium``) at 1366x768:

* ``report-first-screen.png``: what a person sees on opening the report;
* ``report-card.png``: one regression's counterexample card;
* ``teaching-page.png``: the catalogue's first screen (table of contents);
* ``teaching-lesson.png``: one lesson.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.report_backends

IDENTITIES = ["equals-oracle-within-rounding", "keeps-dtype-and-shape", "nonfinite-propagates", "batch-items",
              "delta-kernel", "agrees-with-torch"]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def build(directory: Path, jobs: int) -> tuple[Path, Path]:
    """Run the audit and the catalogue; write ``report.html`` and ``catalogue.html`` into ``directory``."""
    import tests.report_backends  # noqa: F401  (registers the broken backend in this process)
    from conv_equivalence.audit.run import library_versions, run_audit, select
    from conv_equivalence.audit.workers import captured_output
    from conv_equivalence.cli.audit import write_reports
    from conv_equivalence.identities import all_identities
    from conv_equivalence.profiles import PROFILES
    from conv_equivalence.report.lesson import catalogue_page
    from conv_equivalence.teach.explain import catalogue

    beliefs = [i.id for i in all_identities() if i.status == "differs"]
    pairs = select(None, IDENTITIES + beliefs)
    print(f"auditing {len(pairs)} checks ...", flush=True)
    result = run_audit(pairs, "ci", PROFILES["ci"], jobs=jobs, setup=["tests.report_backends"])
    write_reports(result, directory, {i.id: i for i in all_identities()})
    print("refuting the catalogue's beliefs ...", flush=True)
    lessons, missing = catalogue("ci", jobs)
    with captured_output():
        text = catalogue_page(lessons, missing, library_versions(), "ci")
    (directory / "catalogue.html").write_text(text, encoding="utf-8")
    return directory / "report.html", directory / "catalogue.html"


def photograph(report: Path, teaching: Path, out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    shots = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(report.as_uri())
        shots.append(out / "report-first-screen.png")
        page.screenshot(path=shots[-1])
        shots.append(out / "report-card.png")
        page.locator("#problems section.card").first.screenshot(path=shots[-1])
        page.goto(teaching.as_uri())
        shots.append(out / "teaching-page.png")
        page.screenshot(path=shots[-1])
        shots.append(out / "teaching-lesson.png")
        page.locator("section.lesson").first.screenshot(path=shots[-1])
        browser.close()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report, teaching = build(Path(tmp), args.jobs)
        for shot in photograph(report, teaching, args.out):
            print(f"{shot} ({shot.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    main()
