"""The topology is declared once (heed/contracts/topology.py); every place that needs it derives it,
and these tests fail when any of them disagree with the declaration."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from heed.contracts import asyncapi, topics, topology
from heed.contracts.events import DeadLetter
from heed.runtime.messaging import Outgoing, Publisher, UndeclaredTopic
from heed.runtime.service import Service, TopologyMismatch
from heed_ops.processes import ServiceProcesses
from heed_ops.services import CONSUMER_GROUPS, SERVICES, service_class

ROOT = Path(__file__).resolve().parents[3]
SERVICE_PACKAGES = {n.package for n in topology.SERVICES}


@pytest.fixture
def _unreachable_infrastructure(monkeypatch):
    # building and subscribing reaches neither: each service reads its own settings from the environment
    monkeypatch.setenv("HEED_KAFKA_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("HEED_DATABASE_URL", "postgresql://unused/heed")


def _built(name: str) -> Service:
    service = service_class(name)()
    # adapters built in handlers() may hold the pool; nothing reaches the database while subscribing
    service._pool = "no database in this test"  # type: ignore[assignment]
    return service


@pytest.mark.parametrize("node", topology.SERVICES, ids=lambda n: n.name)
@pytest.mark.usefixtures("_unreachable_infrastructure")
def test_each_service_subscribes_exactly_the_topics_its_node_declares_with_their_groups(node):
    service = _built(node.name)
    service.register()
    subscribed = {(topic, getattr(sub, "group_id", None))
                  for sub in service.broker.subscribers for topic in getattr(sub, "topic_names", [])}
    assert subscribed == {(topic, node.group(topic)) for topic in node.consumes}
    assert service.stage.publisher.allowed == frozenset(node.publishes)
    assert (service.schema, service.migrations_package, service.default_port) == (node.schema, node.package,
                                                                                  node.port)


@pytest.mark.parametrize("node", topology.SERVICES, ids=lambda n: n.name)
@pytest.mark.usefixtures("_unreachable_infrastructure")
def test_each_service_serves_on_its_public_port_exactly_what_its_node_declares(node):
    # the deploy files give a Service and a published port to the services that serve something
    paths = [getattr(route, "path", "") for route in _built(node.name).routes()]

    def under(path: str, prefix: str) -> bool:
        return path == prefix or path.startswith(prefix.rstrip("/") + "/")

    assert [p for p in paths if not any(under(p, prefix) for prefix in node.serves)] == []
    assert [prefix for prefix in node.serves if not any(under(p, prefix) for p in paths)] == []


@pytest.mark.usefixtures("_unreachable_infrastructure")
def test_a_handler_map_that_differs_from_the_topology_is_refused_at_start():
    service = _built("classifier")
    service.handlers = lambda: {topics.MENTIONS: None, topics.REPLIES: None}  # type: ignore[method-assign,dict-item]
    with pytest.raises(TopologyMismatch, match=r"heed\.replies"):
        service.register()


async def test_a_service_cannot_publish_to_a_topic_it_does_not_declare():
    publisher = Publisher(allowed=frozenset(topology.node("classifier").publishes))
    letter = DeadLetter(event_id=uuid.uuid4(), source_topic="t", original=b"", error_type="E", error="e",
                        service="classifier")
    with pytest.raises(UndeclaredTopic, match=r"heed\.crm\.customers"):
        await publisher.publish([Outgoing(topics.CRM_CUSTOMERS, letter, "k")])
    assert publisher.published == 0


def test_groups_services_asyncapi_and_ports_are_derived_from_the_topology():
    assert set(CONSUMER_GROUPS) == {n.group(t) for n in topology.SERVICES for t in n.consumes}
    assert list(SERVICES) == [n.name for n in topology.SERVICES]
    doc = json.loads(asyncapi.render())
    for topic in topics.TOPICS:
        channel = doc["channels"][topic.name.replace(".", "_")]
        assert channel["x-producers"] == [n.name for n in topology.SERVICES if topic.name in n.publishes]
        assert channel["x-consumers"] == [n.name for n in topology.SERVICES if topic.name in n.consumes]
    # every topic a service uses has a contract, and every topic is used by someone
    used = {t for n in topology.SERVICES for t in (*n.consumes, *n.publishes)}
    assert used == set(topics.BY_NAME)
    processes = ServiceProcesses(env={}, log_dir=ROOT, base_port=topology.SERVICES[0].port)
    assert {n.name: processes.port(n.name) for n in topology.SERVICES} == {n.name: n.port for n in topology.SERVICES}
    ports = [n.port for n in topology.SERVICES]
    assert ports == list(range(ports[0], ports[0] + len(ports))), "`heed run all` gives consecutive ports"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_shared_library_imports_no_service_package_and_no_tooling():
    offenders = {str(p.relative_to(ROOT)): sorted(_imports(p) & (SERVICE_PACKAGES | {"heed_ops"}))
                 for p in (ROOT / "libs" / "heed").rglob("*.py")}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_the_shared_library_imports_with_no_service_on_the_path():
    libs = ROOT / "libs"
    modules = sorted("heed." + ".".join(p.relative_to(libs / "heed").with_suffix("").parts)
                     for p in (libs / "heed").rglob("*.py") if p.name != "__init__.py")
    script = (
        "import sys\n"
        f"sys.path = [p for p in sys.path if not p.startswith({str(ROOT / 'services')!r})]\n"
        "import importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        f"    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {sorted(SERVICE_PACKAGES | {'heed_ops'})!r}:\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}:\n"
        "    __import__(m)\n"
        "print('ok', len(sys.modules))\n")
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("ok")


# the hops from a raw mention to its automatic reply: the only subscriptions a customer waits on
REPLY_PATH = {("ingest", topics.MENTIONS_RAW), ("classifier", topics.MENTIONS),
              ("router", topics.MENTIONS_CLASSIFIED), ("responder", topics.CASES_ROUTED)}


def test_only_the_hops_a_reply_waits_on_are_polled_with_the_short_wait():
    assert {(n.name, topic) for n in topology.SERVICES for topic in n.waited_on} == REPLY_PATH
    assert all(set(n.waited_on) <= set(n.consumes) for n in topology.SERVICES)


@pytest.mark.parametrize("node", topology.SERVICES, ids=lambda n: n.name)
@pytest.mark.usefixtures("_unreachable_infrastructure")
def test_each_service_subscribes_in_the_background_what_no_reply_waits_on(node, monkeypatch):
    service = _built(node.name)
    asked: dict[str, bool] = {}
    consume = service.stage.consume

    def recording(topic, *args, background=False, **kwargs):
        asked[topic] = background
        consume(topic, *args, background=background, **kwargs)

    monkeypatch.setattr(service.stage, "consume", recording)
    service.register()
    assert asked == {topic: (node.name, topic) not in REPLY_PATH for topic in node.consumes}
