"""deploy/ is not run here (no container engine): these tests hold it to the code it deploys."""

from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import SecretStr

from heed.contracts import topics, topology
from heed.runtime.service import INTERNAL_PORT_OFFSET
from heed.runtime.settings import HeedSettings
from heed_ops.services import SERVICES, service_class

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S = DEPLOY / "k8s"
# Files in deploy/k8s that are not manifests: the renderer, the Secret's template for the
# operator's git-ignored secrets.env, and the ignore file that keeps secrets.env out of git.
K8S_NOT_RESOURCES = {"render.py", "secrets.env.example", ".gitignore", "secrets.env", "kustomization.yaml"}
WORKERS = ("classifier", "router", "responder", "crm-sync")
# Names a service reads itself, outside its settings class (allowlist kept small on purpose)
READ_OUTSIDE_SETTINGS = {"HEED_INGEST_API_TOKENS", "HEED_CLASSIFIER_MODEL_DIR"}
# Settings that are not secret but say what a service connects to or where it is reached: each must
# reach that service in both layouts (the ConfigMap every pod reads, and its compose environment)
DEPLOYED_CONFIG = {
    "responder": {"HEED_RESPONDER_VERIFY_URL"},
    "crm-sync": {"HEED_HUBSPOT_BASE_URL", "HEED_HUBSPOT_WEBHOOK_URL", "HEED_SALESFORCE_INSTANCE_URL",
                 "HEED_CRM_FIELD_OWNERS", "HEED_CRM_SYNC_EVERY_S"},
}


def _settings_classes() -> list[type[HeedSettings]]:
    """HeedSettings and every service's subclass of it that exists at test time."""
    found: list[type[HeedSettings]] = [HeedSettings]
    for service in SERVICES:
        package = "heed_" + service.replace("-", "_")
        try:
            module: ModuleType = importlib.import_module(f"{package}.settings")
        except ModuleNotFoundError:
            continue  # this service reads only the shared settings
        found += [v for v in vars(module).values()
                  if isinstance(v, type) and issubclass(v, HeedSettings) and v is not HeedSettings]
    return found


def _secret_settings(service: str) -> set[str]:
    """The environment names of the service's own settings that hold a secret."""
    package = "heed_" + service.replace("-", "_")
    try:
        module: ModuleType = importlib.import_module(f"{package}.settings")
    except ModuleNotFoundError:
        return set()
    classes = [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, HeedSettings)
               and v is not HeedSettings]
    return {f"HEED_{name.upper()}" for cls in classes for name, field in cls.model_fields.items()
            if SecretStr in (field.annotation, *getattr(field.annotation, "__args__", ()))}


def _secrets_example() -> dict[str, str]:
    lines = (K8S / "secrets.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _known_env() -> set[str]:
    return {f"HEED_{name.upper()}" for cls in _settings_classes() for name in cls.model_fields}


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((DEPLOY / "compose.yaml").read_text()))


def _k8s_docs() -> dict[str, dict[str, Any]]:
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted(K8S.glob("*.yaml"))}


def _deployments() -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in _k8s_docs().values() if d["kind"] == "Deployment"}


def _render() -> dict[str, str]:
    spec = importlib.util.spec_from_file_location("k8s_render", K8S / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.render())


def test_every_yaml_file_in_deploy_parses():
    files = [p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()]
    assert len(files) >= 10
    for path in files:
        assert list(yaml.safe_load_all(path.read_text())), path


def test_every_service_runs_in_compose_with_a_healthcheck_and_healthy_dependencies():
    services = _compose()["services"]
    for name in SERVICES:
        service = services[name]
        assert service["command"] == ["run", name]
        assert "http://127.0.0.1:8180/healthz" in " ".join(service["healthcheck"]["test"])
        assert service["depends_on"]["kafka"]["condition"] == "service_healthy"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["topics"]["condition"] == "service_completed_successfully"
        env = service["environment"]
        assert env["HEED_KAFKA_BOOTSTRAP"] == "kafka:9092"
        assert str(env["HEED_KAFKA_ENABLE_IDEMPOTENCE"]) == "true"
        assert env["HEED_DATABASE_URL"].endswith("@postgres:5432/heed")
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
        assert (env["HEED_HTTP_HOST"], str(env["HEED_HTTP_PORT"])) == ("0.0.0.0", "8080")
        # /readyz and /metrics on the container's loopback only, and never published
        assert str(env["HEED_INTERNAL_PORT"]) == "8180" and "HEED_INTERNAL_HOST" not in env
        assert not [p for p in service.get("ports", []) if "8180" in str(p)]
    assert services["ingest"]["ports"] == ["8080:8080"]
    # each service that serves something publishes its public port on its own port of the host
    for node in topology.SERVICES:
        assert services[node.name].get("ports", []) == ([f"{node.port}:8080"] if node.serves else []), node.name
    assert services["topics"]["command"] == ["dev", "topics"]
    assert "HEED_INGEST_API_TOKENS" in services["ingest"]["environment"]


def test_compose_runs_kafka_in_kraft_mode_with_a_collector_feeding_jaeger():
    services = _compose()["services"]
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka")
    assert kafka["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not [n for n, s in services.items() if "zookeeper" in n or "zookeeper" in str(s.get("image", ""))]
    assert "ZOOKEEPER" not in (DEPLOY / "compose.yaml").read_text().upper()
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["otel-collector"]["image"].startswith("otel/opentelemetry-collector-contrib")
    assert services["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    collector = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    traces = collector["service"]["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"]
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    assert [collector["exporters"][e]["endpoint"] for e in traces["exporters"]] == ["jaeger:4317"]


def test_every_service_has_a_deployment_with_probes_resources_and_port_8080():
    deployments = _deployments()
    assert set(SERVICES) <= set(deployments)
    for name in SERVICES:
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert {p["name"]: p["containerPort"] for p in container["ports"]} == {"http": 8080, "internal": 8180}
    assert all(deployments[n]["spec"]["replicas"] >= 2 for n in WORKERS)


def test_probes_and_metrics_use_the_internal_port_which_no_service_exposes():
    docs = list(_k8s_docs().values())
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    # the pods bind it on their own address (the kubelet and Prometheus reach it there); the code
    # would pick 8180 alone too: the HTTP port + 100
    assert (config["HEED_INTERNAL_HOST"], config["HEED_INTERNAL_PORT"]) == ("0.0.0.0", "8180")
    assert int(config["HEED_HTTP_PORT"]) + INTERNAL_PORT_OFFSET == int(config["HEED_INTERNAL_PORT"])
    for name, deployment in _deployments().items():
        pod = deployment["spec"]["template"]
        container = pod["spec"]["containers"][0]
        assert container["readinessProbe"]["httpGet"]["port"] == "internal", name
        assert container["livenessProbe"]["httpGet"]["port"] == "internal", name
        assert pod["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true", "prometheus.io/port": "8180", "prometheus.io/path": "/metrics"}, name
    services = [d for d in docs if d["kind"] == "Service"]
    assert services
    for service in services:
        assert [(p["port"], p["targetPort"]) for p in service["spec"]["ports"]] == [(80, "http")]
    assert not [d for d in docs if d["kind"] == "Ingress"]


def test_kubernetes_has_the_namespace_config_services_and_classifier_autoscaler():
    docs = list(_k8s_docs().values())
    kinds = {d["kind"] for d in docs}
    assert {"Namespace", "ConfigMap", "Service", "HorizontalPodAutoscaler", "Job"} <= kinds
    hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler")
    assert hpa["spec"]["scaleTargetRef"]["name"] == "classifier"
    # replicas beyond the partition count of the topic the classifier reads would stand idle
    partitions = {t.name: t.partitions for t in topics.TOPICS}
    assert hpa["spec"]["maxReplicas"] <= partitions[topics.MENTIONS]


def test_each_service_that_serves_something_is_reachable_in_the_cluster_and_no_other_is():
    # ingest's webhooks and mentions API, the router's cases API, crm-sync's verification page,
    # customers API and HubSpot webhook: what the topology says each serves on its public port
    services = {d["metadata"]["name"]: d for d in _k8s_docs().values() if d["kind"] == "Service"}
    deployments = _deployments()
    assert set(services) == {n.name for n in topology.SERVICES if n.serves} >= {"ingest", "router", "crm-sync"}
    for name, service in services.items():
        pod = deployments[name]["spec"]["template"]
        assert service["spec"]["selector"].items() <= pod["metadata"]["labels"].items(), name
        [port] = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (80, "http"), name
        assert "http" in {p["name"] for p in pod["spec"]["containers"][0]["ports"]}, name


def test_every_secret_setting_reaches_its_service_in_both_layouts():
    example = _secrets_example()
    compose = _compose()["services"]
    for name in SERVICES:
        secrets = _secret_settings(name)
        # in the cluster, every pod reads every key of the Secret built from secrets.env
        assert not secrets - set(example), f"{name}: missing in secrets.env.example: {sorted(secrets - set(example))}"
        missing = secrets - set(compose[name].get("environment", {}))
        assert not missing, f"{name}: missing in its compose environment: {sorted(missing)}"
        container = _deployments()[name]["spec"]["template"]["spec"]["containers"][0]
        assert {"secretRef": {"name": "heed-secrets"}} in container["envFrom"], name
    assert {"HEED_CRM_API_TOKENS", "HEED_HUBSPOT_TOKEN", "HEED_HUBSPOT_CLIENT_SECRET",
            "HEED_SALESFORCE_TOKEN"} <= _secret_settings("crm-sync")


@pytest.mark.parametrize(("service", "names"), sorted(DEPLOYED_CONFIG.items()))
def test_each_connection_setting_reaches_its_service_in_both_layouts(service: str, names: set[str]):
    config = next(d for d in _k8s_docs().values() if d["kind"] == "ConfigMap")["data"]
    container = _deployments()[service]["spec"]["template"]["spec"]["containers"][0]
    assert {"configMapRef": {"name": "heed-config"}} in container["envFrom"]
    assert not names - set(config), f"missing in the ConfigMap: {sorted(names - set(config))}"
    composed = set(_compose()["services"][service]["environment"])
    assert not names - composed, f"missing in compose's {service}: {sorted(names - composed)}"


def test_every_service_starts_with_the_shipped_configmap_and_the_secrets_example_left_empty(monkeypatch):
    # an operator connects channels and CRMs one at a time: an empty setting is one not connected yet
    config = next(d for d in _k8s_docs().values() if d["kind"] == "ConfigMap")["data"]
    for key, value in {**config, **_secrets_example()}.items():
        monkeypatch.setenv(key, "" if value.startswith("<") else value)
    monkeypatch.setenv("HEED_INGEST_API_TOKENS", "ops:" + "t" * 40)  # required: ingest refuses to start without
    for name in SERVICES:
        service = service_class(name)()
        service._pool = "no database in this test"  # type: ignore[assignment]
        assert service.handlers(), name
        if name == "crm-sync":
            assert service.crms == [] and service.policy is None  # type: ignore[attr-defined]


def test_the_kustomization_lists_every_manifest_and_generates_the_secret():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    manifests = {p.name for p in K8S.iterdir() if p.is_file()} - K8S_NOT_RESOURCES
    assert sorted(kustomization["resources"]) == sorted(manifests)
    generator = kustomization["secretGenerator"]
    assert [(g["name"], g["envs"]) for g in generator] == [("heed-secrets", ["secrets.env"])]
    assert (K8S / "secrets.env.example").is_file()
    assert "secrets.env" in (K8S / ".gitignore").read_text().split()


@pytest.mark.parametrize(("service", "setting", "config_map", "file"), [
    ("router", "HEED_ROUTER_RULES", "heed-router-rules", "routing-rules.yaml"),
    ("responder", "HEED_RESPONDER_TEMPLATES", "heed-responder-replies", "replies.yaml"),
    ("responder", "HEED_RESPONDER_KNOWLEDGE", "heed-responder-replies", "knowledge.yaml"),
])
def test_each_file_operations_edit_reaches_its_service_from_a_configmap_of_the_shipped_file(
        service: str, setting: str, config_map: str, file: str):
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    [generator] = [g for g in kustomization["configMapGenerator"] if g["name"] == config_map]
    [entry] = [f for f in generator["files"] if f.startswith(f"{file}=")]
    key, _, source = entry.partition("=")
    # the copy kustomize packs is the file operations edit (render.py copies it; this keeps it so)
    assert (K8S / source).read_text() == (DEPLOY / "config" / file).read_text()
    pod = _deployments()[service]["spec"]["template"]["spec"]
    [volume] = pod["volumes"]
    assert volume["configMap"]["name"] == config_map
    [container] = pod["containers"]
    [mount] = container["volumeMounts"]
    assert mount["name"] == volume["name"] and mount["readOnly"] is True
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env[setting] == f"{mount['mountPath']}/{key}"
    composed = _compose()["services"][service]
    path = composed["environment"][setting]
    # the folder is mounted (an editor's rename-on-save would leave a file mount on the old file)
    assert any(v.startswith("./config:") and path == f"{v.split(':')[1]}/{file}" and v.endswith(":ro")
               for v in composed["volumes"])


def test_the_committed_kubernetes_files_are_the_rendered_ones():
    rendered = _render()
    for name, text in rendered.items():
        assert (K8S / name).read_text() == text, f"{name} differs: run .venv/bin/python deploy/k8s/render.py"
    stale = {p.name for p in K8S.glob("*.yaml")} - set(rendered)
    assert not stale, f"not written by render.py: {stale}"


def test_every_heed_setting_named_in_deploy_exists_in_the_code():
    names = [p for p in DEPLOY.rglob("*") if p.is_file() and p.suffix in (".yaml", ".py", ".example", "")
             and p.parent.name != "samples"]
    used = set(re.findall(r"\bHEED_[A-Z0-9_]+\b", "\n".join(p.read_text() for p in names)))
    assert {"HEED_KAFKA_BOOTSTRAP", "HEED_DATABASE_URL"} <= used
    unknown = used - _known_env() - READ_OUTSIDE_SETTINGS
    assert not unknown, f"settings named in deploy/ that no settings class has: {sorted(unknown)}"


def test_no_secret_value_is_written_down():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in compose
    assert "heed:${POSTGRES_PASSWORD:?" in compose
    assert "HEED_INGEST_API_TOKENS: ${HEED_INGEST_API_TOKENS:?" in compose
    texts = {p: p.read_text() for p in DEPLOY.rglob("*")
             if p.is_file() and p.parent.name != "samples" and p.suffix != ".py"}
    for path, text in texts.items():
        for key, value in re.findall(r"(?im)^\s*-?\s*([\w.-]*(?:password|secret|tokens?))\s*[:=][ \t]*(.*)$", text):
            value = value.strip().strip("\"'")
            assert value.startswith(("${", "<")) or not value, f"{path}: {key} has a value"
        for password in re.findall(r"postgres(?:ql)?://[^:/@\s]+:([^@\s]+)@", text):
            assert password.startswith(("${", "<")), f"{path}: a database URL carries a password"
    docs = list(_k8s_docs().values())
    assert not [d for d in docs if d["kind"] == "Secret"], "the Secret is generated from the operator's secrets.env"
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert not [k for k in config if re.search("PASSWORD|SECRET|TOKEN|DATABASE_URL", k)]


def test_the_image_installs_the_pinned_lock_as_a_non_root_user():
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim AS build$", dockerfile, re.M)
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2, "multi-stage: build tools stay out of the image"
    # the repository's lock is requirements.lock with hashes (no uv.lock): installed exactly, or not at all
    assert "uv pip sync" in dockerfile and "--require-hashes requirements.lock" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["heed"]' in dockerfile
    assert 'CMD ["run", "all"]' in dockerfile
