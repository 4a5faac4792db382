"""Deploying qirrt on Ray (issue 22): the KubeRay RayCluster manifest and the Terraform module that deploys the
ZeroMQ broker or the RayCluster. No Terraform binary or cluster is reachable here, so the module is parsed
(python-hcl2) and the manifests it applies are validated: core kinds against the Kubernetes schemas
(kubernetes-validate, offline), the RayCluster against the CRD fields it uses (a schema below, from KubeRay's
ray.io/v1 CRD) with each pod template validated as a Kubernetes PodTemplate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

yaml = pytest.importorskip("yaml")
kubernetes_validate = pytest.importorskip("kubernetes_validate")
jsonschema = pytest.importorskip("jsonschema")
hcl2 = pytest.importorskip("hcl2", reason="needs python-hcl2 (the test extra)")

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
KUBERNETES_VERSION = "1.30.0"

_STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}  # KubeRay wants every value quoted
_TEMPLATE = {"type": "object", "required": ["spec"], "properties": {"metadata": {"type": "object"},
                                                                   "spec": {"type": "object"}}}
RAYCLUSTER_SCHEMA = {
    "type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "ray.io/v1"}, "kind": {"const": "RayCluster"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object", "required": ["headGroupSpec"], "additionalProperties": False,
            "properties": {
                "rayVersion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+$"},
                "enableInTreeAutoscaling": {"type": "boolean"},
                "headGroupSpec": {"type": "object", "required": ["rayStartParams", "template"],
                                  "additionalProperties": False,
                                  "properties": {"serviceType": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]},
                                                 "rayStartParams": _STRINGS, "template": _TEMPLATE}},
                "workerGroupSpecs": {"type": "array", "items": {
                    "type": "object", "required": ["groupName", "rayStartParams", "template", "maxReplicas"],
                    "additionalProperties": False,
                    "properties": {"groupName": {"type": "string", "minLength": 1},
                                   "replicas": {"type": "integer", "minimum": 0},
                                   "minReplicas": {"type": "integer", "minimum": 0},
                                   "maxReplicas": {"type": "integer", "minimum": 0},
                                   "rayStartParams": _STRINGS, "template": _TEMPLATE}}},
            },
        },
    },
}


def _yaml_documents(path: Path) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def _raycluster() -> dict:
    (cluster,) = _yaml_documents(DEPLOY / "kuberay" / "raycluster.yaml")
    return cluster


def _pod_templates(cluster: dict) -> dict[str, dict]:
    spec = cluster["spec"]
    return {"head": spec["headGroupSpec"]["template"],
            **{group["groupName"]: group["template"] for group in spec["workerGroupSpecs"]}}


def _secret_names(pod_spec: dict) -> set[str]:
    names = {v["secret"]["secretName"] for v in pod_spec.get("volumes", []) if "secret" in v}
    for container in pod_spec["containers"]:
        names |= {e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", [])
                  if "secretKeyRef" in e.get("valueFrom", {})}
    return names


def test_the_raycluster_has_a_head_and_cpu_and_gpu_groups_of_the_qirrt_image():
    cluster = _raycluster()
    jsonschema.validate(cluster, RAYCLUSTER_SCHEMA)
    groups = {g["groupName"]: g for g in cluster["spec"]["workerGroupSpecs"]}
    assert set(groups) == {"cpu", "gpu"}
    for group in groups.values():
        assert group.get("minReplicas", 0) <= group.get("replicas", 0) <= group["maxReplicas"]
    gpu = groups["gpu"]["template"]["spec"]["containers"][0]
    assert gpu["resources"]["limits"]["nvidia.com/gpu"] == "1" and groups["gpu"]["rayStartParams"]["num-gpus"] == "1"
    head = cluster["spec"]["headGroupSpec"]["template"]["spec"]["containers"][0]
    assert {p["containerPort"] for p in head["ports"]} >= {6379, 10001}  # GCS and the Ray Client port
    for name, template in _pod_templates(cluster).items():
        pod = template["spec"]
        assert all(c["image"].startswith("qirrt:ray") for c in pod["containers"]), name
        assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
        for container in pod["containers"]:
            assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
            env = {e["name"]: e for e in container["env"]}
            assert env["RAY_AUTH_MODE"]["value"] == "token" and "secretKeyRef" in env["RAY_AUTH_TOKEN"]["valueFrom"]
            assert env["RAY_USE_TLS"]["value"] == "1"
        document = {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": f"qirrt-ray-{name}"},
                    "template": template}
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


def test_the_raycluster_secrets_are_the_example_secrets():
    examples = _yaml_documents(DEPLOY / "kuberay" / "secrets.example.yaml")
    for document in examples:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    used = set().union(*(_secret_names(t["spec"]) for t in _pod_templates(_raycluster()).values()))
    assert used == {doc["metadata"]["name"] for doc in examples} == {"qirrt-ray-auth", "qirrt-ray-tls"}


# -- the Terraform module -------------------------------------------------------------------------------
def _unquote(text):
    return text.strip('"') if isinstance(text, str) else text


@pytest.fixture(scope="module")
def module() -> dict:
    merged: dict[str, list] = {}
    for path in sorted((DEPLOY / "terraform").glob("*.tf")):
        with path.open() as handle:
            for key, value in hcl2.load(handle).items():
                if not key.startswith("__"):
                    merged.setdefault(key, []).extend(value)
    return merged


def _resources(module: dict) -> dict[str, dict]:
    out = {}
    for block in module["resource"]:
        for kind, named in block.items():
            for name, body in named.items():
                out[f"{_unquote(kind)}.{_unquote(name)}"] = body
    return out


def test_the_module_uses_the_kubernetes_and_helm_providers_and_chooses_an_engine(module):
    (terraform,) = module["terraform"]
    (providers,) = terraform["required_providers"]
    assert {_unquote(providers[p]["source"]) for p in ("kubernetes", "helm")} == {"hashicorp/kubernetes",
                                                                                   "hashicorp/helm"}
    variables = {_unquote(k): v for block in module["variable"] for k, v in block.items()}
    engine = variables["engine"]
    assert _unquote(engine["default"]) == "zeromq"
    assert '["zeromq", "ray"]' in engine["validation"][0]["condition"]
    assert variables["ray_auth_token"]["sensitive"] is True
    resources = _resources(module)
    assert _unquote(resources["helm_release.kuberay_operator"]["chart"]) == "kuberay-operator"
    gated = {name: body.get("count", body.get("for_each", "")) for name, body in resources.items()}
    ray_side = {n for n, g in gated.items() if "local.ray ?" in g}
    zeromq_side = {n for n, g in gated.items() if "local.zeromq ?" in g}
    assert ray_side == {"helm_release.kuberay_operator", "kubernetes_secret.ray_auth", "kubernetes_secret.ray_tls",
                        "kubernetes_manifest.raycluster"}
    assert zeromq_side == {"kubernetes_secret.broker_keys", "kubernetes_secret.worker_keys",
                           "kubernetes_manifest.zeromq"}
    assert set(resources) - ray_side - zeromq_side == {"kubernetes_namespace.qirrt"}


def test_the_module_makes_the_secrets_each_engine_mounts(module):
    resources = _resources(module)
    made = {name: _unquote(body["metadata"][0]["name"]) for name, body in resources.items()
            if name.startswith("kubernetes_secret.")}
    ray_used = set().union(*(_secret_names(t["spec"]) for t in _pod_templates(_raycluster()).values()))
    assert {made["kubernetes_secret.ray_auth"], made["kubernetes_secret.ray_tls"]} == ray_used
    zeromq_used = set()
    for document in _zeromq_documents():
        if document["kind"] in ("StatefulSet", "Deployment"):
            zeromq_used |= _secret_names(document["spec"]["template"]["spec"])
    assert {made["kubernetes_secret.broker_keys"], made["kubernetes_secret.worker_keys"]} == zeromq_used
    broker_keys = {_unquote(k) for k in resources["kubernetes_secret.broker_keys"]["data"]}
    broker = next(d for d in _zeromq_documents() if d["kind"] == "StatefulSet")
    items = next(v["secret"]["items"] for v in broker["spec"]["template"]["spec"]["volumes"] if "secret" in v)
    assert broker_keys == {item["key"] for item in items}  # every key the broker mounts is in the Secret


def _zeromq_documents() -> list[dict]:
    """What the module's `zeromq_documents` local makes: each file split on '\\n---\\n', each part decoded."""
    out = []
    for name in ("broker.yaml", "workers.yaml"):
        for part in (DEPLOY / "kubernetes" / name).read_text().split("\n---\n"):
            out.append(yaml.safe_load(part))
    return out


def test_every_file_the_module_reads_exists_and_its_manifests_validate(module):
    text = "\n".join(p.read_text() for p in (DEPLOY / "terraform").glob("*.tf"))
    read = set(re.findall(r'file\("\$\{path\.module\}/([^"$]+)"\)', text))
    assert read == {"../kuberay/raycluster.yaml"}
    for relative in read:
        assert (DEPLOY / "terraform" / relative).resolve().is_file()
    assert "${path.module}/../kubernetes/${name}" in text
    documents = _zeromq_documents()
    assert all(isinstance(d, dict) and d.get("kind") for d in documents)  # yamldecode gives a manifest each
    for document in documents:
        kubernetes_validate.validate({**document, "metadata": {**document["metadata"], "namespace": "qirrt"}},
                                     KUBERNETES_VERSION, strict=True)
