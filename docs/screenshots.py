"""Screenshots of the web page for the README, from the built-in demo news.

Loads the demo into a temporary store, starts ``storyline serve`` on a free 127.0.0.1 port, and
photographs the front page and the top story's page with headless Chromium (Debian's ``chromium``
driven by Playwright; ``apt-get install chromium`` and ``pip install playwright``, never
``playwright install``)::

    python docs/screenshots.py            # writes docs/screenshots/*.png

The brief's two pictures (``brief.png``, ``brief-web.png``) are taken by its browser tests::

    STORYLINE_SCREENSHOTS=docs/screenshots python -m pytest tests/test_brief_browser.py

The pages use whatever fonts the machine has; these were taken with Debian's ``fonts-inter`` and
``fonts-crosextra-caladea`` installed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        subprocess.run([sys.executable, "-m", "storyline", "demo", "--db", str(db)], check=True, env=env,
                       stdout=subprocess.DEVNULL)
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "storyline", "serve", "--db", str(db), "--port", str(port)],
                                  env=env, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(base + "/api/stats", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                shots = [("light", {"width": 1280, "height": 900}, 1, False),
                         ("dark", {"width": 1280, "height": 900}, 1, False),
                         ("phone", {"width": 390, "height": 844}, 2, True)]
                for name, viewport, scale, mobile in shots:
                    scheme = "dark" if name == "dark" else "light"
                    page = browser.new_page(viewport=viewport, device_scale_factor=scale, is_mobile=mobile,
                                            color_scheme=scheme)
                    page.goto(base + "/")
                    page.screenshot(path=str(OUT / f"front-{name}.png"), full_page=False)
                    page.click("article.card h2 a")
                    page.wait_for_selector("svg.timeline")
                    page.locator("details.why").first.evaluate("d => { d.open = true; }")
                    if not mobile:  # tall enough to show the coverage list and a "why here"
                        page.set_viewport_size({"width": viewport["width"], "height": 1500})
                    page.screenshot(path=str(OUT / f"story-{name}.png"), full_page=False)
                    page.close()
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    for png in sorted(OUT.glob("*.png")):
        print(png.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
