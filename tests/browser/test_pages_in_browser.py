"""Every page in every language in headless Chromium: no console errors, no axe-core violations
at WCAG 2.1 level A or AA, and the feedback tracker works by keyboard alone."""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.browser

LANGUAGES = ("fi", "sv", "en")
PAGES = [
    "/{lang}/",
    "/{lang}/indicators/feedback_response_time_median",
    "/{lang}/indicators/resident_satisfaction?service=171",
    "/{lang}/services/",
    "/{lang}/services/171",
    "/{lang}/feedback/",
    "/{lang}/feedback/?q=katu&status=resolved",
    "/{lang}/feedback/{feedback}",
    "/{lang}/initiatives/",
    "/{lang}/decisions/",
    "/{lang}/decisions/{decision}",
    "/{lang}/report?body=Tekninen+lautakunta&period=2026-10",
    "/{lang}/feeds/",
    "/{lang}/corrections/",
    "/{lang}/indicators/feedback_response_time_median?as_of=2099-01-01",
    "/{lang}/?as_of=2099-01-01",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def run_axe(driver: Any, axe_source: str) -> list[dict[str, Any]]:
    driver.execute_script(axe_source)
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(JSON.stringify(r.violations))).catch(e => done(JSON.stringify([{id: 'axe-error', help: String(e)}])));",
        AXE_TAGS,
    )
    return json.loads(result)


def explain(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v.get('impact')}): {v.get('help')} – {[n.get('target') for n in v.get('nodes', [])][:5]}"
        for v in violations
    )


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("page", PAGES)
def test_page_has_no_console_errors_and_no_axe_violations(driver, live, axe_source, page, lang):
    url = live["url"] + page.format(lang=lang, **live["ids"])
    driver.get_log("browser")  # drop what earlier pages left
    driver.get(url)
    assert driver.find_element("css selector", "html").get_attribute("lang") == lang
    assert driver.find_element("css selector", "h1").text.strip()
    assert console_errors(driver) == [], url
    violations = run_axe(driver, axe_source)
    assert violations == [], f"{url}\n{explain(violations)}"


def test_details_tables_open_and_stay_accessible(driver, live, axe_source):
    """The data tables behind the charts are in closed <details>; open them all and check again."""
    driver.get(live["url"] + "/en/")
    driver.execute_script("document.querySelectorAll('details').forEach(d => d.open = true)")
    assert driver.find_elements("css selector", "details[open] table")
    violations = run_axe(driver, axe_source)
    assert violations == [], explain(violations)


def active(driver: Any) -> Any:
    return driver.switch_to.active_element


def tab_until(driver: Any, predicate: Any, limit: int = 60) -> Any:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        element = active(driver)
        if predicate(element):
            return element
    raise AssertionError("the keyboard never reached the element")


def focus_is_visible(driver: Any, element: Any) -> bool:
    style = driver.execute_script(
        "const s = getComputedStyle(arguments[0]); return [s.outlineStyle, s.outlineWidth, s.boxShadow];", element
    )
    return (style[0] != "none" and style[1] != "0px") or style[2] != "none"


def test_the_feedback_tracker_works_by_keyboard_alone(driver, live):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    driver.get(live["url"] + "/fi/feedback/")
    keys = ActionChains(driver)
    # 1. The first Tab reaches the skip link; Enter moves focus into the main content.
    skip = tab_until(driver, lambda e: e.get_attribute("class") == "skip", limit=1)
    assert skip.is_displayed() and focus_is_visible(driver, skip)
    keys.send_keys(Keys.ENTER).perform()
    assert active(driver).get_attribute("id") == "main"
    # 2. Tab to the search box and type.
    box = tab_until(driver, lambda e: e.get_attribute("id") == "q")
    assert focus_is_visible(driver, box)
    box.send_keys("katu")
    # 3. Tab to the status filter and choose "resolved" (the fourth state) with the arrow keys.
    status = tab_until(driver, lambda e: e.get_attribute("id") == "status")
    assert focus_is_visible(driver, status)
    for _ in range(4):
        status.send_keys(Keys.ARROW_DOWN)
    # 4. Tab to the button and press Enter: the results page keeps the query.
    button = tab_until(driver, lambda e: e.tag_name == "button")
    assert focus_is_visible(driver, button)
    keys.send_keys(Keys.ENTER).perform()
    assert "q=katu" in driver.current_url and "status=resolved" in driver.current_url
    # 5. Tab to the first result and open it with Enter.
    in_results = "return arguments[0].closest('ul.results') !== null"
    first = tab_until(driver, lambda e: e.tag_name == "a" and driver.execute_script(in_results, e))
    assert focus_is_visible(driver, first)
    target = first.get_attribute("href")
    keys.send_keys(Keys.ENTER).perform()
    assert driver.current_url == target
    # 6. The item's timeline is there, and the way back is a keyboard stop too.
    assert driver.find_element("css selector", "ol.timeline li")
    back = tab_until(driver, lambda e: (e.get_attribute("href") or "").replace(live["url"], "") == "/fi/feedback/")
    keys.send_keys(Keys.ENTER).perform()
    assert driver.current_url.endswith("/fi/feedback/")
    assert back is not None


def test_the_language_switch_keeps_the_page(driver, live):
    driver.get(live["url"] + "/fi/indicators/feedback_response_time_median")
    driver.find_element("css selector", 'nav.langs a[hreflang="sv"]').click()
    assert driver.current_url.endswith("/sv/indicators/feedback_response_time_median")
    assert driver.find_element("css selector", "html").get_attribute("lang") == "sv"


def test_the_meeting_report_prints_to_pdf(tools, demo_dir, tmp_path):
    from click.testing import CliRunner

    from mittari import cli

    pdf = tmp_path / "report.pdf"
    result = CliRunner().invoke(
        cli,
        [
            "--data-dir",
            str(demo_dir),
            "report",
            "--body",
            "Tekninen lautakunta",
            "--period",
            "2026-10",
            "--pdf",
            str(pdf),
        ],
    )
    assert result.exit_code == 0, result.output
    assert pdf.read_bytes().startswith(b"%PDF-") and pdf.stat().st_size > 5000


RECORD_CSP = (
    "window.__csp = [];"
    "document.addEventListener('securitypolicyviolation',"
    " e => window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"
)


def csp_violations(driver: Any) -> list[str]:
    seen = driver.execute_script("return window.__csp || null;")
    logged = [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]
    assert seen is not None, "the violation recorder did not run"
    return [*seen, *logged]


@pytest.mark.parametrize("page", PAGES)
def test_pages_raise_no_csp_violation(driver, live, page):
    """The pages keep to the strict policy (no script, no inline style); an injected inline style proves
    the policy is really enforced and the recorder really listening."""
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_CSP})
    url = live["url"] + page.format(lang="fi", **live["ids"])
    driver.get_log("browser")
    driver.get(url)
    assert csp_violations(driver) == [], url
    driver.execute_script(
        "const s = document.createElement('style'); s.textContent = 'body{color:red}'; document.head.append(s);"
    )
    assert any("style-src" in v for v in csp_violations(driver)), "the policy did not block an inline style"
