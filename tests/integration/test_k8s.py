"""The Kubernetes manifests: rendered by kustomize, validated offline against the schemas."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.32.0"  # the version the manifests are validated for

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: cannot render k8s/")


@pytest.fixture(scope="module")
def objects() -> dict[str, dict]:
    rendered = subprocess.run(
        ["kubectl", "kustomize", str(ROOT / "k8s")], capture_output=True, text=True, check=True
    ).stdout
    return {doc["kind"]: doc for doc in yaml.safe_load_all(rendered) if doc}


@pytest.fixture(scope="module")
def container(objects) -> dict:
    (container,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    return container


def dockerfile(instruction: str) -> str:
    text = (ROOT / "Dockerfile").read_text()
    return re.findall(rf"^{instruction} (.+)$", text, re.MULTILINE)[-1].strip()


def test_every_object_is_valid_for_the_named_kubernetes_version(objects):
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    assert set(objects) == {
        "ConfigMap",
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
    }
    for obj in objects.values():
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)


def test_a_broken_manifest_is_caught():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    broken = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {"replicas": "two", "selector": {}, "template": {}},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)


def test_two_replicas_and_an_autoscaler_on_cpu(objects):
    assert objects["Deployment"]["spec"]["replicas"] == 2
    hpa = objects["HorizontalPodAutoscaler"]["spec"]
    assert hpa["scaleTargetRef"]["name"] == objects["Deployment"]["metadata"]["name"]
    assert hpa["minReplicas"] == 2 < hpa["maxReplicas"]
    (metric,) = hpa["metrics"]
    assert metric["resource"]["name"] == "cpu"


def test_each_pod_keeps_its_own_database_in_an_empty_dir(objects, container):
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/data"]]
    config = objects["ConfigMap"]["data"]
    assert config["DATABASE_PATH"].startswith("/data/")
    assert config["DATA_DIR"] == "/data"
    assert config["REFRESH_INTERVAL"] not in ("", "0")
    assert container["envFrom"][0]["configMapRef"]["name"] == objects["ConfigMap"]["metadata"]["name"]


def dockerfile_env(name: str) -> str | None:
    text = (ROOT / "Dockerfile").read_text()
    found = re.search(rf"^\s*(?:ENV\s+)?{name}=(\S+)", text, re.MULTILINE)
    return found.group(1) if found else None


def test_probes_readiness_waits_for_data_liveness_checks_health(container):
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    startup = container["startupProbe"]
    # A pod builds its database from the embedded history before it listens (about 3 s
    # measured), not from RTE: a minute is plenty, and a broken pod is restarted soon.
    assert 30 <= startup["periodSeconds"] * startup["failureThreshold"] <= 120


def test_pods_start_from_the_history_embedded_in_the_image(objects):
    history_dir = dockerfile_env("HISTORY_DIR")
    assert history_dir is not None
    copied = re.findall(r"^COPY (\S+) (\S+)$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert ("data/history/", history_dir.rstrip("/") + "/") in copied
    assert "!data/history/*.zip" in (ROOT / ".dockerignore").read_text().splitlines()
    assert len(list((ROOT / "data" / "history").glob("eCO2mix_France_consumption_*.zip"))) >= 10
    config = objects["ConfigMap"]["data"]
    assert config.get("HISTORY_DIR", history_dir) == history_dir  # not pointed elsewhere


def test_no_cronjob_a_refresh_must_run_in_the_pod_that_owns_the_file(objects):
    assert "CronJob" not in objects and "Job" not in objects  # it could not reach a pod's emptyDir
    assert objects["ConfigMap"]["data"]["REFRESH_INTERVAL"] not in ("", "0")


def test_metrics_are_scraped_and_logs_are_json(objects, container):
    annotations = objects["Deployment"]["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/scrape"] == "true"
    assert annotations["prometheus.io/path"] == "/metrics"
    assert int(annotations["prometheus.io/port"]) == container["ports"][0]["containerPort"]
    assert objects["ConfigMap"]["data"]["LOG_FORMAT"] == "json"


def test_pods_run_locked_down(objects, container):
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    user = dockerfile("USER").split(":")[0]
    assert str(pod["securityContext"]["runAsUser"]) == user
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts  # the only other place a process may write


def test_resources_have_requests_and_limits(container):
    resources = container["resources"]
    for kind in ("cpu", "memory"):
        assert kind in resources["requests"] and kind in resources["limits"]


def test_image_and_ports_match_the_dockerfile(objects, container):
    exposed = int(dockerfile("EXPOSE"))
    (port,) = container["ports"]
    assert port["containerPort"] == exposed
    assert objects["ConfigMap"]["data"]["PORT"] == str(exposed)
    assert container["image"].startswith("consumption:")
    assert container["imagePullPolicy"] == "IfNotPresent"  # an image built into minikube
    service = objects["Service"]["spec"]
    assert service["type"] == "NodePort"
    assert service["ports"][0]["targetPort"] in (exposed, port["name"])
    selector = service["selector"]
    labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items()
