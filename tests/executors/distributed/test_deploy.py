"""The deployment files: manifests valid against the Kubernetes schemas (offline), commands the CLI accepts."""

from __future__ import annotations

from pathlib import Path

import pytest

from qirrt.cli.app import main

yaml = pytest.importorskip("yaml")
kubernetes_validate = pytest.importorskip("kubernetes_validate")

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
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
    secrets |= {v["secret"]["secretName"] for d in workers for v in d["spec"]["template"]["spec"]["volumes"]
                if "secret" in v}
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


def _pods():
    for name, doc in _documents():
        if doc["kind"] in ("StatefulSet", "Deployment"):
            yield f"{name}:{doc['metadata']['name']}", doc["spec"]["template"]["spec"]


def _readable(mode: int, pod_security: dict) -> bool:
    """Can the pod's user read a Secret file kubelet writes as root:fsGroup with `mode`?"""
    if pod_security.get("runAsUser", 0) == 0:
        return True
    group_reads = pod_security.get("fsGroup") is not None and mode & 0o040
    return bool(group_reads or mode & 0o004)


def test_pods_run_locked_down():
    pods = list(_pods())
    assert len(pods) >= 3
    for where, pod in pods:
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True and security["runAsUser"] == 10001, where
        assert security["runAsGroup"] == security["fsGroup"] == 10001, where
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert "hostNetwork" not in pod and "hostPID" not in pod, where
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, where
            assert context["readOnlyRootFilesystem"] is True, where
            assert context["capabilities"]["drop"] == ["ALL"] and "add" not in context["capabilities"], where
            assert not context.get("privileged"), where
            # A read-only root needs somewhere writable: the store volume, or /tmp for workload folders.
            mounts = {m["mountPath"] for m in container["volumeMounts"] if not m.get("readOnly")}
            assert mounts & {"/tmp", "/var/lib/qirrt"}, where


def test_key_secrets_are_readable_by_the_pod_user_and_nobody_else():
    for where, pod in _pods():
        security = pod["securityContext"]
        secrets = [v["secret"] for v in pod["volumes"] if "secret" in v]
        assert secrets, where
        for secret in secrets:
            modes = [secret["defaultMode"]] + [item["mode"] for item in secret.get("items", []) if "mode" in item]
            for mode in modes:
                assert _readable(mode, security), f"{where}: mode {mode:o} unreadable by uid {security['runAsUser']}"
                assert mode & 0o007 == 0 and mode & 0o222 == 0, f"{where}: mode {mode:o}"


def test_readable_check_catches_the_old_manifests():
    """The shape the issue found: uid 10001, 0400 keys, no fsGroup -- the worker could not read its keys."""
    assert not _readable(0o400, {"runAsUser": 10001})
    assert not _readable(0o400, {"runAsUser": 10001, "fsGroup": 10001})
    assert _readable(0o440, {"runAsUser": 10001, "fsGroup": 10001})


def test_dockerfile_has_the_sandbox_user():
    assert "qirrt-sandbox" in (DEPLOY / "Dockerfile").read_text()
