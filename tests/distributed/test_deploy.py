"""The deployment files: manifests valid against the Kubernetes schemas (offline), commands the CLI accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from qirrt.cli import main

yaml = pytest.importorskip("yaml")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
KUBERNETES_VERSION = "1.30.0"


def _documents():
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                yield path.name, document


def test_manifests_validate_against_kubernetes_schemas():
    documents = list(_documents())
    assert {doc["kind"] for _, doc in documents} >= {"StatefulSet", "Deployment", "Service", "Secret"}
    for name, document in documents:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_broker_is_a_statefulset_with_a_volume_and_keys_from_secrets():
    by_kind = {}
    for _, doc in _documents():
        by_kind.setdefault(doc["kind"], []).append(doc)
    (broker,) = by_kind["StatefulSet"]
    assert broker["spec"]["replicas"] == 1
    claim = broker["spec"]["volumeClaimTemplates"][0]["metadata"]["name"]
    container = broker["spec"]["template"]["spec"]["containers"][0]
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    assert mounts[claim] == "/var/lib/qirrt"
    secrets = {v["secret"]["secretName"] for v in broker["spec"]["template"]["spec"]["volumes"] if "secret" in v}
    workers = by_kind["Deployment"]
    secrets |= {v["secret"]["secretName"] for d in workers for v in d["spec"]["template"]["spec"]["volumes"]}
    assert secrets == {doc["metadata"]["name"] for doc in by_kind["Secret"]}


def test_container_commands_parse_with_the_cli():
    for _, doc in _documents():
        if doc["kind"] not in ("StatefulSet", "Deployment"):
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            args = container["args"]
            command = main.commands[args[0]]
            context = command.make_context(args[0], list(args[1:]))  # raises on an unknown option
            assert context.params.get("keys_dir") is not None  # never insecure off loopback


def test_dockerfile_takes_extras_and_runs_unprivileged():
    text = (DEPLOY / "Dockerfile").read_text()
    assert 'ARG EXTRAS=""' in text and "USER 10001" in text
    assert 'ENTRYPOINT ["qirrt"]' in text
