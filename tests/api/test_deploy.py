"""deploy/ and the Dockerfile agree with each other and with the app: the same port, probes on
/healthz, a grace period longer than the shutdown it waits for, nginx's limits and timeouts
matching the app's."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from app.api.stream import StepStream
from app.limits import _too_large
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    docs = {}
    for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            docs[doc["kind"]] = doc
    assert set(docs) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    return docs


def dockerfile_port() -> int:
    (exposed,) = re.findall(r"^EXPOSE (\d+)$", DOCKERFILE, re.M)
    assert f'"--port", "{exposed}"' in DOCKERFILE  # uvicorn listens where the image says
    assert f"127.0.0.1:{exposed}/healthz" in DOCKERFILE  # and its HEALTHCHECK asks there
    return int(exposed)


def graceful_shutdown_s() -> int:
    return int(re.search(r'"--timeout-graceful-shutdown", "(\d+)"', DOCKERFILE)[1])


def test_probes_and_the_service_reach_the_container_port_and_healthz(manifests):
    pod = manifests["Deployment"]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    (port,) = container["ports"]
    assert port["containerPort"] == dockerfile_port()
    names = {port["name"], port["containerPort"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["path"] == "/healthz"
        assert container[probe]["httpGet"]["port"] in names
    service = manifests["Service"]["spec"]
    (service_port,) = service["ports"]
    assert service_port["targetPort"] in names
    assert service["selector"].items() <= pod["metadata"]["labels"].items()
    target = manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    deployment = manifests["Deployment"]["metadata"]["name"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment)


def test_pods_run_as_the_images_user_and_outlive_their_graceful_shutdown(manifests):
    pod = manifests["Deployment"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    user = re.search(r"^USER (\d+)", DOCKERFILE, re.M)[1]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(user)
    assert "cpu" in container["resources"]["requests"]  # the autoscaler's utilisation needs it
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] > int(pre_stop[1]) + graceful_shutdown_s()


def test_nginx_passes_streams_at_once_and_refuses_bodies_as_the_app_does():
    stream = re.search(r"location = /api/stream \{(.*?)\n    \}", NGINX, re.S)[1]
    assert "proxy_buffering off;" in stream and "proxy_cache off;" in stream
    read_timeout = int(re.search(r"proxy_read_timeout (\d+)s;", stream)[1])
    assert read_timeout > 2 * StepStream.DEFAULT_PING_INTERVAL  # idle streams ping: kept open
    assert 'proxy_set_header Connection "";' in NGINX and "proxy_http_version 1.1;" in NGINX

    limit = Settings().max_body_bytes
    assert f"client_max_body_size {limit};" in NGINX
    body = re.search(r"return 413 '(.*)';", NGINX)[1]
    assert json.loads(body) == json.loads(_too_large(limit))  # the app's one error shape


def test_the_operations_doc_quotes_nginx_conf_as_it_is():
    operations = (ROOT / "docs" / "operations.md").read_text()
    quoted = re.search(r"```nginx\n(.*?)```", operations, re.S)[1].splitlines()
    directives = [line.strip() for line in quoted if line.strip()[:1] not in ("", "#")]
    conf = {line.split("  #")[0].strip() for line in NGINX.splitlines()}  # less comments
    assert directives and [d for d in directives if d not in conf] == []
