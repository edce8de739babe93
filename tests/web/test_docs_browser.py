"""/docs and /redoc render in a real browser from the assets this server serves (no
CDN): the operations of the API appear, under the pages' Content-Security-Policy."""

from __future__ import annotations

from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.conftest import Served, screenshot

WAIT = 60


def test_swagger_ui_renders_offline(fresh_browser: Any, served: Served) -> None:
    fresh_browser.get(f"{served.url}/docs")
    WebDriverWait(fresh_browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .opblock"))
    )
    assert "creditbank" in fresh_browser.find_element(By.CSS_SELECTOR, ".swagger-ui .title").text
    screenshot(fresh_browser, "docs-swagger")


def test_redoc_renders_offline(fresh_browser: Any, served: Served) -> None:
    fresh_browser.get(f"{served.url}/redoc")
    WebDriverWait(fresh_browser, WAIT).until(
        ec.presence_of_element_located((By.CSS_SELECTOR, ".api-content h1"))
    )
    assert "creditbank" in fresh_browser.find_element(By.CSS_SELECTOR, ".api-content h1").text
