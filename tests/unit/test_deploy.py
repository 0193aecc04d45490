"""deploy/ is not run here (no container engine): these tests hold it to the code it deploys."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

from heed.runtime.settings import HeedSettings
from heed.services import SERVICES
from heed_classifier.settings import ClassifierSettings
from heed_ingest.settings import IngestSettings
from heed_responder.settings import ResponderSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SETTINGS = (HeedSettings, IngestSettings, ClassifierSettings, ResponderSettings)


def _known_env() -> set[str]:
    return {f"HEED_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}


def _render_k8s() -> str:
    spec = importlib.util.spec_from_file_location("render", DEPLOY / "k8s" / "render.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.render())


def test_the_committed_kubernetes_manifests_are_the_rendered_ones():
    assert (DEPLOY / "k8s" / "heed.yaml").read_text() == _render_k8s(), "run deploy/k8s/render.py"


def test_every_service_runs_in_compose_and_kubernetes_with_probes():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "heed.yaml").read_text()))
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for name in SERVICES:
        assert compose["services"][name]["command"] == ["run", name]
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["resources"]["requests"]
    assert all(deployments[n]["spec"]["replicas"] >= 2 for n in ("classifier", "router", "responder", "crm-sync"))
    assert {d["kind"] for d in docs} >= {"Namespace", "ConfigMap", "Job", "Service", "HorizontalPodAutoscaler"}


def test_compose_runs_kafka_in_kraft_mode_with_a_collector_and_a_trace_ui():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert not any("zookeeper" in name for name in services)
    assert {"postgres", "otel-collector", "jaeger", "topics"} <= set(services)
    collector = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    assert collector["service"]["pipelines"]["traces"]["receivers"] == ["otlp"]


def test_every_heed_setting_named_in_deploy_exists_in_the_code():
    text = "\n".join(p.read_text() for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".py", "") and p.is_file()
                     and p.name != "mentions.jsonl")
    used = set(re.findall(r"\bHEED_[A-Z_]+\b", text))
    assert used, "deploy files name no settings"
    assert used <= _known_env(), f"unknown settings in deploy/: {sorted(used - _known_env())}"


def test_no_secret_values_are_written_down():
    compose = (DEPLOY / "compose.yaml").read_text()
    assert re.search(r"POSTGRES_PASSWORD: \$\{POSTGRES_PASSWORD:\?", compose)
    assert "HEED_INGEST_API_TOKENS: ${HEED_INGEST_API_TOKENS:?" in compose
    docs = list(yaml.safe_load_all((DEPLOY / "k8s" / "heed.yaml").read_text()))
    assert not [d for d in docs if d["kind"] == "Secret"], "secrets are created by the operator, not committed"
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert "HEED_DATABASE_URL" not in config and "HEED_INGEST_API_TOKENS" not in config


def test_the_image_installs_the_hash_pinned_lock_and_runs_as_a_non_root_user():
    dockerfile = (DEPLOY / "docker" / "Dockerfile").read_text()
    assert "--require-hashes requirements.lock" in dockerfile
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert 'ENTRYPOINT ["heed"]' in dockerfile
