"""The page, its assets and the service's housekeeping endpoints."""

import os
import re
from pathlib import Path

from app.api.export import plotly_js as package_plotly_js
from app.main import PLOTLY

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


def plotly_url(html: str) -> str:
    (url,) = re.findall(r'src="(/vendor/plotly-[0-9a-f]{12}/plotly\.js)"', html)
    return url


def test_plotly_is_the_vendored_partial_bundle_compressed_once_and_cached(client):
    html = client.get("/").text
    prefix = plotly_url(html).rsplit("/", 1)[0]
    # the bundle imports its chunks relatively: they share the folder's hashed prefix
    bundle = (PLOTLY / "plotly.js").read_text()
    chunks = sorted(set(re.findall(r'"\./((?:chunk|gl3d)-[0-9A-Z]+\.js)"', bundle)))
    assert [c.split("-")[0] for c in chunks] == ["chunk", "gl3d"]
    # the core chunk downloads beside the bundle, not after it; the 3D one only on demand
    preloads = re.findall(r'<link rel="modulepreload" href="([^"]+)">', html)
    assert preloads == [f"{prefix}/{chunks[0]}"]
    for name in ["plotly.js", *chunks]:
        response = client.get(f"{prefix}/{name}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert "javascript" in response.headers["content-type"]
        assert response.headers["content-encoding"] == "gzip"
        assert "immutable" in response.headers["cache-control"]
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.content == (PLOTLY / name).read_bytes()  # compressed once, kept
        plain = client.get(f"{prefix}/{name}", headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == (PLOTLY / name).read_bytes()
    assert client.get("/vendor/plotly-000000000000/plotly.js").status_code == 404
    assert client.get(f"{prefix}/LICENSE").status_code == 404  # only the scripts are served
    assert client.get(f"{prefix}/..%2F..%2Fapp%2Fmain.py").status_code == 404


def test_the_vendored_plotly_is_the_python_packages_plotly_js_with_its_license():
    # The same plotly.js release as the python package ships (the downloadable replay inlines
    # that one): the same rendering on the pages and in a replay. After upgrading the python
    # package, pin its plotly.js in tools/plotly/package.json and run `make vendor-plotly`.
    release = re.compile(r"plotly\.js v(\d+\.\d+\.\d+)")
    package = release.search(package_plotly_js()[:200])
    for name in ("plotly.js", *(p.name for p in PLOTLY.glob("*-*.js"))):
        header = (PLOTLY / name).read_text()[:300]
        assert package and release.search(header)[1] == package[1], name
        assert "Licensed under the MIT license" in header
    assert "Permission is hereby granted" in (PLOTLY / "LICENSE").read_text()


def test_only_pages_that_plot_load_plotly(client):
    assert plotly_url(client.get("/").text) == plotly_url(client.get("/explore").text)
    lessons = client.get("/lessons").text
    assert "/vendor/plotly-" not in lessons  # neither the bundle nor its preloaded core


def test_pages_and_catalogs_answer_a_repeat_request_with_304_not_modified(client):
    # A repeat visit revalidates what it fetched before (grid, catalogs, the page itself)
    # and gets bodiless answers while nothing changed: a few hundred bytes, not 100 KB.
    for path in ["/explore", "/api/surfaces", "/api/optimizers", "/api/surfaces/himmelblau/grid"]:
        first = client.get(path)
        tag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"  # kept, and always asked again
        again = client.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304, path
        assert again.content == b""
        assert again.headers["etag"] == tag
        assert "content-security-policy" in again.headers
        other = client.get(path, headers={"If-None-Match": 'W/"0", "1"'})
        assert other.status_code == 200 and other.content == first.content
    # a different answer has a different tag
    kappa = client.get("/api/surfaces/ravine/grid?kappa=50").headers["etag"]
    assert kappa != client.get("/api/surfaces/ravine/grid").headers["etag"]
    # errors are not tagged (POST answers carry the result cache's tag: tests/api/test_once.py)
    assert "etag" not in client.get("/api/surfaces/nope/grid").headers


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
