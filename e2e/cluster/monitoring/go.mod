// prometheus-operator's CustomResourceDefinitions (ServiceMonitor, PodMonitor, PrometheusRule) as it
// publishes them, pinned here as the control plane pins its parts: cluster.sh build copies them from
// this module's example/prometheus-operator-crd/ beside the binaries. Nothing imports the module, so
// `go mod tidy` would drop the requirement: move it with `go mod edit -require` (see e2e/README.md).
module modproxy.dev/e2e/cluster/monitoring

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.85.0
