"""The API's docs page in chromium: Swagger UI draws the document from the site's own files, under its CSP."""
import re

import pytest
from playwright.sync_api import Page, expect


@pytest.mark.browser
def test_the_docs_page_draws_every_operation_under_the_sites_csp(live_server, page: Page):
    refused, elsewhere = [], []
    page.on("console", lambda message: refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("request", lambda request: elsewhere.append(request.url)
            if not request.url.startswith((live_server.url, "data:")) else None)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("单一窗口开放接口")
    expect(page.locator(".opblock-summary-path", has_text=re.compile(r"^/api/v1/policies/\{policy_id\}/approve$"))
           ).to_be_visible()
    assert page.locator(".opblock").count() >= 25
    assert refused == [] and elsewhere == []
