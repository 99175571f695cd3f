"""A live Mittari over a small demo city, and headless Chromium driven through chromedriver.

The app runs in a thread on a free port with werkzeug's server; the demo city (seeded, so
the same every run) has targets, initiatives and decisions, so every page has content.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api import create_app
from core.settings import load_settings
from search.index import open_index
from search.query import SearchQuery
from tests import services
from tests.serving import served


@pytest.fixture(scope="session")
def tools() -> dict[str, str]:
    return services.browser_tools()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from mittari import cli

    folder = tmp_path_factory.mktemp("browser") / "demo"
    result = CliRunner().invoke(
        cli,
        ["demo", "--events", "4000", "--seed", "7", "--until", "2026-11-01", "--no-serve", "--data-dir", str(folder)],
    )
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="session")
def live(demo_dir: Path) -> Iterator[dict[str, Any]]:
    settings = load_settings({}, data_dir=str(demo_dir))
    index = open_index(settings, readonly=True)
    ids = {
        kind: index.search(SearchQuery(types=(kind,), size=1, facets=False)).items[0]["id"]
        for kind in ("feedback", "decision")
    }
    index.close()
    with served(create_app(settings)) as url:
        yield {"url": url, "ids": ids}


@pytest.fixture(scope="session")
def driver(tools: dict[str, str]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = tools["CHROMIUM"]
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=tools["CHROMEDRIVER"]), options=options)
    browser.set_page_load_timeout(60)
    browser.set_script_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="session")
def axe_source(tools: dict[str, str]) -> str:
    return Path(tools["AXE"]).read_text()
