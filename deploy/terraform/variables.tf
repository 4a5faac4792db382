variable "engine" {
  description = "What to deploy: the qirrt ZeroMQ broker and workers (deploy/kubernetes) or a KubeRay RayCluster (deploy/kuberay)."
  type        = string
  default     = "zeromq"
  validation {
    condition     = contains(["zeromq", "ray"], var.engine)
    error_message = "engine must be \"zeromq\" or \"ray\"."
  }
}

variable "namespace" {
  description = "The Kubernetes namespace to create and deploy into."
  type        = string
  default     = "qirrt"
}

variable "kubeconfig_path" {
  description = "The kubeconfig the kubernetes and helm providers use."
  type        = string
  default     = "~/.kube/config"
}

variable "kube_context" {
  description = "The kubeconfig context (null: the current one)."
  type        = string
  default     = null
}

variable "keys_dir" {
  description = "engine = zeromq: the folder `qirrt keys generate KEYS_DIR --user alice --worker worker` wrote."
  type        = string
  default     = "keys"
}

variable "ray_auth_token" {
  description = "engine = ray: the Ray auth token (RAY_AUTH_MODE=token); clients set RAY_AUTH_TOKEN to it."
  type        = string
  default     = null
  sensitive   = true
  validation {
    condition     = var.ray_auth_token == null || length(coalesce(var.ray_auth_token, "")) >= 32
    error_message = "ray_auth_token must be at least 32 characters (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
  }
}

variable "ray_tls_dir" {
  description = "engine = ray: a folder with tls.crt, tls.key and ca.crt for Ray's gRPC TLS."
  type        = string
  default     = "ray-tls"
}

variable "kuberay_operator_version" {
  description = "The kuberay-operator Helm chart version."
  type        = string
  default     = "1.3.0"
}
