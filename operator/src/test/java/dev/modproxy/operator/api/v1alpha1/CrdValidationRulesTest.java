package dev.modproxy.operator.api.v1alpha1;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.modproxy.operator.api.KubernetesSyntax;
import dev.modproxy.operator.settings.ProxySettings;
import dev.modproxy.operator.settings.SpecProblems;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The CRD's CEL rules (crds/), type-checked and evaluated as a real API server would: what users
 * are refused on {@code kubectl apply}, and what they are not.
 */
class CrdValidationRulesTest {

    private static final Path CRD = Path.of("..", "crds", "goproxycaches.modproxy.dev-v1.yml");
    private static final String REPLICAS = "replicas > 1 needs a shared cache";
    private static final String WATERMARKS = "storage.lowWatermark must be below storage.highWatermark";
    private static final String SHRINK = "storage.size cannot shrink";
    private static CrdRules rules;

    @BeforeAll
    static void compileEveryRule() throws IOException {
        rules = CrdRules.of(CRD);
    }

    @Test
    void everyRuleTypeChecksAgainstTheSchema() {
        // .spec.proxy: one rule for each variable spec.proxy.env cannot set
        assertThat(rules.rules())
                .extracting(CrdRules.Rule::path)
                .filteredOn(".spec.proxy"::equals)
                .hasSize(dev.modproxy.operator.settings.ProxySettings.OWNED_VARIABLES.size());
        assertThat(rules.rules().stream().map(CrdRules.Rule::path).distinct())
                .containsExactlyInAnyOrder(
                        "",
                        ".spec",
                        ".spec.proxy",
                        ".spec.proxy.env[]",
                        ".spec.proxy.env[].name",
                        ".spec.proxy.env[].valueFrom",
                        ".spec.proxy.mutableTtl",
                        ".spec.proxy.negativeTtl",
                        ".spec.proxy.connectTimeout",
                        ".spec.proxy.readTimeout",
                        ".spec.podLabels",
                        ".spec.podLabels{}",
                        ".spec.nodeSelector",
                        ".spec.nodeSelector{}",
                        ".spec.podAnnotations",
                        ".spec.service.annotations",
                        ".spec.imagePullSecrets[].name",
                        ".spec.proxy.jvmOptions",
                        ".spec.replicas",
                        ".spec.upstream",
                        ".spec.injection.fallback",
                        ".spec.storage",
                        ".spec.storage.accessModes",
                        ".spec.storage.size",
                        ".spec.storage.storageClassName",
                        ".spec.sumdb",
                        ".spec.image",
                        ".spec.serviceAccountName",
                        ".spec.priorityClassName",
                        ".spec.egressProxy",
                        ".spec.egressProxy.httpsProxy",
                        ".spec.egressProxy.httpProxy",
                        ".spec.egressProxy.loginSecretRef.name",
                        ".spec.egressProxy.loginSecretRef.key",
                        ".spec.objectStorage.endpoint",
                        ".spec.objectStorage.bucket",
                        ".spec.objectStorage.credentialsSecret",
                        ".spec.objectStorage.accessKeyIdKey",
                        ".spec.objectStorage.secretAccessKeyKey",
                        ".spec.upstreamCredentials.secretName",
                        ".spec.upstreamCredentials.netrcKey",
                        ".spec.upstreamCA",
                        ".spec.upstreamCA.secretName",
                        ".spec.upstreamCA.configMapName",
                        ".spec.upstreamCA.key",
                        ".spec.warmup.goSumConfigMap",
                        ".spec.warmup.goSumKey",
                        ".spec.proxy.memoryCacheSize",
                        ".spec.metrics.serviceMonitor.interval",
                        ".spec.metrics.serviceMonitor.labels",
                        ".spec.metrics.serviceMonitor.labels{}",
                        ".spec.networkPolicy.prometheusNamespace");
    }

    /** The API server refuses the whole CRD over a reason it does not know (FieldValueNotSupported, say). */
    @Test
    void everyRuleGivesAReasonTheApiServerAccepts() throws IOException {
        List<String> reasons = CrdRules.readYaml(CRD).findValues("x-kubernetes-validations").stream()
                .flatMap(list -> java.util.stream.StreamSupport.stream(list.spliterator(), false))
                .filter(rule -> rule.has("reason"))
                .map(rule -> rule.get("reason").asText())
                .toList();
        assertThat(reasons)
                .isNotEmpty()
                .allSatisfy(reason -> assertThat(reason)
                        .isIn("FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired"));
    }

    @Test
    void theShippedExamplesPassOnCreateAndOnReapply() throws IOException {
        List<Path> examples;
        try (Stream<Path> files = Files.list(Path.of("..", "examples"))) {
            examples = files.filter(f -> f.getFileName().toString().startsWith("goproxycache-"))
                    .sorted()
                    .toList();
        }
        assertThat(examples).hasSizeGreaterThanOrEqualTo(3);
        for (Path example : examples) {
            JsonNode cache = CrdRules.readYaml(example);
            assertThat(rules.onCreate(cache)).as(example.toString()).isEmpty();
            assertThat(rules.onUpdate(cache, cache)).as(example.toString()).isEmpty();
        }
    }

    @Test
    void aBareCacheGetsTheDefaultsAndPasses() throws IOException {
        assertThat(rules.onCreate(cache("{}"))).isEmpty();
    }

    /**
     * The API server checks each default against the rules before it takes the CRD, as written, without the defaults
     * inside it: spec's {} has no replicas, and a rule reading self.replicas unguarded made it refuse the whole CRD
     * ("no such key: replicas"), which no test here could show while only whole caches were checked.
     */
    @Test
    void everyDefaultPassesTheRulesWithoutTheDefaultsInsideIt() throws IOException {
        assertThat(CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/default"))
                .as("spec's default")
                .hasToString("{}");
        assertThat(rules.onDefaults()).isEmpty();
    }

    /**
     * The probe's cache created without a spec: the operator made its 10Gi volume from the defaults, but the API server
     * held no spec, so the shrink and class rules had no old value to compare and let 5Gi and a class through.
     */
    @Test
    void aCacheCreatedWithoutASpecGetsTheDefaultsTheTransitionRulesCompare() throws IOException {
        JsonNode specless = CrdRules.readYaml("""
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata: {name: gomod, namespace: ci}
                """);
        assertThat(rules.onCreate(specless)).isEmpty();
        assertThat(rules.onUpdate(specless, cache("{storage: {size: 5Gi}}")))
                .singleElement()
                .asString()
                .startsWith(SHRINK);
        assertThat(rules.onUpdate(specless, cache("{storage: {storageClassName: fast}}")))
                .containsExactly(Storage.STORAGE_CLASS_FIXED_MESSAGE);
        assertThat(rules.onUpdate(specless, cache("{storage: {accessModes: [ReadWriteMany]}}")))
                .containsExactly("storage.accessModes cannot change once the volume exists");
        assertThat(rules.onUpdate(specless, cache("{storage: {size: 20Gi}}"))).isEmpty();
    }

    @Test
    void severalReplicasNeedASharedVolumeOrObjectStorage() throws IOException {
        assertThat(rules.onCreate(cache("{replicas: 3}")))
                .singleElement()
                .asString()
                .startsWith(REPLICAS);
        assertThat(rules.onCreate(cache("{replicas: 3, storage: {accessModes: [ReadWriteMany]}}")))
                .isEmpty();
        assertThat(rules.onCreate(
                        cache("{replicas: 3, objectStorage: {bucket: go-modules, credentialsSecret: s3-keys}}")))
                .isEmpty();
        assertThat(rules.onCreate(cache("{replicas: 1}"))).isEmpty();
    }

    @Test
    void theLowWatermarkMustStayBelowTheHighOne() throws IOException {
        // the high watermark defaults to 90
        assertThat(rules.onCreate(cache("{storage: {lowWatermark: 95}}"))).containsExactly(WATERMARKS);
        assertThat(rules.onCreate(cache("{storage: {lowWatermark: 60, highWatermark: 60}}")))
                .containsExactly(WATERMARKS);
        assertThat(rules.onCreate(cache("{storage: {lowWatermark: 50, highWatermark: 60}}")))
                .isEmpty();
    }

    @Test
    void theVolumeMayGrowButNotShrink() throws IOException {
        assertThat(rules.onUpdate(cache("{storage: {size: 20Gi}}"), cache("{storage: {size: 10Gi}}")))
                .singleElement()
                .asString()
                .startsWith(SHRINK);
        assertThat(rules.onUpdate(cache("{storage: {size: 1Gi}}"), cache("{storage: {size: 1000Mi}}")))
                .singleElement()
                .asString()
                .startsWith(SHRINK);
        assertThat(rules.onUpdate(cache("{storage: {size: 1000Mi}}"), cache("{storage: {size: 1Gi}}")))
                .isEmpty();
        assertThat(rules.onUpdate(cache("{storage: {size: 1Gi}}"), cache("{storage: {size: 1024Mi}}")))
                .isEmpty();
        assertThat(rules.onUpdate(cache("{storage: {size: 10Gi}}"), cache("{storage: {size: 1Ti}}")))
                .isEmpty();
        // from the 10Gi default to an explicit smaller size
        assertThat(rules.onUpdate(cache("{}"), cache("{storage: {size: 5Gi}}")))
                .singleElement()
                .asString()
                .startsWith(SHRINK);
    }

    @Test
    void aVolumeOfNoSizeIsRefusedOnCreate() throws IOException {
        assertThat(rules.onCreate(cache("{storage: {size: '0'}}"))).containsExactly(Storage.POSITIVE_SIZE_MESSAGE);
        assertThat(rules.onCreate(cache("{storage: {size: 0Gi}}"))).containsExactly(Storage.POSITIVE_SIZE_MESSAGE);
        assertThat(rules.onCreate(cache("{storage: {size: '0.0'}}"))).containsExactly(Storage.POSITIVE_SIZE_MESSAGE);
        assertThat(rules.onCreate(cache("{storage: {size: 1Ki}}"))).isEmpty();
        assertThat(rules.onCreate(cache("{storage: {size: '1e3'}}"))).isEmpty();
        // an existing cache of no size (accepted before the rule) may grow out of it
        assertThat(rules.onUpdate(cache("{storage: {size: '0'}}"), cache("{storage: {size: 1Gi}}")))
                .isEmpty();
    }

    /** The API server's quantity() cuts what is beyond an int64 down to the cap, as it does the claim's request. */
    @Test
    void aVolumeLargerThanKubernetesCountsIsRefusedOnCreate() throws IOException {
        for (String beyond : List.of("100Ei", "8Ei", "'9223372036854775807'", "'1e30'")) {
            assertThat(rules.onCreate(cache("{storage: {size: " + beyond + "}}")))
                    .as(beyond)
                    .containsExactly(Storage.SIZE_BEYOND_THE_CAP_MESSAGE);
        }
        assertThat(rules.onCreate(cache("{storage: {size: 7Ei}}"))).isEmpty();
        assertThat(rules.onCreate(cache("{storage: {size: '9223372036854775806'}}")))
                .isEmpty();
    }

    @Test
    void storageClassAndAccessModesAreFixedOnceTheVolumeExists() throws IOException {
        assertThat(rules.onUpdate(
                        cache("{storage: {storageClassName: fast}}"), cache("{storage: {storageClassName: slow}}")))
                .containsExactly(Storage.STORAGE_CLASS_FIXED_MESSAGE);
        assertThat(rules.onUpdate(
                        cache("{storage: {storageClassName: fast}}"), cache("{storage: {storageClassName: fast}}")))
                .isEmpty();
        assertThat(rules.onUpdate(cache("{}"), cache("{storage: {storageClassName: fast}}")))
                .as("a class added to a cache created without one")
                .containsExactly(Storage.STORAGE_CLASS_FIXED_MESSAGE);
        assertThat(rules.onUpdate(cache("{storage: {storageClassName: fast}}"), cache("{storage: {size: 20Gi}}")))
                .as("a class removed")
                .containsExactly(Storage.STORAGE_CLASS_FIXED_MESSAGE);
        assertThat(rules.onUpdate(cache("{}"), cache("{storage: {size: 20Gi}}")))
                .as("no class before or after")
                .isEmpty();
        assertThat(rules.onUpdate(cache("{}"), cache("{storage: {accessModes: [ReadWriteMany]}}")))
                .containsExactly("storage.accessModes cannot change once the volume exists");
        // on create any class and any modes are fine
        assertThat(rules.onCreate(cache("{storage: {storageClassName: fast, accessModes: [ReadWriteMany]}}")))
                .isEmpty();
    }

    @Test
    void anUpstreamWithALoginIsRefusedAndAnAtInItsPathIsNot() throws IOException {
        String refused = GoProxyCacheSpec.UPSTREAM_LOGIN_MESSAGE;
        assertThat(rules.onCreate(cache("{upstream: 'https://ci:s3cret@athens.corp/go'}")))
                .containsExactly(refused);
        // without a scheme, a login is no entry the list rule takes either (the schema's pattern refused it as well)
        assertThat(rules.onCreate(cache("{upstream: 'https://goproxy.cn|bot:t0k@goproxy.corp,direct'}")))
                .containsExactlyInAnyOrder(GoProxyCacheSpec.UPSTREAM_LIST_MESSAGE, refused);
        assertThat(rules.onCreate(cache("{upstream: 'https://goproxy.cn , https://ghp_t0ken@mirror.corp'}")))
                .containsExactly(refused);
        assertThat(rules.onCreate(cache("{upstream: \"https://goproxy.cn,\\thttps://bot:t0k@goproxy.corp\"}")))
                .containsExactly(refused);
        assertThat(rules.onCreate(cache("{upstream: 'https://mirror.corp/a@b|https://goproxy.cn,direct'}")))
                .isEmpty();
        assertThat(rules.onCreate(cache("{upstream: 'goproxy.cn,direct'}"))).isEmpty();
    }

    /**
     * The probe's kubectl apply of "ftp://mirror.example.com" printed the schema's pattern, some 500 characters of
     * regex. The same lists are refused by a rule whose message says in words what is taken, and nothing else.
     */
    @Test
    void anUpstreamThatIsNoGoproxyListIsRefusedInWordsNotWithTheRegex() throws IOException {
        for (String refused : List.of(
                "ftp://mirror.example.com",
                "",
                " , | ",
                "noproxy",
                "/srv/goproxy",
                "https://",
                "https://goproxy.cn,https://bad host")) {
            assertThat(rules.onCreate(cache("{upstream: '" + refused + "'}")))
                    .as(refused)
                    .containsExactly(GoProxyCacheSpec.UPSTREAM_LIST_MESSAGE);
            assertThat(rules.onCreate(cache("{injection: {fallback: '" + refused + "'}}")))
                    .as(refused)
                    .containsExactly(Injection.FALLBACK_LIST_MESSAGE);
        }
        for (String taken : List.of(
                "goproxy.cn",
                "athens:3000",
                "corp/goproxy",
                " https://a.example ,, |https://b.example|",
                "https://goproxy.cn|https://mirrors.aliyun.com/goproxy/,direct",
                "http://athens.corp.svc:3000,off",
                "direct")) {
            assertThat(rules.onCreate(cache("{upstream: '" + taken + "', injection: {fallback: '" + taken + "'}}")))
                    .as(taken)
                    .isEmpty();
        }
        // a tab between entries, as the pattern took it: the rule's raw string hands RE2 the regex's \t unchanged
        assertThat(rules.onCreate(cache("{upstream: \"https://goproxy.cn,\\tdirect\"}")))
                .isEmpty();

        assertThat(GoProxyCacheSpec.UPSTREAM_LIST_MESSAGE)
                .hasSizeLessThan(250)
                .contains("http(s) URL")
                .doesNotContain("[^");
        JsonNode spec = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        for (JsonNode list :
                List.of(spec.at("/properties/upstream"), spec.at("/properties/injection/properties/fallback"))) {
            // the API server would print a pattern whole again, beside the rule's message
            assertThat(list.has("pattern")).isFalse();
            // unbounded, the rule's estimated cost (string length times regex length) is over the API server's limit
            assertThat(list.path("maxLength").asLong()).isEqualTo(GoProxyCacheSpec.GOPROXY_LIST_MAX_LENGTH);
        }
    }

    /** The API server reported the refusal at field path {@code <nil>}: the rule now names metadata.name. */
    @Test
    void theNameRuleNamesMetadataName() throws IOException {
        JsonNode root = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema");
        assertThat(root.path("x-kubernetes-validations"))
                .filteredOn(rule -> rule.path("message").asText().equals(SpecProblems.NAME_MESSAGE))
                .singleElement()
                .satisfies(rule -> assertThat(rule.path("fieldPath").asText()).isEqualTo(".metadata.name"));
        // the API server takes a fieldPath only to a property the schema declares
        assertThat(root.at("/properties/metadata/properties/name/type").asText())
                .isEqualTo("string");
    }

    @Test
    void aNameTheCachesServiceCannotTakeIsRefused() throws IOException {
        String refused = dev.modproxy.operator.settings.SpecProblems.NAME_MESSAGE;
        assertThat(rules.onCreate(named("go.proxy"))).containsExactly(refused);
        assertThat(rules.onCreate(named("1st-cache"))).containsExactly(refused);
        assertThat(rules.onCreate(named("a".repeat(53)))).containsExactly(refused);
        assertThat(rules.onCreate(named("a".repeat(52)))).isEmpty();
        assertThat(rules.onCreate(named("builds-2"))).isEmpty();
    }

    @Test
    void anAccessModeThroughWhichTheProxyCannotWriteIsRefusedOnCreate() throws IOException {
        // a typo let through would stay: the access modes cannot change afterwards
        assertThat(rules.onCreate(cache("{storage: {accessModes: [ReadWriteMnay]}}")))
                .containsExactly(Storage.ACCESS_MODES_MESSAGE);
        assertThat(rules.onCreate(cache("{storage: {accessModes: [ReadOnlyMany]}}")))
                .containsExactly(Storage.ACCESS_MODES_MESSAGE);
        assertThat(rules.onCreate(cache("{storage: {accessModes: [ReadWriteOncePod]}}")))
                .isEmpty();
        assertThat(rules.onCreate(cache("{storage: {accessModes: [ReadWriteOnce, ReadWriteMany]}}")))
                .isEmpty();
    }

    @Test
    void extraEnvironmentIsRefusedForWhatAFieldSetsNamingTheField() throws IOException {
        assertThat(rules.onCreate(cache("{proxy: {env: [{name: QUARKUS_LOG_LEVEL, value: DEBUG}, "
                        + "{name: MODPROXY_UPSTREAM, value: 'https://goproxy.cn'}]}}")))
                .containsExactly("spec.proxy.env cannot set MODPROXY_UPSTREAM nor a name the proxy reads as it "
                        + "(modproxy_upstream, modproxy.upstream): set spec.upstream instead");
        assertThat(rules.onCreate(cache("{proxy: {env: [{name: JAVA_TOOL_OPTIONS, value: -Xss1m}]}}")))
                .containsExactly("spec.proxy.env cannot set JAVA_TOOL_OPTIONS nor a name the proxy reads as it "
                        + "(java_tool_options, java.tool.options): set spec.proxy.jvmOptions instead");
        assertThat(rules.onCreate(cache("{proxy: {env: [{name: QUARKUS_LOG_LEVEL, value: DEBUG}]}}")))
                .isEmpty();
        assertThat(rules.onCreate(cache("{proxy: {mutableTtl: 1m}}"))).isEmpty();
    }

    /**
     * The probe's bypass: modproxy.upstream, modproxy_upstream and quarkus.http.port were taken, and the proxy's
     * configuration read them before the upper-case variables the operator set.
     */
    @Test
    void extraEnvironmentIsRefusedUnderEverySpellingTheProxyReads() throws IOException {
        assertThat(rules.onCreate(cache("{proxy: {env: [{name: modproxy.upstream, value: 'http://attacker.example'}, "
                        + "{name: modproxy.sumdb, value: 'off'}, {name: quarkus.http.port, value: '9999'}]}}")))
                .containsExactly(
                        ProxySettings.ownedVariableMessage("MODPROXY_UPSTREAM"),
                        ProxySettings.ownedVariableMessage("MODPROXY_SUMDB"),
                        ProxySettings.ownedVariableMessage("QUARKUS_HTTP_PORT"));
        assertThat(ProxySettings.ownedVariableMessage("MODPROXY_UPSTREAM"))
                .isEqualTo("spec.proxy.env cannot set MODPROXY_UPSTREAM nor a name the proxy reads as it "
                        + "(modproxy_upstream, modproxy.upstream): set spec.upstream instead");
        // the CRD's rules and SpecProblems read every name alike
        for (String name : List.of(
                "modproxy_upstream",
                "Modproxy-Sumdb",
                "_PROD_MODPROXY_UPSTREAM",
                "%prod.modproxy.upstream",
                "https_proxy",
                "java.tool.options",
                "MODPROXY_UPSTREAMS",
                "XMODPROXY_UPSTREAM",
                "MODPROXY_MAX_DOWNLOADS",
                "CORP_HTTPS_PROXY",
                "QUARKUS_LOG_LEVEL")) {
            List<String> expected = ProxySettings.ownedVariable(name).map(ProxySettings::ownedVariableMessage).stream()
                    .toList();
            assertThat(rules.onCreate(cache("{proxy: {env: [{name: '" + name + "', value: x}]}}")))
                    .as(name)
                    .isEqualTo(expected);
        }
        assertThat(ProxySettings.ownedVariable("modproxy.prefetch")).isEmpty();
    }

    /** Taken before, then every fetch was a 502 "port out of range:99999". */
    @Test
    void anUpstreamPortAboveTheTcpRangeIsRefused() throws IOException {
        assertThat(rules.onCreate(cache("{upstream: 'http://[::1]:99999'}")))
                .containsExactly("spec.upstream" + GoProxyCacheSpec.GOPROXY_PORT_WORDS);
        assertThat(rules.onCreate(cache("{injection: {fallback: 'https://goproxy.cn,athens:65536'}}")))
                .containsExactly("spec.injection.fallback" + GoProxyCacheSpec.GOPROXY_PORT_WORDS);
        assertThat(rules.onCreate(cache("{upstream: 'http://[::1]:65535|https://a.example/v:99999,direct'}")))
                .isEmpty();
    }

    /** The operator's own labels replaced these without a word. */
    @Test
    void podLabelsTheOperatorSetsItselfAreRefused() throws IOException {
        assertThat(rules.onCreate(cache("{podLabels: {app.kubernetes.io/instance: other, team: builds, "
                        + "modproxy.dev/inject: enabled}}")))
                .containsExactly(
                        SpecProblems.reservedPodLabelMessage("app.kubernetes.io/instance"),
                        SpecProblems.reservedPodLabelMessage("modproxy.dev/inject"));
        assertThat(rules.onCreate(cache("{podLabels: {team: builds, app.kubernetes.io/version: v2}}")))
                .isEmpty();
    }

    /**
     * The probe's pod-template values: taken by the CRD, each held the cache's Deployment back (Degraded Rejected,
     * quoting the Deployment's spec.template field), or, for the pull secret, was reported as nothing to attend to.
     */
    @Test
    void whatThePodTemplateCannotCarryIsRefusedNamingTheCachesField() throws IOException {
        String labelKeys = "spec.podLabels keys must each be label keys: " + KubernetesSyntax.LABEL_KEY_WORDS;
        String labelValues = "spec.podLabels values must each be " + KubernetesSyntax.LABEL_VALUE_WORDS;
        assertThat(rules.onCreate(cache("{podLabels: {team: \"\u00f1\"}}"))).containsExactly(labelValues);
        assertThat(rules.onCreate(cache("{podLabels: {'bad key!': x}}"))).containsExactly(labelKeys);
        assertThat(rules.onCreate(cache("{podLabels: {team: 'a b', '-team': x}}")))
                .containsExactlyInAnyOrder(labelKeys, labelValues);
        assertThat(rules.onCreate(cache("{nodeSelector: {k: 'bad value!'}}")))
                .containsExactly("spec.nodeSelector values must each be " + KubernetesSyntax.LABEL_VALUE_WORDS);
        assertThat(rules.onCreate(cache("{nodeSelector: {'a/b/c': x}}")))
                .containsExactly("spec.nodeSelector keys must each be label keys: " + KubernetesSyntax.LABEL_KEY_WORDS);
        String annotationKeys = " keys must each be annotation keys, " + KubernetesSyntax.ANNOTATION_KEY_WORDS;
        assertThat(rules.onCreate(cache("{podAnnotations: {'bad key!': x}}")))
                .containsExactly("spec.podAnnotations" + annotationKeys);
        assertThat(rules.onCreate(cache("{service: {annotations: {'bad key!': x}}}")))
                .containsExactly("spec.service.annotations" + annotationKeys);
        assertThat(rules.onCreate(cache("{imagePullSecrets: [{name: registry-login}, {name: Bad_Name}]}")))
                .containsExactly("spec.imagePullSecrets names must each be " + KubernetesSyntax.SECRET_NAME_WORDS);

        // a prefix is a DNS subdomain of at most 253 characters, the name after it at most 63
        String prefix253 = "a".repeat(100) + "." + "b".repeat(100) + "." + "c".repeat(51);
        assertThat(rules.onCreate(cache("{podLabels: {'" + prefix253 + "a/team': x}}")))
                .containsExactly(labelKeys);
        assertThat(rules.onCreate(cache("{podLabels: {'" + "n".repeat(64) + "': x}}")))
                .containsExactly(labelKeys);
        // an annotation's value is any string
        assertThat(rules.onCreate(cache("{podLabels: {'" + prefix253 + "/" + "n".repeat(63) + "': '"
                        + "v".repeat(63) + "', example.com/team: '', app.kubernetes.io/version: v1.2_3}, "
                        + "nodeSelector: {kubernetes.io/os: linux}, podAnnotations: {example.com/note: 'any thing!'}, "
                        + "service: {annotations: {service.beta.kubernetes.io/aws-load-balancer-internal: 'true'}}, "
                        + "imagePullSecrets: [{name: registry.login-1}]}")))
                .isEmpty();

        JsonNode spec = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        // the schema's own checks, which the API server words itself (Unsupported value ... supported values: ...)
        assertThat(spec.at("/tolerations/items/properties/operator/enum"))
                .extracting(JsonNode::asText)
                .containsExactly("Exists", "Equal", "");
        assertThat(spec.at("/tolerations/items/properties/effect/enum"))
                .extracting(JsonNode::asText)
                .containsExactly("NoSchedule", "PreferNoSchedule", "NoExecute", "");
        assertThat(spec.at("/podLabels/additionalProperties/maxLength").asInt()).isEqualTo(63);
        assertThat(spec.at("/nodeSelector/additionalProperties/maxLength").asInt())
                .isEqualTo(63);
        assertThat(spec.at("/imagePullSecrets/items/properties/name/maxLength").asInt())
                .isEqualTo(253);
        // the API server prices each rule by the most entries it may see: unbounded, they are over its limit
        for (JsonNode bounded : List.of(
                spec.at("/podLabels/maxProperties"),
                spec.at("/nodeSelector/maxProperties"),
                spec.at("/podAnnotations/maxProperties"),
                spec.at("/service/properties/annotations/maxProperties"),
                spec.at("/imagePullSecrets/maxItems"))) {
            assertThat(bounded.asInt()).isEqualTo(KubernetesSyntax.MAX_ENTRIES);
        }
    }

    /** The CRD's rules and SpecProblems read every key and value alike: one pattern, two uses. */
    @Test
    void theCrdAndSpecProblemsTakeTheSameLabelKeysAndValues() throws IOException {
        String prefix253 = "a".repeat(100) + "." + "b".repeat(100) + "." + "c".repeat(51);
        for (String key : List.of(
                "team",
                "example.com/team",
                "a_b.c-d",
                prefix253 + "/t",
                prefix253 + "a/t",
                "n".repeat(63),
                "n".repeat(64),
                "bad key!",
                "-team",
                "team-",
                "Example.com/team",
                "a/b/c",
                "/team",
                "example.com/",
                "\u00f1")) {
            assertThat(rules.onCreate(cache("{nodeSelector: {'" + key + "': x}}"))
                            .isEmpty())
                    .as(key)
                    .isEqualTo(KubernetesSyntax.isLabelKey(key));
        }
        for (String value : List.of("", "x", "v1.2_3-b", "v".repeat(63), "-x", "x.", "a b", "\u00f1")) {
            assertThat(rules.onCreate(cache("{nodeSelector: {k: '" + value + "'}}"))
                            .isEmpty())
                    .as(value)
                    .isEqualTo(KubernetesSyntax.isLabelValue(value));
        }
        for (String key :
                List.of("Example.com/Team", "example.com/Team", "Team", "EXAMPLE.COM/x", "bad key!", "\u212Aey")) {
            // Kubernetes lowercases an annotation key's letters before checking it as a label key
            assertThat(rules.onCreate(cache("{podAnnotations: {'" + key + "': x}}"))
                            .isEmpty())
                    .as(key)
                    .isEqualTo(KubernetesSyntax.isAnnotationKey(key));
        }
        assertThat(KubernetesSyntax.isAnnotationKey("Example.com/Team")).isTrue();
        assertThat(KubernetesSyntax.isLabelKey("Example.com/Team")).isFalse();
        assertThat(KubernetesSyntax.isAnnotationKey("\u212Aey")).isFalse();
        assertThat(rules.onCreate(cache("{imagePullSecrets: [{}]}"))).isEmpty();
        for (String name : List.of("registry-login", "a.b", "Bad_Name", "-a", "a..b", "a.")) {
            assertThat(rules.onCreate(cache("{imagePullSecrets: [{name: '" + name + "'}]}"))
                            .isEmpty())
                    .as(name)
                    .isEqualTo(KubernetesSyntax.isSecretName(name));
        }
    }

    /**
     * kubectl scale --replicas=0 was refused with only "should be greater than or equal to 1"; a count of a billion
     * was taken, and the ReplicaSet made pods until stopped.
     */
    @Test
    void replicasRunFromOneToAHundredAndNoneSaysHowToStopACache() throws IOException {
        assertThat(rules.onCreate(cache("{replicas: 0}"))).containsExactly(GoProxyCacheSpec.REPLICAS_MINIMUM_MESSAGE);
        assertThat(GoProxyCacheSpec.REPLICAS_MINIMUM_MESSAGE).contains("delete the GoProxyCache");
        JsonNode replicas = CrdRules.readYaml(CRD)
                .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/replicas");
        assertThat(replicas.path("maximum").asInt())
                .isEqualTo(GoProxyCacheSpec.MAX_REPLICAS)
                .isEqualTo(100);
        // the rule says what the schema's minimum said without a word of why
        assertThat(replicas.path("minimum").asDouble()).isLessThan(1);
        assertThat(replicas.path("description").asText()).contains("At most 100 so that", "to stop one, delete it");
    }

    /** Refused by a pattern, which the API server printed alone: '^[^\n\r]*$'. */
    @Test
    void jvmOptionsWithALineBreakAreRefusedInWords() throws IOException {
        assertThat(rules.onCreate(cache("{proxy: {jvmOptions: \"-Xss1m\\n-Xmx1g\"}}")))
                .containsExactly(ProxyTuning.JVM_OPTIONS_ONE_LINE_MESSAGE);
        assertThat(rules.onCreate(cache("{proxy: {jvmOptions: \"-Xss1m\\r\"}}")))
                .containsExactly(ProxyTuning.JVM_OPTIONS_ONE_LINE_MESSAGE);
        assertThat(rules.onCreate(cache("{proxy: {jvmOptions: '-XX:MaxRAMPercentage=70 -Xss512k'}}")))
                .isEmpty();
        assertThat(CrdRules.readYaml(CRD)
                        .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/proxy/properties/"
                                + "jvmOptions")
                        .has("pattern"))
                .isFalse();
    }

    /** The schema took these and the proxy stopped at start with them, while the status said Ready. */
    @Test
    void durationsAndSizesAreWhatTheProxyReads() throws IOException {
        JsonNode proxy = CrdRules.readYaml(CRD)
                .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/proxy/properties");
        for (String duration : List.of("mutableTtl", "negativeTtl", "connectTimeout", "readTimeout")) {
            for (String refused : List.of("PXQ", "P.", "P", "PT", "P1DT", "PT1.5M", "5", "-5s", "1h30m", "5S")) {
                assertThat(rules.onCreate(cache("{proxy: {" + duration + ": '" + refused + "'}}")))
                        .as(duration + ": " + refused)
                        .containsExactly("spec.proxy." + duration + ProxyTuning.DURATION_WORDS);
            }
            for (String taken :
                    List.of("0ms", "500ms", "30s", "5m", "1h", "7d", "PT30S", "PT1.5S", "P1DT12H", "PT1H30M", "P2D")) {
                assertThat(rules.onCreate(cache("{proxy: {" + duration + ": '" + taken + "'}}")))
                        .as(duration + ": " + taken)
                        .isEmpty();
            }
            // the rule prints its message, not a regex of 300 characters
            assertThat(proxy.at("/" + duration).has("pattern")).isFalse();
        }
        for (String refused : List.of("0.5Gi", "1e6", "1E", "1.5", "1Ei", "1Pi", "-1", ".5M", "")) {
            assertThat(rules.onCreate(cache("{proxy: {memoryCacheSize: '" + refused + "'}}")))
                    .as(refused)
                    .containsExactly(ProxyTuning.MEMORY_CACHE_SIZE_MESSAGE);
        }
        for (String taken : List.of("0", "1048576", "32Mi", "1G", "2GB", "4ki", "64 Mi")) {
            assertThat(rules.onCreate(cache("{proxy: {memoryCacheSize: '" + taken + "'}}")))
                    .as(taken)
                    .isEmpty();
        }
    }

    /**
     * What the probe's proxy.env entries got from the API server only once the operator applied the Deployment: a
     * Rejected condition quoting spec.template.spec.containers[0].env[0], a field of the Deployment's. Now each is
     * refused on the cache, with the entry's index.
     */
    @Test
    void aProxyEnvEntryNoContainerTakesIsRefusedOnTheCache() throws IOException {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("{proxy: {env: [{name: '', value: x}]}}", ProxyTuning.ENV_NAME_MESSAGE);
        refused.put("{proxy: {env: [{name: 'A=B', value: x}]}}", ProxyTuning.ENV_NAME_MESSAGE);
        refused.put("{proxy: {env: [{name: 'Ä', value: x}]}}", ProxyTuning.ENV_NAME_MESSAGE);
        refused.put(
                "{proxy: {env: [{name: A, value: x, valueFrom: {secretKeyRef: {name: s, key: k}}}]}}",
                ProxyTuning.ENV_VALUE_OR_SOURCE_MESSAGE);
        refused.put("{proxy: {env: [{name: A, valueFrom: {}}]}}", ProxyTuning.ENV_ONE_SOURCE_MESSAGE);
        refused.put(
                "{proxy: {env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}, "
                        + "configMapKeyRef: {name: c, key: k}}}]}}",
                ProxyTuning.ENV_ONE_SOURCE_MESSAGE);
        refused.forEach((spec, message) -> {
            try {
                assertThat(rules.onCreate(cache(spec))).as(spec).containsExactly(message);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        for (String taken : List.of(
                "{proxy: {env: [{name: QUARKUS_LOG_LEVEL, value: DEBUG}, {name: '1st.setting', value: ''}]}}",
                "{proxy: {env: [{name: S3_TOKEN, value: '', valueFrom: {secretKeyRef: {name: s, key: k}}}]}}",
                "{proxy: {env: [{name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]}}")) {
            assertThat(rules.onCreate(cache(taken))).as(taken).isEmpty();
        }
        JsonNode env = CrdRules.readYaml(CRD)
                .at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/proxy/properties/env");
        // keyed by name as a container's env is: the API server refuses a name twice ("Duplicate value")
        assertThat(env.path("x-kubernetes-list-type").asText()).isEqualTo("map");
        assertThat(env.path("x-kubernetes-list-map-keys").toString()).isEqualTo("[\"name\"]");
        assertThat(env.at("/items/required").toString()).isEqualTo("[\"name\"]");
    }

    /**
     * Every field the schema checked with a pattern: the API server refused a value by printing the pattern ("should
     * match '^(off|[A-Za-z0-9.-]+(\\+[^\\s]+)?( https?://[^\\s]+)?)$'"), which says neither what is wrong nor what
     * is taken. Each is now a rule whose message names the field, what it takes and an example; the values taken
     * and refused are those the pattern took and refused, except where noted.
     */
    @Test
    void everyFieldOnceCheckedByAPatternIsRefusedInWordsWithAnExample() throws IOException {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("{sumdb: 'sum.golang.org+key https://a https://b'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum golang org'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum.golang.org ftp://mirror'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: ''}", GoProxyCacheSpec.SUMDB_MESSAGE);
        // the pattern took these, and the proxy stopped at start on each ("malformed verifier key")
        refused.put("{sumdb: 'OFF'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: corp-sumdb}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum.golang.org+notakey'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum.example.com+a1b2c3+AbCd https://sum.example.com'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum.golang.google.cn https://sum.golang.google.cn'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{sumdb: 'sum.golang.org https://sum.corp/?token=1'}", GoProxyCacheSpec.SUMDB_MESSAGE);
        // RE2's \s has no \v, so the rule's [^\s...] took it in a URL; the proxy splits there: two URLs
        refused.put("{sumdb: \"sum.golang.org https://sum.corp\\vdb\"}", GoProxyCacheSpec.SUMDB_MESSAGE);
        // keys the go command's note.NewVerifier takes, named so that a path could escape (the go command takes
        // it) or with a port out of range
        refused.put(
                "{sumdb: 'sum.corp.example/../db+5bd93682+Afdu4M792TWUp0SRRKLv7h/nqgZR9skQBvtFVM9In/YF'}",
                GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put(
                "{sumdb: 'sum.corp.example:65536+48edcf96+AVn0TxsuOkM90Ybt8tAF0+yWZTA9ywRrPoMA8TYQ+GyF'}",
                GoProxyCacheSpec.SUMDB_MESSAGE);
        refused.put("{image: 'ghcr.io/modproxy/proxy: 1.2'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put("{image: ''}", GoProxyCacheSpec.IMAGE_MESSAGE);
        // the rule took these, and the kubelet refused them as InvalidImageName
        refused.put("{image: 'GHCR.io/Foo/Bar:1'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put("{image: 'modproxy/proxy@sha256:abc'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put("{image: 'modproxy/proxy:'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put("{image: 'https://ghcr.io/modproxy/proxy:1.2'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put("{image: 'ghcr.io/modproxy/proxy:1.2:3'}", GoProxyCacheSpec.IMAGE_MESSAGE);
        refused.put(
                "{serviceAccountName: Builds_SA}",
                "spec.serviceAccountName must be the name of a ServiceAccount in the cache's namespace: "
                        + KubernetesSyntax.NAME_WORDS + ", e.g. modproxy-s3");
        // the pattern took these; no ServiceAccount, PriorityClass, Secret or ConfigMap can be named so
        refused.put(
                "{priorityClassName: 'high..priority'}",
                "spec.priorityClassName must be the name of a PriorityClass: " + KubernetesSyntax.NAME_WORDS
                        + ", e.g. build-infrastructure");
        String proxyUrl = " must be a proxy address: a host and an optional port, optionally after http://, "
                + "without a path or user:password@ (a login goes in a Secret named by "
                + "spec.egressProxy.loginSecretRef); e.g. "
                + "http://proxy.corp.example.com:3128";
        refused.put(
                "{egressProxy: {httpsProxy: 'http://build:s3cret@proxy.corp:3128'}}",
                "spec.egressProxy.httpsProxy" + proxyUrl);
        refused.put(
                "{egressProxy: {httpProxy: 'http://proxy.corp:3128/path'}}", "spec.egressProxy.httpProxy" + proxyUrl);
        // TLS to the egress proxy itself: the proxy stops at start with it, so its pods would crash-loop
        String notHttps = " must not be an https:// URL: that asks for TLS to the egress proxy itself, which the "
                + "cache's proxy cannot speak (the go command can). Give the egress proxy's plain-HTTP port as "
                + "http://host:port (often 3128), e.g. http://proxy.corp.example.com:3128: https upstreams still go "
                + "through it in a CONNECT tunnel, TLS end to end";
        refused.put("{egressProxy: {httpsProxy: 'https://proxy.corp:3129'}}", "spec.egressProxy.httpsProxy" + notHttps);
        refused.put("{egressProxy: {httpProxy: 'https://proxy.corp'}}", "spec.egressProxy.httpProxy" + notHttps);
        refused.put(
                "{egressProxy: {httpsProxy: 'https://proxy.corp:3129', loginSecretRef: {name: egress-login}}}",
                "spec.egressProxy.httpsProxy" + notHttps);
        refused.put("{egressProxy: {loginSecretRef: {name: egress-login}}}", EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE);
        refused.put(
                "{egressProxy: {noProxy: ['.corp'], loginSecretRef: {name: egress-login}}}",
                EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE);
        refused.put(
                "{egressProxy: {httpsProxy: 'proxy.corp:3128', loginSecretRef: {name: Egress_Login}}}",
                "spec.egressProxy.loginSecretRef.name must be " + KubernetesSyntax.SECRET_NAME_WORDS
                        + ", e.g. egress-proxy-login");
        refused.put(
                "{egressProxy: {httpsProxy: 'proxy.corp:3128', loginSecretRef: {name: egress-login, key: 'user pass'}}}",
                "spec.egressProxy.loginSecretRef.key must be a key of the Secret: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. login");
        refused.put(
                "{objectStorage: {bucket: go-modules, endpoint: 'minio.storage.svc:9000'}}",
                ObjectStorage.ENDPOINT_MESSAGE);
        refused.put("{objectStorage: {bucket: Go_Modules}}", ObjectStorage.BUCKET_MESSAGE);
        refused.put("{objectStorage: {bucket: go}}", ObjectStorage.BUCKET_MESSAGE);
        refused.put(
                "{objectStorage: {bucket: go-modules, credentialsSecret: '-s3-keys'}}",
                "spec.objectStorage.credentialsSecret must be " + KubernetesSyntax.SECRET_NAME_WORDS
                        + ", e.g. s3-keys");
        refused.put(
                "{objectStorage: {bucket: go-modules, accessKeyIdKey: 'access key'}}",
                "spec.objectStorage.accessKeyIdKey must be a key of the Secret: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. AWS_ACCESS_KEY_ID");
        refused.put(
                "{objectStorage: {bucket: go-modules, secretAccessKeyKey: 'secret/key'}}",
                "spec.objectStorage.secretAccessKeyKey must be a key of the Secret: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. AWS_SECRET_ACCESS_KEY");
        refused.put(
                "{upstreamCredentials: {secretName: Netrc}}",
                "spec.upstreamCredentials.secretName must be " + KubernetesSyntax.SECRET_NAME_WORDS
                        + ", e.g. upstream-netrc");
        refused.put(
                "{upstreamCredentials: {secretName: netrc, netrcKey: '.netrc file'}}",
                "spec.upstreamCredentials.netrcKey must be a key of the Secret: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. netrc");
        refused.put("{upstreamCA: {}}", UpstreamCA.ONE_SOURCE_MESSAGE);
        refused.put("{upstreamCA: {key: ca.pem}}", UpstreamCA.ONE_SOURCE_MESSAGE);
        refused.put("{upstreamCA: {secretName: corp-ca, configMapName: corp-ca}}", UpstreamCA.ONE_SOURCE_MESSAGE);
        refused.put(
                "{upstreamCA: {secretName: Corp_CA}}",
                "spec.upstreamCA.secretName must be " + KubernetesSyntax.SECRET_NAME_WORDS + ", e.g. corp-ca");
        refused.put(
                "{upstreamCA: {configMapName: Corp_CA}}",
                "spec.upstreamCA.configMapName must be the name of a ConfigMap in the cache's namespace: "
                        + KubernetesSyntax.NAME_WORDS + ", e.g. corp-ca");
        refused.put(
                "{upstreamCA: {secretName: corp-ca, key: 'ca crt'}}",
                "spec.upstreamCA.key must be a key of the Secret or ConfigMap: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. ca.crt");
        refused.put(
                "{warmup: {goSumConfigMap: go_sum}}",
                "spec.warmup.goSumConfigMap must be the name of a ConfigMap in the cache's namespace: "
                        + KubernetesSyntax.NAME_WORDS + ", e.g. builds-go-sum");
        refused.put(
                "{warmup: {goSumConfigMap: sums, goSumKey: 'go sum'}}",
                "spec.warmup.goSumKey must be a key of the ConfigMap: " + KubernetesSyntax.DATA_KEY_WORDS
                        + ", e.g. go.sum");
        refused.put("{storage: {size: 10GB}}", Storage.QUANTITY_MESSAGE);
        refused.put("{storage: {size: lots}}", Storage.QUANTITY_MESSAGE);
        // the ServiceMonitor's CRD refuses units out of order or repeated, which the pattern took
        for (String interval : List.of("30s1m", "1m1m", "1.5m", "30", "", "1M")) {
            refused.put(
                    "{metrics: {serviceMonitor: {enabled: true, interval: '" + interval + "'}}}",
                    ServiceMonitorSettings.INTERVAL_MESSAGE);
        }
        refused.forEach((spec, message) -> {
            try {
                assertThat(rules.onCreate(cache(spec))).as(spec).containsExactly(message);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(message).as(spec).contains("e.g. ").doesNotContain("^", "[^", "\\S");
        });

        for (String taken : List.of(
                "{sumdb: 'off'}",
                "{sumdb: sum.golang.google.cn}",
                "{sumdb: 'sum.golang.org https://goproxy.cn/sumdb/sum.golang.org'}",
                // the go command splits GOSUMDB on any run of spaces and tabs, and so does the proxy
                "{sumdb: 'sum.golang.org   https://goproxy.cn/sumdb/sum.golang.org'}",
                "{sumdb: \"sum.golang.org\\thttps://goproxy.cn/sumdb/sum.golang.org\"}",
                "{sumdb: 'sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'}",
                "{sumdb: 'sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg "
                        + "https://sum.corp.example.com:8443/db/'}",
                // the go command takes a database named host:port and a key's hash in upper case
                "{sumdb: 'sum.corp.example:8443+48f0b285+Acee9dc32B//ud/+cnh7IM0Fvetgw2UFUY/17Mw3vK5J'}",
                "{sumdb: 'sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8'}",
                "{image: 'registry.corp.example.com/modproxy/proxy@sha256:" + "0123abcd".repeat(8) + "'}",
                "{image: 'Registry.Corp:5000/modproxy/go_proxy__x-1/proxy:V1.2.0-rc.1_b@sha512:" + "0a".repeat(64)
                        + "'}",
                "{image: '[fd00::1]:5000/proxy'}",
                "{image: 'localhost/proxy'}",
                "{image: proxy}",
                "{serviceAccountName: modproxy-s3, priorityClassName: system.build-infra}",
                "{egressProxy: {httpsProxy: 'proxy.corp:3128', httpProxy: 'http://[fd00::1]:3128/'}}",
                "{egressProxy: {httpsProxy: 'http://proxy.corp:3128', loginSecretRef: {name: egress.login}}}",
                "{egressProxy: {httpsProxy: 'https-proxy.corp:3128', httpProxy: 'http://https.corp'}}",
                "{egressProxy: {httpProxy: 'proxy.corp:3128', loginSecretRef: {name: egress-login, key: user_pass.txt}}}",
                "{objectStorage: {bucket: go.modules-1, endpoint: 'https://minio.storage.svc:9000', "
                        + "credentialsSecret: s3.keys, accessKeyIdKey: access_key.id, secretAccessKeyKey: Secret-Key}}",
                "{upstreamCredentials: {secretName: upstream-netrc, netrcKey: .netrc}}",
                "{upstreamCA: {secretName: corp-ca}}",
                "{upstreamCA: {configMapName: corp.trust-bundle, key: bundle.pem}}",
                "{warmup: {goSumConfigMap: builds.go-sum, goSumKey: go.sum}}",
                "{storage: {size: 1.5Ti}}",
                "{metrics: {serviceMonitor: {enabled: true, interval: 1m30s}}}",
                "{metrics: {serviceMonitor: {enabled: true, interval: 1d}}}",
                "{metrics: {serviceMonitor: {enabled: true, interval: 500ms}}}",
                "{metrics: {serviceMonitor: {enabled: true, interval: '0'}}}")) {
            assertThat(rules.onCreate(cache(taken))).as(taken).isEmpty();
        }
    }

    /**
     * Fields the schema took as any string, which then reached an object the API server refused: a storage class
     * no StorageClass can be named held the volume claim back (and, fixed once set, could not be corrected without
     * deleting the cache), a Prometheus namespace no namespace can be named the NetworkPolicy, a ServiceMonitor label
     * the ServiceMonitor; each was reported as Degraded quoting that object's field rather than the cache's.
     */
    @Test
    void whatTheVolumeClaimNetworkPolicyOrServiceMonitorCannotCarryIsRefusedNamingTheCachesField() throws IOException {
        String storageClass = "spec.storage.storageClassName must be the name of a StorageClass: "
                + KubernetesSyntax.NAME_WORDS + ", e.g. fast-ssd";
        for (String refused : List.of("Fast_SSD", "fast ssd", "-fast", "fast..ssd")) {
            assertThat(rules.onCreate(cache("{storage: {storageClassName: '" + refused + "'}}")))
                    .as(refused)
                    .containsExactly(storageClass);
        }
        assertThat(rules.onCreate(cache("{storage: {storageClassName: gp3.encrypted-1}}")))
                .isEmpty();
        String namespace = "spec.networkPolicy.prometheusNamespace must be the name of a namespace: "
                + KubernetesSyntax.DNS_LABEL_WORDS + ", e.g. monitoring";
        for (String refused : List.of("Monitoring", "monitoring.svc", "monitoring-")) {
            assertThat(rules.onCreate(
                            cache("{networkPolicy: {enabled: true, prometheusNamespace: '" + refused + "'}}")))
                    .as(refused)
                    .containsExactly(namespace);
        }
        assertThat(rules.onCreate(cache("{networkPolicy: {enabled: true, prometheusNamespace: kube-prometheus-2}}")))
                .isEmpty();
        assertThat(rules.onCreate(cache("{metrics: {serviceMonitor: {enabled: true, labels: {'bad key!': x}}}}")))
                .containsExactly("spec.metrics.serviceMonitor.labels keys must each be label keys: "
                        + KubernetesSyntax.LABEL_KEY_WORDS);
        assertThat(rules.onCreate(
                        cache("{metrics: {serviceMonitor: {enabled: true, labels: {release: 'kube prom'}}}}")))
                .containsExactly(
                        "spec.metrics.serviceMonitor.labels values must each be " + KubernetesSyntax.LABEL_VALUE_WORDS);
        assertThat(rules.onCreate(cache(
                        "{metrics: {serviceMonitor: {enabled: true, labels: {release: kube-prometheus-stack}}}}")))
                .isEmpty();
        // longer names are refused by the schema's maxLength, which also bounds the rules' cost
        JsonNode spec = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        assertThat(spec.at("/storage/properties/storageClassName/maxLength").asInt())
                .isEqualTo(253);
        assertThat(spec.at("/networkPolicy/properties/prometheusNamespace/maxLength")
                        .asInt())
                .isEqualTo(63);
        assertThat(spec.at("/metrics/properties/serviceMonitor/properties/labels/maxProperties")
                        .asInt())
                .isEqualTo(KubernetesSyntax.MAX_ENTRIES);
    }

    /**
     * No spec field is left with a pattern, which the API server prints as the whole refusal; each string a rule
     * matches against a regex has a maxLength, or the API server prices the rule over its limit and refuses the CRD.
     */
    @Test
    void noSpecFieldIsCheckedByAPatternAndEveryRegexRuleIsBounded() throws IOException {
        JsonNode spec = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec");
        List<String> patterns = new java.util.ArrayList<>();
        List<String> unbounded = new java.util.ArrayList<>();
        walkStrings(spec, "spec", patterns, unbounded);
        assertThat(patterns).isEmpty();
        assertThat(unbounded).isEmpty();
        // enums rather than patterns: the API server names the values it takes ("supported values: ...")
        assertThat(spec.at("/properties/imagePullPolicy/enum"))
                .extracting(JsonNode::asText)
                .containsExactly("Always", "IfNotPresent", "Never");
        assertThat(spec.at("/properties/service/properties/type/enum"))
                .extracting(JsonNode::asText)
                .containsExactly("ClusterIP", "NodePort", "LoadBalancer");
    }

    private static void walkStrings(JsonNode node, String path, List<String> patterns, List<String> unbounded) {
        if (node.has("pattern")) {
            patterns.add(path + ": " + node.get("pattern").asText());
        }
        boolean matches = false;
        for (JsonNode rule : node.path("x-kubernetes-validations")) {
            matches |= rule.path("rule").asText().startsWith("self.matches(")
                    || rule.path("rule").asText().contains("&& self.matches(");
        }
        if (matches && "string".equals(node.path("type").asText()) && !node.has("maxLength")) {
            unbounded.add(path);
        }
        node.path("properties")
                .properties()
                .forEach(p -> walkStrings(p.getValue(), path + "." + p.getKey(), patterns, unbounded));
        if (node.has("items")) {
            walkStrings(node.get("items"), path + "[]", patterns, unbounded);
        }
        if (node.path("additionalProperties").isObject()) {
            walkStrings(node.get("additionalProperties"), path + "{}", patterns, unbounded);
        }
    }

    /** Two field managers' server-side applies merge set items; an atomic list made them conflict. */
    @Test
    void patternListsAreSets() throws IOException {
        JsonNode spec = CrdRules.readYaml(CRD).at("/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties");
        assertThat(spec.at("/private/x-kubernetes-list-type").asText()).isEqualTo("set");
        assertThat(spec.at("/noSumDB/x-kubernetes-list-type").asText()).isEqualTo("set");
    }

    private static JsonNode named(String name) throws IOException {
        return CrdRules.readYaml("""
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata: {name: "%s", namespace: ci}
                spec: {}
                """.formatted(name));
    }

    private static JsonNode cache(String spec) throws IOException {
        return CrdRules.readYaml("""
                apiVersion: modproxy.dev/v1alpha1
                kind: GoProxyCache
                metadata: {name: gomod, namespace: ci}
                spec: %s
                """.formatted(spec));
    }
}
