"""Open an HTML page in Firefox (Debian's ``firefox-esr``, headless) and print what a person sees, as JSON.

    python docs/firefox_check.py conv-audit/report.html [shot.png]

Playwright drives only its own patched Firefox build, not the distribution's, so this uses Mozilla's
Marionette client instead (``pip install marionette-driver``, kept out of the project's
dependencies: a manual check of the Firefox rendering, next to the Chromium test in
``tests/test_report_browser.py``). Printed: the viewport, whether the page scrolls sideways,
whether the summary and every regression link are in the first screen, and how many heatmaps
have a value in every cell and a legend.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

MEASURE = """
const doc = document.documentElement, vh = window.innerHeight, vw = window.innerWidth;
const inView = el => { const r = el.getBoundingClientRect(); return r.top >= 0 && r.bottom <= vh && r.left >= 0 && r.right <= vw; };
const summary = document.querySelector('#summary');
const figures = [...document.querySelectorAll('figure.heatmap')];
return {viewport: [vw, vh], scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
        summaryInFirstScreen: summary ? inView(summary) : null,
        regressionLinksInFirstScreen: [...document.querySelectorAll('#problem-list a')].map(inView),
        heatmaps: figures.length,
        heatmapsWithValuesAndLegend: figures.filter(f => f.querySelector('.legend .bar') &&
           [...f.querySelectorAll('table.grid td')].every(td => td.textContent.trim() !== '')).length};
"""


def main() -> None:
    from marionette_driver.marionette import Marionette

    page = Path(sys.argv[1]).resolve()
    client = Marionette(bin="/usr/bin/firefox-esr", headless=True, startup_timeout=120)
    client.start_session()
    try:
        client.set_window_rect(width=1366, height=768)
        client.navigate(page.as_uri())
        print(json.dumps(client.execute_script(MEASURE)))
        if len(sys.argv) > 2:
            Path(sys.argv[2]).write_bytes(base64.b64decode(client.screenshot()))
    finally:
        client.delete_session()


if __name__ == "__main__":
    main()
