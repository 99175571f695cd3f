"""Takes the screenshots in docs/ from the demo city in headless Chromium (`make screenshots`).

Builds the 50,000-event demo into var/screenshots, serves it on a free port and saves
overview, indicator and feedback-tracker pages in Finnish at 1280 px wide.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from click.testing import CliRunner
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from werkzeug.serving import make_server

REPO = Path(__file__).resolve().parents[1]
SHOTS = {
    "overview.png": "/fi/",
    "indicator.png": "/fi/indicators/feedback_response_time_median",
    "feedback-tracker.png": "/fi/feedback/?q=katu",
}


def main() -> None:
    sys.path.insert(0, str(REPO))
    from api import create_app
    from core.settings import load_settings
    from mittari import cli

    script = str(REPO / "deploy/local/browser.sh")
    tools = subprocess.run([script], capture_output=True, text=True, check=True).stdout  # noqa: S603 - our own script
    paths = dict(line.split("=", 1) for line in tools.splitlines() if "=" in line)
    data = REPO / "var" / "screenshots"
    result = CliRunner().invoke(
        cli, ["demo", "--events", "50000", "--until", "2026-11-01", "--no-serve", "--data-dir", str(data)]
    )
    if result.exit_code != 0:
        raise SystemExit(result.output)
    server = make_server("127.0.0.1", 0, create_app(load_settings({}, data_dir=str(data))), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = webdriver.ChromeOptions()
    options.binary_location = paths["CHROMIUM"]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,900"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=paths["CHROMEDRIVER"]), options=options)
    try:
        for name, path in SHOTS.items():
            driver.get(f"http://127.0.0.1:{server.server_port}{path}")
            height = driver.execute_script("return Math.min(document.documentElement.scrollHeight, 2400)")
            driver.set_window_size(1280, height)
            driver.save_screenshot(str(REPO / "docs" / name))
            print(f"docs/{name}: {path}")
    finally:
        driver.quit()
        server.shutdown()


if __name__ == "__main__":
    main()
