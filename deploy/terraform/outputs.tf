output "address" {
  description = "Where clients connect: qirrt.connect(address) (with keys for the broker, RAY_AUTH_TOKEN for Ray)."
  value       = local.ray ? "ray://qirrt-ray-head-svc.${var.namespace}.svc:10001" : "tcp://qirrt-broker.${var.namespace}.svc:5555"
}
