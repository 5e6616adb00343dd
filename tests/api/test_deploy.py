"""deploy/ and the Dockerfile agree with each other and with the app: the same port, probes on
/healthz, a grace period longer than the shutdown it waits for, nginx's limits and timeouts
matching the app's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from app.api.stream import StepStream
from app.limits import _too_large
from app.security import security_headers
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
NGINX = (ROOT / "deploy" / "nginx.conf").read_text()


def all_manifests() -> dict[str, dict[str, dict]]:
    """Every object in deploy/kubernetes/, by name (descent-lab, descent-lab-redis) and kind."""
    docs: dict[str, dict[str, dict]] = {}
    for path in sorted((ROOT / "deploy" / "kubernetes").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            by_kind = docs.setdefault(doc["metadata"]["name"], {})
            assert doc["kind"] not in by_kind  # one of each kind per name
            by_kind[doc["kind"]] = doc
    return docs


@pytest.fixture(scope="module")
def manifests() -> dict[str, dict]:
    docs = all_manifests()
    assert set(docs) == {"descent-lab", "descent-lab-redis"}
    assert set(docs["descent-lab"]) == {"Deployment", "Service", "HorizontalPodAutoscaler"}
    return docs["descent-lab"]


@pytest.fixture(scope="module")
def redis_manifests() -> dict[str, dict]:
    docs = all_manifests()["descent-lab-redis"]
    assert set(docs) == {"Deployment", "Service", "NetworkPolicy"}
    return docs


def env(deployment: dict) -> dict[str, str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {item["name"]: item["value"] for item in container["env"]}


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


def test_nginx_s_own_413_carries_the_apps_security_headers():
    page = re.search(r"location @body_too_large \{(.*?)\n    \}", NGINX, re.S)[1]
    added = dict(re.findall(r'add_header (\S+) "(.*)" always;', page))
    assert added == dict(security_headers(Settings().frame_ancestors))


def test_the_pods_share_the_redis_that_redis_yaml_serves(manifests, redis_manifests):
    url = urlsplit(env(manifests["Deployment"])["DESCENT_LAB_REDIS_URL"])
    service = redis_manifests["Service"]
    (port,) = service["spec"]["ports"]
    assert (url.scheme, url.hostname, url.port) == (
        "redis",
        service["metadata"]["name"],
        port["port"],
    )
    pod = redis_manifests["Deployment"]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    (container_port,) = container["ports"]
    assert port["targetPort"] == container_port["name"]
    assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
    assert redis_manifests["Deployment"]["spec"]["replicas"] == 1  # one store for every pod
    # only the app's pods may reach it
    policy = redis_manifests["NetworkPolicy"]["spec"]
    assert policy["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (rule,) = policy["ingress"]
    (source,) = rule["from"]
    app_labels = manifests["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert source["podSelector"]["matchLabels"].items() <= app_labels.items()
    assert [p["port"] for p in rule["ports"]] == [container_port["name"]]


def redis_args(redis_manifests: dict) -> dict[str, str]:
    (container,) = redis_manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    args = container["args"]
    return {args[i].removeprefix("--"): args[i + 1] for i in range(0, len(args), 2)}


def mebibytes(quantity: str) -> float:
    number, unit = re.fullmatch(r"(\d+)(mb|Mi|Gi)", quantity).groups()
    return int(number) * {"mb": 1e6 / 2**20, "Mi": 1, "Gi": 1024}[unit]


def test_redis_keeps_nothing_on_disk_and_evicts_the_cache_before_classes(
    manifests, redis_manifests
):
    args = redis_args(redis_manifests)
    assert (args["save"], args["appendonly"]) == ("", "no")
    # every key has a ttl; the nearest their end go first: the cache's answers, which end
    # long before a class does (an LRU policy would drop an idle class before a fresh answer)
    assert args["maxmemory-policy"] == "volatile-ttl"
    settings = Settings(
        **{
            k.removeprefix("DESCENT_LAB_").lower(): v
            for k, v in env(manifests["Deployment"]).items()
            if k.startswith("DESCENT_LAB_")
        }
    )
    assert settings.cache_seconds <= settings.class_hours * 3600 / 4
    (container,) = redis_manifests["Deployment"]["spec"]["template"]["spec"]["containers"]
    limit = mebibytes(container["resources"]["limits"]["memory"])
    assert mebibytes(args["maxmemory"]) < 0.8 * limit  # room for Redis's own needs


def test_the_operations_doc_quotes_nginx_conf_as_it_is():
    operations = (ROOT / "docs" / "operations.md").read_text()
    quoted = re.search(r"```nginx\n(.*?)```", operations, re.S)[1].splitlines()
    directives = [line.strip() for line in quoted if line.strip()[:1] not in ("", "#")]
    conf = {line.split("  #")[0].strip() for line in NGINX.splitlines()}  # less comments
    assert directives and [d for d in directives if d not in conf] == []
