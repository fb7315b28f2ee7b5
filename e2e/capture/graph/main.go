// Command graph exists to pull real module graphs of chosen shapes into one build list; the
// capture downloads that list and the tests build this program through modproxy. Each import is a
// small package of its module, so the build stays quick while the module graph stays large.
package main

import (
	"fmt"

	azureversion "github.com/Azure/azure-sdk-for-go/version" // +incompatible major, a 69 MB zip
	"github.com/cespare/xxhash/v2"                           // /vN major
	"go.opentelemetry.io/otel/attribute"                     // module go.opentelemetry.io/otel ...
	"go.opentelemetry.io/otel/trace"                         // ... and the module nested in it
	"gopkg.in/yaml.v3"                                       // gopkg.in .vN path
	"k8s.io/apimachinery/pkg/util/sets"                      // a Kubernetes-sized graph ...
	"k8s.io/apiserver/pkg/authentication/user"               // ... with etcd's nested modules
	"k8s.io/utils/ptr"                                       // a pseudo-version
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

func main() {
	out, _ := yaml.Marshal(map[string]string{"azure": azureversion.Number})
	names := sets.New("a", "b", user.AllAuthenticated)
	ctrllog.Log.Info("graph", "names", names.Len())
	_ = trace.SpanContext{}
	fmt.Printf("%s%x %s %d\n", out, xxhash.Sum64String("x"), attribute.String("k", "v").Value.AsString(), *ptr.To(1))
}
