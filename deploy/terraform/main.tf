# Deploys qirrt on Kubernetes: either the ZeroMQ broker and its workers (engine = "zeromq", the manifests
# in deploy/kubernetes) or a RayCluster (engine = "ray", deploy/kuberay, with the KubeRay operator from its
# Helm chart). The keys become Secrets read from files here; they are in the Terraform state too, so keep
# the state encrypted (a remote backend with encryption at rest). The manifests are applied as they are in
# this repository, with their namespace set; no Terraform binary is needed to test this module, whose
# tests parse it and validate the manifests it applies (tests/executors/ray/test_deploy.py).

locals {
  zeromq = var.engine == "zeromq"
  ray    = var.engine == "ray"

  # every document of the ZeroMQ manifests (the example Secrets are made below, from the key files)
  zeromq_documents = [
    for doc in flatten([
      for name in ["broker.yaml", "workers.yaml"] :
      [for part in split("\n---\n", file("${path.module}/../kubernetes/${name}")) : yamldecode(part)]
    ]) : merge(doc, { metadata = merge(doc.metadata, { namespace = var.namespace }) })
  ]
  raycluster = yamldecode(file("${path.module}/../kuberay/raycluster.yaml"))
}

resource "kubernetes_namespace" "qirrt" {
  metadata {
    name   = var.namespace
    labels = { "app.kubernetes.io/name" = "qirrt" }
  }
}

# -- engine = "zeromq": the broker, its workers, and their CurveZMQ keys ------------------------------
resource "kubernetes_secret" "broker_keys" {
  count = local.zeromq ? 1 : 0
  metadata {
    name      = "qirrt-broker-keys"
    namespace = kubernetes_namespace.qirrt.metadata[0].name
  }
  data = {
    "server.key"         = file("${var.keys_dir}/server.key")
    "server.key_secret"  = file("${var.keys_dir}/server.key_secret")
    "clients.alice.key"  = file("${var.keys_dir}/clients/alice.key")
    "workers.worker.key" = file("${var.keys_dir}/workers/worker.key")
  }
}

resource "kubernetes_secret" "worker_keys" {
  count = local.zeromq ? 1 : 0
  metadata {
    name      = "qirrt-worker-keys"
    namespace = kubernetes_namespace.qirrt.metadata[0].name
  }
  data = {
    "server.key"        = file("${var.keys_dir}/server.key")
    "worker.key_secret" = file("${var.keys_dir}/worker.key_secret")
  }
}

resource "kubernetes_manifest" "zeromq" {
  for_each   = local.zeromq ? { for doc in local.zeromq_documents : "${doc.kind}/${doc.metadata.name}" => doc } : {}
  manifest   = each.value
  depends_on = [kubernetes_secret.broker_keys, kubernetes_secret.worker_keys]
}

# -- engine = "ray": the KubeRay operator, the RayCluster, its auth token and TLS -----------------------
resource "helm_release" "kuberay_operator" {
  count      = local.ray ? 1 : 0
  name       = "kuberay-operator"
  repository = "https://ray-project.github.io/kuberay-helm/"
  chart      = "kuberay-operator"
  version    = var.kuberay_operator_version
  namespace  = kubernetes_namespace.qirrt.metadata[0].name
}

resource "kubernetes_secret" "ray_auth" {
  count = local.ray ? 1 : 0
  metadata {
    name      = "qirrt-ray-auth"
    namespace = kubernetes_namespace.qirrt.metadata[0].name
  }
  data = {
    token = var.ray_auth_token
  }
  lifecycle {
    precondition {
      condition     = var.ray_auth_token != null
      error_message = "engine = \"ray\" needs ray_auth_token (the cluster refuses clients without it)."
    }
  }
}

resource "kubernetes_secret" "ray_tls" {
  count = local.ray ? 1 : 0
  metadata {
    name      = "qirrt-ray-tls"
    namespace = kubernetes_namespace.qirrt.metadata[0].name
  }
  data = {
    "tls.crt" = file("${var.ray_tls_dir}/tls.crt")
    "tls.key" = file("${var.ray_tls_dir}/tls.key")
    "ca.crt"  = file("${var.ray_tls_dir}/ca.crt")
  }
}

resource "kubernetes_manifest" "raycluster" {
  count      = local.ray ? 1 : 0
  manifest   = merge(local.raycluster, { metadata = merge(local.raycluster.metadata, { namespace = var.namespace }) })
  depends_on = [helm_release.kuberay_operator, kubernetes_secret.ray_auth, kubernetes_secret.ray_tls]
}
