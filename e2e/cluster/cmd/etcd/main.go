// Command etcd is etcd's own server entry point, built at the version k8s.io/kubernetes pins,
// so the test control plane does not depend on an etcd package of the host.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
