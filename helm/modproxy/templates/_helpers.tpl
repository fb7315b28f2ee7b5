{{/*
  The prefix of every object name. A release name may hold dots (helm allows a DNS subdomain), which a Service name
  may not: they become dashes. A release name may also start with a digit, which a Service name may not (a DNS-1035
  label, as the schema asks of fullnameOverride): refused before anything is made, not half-way by the API server.
*/}}
{{- define "modproxy.fullname" -}}
{{- $name := .Values.fullnameOverride | default .Release.Name | replace "." "-" | trunc 40 | trimSuffix "-" -}}
{{- if not (regexMatch "^[a-z]" $name) -}}
{{- fail (printf "fullnameOverride is null, so the release name %s names every object, the webhook's Service %s-webhook among them, which must start with a letter (a DNS-1035 label): set fullnameOverride to a name that does (--set fullnameOverride=modproxy, or another for a second release), or use a release name starting with a letter" .Release.Name $name) -}}
{{- end -}}
{{- $name -}}
{{- end -}}

{{- define "modproxy.operatorName" -}}
{{- printf "%s-operator" (include "modproxy.fullname" .) -}}
{{- end -}}

{{- define "modproxy.webhookServiceName" -}}
{{- printf "%s-webhook" (include "modproxy.fullname" .) -}}
{{- end -}}

{{- define "modproxy.webhookSecretName" -}}
{{- printf "%s-webhook-tls" (include "modproxy.fullname" .) -}}
{{- end -}}

{{/*
  The Lease the operator's replicas elect their leader with (modproxy-operator-lease by default), told to the operator
  through its environment: two releases in one namespace (other fullnameOverrides, other watched namespaces) each
  elect their own leader instead of one of them never reconciling.
*/}}
{{- define "modproxy.leaseName" -}}
{{- printf "%s-operator-lease" (include "modproxy.fullname" .) -}}
{{- end -}}

{{/* Several operator replicas (one leads through the Lease, all serve the webhook): worth a disruption budget. */}}
{{- define "modproxy.severalReplicas" -}}
{{- if gt (int .Values.operator.replicas) 1 }}true{{ end -}}
{{- end -}}

{{/*
  Whether lookup asks an API server (helm install, upgrade, template --validate): its discovery then lists kinds
  (apiextensions.k8s.io/v1/CustomResourceDefinition), which the defaults of a client-only rendering do not, and it
  finds kube-system, which is in every cluster. Only then is lookup asked of anything else: helm template answers it
  with nothing, a library rendering without a cluster (helm-java's template) with an error, and a renderer told the
  cluster's API versions but not given the cluster (Argo CD) with nothing, where "not found" would be untrue.
*/}}
{{- define "modproxy.clusterAnswers" -}}
{{- if and (.Capabilities.APIVersions.Has "apiextensions.k8s.io/v1/CustomResourceDefinition") (lookup "v1" "Namespace" "" "kube-system") }}true{{ end -}}
{{- end -}}

{{- define "modproxy.labels" -}}
app.kubernetes.io/name: modproxy
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: modproxy
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "modproxy.selectorLabels" -}}
app.kubernetes.io/name: modproxy
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/component: operator
{{- end -}}

{{/* Namespaces the webhook must never call for: the system and the operator's own. */}}
{{- define "modproxy.webhookExcludedNamespaces" -}}
{{- $ns := list "kube-system" .Release.Namespace -}}
{{- range .Values.webhook.excludeNamespaces }}{{ $ns = append $ns . }}{{ end -}}
{{- toJson ($ns | uniq) -}}
{{- end -}}

{{/*
  registry/repository:tag, or registry/repository:tag@digest when a digest is given (the runtime
  then pulls by digest; the tag is only kept for reading). Called with (list $ .Values.<part>.image).
*/}}
{{- define "modproxy.image" -}}
{{- $root := index . 0 -}}
{{- $image := index . 1 -}}
{{- $registry := $root.Values.image.registry | trimSuffix "/" -}}
{{- $host := first (splitList "/" $image.repository) -}}
{{- /* a repository that names its own registry host is used as it is */ -}}
{{- $own := or (eq $registry "") (contains "." $host) (contains ":" $host) (eq $host "localhost") -}}
{{- $name := ternary $image.repository (printf "%s/%s" $registry $image.repository) $own -}}
{{- $tag := $image.tag | default $root.Chart.AppVersion -}}
{{- if $image.digest -}}
{{- printf "%s:%s@%s" $name $tag $image.digest -}}
{{- else -}}
{{- printf "%s:%s" $name $tag -}}
{{- end -}}
{{- end -}}

{{/* What both webhook entries share: where the webhook is and how it may fail. */}}
{{- define "modproxy.webhookEntry" -}}
admissionReviewVersions: ["v1"]
# caBundle is left out: the operator (certMode operator) or cert-manager's CA injector fills it in.
clientConfig:
  service:
    name: {{ include "modproxy.webhookServiceName" . }}
    namespace: {{ .Release.Namespace | quote }}
    path: /mutate-pods
    port: 8443
rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["pods"]
    scope: Namespaced
sideEffects: None
# A build pod is never held back by the cache: on any webhook error it is created unchanged.
failurePolicy: Ignore
timeoutSeconds: {{ .Values.webhook.timeoutSeconds }}
reinvocationPolicy: IfNeeded
matchPolicy: Equivalent
{{- end -}}

{{/*
  What reconciling a GoProxyCache needs in a namespace it watches, and no more. The operator applies its objects
  server-side (patch; create for a new one) but for ConfigMaps (create, update: the operator SDK writes those without
  server-side apply, so never patches one), writes only a cache's status (a patch of the status subresource, which
  it never reads: it reads the cache; it sets no finalizer, and its owner references leave blockOwnerDeletion unset,
  so it needs no goproxycaches/finalizers either) and never deletes what is always there (ConfigMap, Services,
  Deployment: the garbage collector removes them with their cache). It deletes only what a spec change can remove: a
  claim given up for object storage, the NetworkPolicy, the PodDisruptionBudget and the ServiceMonitor; a claim is
  resized with a server-side apply patch like the rest (server-side apply is fixed at build time: the shipped
  operator has no mode that updates a claim).
*/}}
{{- define "modproxy.cacheRules" -}}
- apiGroups: ["modproxy.dev"]
  resources: ["goproxycaches"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["modproxy.dev"]
  resources: ["goproxycaches/status"]
  # written by a patch (server-side apply), never replaced, never read (the cache itself is)
  verbs: ["patch"]
# the operator SDK writes ConfigMaps with create and update (it applies no ConfigMap server-side)
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get", "list", "watch", "create", "update"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch"]
# read only: the proxy pods' status says at once why they do not start (a missing Secret, an image pull, a crash)
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch"]
- apiGroups: ["policy"]
  resources: ["poddisruptionbudgets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["monitoring.coreos.com"]
  resources: ["servicemonitors"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- end -}}

{{- define "modproxy.subjects" -}}
- kind: ServiceAccount
  name: {{ include "modproxy.operatorName" . }}
  namespace: {{ .Release.Namespace | quote }}
{{- end -}}

{{/*
  A resource quantity (a string such as 384Mi, 0.5, 100m, or a number) as a float in its base unit, to compare a
  request with its limit. Only what the schema's quantity pattern lets through.
*/}}
{{- define "modproxy.quantityValue" -}}
{{- if or (kindIs "float64" .) (kindIs "int64" .) (kindIs "int" .) -}}
{{- float64 . -}}
{{- else -}}
{{- $number := regexFind "^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)" . -}}
{{- $suffix := trimPrefix $number . -}}
{{- $factors := dict "" 1.0 "m" 0.001 "k" 1e3 "M" 1e6 "G" 1e9 "T" 1e12 "P" 1e15 "E" 1e18 "Ki" 1024.0 "Mi" 1048576.0 "Gi" 1073741824.0 "Ti" 1099511627776.0 "Pi" 1125899906842624.0 "Ei" 1152921504606846976.0 -}}
{{- mulf (float64 $number) (get $factors $suffix) -}}
{{- end -}}
{{- end -}}

{{/* A quantity as it was written; a whole number read from YAML (a float) without an exponent. */}}
{{- define "modproxy.quantityText" -}}
{{- if and (kindIs "float64" .) (eq (floor .) .) -}}
{{- printf "%d" (int64 .) -}}
{{- else -}}
{{- printf "%v" . -}}
{{- end -}}
{{- end -}}

{{/*
  The API server refuses a container whose request is above its limit ("must be less than or equal to memory limit
  of 256Mi"), after helm has made the objects before the Deployment. Said first, naming both values: a limit is
  easily lowered below the chart's default request (operator.resources.requests.memory 384Mi).
*/}}
{{- define "modproxy.checkRequestsWithinLimits" -}}
{{- $requests := .requests | default dict -}}
{{- $limits := .limits | default dict -}}
{{- range $name, $limit := $limits -}}
{{- if hasKey $requests $name -}}
{{- $request := get $requests $name -}}
{{- if gt (float64 (include "modproxy.quantityValue" $request)) (float64 (include "modproxy.quantityValue" $limit)) -}}
{{- fail (printf "operator.resources.requests.%s (%s) is more than operator.resources.limits.%s (%s), which the API server refuses: raise the limit or lower the request too" $name (include "modproxy.quantityText" $request) $name (include "modproxy.quantityText" $limit)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
  A Go duration (time.ParseDuration, which cert-manager reads the Certificate's duration and renewBefore with) in
  seconds, as text for float64: numbers, whole or decimal, of h, m, s, ms, us (or µs) and ns, any number of them
  (1h0m0s, 1.5h, 90m, 3600000ms), a leading + and a bare 0. Called with (dict "name" <value's name> "value" <it>). A
  value of any other form stops the render naming it, so that nothing is compared as a wrong number of seconds: the
  schema refuses such values first (the same pattern), but helm template --skip-schema-validation does not ask it.
  Sprig can format a duration but not parse one. The arithmetic is sprig's (decimal, so 3600000ms is 3600 exactly).
*/}}
{{- define "modproxy.durationSeconds" -}}
{{- $text := toString .value -}}
{{- $number := "([0-9]+(\\.[0-9]*)?|\\.[0-9]+)" -}}
{{- $unit := "(ns|us|µs|μs|ms|s|m|h)" -}}
{{- if not (regexMatch (printf "^\\+?(0|(%s%s)+)$" $number $unit) $text) -}}
{{- fail (printf "%s: %q is not a Go duration, the form cert-manager reads: numbers of h, m, s, ms, us or ns such as 2160h, 1h30m, 1.5h or 90m0s" .name $text) -}}
{{- end -}}
{{- $perUnit := dict "h" 3600.0 "m" 60.0 "s" 1.0 "ms" 0.001 "us" 0.000001 "µs" 0.000001 "μs" 0.000001 "ns" 0.000000001 -}}
{{- $seconds := 0.0 -}}
{{- range $part := regexFindAll (printf "%s%s" $number $unit) $text -1 -}}
{{- $digits := regexFind "^[0-9.]+" $part -}}
{{- $seconds = addf $seconds (mulf (float64 $digits) (get $perUnit (trimPrefix $digits $part))) -}}
{{- end -}}
{{- $seconds -}}
{{- end -}}

{{/*
  cert-manager's webhook refuses a Certificate whose duration is under 1h, whose renewBefore is under 5m, or whose
  renewBefore is not shorter than its duration ("certificate duration ... must be greater than renewBefore ...").
  Helm would have applied part of the release by the time the Certificate is refused, so the same rules are said at
  render, naming the values. The renewBefore offered is a third of the duration: when a Certificate sets none,
  cert-manager renews it two thirds of the way through its life, that is a third ahead of its end.
*/}}
{{- define "modproxy.checkRenewBeforeWithinDuration" -}}
{{- $duration := float64 (include "modproxy.durationSeconds" (dict "name" "webhook.certManager.duration" "value" .duration)) -}}
{{- $renewBefore := float64 (include "modproxy.durationSeconds" (dict "name" "webhook.certManager.renewBefore" "value" .renewBefore)) -}}
{{- if lt $duration 3600.0 -}}
{{- fail (printf "webhook.certManager.duration (%s) is shorter than 1h, the least cert-manager takes: its webhook would refuse the Certificate (certificate duration must be greater than 1h0m0s)" (toString .duration)) -}}
{{- end -}}
{{- if lt $renewBefore 300.0 -}}
{{- fail (printf "webhook.certManager.renewBefore (%s) is shorter than 5m, the least cert-manager takes: its webhook would refuse the Certificate (certificate renewBefore must be greater than 5m0s)" (toString .renewBefore)) -}}
{{- end -}}
{{- if ge $renewBefore $duration -}}
{{- fail (printf "webhook.certManager.renewBefore (%s) is not shorter than webhook.certManager.duration (%s): cert-manager's webhook would refuse the Certificate (certificate duration must be greater than renewBefore). Lower renewBefore or raise duration, e.g. --set webhook.certManager.renewBefore=%s (a third of the duration), how far ahead of the end cert-manager renews a certificate that sets no renewBefore" (toString .renewBefore) (toString .duration) (duration (int64 (divf $duration 3)))) -}}
{{- end -}}
{{- end -}}

{{/*
  The operator's environment the chart sets itself, and the value each comes from. An operator.extraEnv entry of one
  of these names, or two of one name, gave the container two entries of one name: helm 4's server-side apply refused
  the Deployment ("duplicate entries for key [name=...]") after making the objects before it, and a client-side
  apply (helm 3, kubectl) kept both, the later one (extraEnv's) winning over what the chart rendered around it (a
  cert mode without its volume, a lease name its Role does not grant). Said first, naming the value to set.
*/}}
{{- define "modproxy.checkExtraEnv" -}}
{{- $setBy := dict
  "MODPROXY_OPERATOR_NAMESPACE" "the release namespace (helm --namespace)"
  "MODPROXY_WEBHOOK_CERT_MODE" "webhook.certMode"
  "MODPROXY_WEBHOOK_CERT_DIR" "webhook.certMode (cert-manager)"
  "MODPROXY_WEBHOOK_SECRET" "fullnameOverride"
  "MODPROXY_WEBHOOK_CONFIG" "fullnameOverride"
  "MODPROXY_WEBHOOK_SERVICE" "fullnameOverride"
  "MODPROXY_OPERATOR_LEASE_NAME" "fullnameOverride"
  "MODPROXY_OPERATOR_NETWORK_POLICY_ENABLED" "proxy.networkPolicy.enabled"
  "MODPROXY_OPERATOR_NETWORK_POLICY_PROMETHEUS_NAMESPACE" "proxy.networkPolicy.prometheusNamespace"
  "MODPROXY_OPERATOR_PROXY_FIXED_USER_IDS" "fixedUserIds"
  "MODPROXY_OPERATOR_PROXY_IMAGE" "image.registry and proxy.image"
  "QUARKUS_OPERATOR_SDK_CONTROLLERS_GOPROXYCACHE_NAMESPACES" "watchNamespaces (which grants the operator its Roles too)"
-}}
{{- $seen := dict -}}
{{- range $i, $env := .Values.operator.extraEnv -}}
{{- if hasKey $setBy $env.name -}}
{{- fail (printf "operator.extraEnv[%d] sets %s, which the chart sets itself from %s: set that instead (two entries of one name are refused by a server-side apply, and override the chart's by a client-side one)" $i $env.name (get $setBy $env.name)) -}}
{{- end -}}
{{- if hasKey $seen $env.name -}}
{{- fail (printf "operator.extraEnv[%d] and operator.extraEnv[%d] both set %s: keep one (two entries of one name are refused by a server-side apply)" (get $seen $env.name) $i $env.name) -}}
{{- end -}}
{{- $_ := set $seen $env.name $i -}}
{{- end -}}
{{- end -}}

{{/*
  Namespaces a value puts objects in must exist: an object in a namespace that does not is refused after the objects
  before it were made, which left a failed release ("namespaces "team-a" not found"). Said first instead, naming the
  value, when there is a cluster to ask. The release namespace is not asked: helm renders the chart before
  --create-namespace (or Flux's install.createNamespace) makes it, and without either helm refuses the install before
  making anything. Called with (dict "root" $ "value" <its key> "namespaces" <list> "why" <...> "otherwise" <...>).
*/}}
{{- define "modproxy.checkNamespacesExist" -}}
{{- $root := .root -}}
{{- if include "modproxy.clusterAnswers" $root -}}
{{- $missing := list -}}
{{- range $ns := .namespaces -}}
{{- if and $ns (ne $ns $root.Release.Namespace) (not (lookup "v1" "Namespace" "" $ns)) }}{{ $missing = append $missing $ns }}{{ end -}}
{{- end -}}
{{- if $missing -}}
{{- fail (printf "%s: %s not found: %s, so create %s first (kubectl create namespace %s), %s" .value (join ", " $missing) .why (ternary "it" "them" (eq (len $missing) 1)) (join " " $missing) .otherwise) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
  A PriorityClass that does not exist made a Deployment whose pods the API server refuses ("no PriorityClass with name
  ci-critical was found", in the ReplicaSet's events only): helm reported the install deployed, the operator never
  started, and the webhook let every pod through unchanged. Said first. The API server reserves the prefix system-:
  it keeps system-cluster-critical and system-node-critical in every cluster (they cannot be deleted) and lets no other
  class of that prefix be made, so these are answered without a cluster, and without asking one: lookup stops the
  render with its own error when the installer may not get PriorityClasses ("... is forbidden"), which the chart makes
  none of, so an installer's role may well leave them out. Any other name is asked of the cluster, when there is one.
  Called with (list $ <name>).
*/}}
{{- define "modproxy.checkPriorityClassExists" -}}
{{- $root := index . 0 -}}
{{- $name := index . 1 -}}
{{- $builtIn := list "system-cluster-critical" "system-node-critical" -}}
{{- if not (has $name $builtIn) -}}
{{- if hasPrefix "system-" $name -}}
{{- fail (printf "operator.priorityClassName: PriorityClass %s cannot exist: the API server reserves the prefix system- for its own classes, %s, and makes no other. Name one of those, or one of kubectl get priorityclasses" $name (join " and " $builtIn)) -}}
{{- else if and (include "modproxy.clusterAnswers" $root) (not (lookup "scheduling.k8s.io/v1" "PriorityClass" "" $name)) -}}
{{- fail (printf "operator.priorityClassName: PriorityClass %s not found: the API server would create no operator pod (no PriorityClass with name %s was found), and the webhook would let every pod through unchanged. Create it first, name one of kubectl get priorityclasses, or leave the value empty" $name $name) -}}
{{- end -}}
{{- end -}}
{{- end -}}
