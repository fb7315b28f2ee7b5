package dev.modproxy.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.modproxy.contract.GoProxyList;
import dev.modproxy.contract.GoSumDb;
import dev.modproxy.operator.api.KubernetesSyntax;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.model.annotation.SpecReplicas;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** What a platform team asks for: where modules come from, how they are checked, and how the cache runs. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonClassDescription("What the platform team asks for: where modules come from (upstream, private), how they are "
        + "checked (sumdb, noSumDB), where they are kept (storage, objectStorage), how the proxy pods run, and what "
        + "build pods are given (injection).")
// has() on every field it reads: the API server checks spec's default ({}) against this rule as it stands, without
// the nested defaults (replicas 1, storage's access modes), and refuses the whole CRD if the rule fails or errs
@ValidationRule(
        value = "!has(self.replicas) || self.replicas <= 1 || has(self.objectStorage) || (has(self.storage)"
                + " && has(self.storage.accessModes) && 'ReadWriteMany' in self.storage.accessModes)",
        message =
                "replicas > 1 needs a shared cache: set storage.accessModes to [ReadWriteMany] or configure objectStorage",
        fieldPath = ".replicas",
        reason = "FieldValueForbidden")
public class GoProxyCacheSpec {

    public static final String DEFAULT_UPSTREAM = "https://proxy.golang.org";
    public static final String DEFAULT_SUMDB = GoSumDb.DEFAULT;
    /**
     * A GOPROXY list as the go command and the proxy read it (the contract's first check; SpecProblems the rest), as
     * a CEL rule rather than the schema's pattern: the API server refuses a value that breaks a pattern by printing
     * the pattern, some 500 characters of regex, where a rule prints its message. A raw string (r'...'), so the
     * regex's backslashes reach RE2 as written.
     */
    public static final String GOPROXY_LIST_RULE = "self.matches(r'" + GoProxyList.PATTERN + "')";

    /** What {@link #GOPROXY_LIST_RULE} accepts, in words, after the field's name. */
    public static final String GOPROXY_LIST_WORDS = " must be a GOPROXY list: entries separated by ',' or '|', each an "
            + "http(s) URL, a host name (https:// is implied), direct or off, without spaces inside an entry; e.g. "
            + "https://goproxy.cn|https://proxy.golang.org,direct";

    public static final String UPSTREAM_LIST_MESSAGE = "spec.upstream" + GOPROXY_LIST_WORDS;

    /** Refuses an entry whose port no TCP connection can have (the contract's {@link GoProxyList#PORT_ABOVE_RANGE}). */
    public static final String GOPROXY_PORT_RULE = "!self.matches('" + GoProxyList.PORT_ABOVE_RANGE + "')";

    /** What {@link #GOPROXY_PORT_RULE} refuses, in words, after the field's name. */
    public static final String GOPROXY_PORT_WORDS =
            " has an entry with a port above " + GoProxyList.MAX_PORT + ", which no connection can use";

    /**
     * The longest GOPROXY list taken. The API server prices a rule by the longest value it may see, and a regex
     * rule by its length too: without a bound, a rule as long as this list's is refused as too expensive.
     */
    public static final long GOPROXY_LIST_MAX_LENGTH = 4096;
    /**
     * An entry whose authority carries a login ({@code https://user:password@host}): the part of an entry before its
     * first '/' holds an '@'. Refused: the operator would copy it into the proxy's ConfigMap, which more people may
     * read than the namespace's Secrets; spec.upstreamCredentials takes logins from a Secret.
     */
    public static final String UPSTREAM_LOGIN = "(^|[,|])[ \\t]*([A-Za-z][A-Za-z0-9+.-]*://)?[^/,| \\t]*@";

    public static final String UPSTREAM_LOGIN_MESSAGE = "spec.upstream must not carry a login (user:password@): it "
            + "would be readable in the GoProxyCache and its ConfigMap; put it in a netrc Secret named by "
            + "spec.upstreamCredentials.secretName (its logins are sent over https only)";

    /**
     * What the CRD's rule on spec.sumdb ({@link GoSumDb#PATTERN}, the shape of what the proxy takes) says, in words:
     * the schema's pattern was printed as the whole refusal, a regex no reader of kubectl's output could act on.
     */
    public static final String SUMDB_MESSAGE = "spec.sumdb must be " + GoSumDb.PATTERN_WORDS;

    /** The longest spec.sumdb taken: the API server prices the rule by the longest value it may see. */
    public static final long SUMDB_MAX_LENGTH = 1024;

    /** A registry host (capitals allowed, as a host name), an IPv6 address in brackets, either with a port. */
    private static final String IMAGE_REGISTRY =
            "([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:]+\\])"
                    + "(:[0-9]+)?";

    /** One path component of a repository: lowercase only. */
    private static final String IMAGE_PATH_COMPONENT = "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*";

    /**
     * An image reference by the grammar container runtimes parse it by (github.com/distribution/reference): an optional
     * registry, lowercase path components, an optional tag, an optional digest of a registered algorithm with its
     * length of lowercase hex. The rule took any text without spaces, so an upper-case repository
     * (GHCR.io/Foo/Bar:1), a short digest (proxy@sha256:abc) or an empty tag (proxy:) reached the kubelet, which
     * refuses them as InvalidImageName: on a cluster whose kubelet never pulls (kwok) the cache even showed Ready.
     */
    public static final String IMAGE =
            "^(" + IMAGE_REGISTRY + "/)?" + IMAGE_PATH_COMPONENT + "(/" + IMAGE_PATH_COMPONENT
                    + ")*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@(sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}))?$";

    /**
     * The image reference, said in words (the pattern's refusal printed '^\\S+$'): each digest {@link #IMAGE} takes,
     * and that its hex digits are lowercase, so that a digest copied in capitals is told what is wrong with it.
     */
    public static final String IMAGE_MESSAGE = "spec.image must be a container image reference: an optional registry "
            + "host and port, a repository path in lowercase, an optional :tag and an optional digest, "
            + "@sha256:<64 lowercase hex digits> (or sha384 with 96, sha512 with 128), "
            + "e.g. registry.corp.example.com/modproxy/proxy:1.2.0; leave it out to run the operator's own release";

    /** The longest image reference taken, for the rule's cost: far above what a registry takes. */
    public static final long IMAGE_MAX_LENGTH = 1024;

    /** What the kubelet takes as imagePullPolicy; the CRD lists them as an enum. */
    public static final List<String> IMAGE_PULL_POLICIES = List.of("Always", "IfNotPresent", "Never");

    /** A login in a GOPROXY list entry (user:password@ or token@), kept apart from what precedes it. */
    private static final Pattern UPSTREAM_LOGINS =
            Pattern.compile("((?:^|[,|])\\s*(?:[A-Za-z][A-Za-z0-9+.-]*://)?)[^/@,|\\s]*@");

    /** The most proxy pods a cache asks for: a bound on a mistyped count, far above what a cache's builds need. */
    public static final int MAX_REPLICAS = 100;

    /**
     * Why a cache has at least one pod, and how to stop one instead: the schema's minimum said only "should be
     * greater than or equal to 1" to kubectl scale --replicas=0.
     */
    public static final String REPLICAS_MINIMUM_MESSAGE = "spec.replicas must be at least 1: a cache always runs a "
            + "proxy pod for the build pods pointed at it. To stop a cache, delete the GoProxyCache (set "
            + "spec.storage.retainOnDelete to true first to keep its volume and cached modules for a cache made "
            + "again under the same name)";

    @JsonPropertyDescription("Where the cache fetches modules it does not hold, in GOPROXY syntax: http(s) URLs "
            + "separated by ',' (try the next on 404/410) or '|' (try the next on any error). 'direct' makes the "
            + "proxy answer 404 so clients fetch from the origin themselves; 'off' stops the chain. As the go command "
            + "reads it: an entry without a scheme (goproxy.cn) gets https://, and empty entries are skipped. "
            + "Example: https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct")
    @Default(DEFAULT_UPSTREAM)
    @Size(max = GOPROXY_LIST_MAX_LENGTH)
    @ValidationRule(value = GOPROXY_LIST_RULE, message = UPSTREAM_LIST_MESSAGE, reason = "FieldValueInvalid")
    @ValidationRule(
            value = GOPROXY_PORT_RULE,
            message = "spec.upstream" + GOPROXY_PORT_WORDS,
            reason = "FieldValueInvalid")
    @ValidationRule(
            value = "!self.matches('" + UPSTREAM_LOGIN + "')",
            message = UPSTREAM_LOGIN_MESSAGE,
            reason = "FieldValueForbidden")
    private String upstream = DEFAULT_UPSTREAM;

    @JsonPropertyDescription("Checksum database the cache verifies downloaded modules against and serves under "
            + "/sumdb/, in GOSUMDB syntax: 'sum.golang.org', 'sum.golang.google.cn', another database's verifier key "
            + "'name+hash+key', 'sum.golang.org https://url' or 'name+hash+key https://url', or 'off'.")
    @Default(DEFAULT_SUMDB)
    @Size(max = SUMDB_MAX_LENGTH)
    @ValidationRule(
            value = "self.matches(r'" + GoSumDb.PATTERN + "')",
            message = SUMDB_MESSAGE,
            reason = "FieldValueInvalid")
    private String sumdb = DEFAULT_SUMDB;

    @JsonPropertyDescription("Module path patterns (GONOSUMDB syntax, e.g. 'corp.example.com/*') that are cached "
            + "but not checked against the checksum database. Build pods get them as GONOSUMDB.")
    @Size(max = 64)
    private List<String> noSumDB = new ArrayList<>();

    @JsonPropertyDescription("Private module path patterns (GOPRIVATE syntax, e.g. 'git.corp.example.com/*'). "
            + "The cache answers 404 for them without asking any upstream, so private paths never reach a public "
            + "mirror; build pods get them as GOPRIVATE/GONOPROXY and fetch them directly.")
    @JsonProperty("private")
    @Size(max = 64)
    private List<String> privatePatterns = new ArrayList<>();

    @JsonPropertyDescription(
            "The proxy's freshness, timeout, checksum and memory settings; unset ones keep the " + "proxy's defaults.")
    private ProxyTuning proxy;

    @JsonPropertyDescription("Logins for private upstreams (an internal Artifactory or Athens) from a Secret holding "
            + "a netrc file; each host gets only its own login.")
    private UpstreamCredentials upstreamCredentials;

    @JsonPropertyDescription("Certificate authorities (PEM, from a Secret or a ConfigMap) the cache trusts besides the "
            + "public ones for its upstreams and the checksum database: a private CA of an internal Artifactory or "
            + "Athens, or that of a TLS-inspecting egress proxy.")
    @JsonProperty("upstreamCA")
    private UpstreamCA upstreamCA;

    @JsonPropertyDescription("The corporate HTTP(S) proxy the cache reaches its upstreams and the checksum database "
            + "through (HTTPS_PROXY, HTTP_PROXY, NO_PROXY with the go command's meaning).")
    private EgressProxy egressProxy;

    @JsonPropertyDescription("The volume that holds the cache.")
    @Default("{}")
    private Storage storage = new Storage();

    @JsonPropertyDescription("S3-compatible bucket shared by all replicas instead of (or in front of) the volume. "
            + "Lets replicas > 1 share one cache without a ReadWriteMany volume.")
    private ObjectStorage objectStorage;

    @JsonPropertyDescription("Number of proxy pods, from 1 to " + MAX_REPLICAS + ". More than 1 needs a "
            + "ReadWriteMany volume or objectStorage; a PodDisruptionBudget keeps one pod up during node drains. At "
            + "most " + MAX_REPLICAS + " so that a mistyped count (1000000000) cannot have the ReplicaSet fill the "
            + "cluster with pods. At least 1: a cache always runs a proxy pod for the build pods pointed at it; to "
            + "stop one, delete it. The scale subresource: kubectl scale gpc/NAME --replicas=N and a "
            + "HorizontalPodAutoscaler whose scaleTargetRef is the GoProxyCache set it.")
    @Default("1")
    @ValidationRule(value = "self >= 1", message = REPLICAS_MINIMUM_MESSAGE, reason = "FieldValueInvalid")
    @Max(MAX_REPLICAS)
    @SpecReplicas
    private int replicas = 1;

    @JsonPropertyDescription("CPU and memory for each proxy container. When empty, the operator requests "
            + "100m CPU and 256Mi memory and limits memory to 1Gi.")
    private ResourceRequirements resources;

    @JsonPropertyDescription("Proxy container image. When empty, the operator's own release of "
            + "ghcr.io/modproxy/proxy is used, so upgrading the operator upgrades the caches.")
    @Size(max = IMAGE_MAX_LENGTH)
    @ValidationRule(value = "self.matches(r'" + IMAGE + "')", message = IMAGE_MESSAGE, reason = "FieldValueInvalid")
    private String image;

    @JsonPropertyDescription("When the kubelet pulls the image: Always, IfNotPresent or Never.")
    // an enum (CrdConventions), which the API server refuses naming the values it takes
    private String imagePullPolicy;

    @JsonPropertyDescription(
            "Secrets (in the cache's namespace) the kubelet uses to pull the image of the proxy pods from a "
                    + "private registry.")
    private List<LocalObjectReference> imagePullSecrets = new ArrayList<>();

    @JsonPropertyDescription("Service account of the proxy pods, e.g. one bound to a cloud workload identity that "
            + "may use the objectStorage bucket. When empty, the namespace's default service account.")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.serviceAccountName must be the name of a ServiceAccount in the cache's namespace: "
                    + KubernetesSyntax.NAME_WORDS + ", e.g. modproxy-s3",
            reason = "FieldValueInvalid")
    private String serviceAccountName;

    @JsonPropertyDescription(
            "PriorityClass of the proxy pods, so builds' cache outlives lower-priority pods under " + "node pressure.")
    @Size(max = KubernetesSyntax.DNS_SUBDOMAIN_MAX_LENGTH)
    @ValidationRule(
            value = KubernetesSyntax.DNS_SUBDOMAIN_RULE,
            message = "spec.priorityClassName must be the name of a PriorityClass: " + KubernetesSyntax.NAME_WORDS
                    + ", e.g. build-infrastructure",
            reason = "FieldValueInvalid")
    private String priorityClassName;

    @JsonPropertyDescription("Type and annotations of the Service build pods reach the cache through.")
    @Default("{}")
    private ServiceSettings service = new ServiceSettings();

    @JsonPropertyDescription("Pod securityContext of the proxy pods, merged field by field over the operator's "
            + "hardened defaults: runAsNonRoot true, runAsUser/runAsGroup/fsGroup 1001 (left to the platform where "
            + "the chart sets fixedUserIds=false, e.g. OpenShift), seccompProfile RuntimeDefault. A default "
            + "stays unless a field here overrides it.")
    private PodSecurityContext podSecurityContext;

    @JsonPropertyDescription("securityContext of the proxy container, merged field by field over the operator's "
            + "hardened defaults: readOnlyRootFilesystem true, allowPrivilegeEscalation false, runAsNonRoot true, "
            + "capabilities drop [ALL]. A default stays unless a field here overrides it (capabilities.drop is "
            + "replaced as a whole list).")
    private SecurityContext securityContext;

    @JsonPropertyDescription("Node labels the proxy pods must run on.")
    private Map<String, String> nodeSelector = new LinkedHashMap<>();

    @JsonPropertyDescription("Taints the proxy pods tolerate.")
    private List<Toleration> tolerations = new ArrayList<>();

    @JsonPropertyDescription("Node and pod affinity of the proxy pods.")
    private Affinity affinity;

    @JsonPropertyDescription("Extra labels on the proxy pods. Changing them rolls the pods.")
    private Map<String, String> podLabels = new LinkedHashMap<>();

    @JsonPropertyDescription("Extra annotations on the proxy pods. Changing them rolls the pods but does not "
            + "change the configuration hash.")
    private Map<String, String> podAnnotations = new LinkedHashMap<>();

    @JsonPropertyDescription("What the admission webhook gives build pods that use this cache.")
    @Default("{}")
    private Injection injection = new Injection();

    @JsonPropertyDescription("Modules the cache fetches ahead of the first build, once each time the spec changes.")
    private Warmup warmup;

    @JsonPropertyDescription("How Prometheus scrapes the proxy's /q/metrics endpoint.")
    @Default("{}")
    private Metrics metrics = new Metrics();

    @JsonPropertyDescription("Keep the running proxy pods and their settings as they are: while true, changes "
            + "to what the operator would run (a new proxy image after an operator upgrade, new settings, this "
            + "spec) wait. Set it on every cache before upgrading the operator and back to false one cache at a "
            + "time for a staged roll-out. Replicas, Services and status are still reconciled.")
    private boolean holdRollout;

    @JsonPropertyDescription("An optional NetworkPolicy that keeps build pods off the proxy's management port.")
    @Default("{}")
    private NetworkPolicySettings networkPolicy = new NetworkPolicySettings();

    public String getUpstream() {
        return upstream;
    }

    /**
     * The GOPROXY list build pods fall back to after the cache (GOPROXY=cache|this): spec.injection.fallback, else the
     * upstream chain without its logins, else {@link #DEFAULT_UPSTREAM}. Without logins: a login of the cache's own,
     * in its namespace, must not reach every pod of every namespace that uses it (a pod with its own netrc still
     * authenticates to the same host), nor the cache's status.
     */
    public String fallbackForBuildPods() {
        String fallback = injection != null
                        && injection.getFallback() != null
                        && !injection.getFallback().isBlank()
                ? injection.getFallback()
                : upstream == null ? null : UPSTREAM_LOGINS.matcher(upstream).replaceAll("$1");
        return fallback == null || fallback.isBlank() ? DEFAULT_UPSTREAM : fallback;
    }

    public void setUpstream(String upstream) {
        this.upstream = upstream;
    }

    public String getSumdb() {
        return sumdb;
    }

    public void setSumdb(String sumdb) {
        this.sumdb = sumdb;
    }

    public List<String> getNoSumDB() {
        return noSumDB;
    }

    public void setNoSumDB(List<String> noSumDB) {
        this.noSumDB = noSumDB;
    }

    // "private" is a Java keyword; the JSON name is what users write
    @JsonProperty("private")
    public List<String> getPrivate() {
        return privatePatterns;
    }

    @JsonProperty("private")
    public void setPrivate(List<String> privatePatterns) {
        this.privatePatterns = privatePatterns;
    }

    public ProxyTuning getProxy() {
        return proxy;
    }

    public void setProxy(ProxyTuning proxy) {
        this.proxy = proxy;
    }

    public UpstreamCredentials getUpstreamCredentials() {
        return upstreamCredentials;
    }

    public void setUpstreamCredentials(UpstreamCredentials upstreamCredentials) {
        this.upstreamCredentials = upstreamCredentials;
    }

    public UpstreamCA getUpstreamCA() {
        return upstreamCA;
    }

    public void setUpstreamCA(UpstreamCA upstreamCA) {
        this.upstreamCA = upstreamCA;
    }

    public EgressProxy getEgressProxy() {
        return egressProxy;
    }

    public void setEgressProxy(EgressProxy egressProxy) {
        this.egressProxy = egressProxy;
    }

    public Storage getStorage() {
        return storage;
    }

    public void setStorage(Storage storage) {
        this.storage = storage;
    }

    public ObjectStorage getObjectStorage() {
        return objectStorage;
    }

    public void setObjectStorage(ObjectStorage objectStorage) {
        this.objectStorage = objectStorage;
    }

    public int getReplicas() {
        return replicas;
    }

    public void setReplicas(int replicas) {
        this.replicas = replicas;
    }

    public ResourceRequirements getResources() {
        return resources;
    }

    public void setResources(ResourceRequirements resources) {
        this.resources = resources;
    }

    public String getImage() {
        return image;
    }

    public void setImage(String image) {
        this.image = image;
    }

    public String getImagePullPolicy() {
        return imagePullPolicy;
    }

    public void setImagePullPolicy(String imagePullPolicy) {
        this.imagePullPolicy = imagePullPolicy;
    }

    public List<LocalObjectReference> getImagePullSecrets() {
        return imagePullSecrets;
    }

    public void setImagePullSecrets(List<LocalObjectReference> imagePullSecrets) {
        this.imagePullSecrets = imagePullSecrets;
    }

    public String getServiceAccountName() {
        return serviceAccountName;
    }

    public void setServiceAccountName(String serviceAccountName) {
        this.serviceAccountName = serviceAccountName;
    }

    public String getPriorityClassName() {
        return priorityClassName;
    }

    public void setPriorityClassName(String priorityClassName) {
        this.priorityClassName = priorityClassName;
    }

    public ServiceSettings getService() {
        return service;
    }

    public void setService(ServiceSettings service) {
        this.service = service;
    }

    public PodSecurityContext getPodSecurityContext() {
        return podSecurityContext;
    }

    public void setPodSecurityContext(PodSecurityContext podSecurityContext) {
        this.podSecurityContext = podSecurityContext;
    }

    public SecurityContext getSecurityContext() {
        return securityContext;
    }

    public void setSecurityContext(SecurityContext securityContext) {
        this.securityContext = securityContext;
    }

    public Map<String, String> getNodeSelector() {
        return nodeSelector;
    }

    public void setNodeSelector(Map<String, String> nodeSelector) {
        this.nodeSelector = nodeSelector;
    }

    public List<Toleration> getTolerations() {
        return tolerations;
    }

    public void setTolerations(List<Toleration> tolerations) {
        this.tolerations = tolerations;
    }

    public Affinity getAffinity() {
        return affinity;
    }

    public void setAffinity(Affinity affinity) {
        this.affinity = affinity;
    }

    public Map<String, String> getPodLabels() {
        return podLabels;
    }

    public void setPodLabels(Map<String, String> podLabels) {
        this.podLabels = podLabels;
    }

    public Map<String, String> getPodAnnotations() {
        return podAnnotations;
    }

    public void setPodAnnotations(Map<String, String> podAnnotations) {
        this.podAnnotations = podAnnotations;
    }

    public Injection getInjection() {
        return injection;
    }

    public void setInjection(Injection injection) {
        this.injection = injection;
    }

    public Warmup getWarmup() {
        return warmup;
    }

    public void setWarmup(Warmup warmup) {
        this.warmup = warmup;
    }

    public Metrics getMetrics() {
        return metrics;
    }

    public void setMetrics(Metrics metrics) {
        this.metrics = metrics;
    }

    public boolean isHoldRollout() {
        return holdRollout;
    }

    public void setHoldRollout(boolean holdRollout) {
        this.holdRollout = holdRollout;
    }

    public NetworkPolicySettings getNetworkPolicy() {
        return networkPolicy;
    }

    public void setNetworkPolicy(NetworkPolicySettings networkPolicy) {
        this.networkPolicy = networkPolicy;
    }
}
