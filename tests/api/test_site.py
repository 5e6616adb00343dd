"""The page, its assets and the service's housekeeping endpoints."""

import os
import re
from importlib import metadata
from pathlib import Path

from app.main import PLOTLY_JS
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["pid"] == os.getpid()  # which worker answered


def test_root_serves_the_roll_downhill_page_with_local_assets_only(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.text
    assert "Roll Downhill" in html and "Learning rate" in html
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls, "the page loads scripts and styles"
    assert all(u.startswith("/") for u in urls), urls
    assert "<script>" not in html  # no inline scripts


def test_plotly_comes_from_the_installed_package_and_is_cached(client):
    html = client.get("/").text
    (url,) = re.findall(r'src="(/vendor/plotly[^"]+)"', html)
    assert metadata.version("plotly") in url
    response = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "javascript" in response.headers["content-type"]
    assert response.headers["content-encoding"] == "gzip"
    assert "immutable" in response.headers["cache-control"]
    assert response.content == PLOTLY_JS.read_bytes()  # the real bundle, compressed once
    assert response.headers["vary"] == "Accept-Encoding"
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.content == PLOTLY_JS.read_bytes()
    assert client.get("/vendor/plotly-0.0.0.min.js").status_code == 404


def test_static_assets_have_versioned_urls_and_long_cache_lifetimes(client):
    html = client.get("/").text
    (css,) = re.findall(r'href="(/static/[0-9a-f]{12}/css/app\.css)"', html)
    response = client.get(css)
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["cache-control"]
    # modules imported relatively from the page's script share the versioned prefix
    (js,) = re.findall(r'src="(/static/[0-9a-f]{12}/js/pages/roll-downhill\.js)"', html)
    api_js = js.rsplit("/", 2)[0] + "/net/api.js"
    assert client.get(api_js).status_code == 200


def test_openapi_documents_the_endpoints(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/surfaces", "/api/optimizers", "/api/runs", "/api/stream"} <= set(paths)
    assert client.get("/docs").status_code == 200


def test_every_setting_is_documented_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"DESCENT_LAB_{name.upper()}" in readme, name


def test_a_link_to_a_landscape_opens_the_page_that_shows_it(client):
    # A course page linking /?surface=himmelblau (2D) or /explore?surface=double_well (1D)
    # lands on the right page, with every other setting in the link kept.
    to_explorer = client.get("/?surface=himmelblau&start=1,2&embed=1", follow_redirects=False)
    assert to_explorer.status_code == 307
    assert to_explorer.headers["location"] == "/explore?surface=himmelblau&start=1,2&embed=1"
    to_1d = client.get("/explore?surface=double_well&lr=0.3", follow_redirects=False)
    assert to_1d.status_code == 307
    assert to_1d.headers["location"] == "/?surface=double_well&lr=0.3"
    assert client.get("/explore?surface=ravine&kappa=50").status_code == 200
    assert client.get("/?surface=nope").status_code == 404
