"""The Landscape section against a server that allows little work per view
(DESCENT_LAB_NETWORK_VIEW_MAX_WORK): a refused view is said in the section, in the server's
words naming the detail, and nothing is drawn."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("views"), {"DESCENT_LAB_NETWORK_VIEW_MAX_WORK": "300"}
    )
    yield srv
    stop_server(srv)


def test_a_view_over_the_servers_limit_is_refused_in_its_words(watched):
    page = watched.open("/network?steps=100&view=sharpness&detail=fine", ready="#network")
    message = page.locator("#landscape .map-message")
    expect(message).to_contain_text("Error: detail: ", timeout=30_000)
    with page.expect_request("**/api/networks/views/stream") as sent:
        page.locator("#netview-compute").click()
    refused = httpx.post(
        f"{watched.base_url}/api/networks/views", json=sent.value.post_data_json, timeout=30
    )
    assert refused.status_code == 422
    [error] = refused.json()["errors"]
    assert error["field"] == "detail"
    expect(message).to_have_text(f"Error: detail: {error['reason']}")
    expect(page.locator("#netview-result")).to_be_hidden()
    expect(page.locator("#landscape .map-progress")).to_be_hidden()
