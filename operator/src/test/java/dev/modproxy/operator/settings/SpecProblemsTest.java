package dev.modproxy.operator.settings;

import static dev.modproxy.operator.CacheFixtures.cache;
import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.KubernetesSyntax;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.UpstreamCA;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.EnvVarSourceBuilder;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.InstanceOfAssertFactories;
import org.junit.jupiter.api.Test;

class SpecProblemsTest {

    @Test
    void defaultSpecHasNoProblems() {
        assertThat(SpecProblems.of(cache(spec -> {}))).isEmpty();
    }

    @Test
    void severalReplicasNeedSharedStorage() {
        assertThat(SpecProblems.of(cache(spec -> spec.setReplicas(2))))
                .singleElement()
                .satisfies(p -> assertThat(p).contains("ReadWriteMany").contains("objectStorage"));
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setReplicas(2);
                    spec.getStorage().setAccessModes(List.of("ReadWriteMany"));
                })))
                .isEmpty();
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setReplicas(2);
                    ObjectStorage bucket = new ObjectStorage();
                    bucket.setBucket("go-modules");
                    spec.setObjectStorage(bucket);
                })))
                .isEmpty();
    }

    @Test
    void badFieldsAreEachNamed() {
        List<String> problems = SpecProblems.of(cache(spec -> {
            spec.setSumdb("sum golang org");
            spec.setPrivate(List.of("corp.example.com/*,other.example.com"));
            spec.setNoSumDB(List.of(""));
            spec.getStorage().setSize("lots");
            // an empty entry is skipped, as the go command does; a single word is not a URL
            spec.getInjection().setFallback("https://goproxy.cn,,noproxy");
        }));
        assertThat(problems).hasSize(5);
        assertThat(String.join("\n", problems))
                .contains("spec.sumdb")
                .contains("spec.private[0]")
                .contains("spec.noSumDB[0]")
                .contains("spec.storage.size \"lots\"")
                .contains("spec.injection.fallback entry 3 \"noproxy\" is neither a URL");
    }

    /**
     * The probe's 100Ei: Kubernetes cut the volume claim down to 9223372036854775807 bytes and nothing said so.
     * Where the CRD's rule does not run (an older CRD, the operator's tests' mock API server), the spec is refused.
     */
    @Test
    void aSizeBeyondWhatKubernetesCountsIsRefusedNotCutDown() {
        for (String beyond : List.of("100Ei", "8Ei", "9223372036854775807", "1e30", "10000P")) {
            assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setSize(beyond))))
                    .as(beyond)
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("spec.storage.size \"" + beyond + "\" is more than a volume claim can ask for")
                    .contains("9223372036854775807 bytes (8Ei) without a word");
        }
        for (String fits : List.of("7Ei", "9223372036854775806", "1e18", "10Gi")) {
            assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setSize(fits))))
                    .as(fits)
                    .isEmpty();
        }
    }

    @Test
    void aRefusedSumdbIsNamedWithoutTheLoginOrTokenOfItsUrl() {
        List<String> problems = SpecProblems.of(
                cache(spec -> spec.setSumdb("sum.corp+key https://ci:s3cret@sum.corp/?token=t0k extra")));
        assertThat(problems)
                .singleElement(InstanceOfAssertFactories.STRING)
                .isEqualTo(
                        "spec.sumdb \"sum.corp+key https://ci:xxxxx@sum.corp/?xxxxx extra\" has more than a verifier "
                                + "key and one URL")
                .doesNotContain("s3cret")
                .doesNotContain("t0k");
    }

    @Test
    void anUpstreamLoginIsRefusedNamingItsHostButNotTheLogin() {
        List<String> problems =
                SpecProblems.of(cache(spec -> spec.setUpstream("https://goproxy.cn|https://ci:s3cret@athens.corp/go")));
        assertThat(problems)
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("spec.upstream carries a login for athens.corp")
                .contains("spec.upstreamCredentials.secretName")
                .doesNotContain("s3cret")
                .doesNotContain("ci:");
        // an '@' in a path is no login
        assertThat(SpecProblems.of(cache(spec -> spec.setUpstream("https://mirror.corp/a@b,direct"))))
                .isEmpty();
    }

    /** Where the CRD's rules are not enforced: a CA source that names neither or both is said, not guessed at. */
    @Test
    void anUpstreamCaNeedsExactlyOneSource() {
        for (String[] source : new String[][] {{null, null}, {"corp-ca", "corp-ca"}}) {
            assertThat(SpecProblems.of(cache(spec -> {
                        spec.setUpstreamCA(new UpstreamCA());
                        spec.getUpstreamCA().setSecretName(source[0]);
                        spec.getUpstreamCA().setConfigMapName(source[1]);
                    })))
                    .containsExactly(UpstreamCA.ONE_SOURCE_MESSAGE);
        }
        for (String[] source : new String[][] {{"corp-ca", null}, {null, "corp-ca"}}) {
            assertThat(SpecProblems.of(cache(spec -> {
                        spec.setUpstreamCA(new UpstreamCA());
                        spec.getUpstreamCA().setSecretName(source[0]);
                        spec.getUpstreamCA().setConfigMapName(source[1]);
                    })))
                    .isEmpty();
        }
    }

    /** Where the CRD's rules are not enforced: a login without a proxy, or a Secret no Secret can be named so. */
    @Test
    void anEgressProxyLoginNeedsAProxyAndASecretName() {
        assertThat(SpecProblems.of(cache(spec -> spec.setEgressProxy(egressLogin(null, null, "proxy-login", null)))))
                .containsExactly(EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE);
        assertThat(SpecProblems.of(cache(spec -> spec.setEgressProxy(egressLogin(null, "", "proxy-login", null)))))
                .containsExactly(EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE);
        assertThat(SpecProblems.of(cache(spec ->
                        spec.setEgressProxy(egressLogin("http://proxy.corp:3128", null, "Proxy_Login", "a b")))))
                .containsExactly(
                        "spec.egressProxy.loginSecretRef.name \"Proxy_Login\" must be "
                                + dev.modproxy.operator.api.KubernetesSyntax.SECRET_NAME_WORDS,
                        "spec.egressProxy.loginSecretRef.key \"a b\" must be a key of the Secret: "
                                + dev.modproxy.operator.api.KubernetesSyntax.DATA_KEY_WORDS);
        assertThat(SpecProblems.of(cache(spec -> spec.setEgressProxy(egressLogin(null, null, null, null)))))
                .contains("spec.egressProxy.loginSecretRef.name \"null\" must be "
                        + dev.modproxy.operator.api.KubernetesSyntax.SECRET_NAME_WORDS);
        assertThat(SpecProblems.of(cache(
                        spec -> spec.setEgressProxy(egressLogin(null, "proxy.corp:3128", "proxy.login", "user.pass")))))
                .isEmpty();
        assertThat(SpecProblems.of(cache(
                        spec -> spec.setEgressProxy(egressLogin("http://proxy.corp:3128", null, "proxy-login", null)))))
                .isEmpty();
    }

    /**
     * An https:// egress proxy stored before the API server refused it: the proxy would stop at start with it and its
     * pods crash-loop, so the cache says so and is not applied.
     */
    @Test
    void anHttpsEgressProxyIsRefusedSayingToGiveItsPlainHttpPort() {
        EgressProxy egress = new EgressProxy();
        egress.setHttpsProxy("https://proxy.corp:3129");
        egress.setHttpProxy("https://build:s3cret@proxy.corp:3129");
        List<String> problems = SpecProblems.of(cache(spec -> spec.setEgressProxy(egress)));
        assertThat(problems)
                .containsExactly(
                        "spec.egressProxy.httpsProxy \"https://proxy.corp:3129\"" + EgressProxy.NOT_HTTPS_WORDS,
                        "spec.egressProxy.httpProxy \"https://build:xxxxx@proxy.corp:3129\""
                                + EgressProxy.NOT_HTTPS_WORDS);
        assertThat(String.join("\n", problems)).doesNotContain("s3cret").contains("http://host:port", "CONNECT");
        // with a login too, and the plain-HTTP port taken
        assertThat(SpecProblems.of(cache(spec ->
                        spec.setEgressProxy(egressLogin("https://proxy.corp:3129", null, "proxy-login", null)))))
                .containsExactly(
                        "spec.egressProxy.httpsProxy \"https://proxy.corp:3129\"" + EgressProxy.NOT_HTTPS_WORDS);
        assertThat(SpecProblems.of(cache(spec ->
                        spec.setEgressProxy(egressLogin("http://proxy.corp:3128", "proxy.corp:3128", "l", null)))))
                .isEmpty();
    }

    private static EgressProxy egressLogin(String httpsProxy, String httpProxy, String secret, String key) {
        EgressProxy egress = new EgressProxy();
        egress.setHttpsProxy(httpsProxy);
        egress.setHttpProxy(httpProxy);
        egress.setLoginSecretRef(new EgressProxyLogin());
        egress.getLoginSecretRef().setName(secret);
        egress.getLoginSecretRef().setKey(key);
        return egress;
    }

    @Test
    void resourcesMustBeQuantities() {
        List<String> problems = SpecProblems.of(
                cache(spec -> spec.setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                        .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity("lots"))
                        .addToRequests("memory", new io.fabric8.kubernetes.api.model.Quantity("256Mi"))
                        .addToLimits("memory", new io.fabric8.kubernetes.api.model.Quantity("-1Gi"))
                        .addToLimits("cpu", new io.fabric8.kubernetes.api.model.Quantity("2"))
                        .build())));

        assertThat(problems)
                .containsExactlyInAnyOrder(
                        "spec.resources.requests.cpu \"lots\" is not a Kubernetes quantity of 0 or more; write e.g. "
                                + "\"100m\" or \"256Mi\"",
                        "spec.resources.limits.memory \"-1Gi\" is not a Kubernetes quantity of 0 or more; write e.g. "
                                + "\"100m\" or \"256Mi\"");
    }

    @Test
    void everyFormOfQuantityKubernetesTakesIsFine() {
        for (String written :
                List.of("100m", "500m", "1", "1.5", "0.5", ".5", "2Gi", "1e3", "1E-3", "250M", "10k", "0")) {
            assertThat(SpecProblems.of(cache(
                            spec -> spec.setResources(new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder()
                                    .addToRequests("cpu", new io.fabric8.kubernetes.api.model.Quantity(written))
                                    .build()))))
                    .as(written)
                    .isEmpty();
        }
    }

    @Test
    void nameMustFitAServiceName() {
        assertThat(SpecProblems.of(cache("ns", "go.proxy", spec -> {})))
                .singleElement()
                .satisfies(p -> assertThat(p).contains("metadata.name \"go.proxy\""));
        assertThat(SpecProblems.of(cache("ns", "a".repeat(53), spec -> {}))).hasSize(1);
        assertThat(SpecProblems.of(cache("ns", "a".repeat(52), spec -> {}))).isEmpty();
    }

    @Test
    void accessModesMustLetTheProxyWrite() {
        assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setAccessModes(List.of("ReadWriteMnay")))))
                .singleElement()
                .asString()
                .startsWith("spec.storage.accessModes [ReadWriteMnay]: storage.accessModes takes ReadWriteOnce");
        assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setAccessModes(List.of("ReadWriteOncePod")))))
                .isEmpty();
    }

    @Test
    void lowWatermarkMustBeBelowTheHighOne() {
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.getStorage().setHighWatermark(70);
                    spec.getStorage().setLowWatermark(70);
                })))
                .singleElement()
                .asString()
                .contains("lowWatermark (70%) must be below spec.storage.highWatermark (70%)");
        assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setHighWatermark(50))))
                .singleElement()
                .asString()
                .contains("lowWatermark (75%)");
    }

    @Test
    void watermarksArePercentages() {
        assertThat(SpecProblems.of(cache(spec -> spec.getStorage().setHighWatermark(120))))
                .singleElement()
                .asString()
                .contains("spec.storage.highWatermark is 120; write a percentage from 1 to 100");
    }

    @Test
    void extraEnvironmentCannotSetWhatAFieldSets() {
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setProxy(new ProxyTuning());
                    spec.getProxy()
                            .setEnv(List.of(
                                    new EnvVar("MODPROXY_UPSTREAM", "https://goproxy.cn", null),
                                    new EnvVar("QUARKUS_HTTP_PORT", "8081", null),
                                    new EnvVar("QUARKUS_LOG_LEVEL", "DEBUG", null)));
                })))
                .containsExactly(
                        "spec.proxy.env cannot set MODPROXY_UPSTREAM: set spec.upstream instead",
                        "spec.proxy.env cannot set QUARKUS_HTTP_PORT: the operator fixes it, its Service and probes depend on it");
    }

    /**
     * The probe's bypass: the proxy's configuration reads modproxy.upstream, modproxy_upstream and a prod-profile
     * name before MODPROXY_UPSTREAM, so these replaced the spec's upstream and turned checksums off while the status
     * and the ConfigMap showed the spec's values.
     */
    @Test
    void extraEnvironmentCannotSetWhatAFieldSetsUnderAnotherSpelling() {
        assertThat(SpecProblems.of(withEnv(
                        "modproxy.upstream",
                        "modproxy_upstream",
                        "Modproxy-Sumdb",
                        "quarkus.http.port",
                        "_PROD_MODPROXY_NOSUMDB",
                        "%prod.modproxy.private",
                        "https_proxy",
                        "java.tool.options")))
                .containsExactly(
                        "spec.proxy.env cannot set modproxy.upstream (read as MODPROXY_UPSTREAM): set spec.upstream "
                                + "instead",
                        "spec.proxy.env cannot set modproxy_upstream (read as MODPROXY_UPSTREAM): set spec.upstream "
                                + "instead",
                        "spec.proxy.env cannot set Modproxy-Sumdb (read as MODPROXY_SUMDB): set spec.sumdb instead",
                        "spec.proxy.env cannot set quarkus.http.port (read as QUARKUS_HTTP_PORT): the operator fixes "
                                + "it, its Service and probes depend on it",
                        "spec.proxy.env cannot set _PROD_MODPROXY_NOSUMDB (read as MODPROXY_NOSUMDB): set "
                                + "spec.noSumDB instead",
                        "spec.proxy.env cannot set %prod.modproxy.private (read as MODPROXY_PRIVATE): set spec.private "
                                + "instead",
                        "spec.proxy.env cannot set https_proxy (read as HTTPS_PROXY): set spec.egressProxy.httpsProxy "
                                + "instead",
                        "spec.proxy.env cannot set java.tool.options (read as JAVA_TOOL_OPTIONS): set "
                                + "spec.proxy.jvmOptions instead");
    }

    /** Settings without a field, and names that only contain an owned one, stay the user's. */
    @Test
    void extraEnvironmentMaySetWhatNoFieldSets() {
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("MODPROXY_MAX_DOWNLOADS", "64", null),
                        new EnvVar("modproxy.prefetch", "false", null),
                        new EnvVar("QUARKUS_HTTP_LIMITS_MAX_BODY_SIZE", "x", null),
                        new EnvVar("MODPROXY_UPSTREAMS", "x", null),
                        new EnvVar("XMODPROXY_UPSTREAM", "x", null),
                        new EnvVar("CORP_HTTPS_PROXY", "x", null))))
                .isEmpty();
    }

    /**
     * The proxy stops at start with a value it cannot use (MODPROXY_PREFETCH=maybe was read as false before): said
     * here by the contract's rule, with the entry, instead of proxy pods crash-looping under a status that does not
     * say why. A name is read as the proxy's configuration reads it.
     */
    @Test
    void extraEnvironmentValuesOfProxySettingsAreReadByTheProxysRules() {
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("MODPROXY_PREFETCH", "maybe", null),
                        new EnvVar("QUARKUS_LOG_LEVEL", "loud", null),
                        new EnvVar("modproxy.max-downloads", "0", null),
                        new EnvVar("MODPROXY_CLIENT_STALL_TIMEOUT", "0s", null),
                        new EnvVar("MODPROXY_PREFETCH_USE_WINDOW", "1.5m", null),
                        new EnvVar("MODPROXY_PASS_THROUGH_MAX_SIZE", "lots", null),
                        new EnvVar("MODPROXY_PASS_THROUGH_DIR", "any path", null))))
                .containsExactly(
                        "spec.proxy.env[0] (MODPROXY_PREFETCH): MODPROXY_PREFETCH must be true or false, got 'maybe'",
                        "spec.proxy.env[2] (modproxy.max-downloads): MODPROXY_MAX_DOWNLOADS must be a whole number of "
                                + "1 or more, got '0'",
                        "spec.proxy.env[3] (MODPROXY_CLIENT_STALL_TIMEOUT): MODPROXY_CLIENT_STALL_TIMEOUT must be more "
                                + "than 0 (a duration such as 500ms, 30s, 5m, 1h or PT30S), got '0s'",
                        "spec.proxy.env[4] (MODPROXY_PREFETCH_USE_WINDOW): MODPROXY_PREFETCH_USE_WINDOW must be a "
                                + "duration such as 500ms, 30s, 5m, 1h or PT30S, got '1.5m'",
                        "spec.proxy.env[5] (MODPROXY_PASS_THROUGH_MAX_SIZE): MODPROXY_PASS_THROUGH_MAX_SIZE must be a "
                                + "byte count such as 1073741824, 512Mi or 10G, got 'lots'");
    }

    /**
     * The proxy refuses MODPROXY_PREFETCH_MAX_BYTES=0 (no prefetch could ever start), whether prefetch is on or off:
     * the operator let it through as a byte count like any other and the proxy pods crash-looped.
     */
    @Test
    void prefetchMaxBytesOfZeroIsRefusedAsTheProxyRefusesIt() {
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("MODPROXY_PREFETCH_MAX_BYTES", "0Mi", null),
                        new EnvVar("MODPROXY_PREFETCH_MAX_ZIP_SIZE", "0", null))))
                .containsExactly("spec.proxy.env[0] (MODPROXY_PREFETCH_MAX_BYTES): MODPROXY_PREFETCH_MAX_BYTES must be "
                        + "more than 0 (a byte count such as 256Mi), got '0Mi'");
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("MODPROXY_PREFETCH", "false", null),
                        new EnvVar("MODPROXY_PREFETCH_MAX_BYTES", "0", null))))
                .containsExactly("spec.proxy.env[1] (MODPROXY_PREFETCH_MAX_BYTES): MODPROXY_PREFETCH_MAX_BYTES must be "
                        + "more than 0 (a byte count such as 256Mi), got '0'");
    }

    /** A value from a Secret is not known to the operator; a variable a field sets is refused for its name alone. */
    @Test
    void extraEnvironmentValuesAreReadOnlyWhereWrittenAndNotOwned() {
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar(
                                "MODPROXY_PREFETCH",
                                null,
                                new EnvVarSourceBuilder()
                                        .withNewSecretKeyRef("prefetch", "tuning", false)
                                        .build()),
                        new EnvVar("MODPROXY_MUTABLE_TTL", "banana", null))))
                .containsExactly("spec.proxy.env cannot set MODPROXY_MUTABLE_TTL: set spec.proxy.mutableTtl instead");
    }

    /** What ProxySettings.ownedVariable reads a name as is what MicroProfile's mapping of it says. */
    @Test
    void aNameIsOwnedWhenItsEnvironmentMappingIsAnOwnedVariable() {
        for (String owned : ProxySettings.OWNED_VARIABLES.keySet()) {
            String dotted = owned.toLowerCase(java.util.Locale.ROOT).replace('_', '.');
            assertThat(dev.modproxy.contract.ProxySetting.environmentName(dotted))
                    .isEqualTo(owned);
            assertThat(ProxySettings.ownedVariable(dotted)).as(dotted).contains(owned);
            assertThat(ProxySettings.ownedVariable(owned)).as(owned).contains(owned);
            assertThat(ProxySettings.ownedVariable(owned + "_")).as(owned + "_").isEmpty();
        }
    }

    /** Values the schema took and the proxy stopped at start with, under a Ready status. */
    @Test
    void tuningIsReadAsTheProxyReadsIt() {
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setProxy(new ProxyTuning());
                    spec.getProxy().setMemoryCacheSize("0.5Gi");
                    spec.getProxy().setMutableTtl("PXQ");
                    spec.getProxy().setNegativeTtl("P.");
                    spec.getProxy().setConnectTimeout("0ms");
                    spec.getProxy().setReadTimeout("PT0S");
                })))
                .containsExactly(
                        "spec.proxy.mutableTtl \"PXQ\" is not a duration the proxy reads; write a whole number with ms, "
                                + "s, m, h or d (\"30s\", \"5m\") or an ISO-8601 duration (\"PT30S\", \"P1DT12H\")",
                        "spec.proxy.negativeTtl \"P.\" is not a duration the proxy reads; write a whole number with ms, "
                                + "s, m, h or d (\"30s\", \"5m\") or an ISO-8601 duration (\"PT30S\", \"P1DT12H\")",
                        "spec.proxy.connectTimeout \"0ms\" must be more than 0; write e.g. \"5s\"",
                        "spec.proxy.readTimeout \"PT0S\" must be more than 0; write e.g. \"5s\"",
                        "spec.proxy.memoryCacheSize must be a byte count such as 1073741824, 512Mi or 10G, got '0.5Gi' "
                                + "(0 turns the memory cache off)");
        // the proxy took these and failed every request with a 502 (long overflow); it now stops at start with them
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setProxy(new ProxyTuning());
                    spec.getProxy().setReadTimeout("999999999999d");
                    spec.getProxy().setMutableTtl("106751d");
                })))
                .containsExactly(
                        "spec.proxy.readTimeout \"999999999999d\" must be at most 106751d (292 years); write e.g. \"5s\"");
        for (String size : List.of("1e6", "1E", "1.5", "1Ei")) {
            assertThat(SpecProblems.of(cache(spec -> {
                        spec.setProxy(new ProxyTuning());
                        spec.getProxy().setMemoryCacheSize(size);
                    })))
                    .as(size)
                    .singleElement()
                    .asString()
                    .startsWith("spec.proxy.memoryCacheSize must be a byte count");
        }
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setProxy(new ProxyTuning());
                    spec.getProxy().setMemoryCacheSize("0");
                    spec.getProxy().setMutableTtl("P1DT12H");
                    spec.getProxy().setNegativeTtl("0s");
                    spec.getProxy().setConnectTimeout("500ms");
                    spec.getProxy().setReadTimeout("2m");
                })))
                .isEmpty();
    }

    @Test
    void anUpstreamPortAboveTheTcpRangeIsRefused() {
        assertThat(SpecProblems.of(cache(spec -> spec.setUpstream("http://[::1]:99999"))))
                .singleElement()
                .asString()
                .startsWith("spec.upstream entry 1 \"http://[::1]:99999\" has port 99999, above 65535");
    }

    /** The operator's own labels replaced these without a word. */
    @Test
    void podLabelsCannotSetTheOperatorsOwnLabels() {
        assertThat(SpecProblems.of(cache(spec -> spec.setPodLabels(new java.util.LinkedHashMap<>(java.util.Map.of(
                        "app.kubernetes.io/instance", "other",
                        "modproxy.dev/inject", "enabled",
                        "team", "builds"))))))
                .containsExactlyInAnyOrder(
                        SpecProblems.reservedPodLabelMessage("app.kubernetes.io/instance"),
                        SpecProblems.reservedPodLabelMessage("modproxy.dev/inject"));
        assertThat(SpecProblems.reservedPodLabelMessage("modproxy.dev/inject"))
                .startsWith("spec.podLabels cannot set modproxy.dev/inject: the operator sets it");
        assertThat(SpecProblems.of(cache(spec -> spec.setPodLabels(java.util.Map.of("team", "builds")))))
                .isEmpty();
    }

    /**
     * A cache stored before the CRD refused these: its Deployment was refused, the message quoting the Deployment's
     * field (spec.template.labels), and a pull secret no Secret can be named was reported as nothing to attend to.
     */
    @Test
    void whatThePodTemplateCannotCarryIsNamedByTheCachesField() {
        List<String> problems = SpecProblems.of(cache(spec -> {
            spec.setPodLabels(new LinkedHashMap<>(Map.of("team", "\u00f1", "bad key!", "x")));
            spec.setNodeSelector(Map.of("k", "bad value!"));
            spec.setPodAnnotations(Map.of("bad key!", "any value!"));
            spec.getService().setAnnotations(Map.of("a/b/c", "x"));
            spec.setTolerations(List.of(
                    new TolerationBuilder().withKey("k").withOperator("Bogus").build(),
                    new TolerationBuilder()
                            .withKey("k")
                            .withOperator("Equal")
                            .withValue("v")
                            .withEffect("NoRun")
                            .build()));
            spec.setImagePullSecrets(
                    List.of(new LocalObjectReference("registry-login"), new LocalObjectReference("Bad_Name")));
        }));
        assertThat(problems)
                .containsExactlyInAnyOrder(
                        "spec.podLabels key \"bad key!\" must be a label key: " + KubernetesSyntax.LABEL_KEY_WORDS,
                        "spec.podLabels[team] \"\u00f1\" must be a label value: " + KubernetesSyntax.LABEL_VALUE_WORDS,
                        "spec.nodeSelector[k] \"bad value!\" must be a label value: "
                                + KubernetesSyntax.LABEL_VALUE_WORDS,
                        "spec.podAnnotations key \"bad key!\" must be an annotation key, "
                                + KubernetesSyntax.ANNOTATION_KEY_WORDS,
                        "spec.service.annotations key \"a/b/c\" must be an annotation key, "
                                + KubernetesSyntax.ANNOTATION_KEY_WORDS,
                        "spec.tolerations[0].operator \"Bogus\" must be one of Exists, Equal (or unset)",
                        "spec.tolerations[1].effect \"NoRun\" must be one of NoSchedule, PreferNoSchedule, NoExecute "
                                + "(or unset)",
                        "spec.imagePullSecrets[1].name \"Bad_Name\" must be " + KubernetesSyntax.SECRET_NAME_WORDS);
    }

    @Test
    void whatThePodTemplateTakesIsNoProblem() {
        assertThat(SpecProblems.of(cache(spec -> {
                    spec.setPodLabels(Map.of("example.com/team", "", "tier", "v1.2_3"));
                    spec.setNodeSelector(Map.of("kubernetes.io/os", "linux"));
                    // Kubernetes lowercases an annotation key before checking it; a pull secret without a name is
                    // none the CRD's rule checks either
                    spec.setPodAnnotations(Map.of("example.com/note", "any thing!", "Example.com/Note", "x"));
                    spec.getService()
                            .setAnnotations(Map.of("service.beta.kubernetes.io/aws-load-balancer-internal", "true"));
                    spec.setTolerations(List.of(
                            new TolerationBuilder().withOperator("Exists").build(),
                            new TolerationBuilder()
                                    .withKey("k")
                                    .withOperator("")
                                    .withValue("v")
                                    .withEffect("")
                                    .build(),
                            new TolerationBuilder()
                                    .withKey("k")
                                    .withValue("v")
                                    .withEffect("NoExecute")
                                    .build()));
                    spec.setImagePullSecrets(
                            List.of(new LocalObjectReference("registry.login-1"), new LocalObjectReference()));
                })))
                .isEmpty();
    }

    /**
     * The probe's spec.sumdb values that the API server took and the proxy refused at start ("malformed verifier
     * key"): a crash loop under a cache that looked fine. Where the CRD's rule does not run, the operator refuses
     * them; only it checks a key's hash.
     */
    @Test
    void aSumdbTheProxyCannotStartWithIsRefused() {
        Map<String, String> refused = new LinkedHashMap<>();
        // said in the words of the contract's GoSumDb, the rule the proxy reads MODPROXY_SUMDB by
        String notAKey = " is not off, sum.golang.org, sum.golang.google.cn or a checksum database's verifier key "
                + "(name+hash+key); copy name+hash+key whole as the database's operator publishes it";
        refused.put("OFF", "spec.sumdb \"OFF\"" + notAKey);
        refused.put("corp-sumdb", "spec.sumdb \"corp-sumdb\"" + notAKey);
        refused.put(
                "sum.golang.org+notakey",
                "spec.sumdb \"sum.golang.org+notakey\" has a verifier key that is not name+hash+key");
        refused.put(
                "sum.example.com+a1b2c3+AbCd https://sum.example.com",
                "has the verifier key for sum.example.com, whose hash a1b2c3 is not 8 hex digits");
        refused.put(
                "sum.golang.google.cn https://sum.golang.google.cn",
                "spec.sumdb \"sum.golang.google.cn https://sum.golang.google.cn\"" + notAKey);
        refused.put(
                "sum.golang.org https://sum.corp.example.com/?token=1",
                "spec.sumdb \"sum.golang.org https://sum.corp.example.com/?xxxxx\" has a URL that is not "
                        + "http(s)://host[/path] without a query");
        // a key of the right shape, one character changed
        refused.put(
                "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPh",
                "has the verifier key for sum.corp.example.com, which does not match its hash eedc9b3e; copy "
                        + "name+hash+key whole as the database's operator publishes it");
        // the algorithm byte 2, not Ed25519's 1
        refused.put(
                "sum.corp.example.com+eedc9b3e+AmiaB4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPgA",
                "has the verifier key for sum.corp.example.com, which is not an Ed25519 key (33 bytes, the first 1)");
        // the shape the CRD's rule takes, with a URL that does not parse: the proxy stopped at start on it
        refused.put(
                "sum.golang.org https://sum.corp/%zz",
                "spec.sumdb \"sum.golang.org https://sum.corp/%zz\" has a URL that does not parse (Malformed escape "
                        + "pair)");
        // a key the go command takes (made by note.GenerateKey) for a name whose path could escape: refused, saying
        // what a name may hold
        refused.put(
                "sum.corp.example/../db+5bd93682+Afdu4M792TWUp0SRRKLv7h/nqgZR9skQBvtFVM9In/YF",
                "names the database sum.corp.example/../db, which is not host[:port][/path] (a host of letters, "
                        + "digits, '-' and dots, a port 1-65535, path elements of letters, digits and '-', '_', '~', "
                        + "'.', none empty or starting with '.')");
        refused.forEach((sumdb, problem) -> assertThat(SpecProblems.of(cache(spec -> spec.setSumdb(sumdb))))
                .as(sumdb)
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains(problem));
        for (String taken : List.of(
                "off",
                "sum.golang.org",
                "sum.golang.google.cn",
                "sum.golang.org https://goproxy.cn/sumdb/sum.golang.org",
                "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                // made by golang.org/x/mod/sumdb/note.GenerateKey
                "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg",
                "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg https://sum.corp:8443/db/",
                // the go command splits GOSUMDB on any run of spaces and tabs, and so does the proxy
                "sum.golang.org   https://goproxy.cn/sumdb/sum.golang.org",
                "sum.corp.example.com+eedc9b3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg\thttps://sum.corp:8443/db/",
                // as the go command takes them: a database on another port, a hash in upper or mixed case
                "sum.corp.example:8443+48f0b285+Acee9dc32B//ud/+cnh7IM0Fvetgw2UFUY/17Mw3vK5J",
                "sum.corp.example:8443/db+a0472560+AajTFYfD0c+H9lsrnojlk8K81BLci96Z8gBAN3uwgxSI",
                "sum.golang.org+033DE0AE+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
                "sum.corp.example.com+EedC9B3e+AWia5B4osDg/C+dsrkXomXrcHh6q1lcI/mIoCPQ6xkPg")) {
            assertThat(SpecProblems.of(cache(spec -> spec.setSumdb(taken))))
                    .as(taken)
                    .isEmpty();
        }
    }

    /** The probe's private ["[abc"]: Ready, and a proxy that would stop at start on the glob it cannot read. */
    @Test
    void aModulePatternTheProxyCannotReadIsRefused() {
        Map<String, String> refused = new LinkedHashMap<>();
        refused.put("[abc", "has a '[' that no ']' closes");
        String bracket = "has a ']' in a [...] class where a character belongs (first, or in a range); write it as \\]";
        refused.put("corp.example.com/[]", bracket);
        // path.Match calls these malformed, and the go command skips them: the proxy took them before
        refused.put("[]]x", bracket);
        refused.put("corp.example.com/[^]", bracket);
        refused.put("corp.example.com/[a-]", bracket);
        refused.put(
                "[-a].corp.example.com",
                "has a '-' in a [...] class where a character belongs (first, or in a range); write it as \\-");
        refused.put("corp.example.com\\", "ends with '\\'");
        refused.put("corp.example.com\\/", "ends with '\\'");
        refused.put("[z-a].corp.example.com", "has the range z-a, which runs backwards and matches nothing");
        refused.put(
                "corp.example.com//",
                "ends with \"//\", which matches no module path; write it without the trailing slashes");
        refused.forEach((glob, why) -> {
            assertThat(SpecProblems.of(cache(spec -> spec.setPrivate(List.of("git.corp.example.com", glob)))))
                    .as(glob)
                    .containsExactly(
                            "spec.private[1] \"" + glob + "\" " + why + ", so the proxy would stop at "
                                    + "start; write a path.Match glob such as \"corp.example.com/*\" or \"*.corp.example.com\"");
            assertThat(SpecProblems.of(cache(spec -> spec.setNoSumDB(List.of(glob)))))
                    .as(glob)
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("spec.noSumDB[0] \"" + glob + "\" " + why);
        });
        for (String taken : List.of(
                "corp.example.com/*", "*.corp.example.com", "[a-c]orp.example.com", "[\\]]x", "\\[x\\]", "corp/")) {
            assertThat(SpecProblems.of(cache(spec -> spec.setPrivate(List.of(taken)))))
                    .as(taken)
                    .isEmpty();
        }
    }

    /**
     * The probe's proxy.env with A twice: the API server answered the Deployment's apply with 500 (duplicate entries
     * for key [name="A"]), reported as a transient ApiError retried for ever, naming no field of the cache.
     */
    @Test
    void aVariableSetTwiceInProxyEnvIsRefusedNamingBothEntries() {
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("HTTP_TIMEOUT", "5", null),
                        new EnvVar("A", "x", null),
                        new EnvVar(
                                "A",
                                null,
                                new EnvVarSourceBuilder()
                                        .withNewSecretKeyRef("k", "s", false)
                                        .build()))))
                .containsExactly("spec.proxy.env[2] sets A again, after spec.proxy.env[1]: a container takes each "
                        + "variable once; keep one of them");
        assertThat(SpecProblems.of(withEnv("A", "a", "B"))).isEmpty();
    }

    /**
     * An entry that is null (a "- " in the list, or an object that fails to read) is no variable: the entries after it
     * are still checked, each once. The names were gathered apart from the loop before, and a null entry threw there
     * (NullPointerException) instead of a status naming the problems.
     */
    @Test
    void aNullProxyEnvEntryLeavesTheOthersChecked() {
        assertThat(SpecProblems.of(withEnv(
                        null,
                        new EnvVar("MODPROXY_UPSTREAM", "https://goproxy.cn", null),
                        new EnvVar("MODPROXY_PREFETCH", "maybe", null),
                        new EnvVar("MODPROXY_UPSTREAM", "https://goproxy.io", null))))
                .containsExactly(
                        "spec.proxy.env cannot set MODPROXY_UPSTREAM: set spec.upstream instead",
                        "spec.proxy.env[2] (MODPROXY_PREFETCH): MODPROXY_PREFETCH must be true or false, got 'maybe'",
                        "spec.proxy.env[3] sets MODPROXY_UPSTREAM again, after spec.proxy.env[1]: a container takes "
                                + "each variable once; keep one of them");
    }

    /** The CRD's rules on a proxy.env entry, where the API server did not check them: the entry is named. */
    @Test
    void aProxyEnvEntryNoContainerTakesIsRefusedNamingIt() {
        EnvVarSource secret =
                new EnvVarSourceBuilder().withNewSecretKeyRef("k", "s", false).build();
        Map<EnvVar, String> refused = new LinkedHashMap<>();
        refused.put(new EnvVar("", "x", null), "spec.proxy.env[1]: name \"\": " + ProxyTuning.ENV_NAME_MESSAGE);
        refused.put(new EnvVar(null, "x", null), "spec.proxy.env[1]: name \"\": " + ProxyTuning.ENV_NAME_MESSAGE);
        refused.put(new EnvVar("A=B", "x", null), "spec.proxy.env[1]: name \"A=B\": " + ProxyTuning.ENV_NAME_MESSAGE);
        refused.put(new EnvVar("Ä", "x", null), "spec.proxy.env[1]: name \"Ä\": " + ProxyTuning.ENV_NAME_MESSAGE);
        refused.put(new EnvVar("A", "x", secret), "spec.proxy.env[1]: " + ProxyTuning.ENV_VALUE_OR_SOURCE_MESSAGE);
        refused.put(
                new EnvVar("A", null, new EnvVarSource()), "spec.proxy.env[1]: " + ProxyTuning.ENV_ONE_SOURCE_MESSAGE);
        refused.put(
                new EnvVar(
                        "A",
                        null,
                        new EnvVarSourceBuilder(secret)
                                .withNewConfigMapKeyRef("k", "c", false)
                                .build()),
                "spec.proxy.env[1]: " + ProxyTuning.ENV_ONE_SOURCE_MESSAGE);
        refused.forEach((entry, problem) -> assertThat(
                        SpecProblems.of(withEnv(new EnvVar("QUARKUS_LOG_LEVEL", "DEBUG", null), entry)))
                .as(entry.toString())
                .containsExactly(problem));
        assertThat(SpecProblems.of(withEnv(
                        new EnvVar("1st.setting", "x", null),
                        new EnvVar("S3_TOKEN", "", secret),
                        new EnvVar("TOKEN", null, secret))))
                .isEmpty();
    }

    /**
     * The probe's cache t20 of namespace hx with upstream http://t20.hx.svc: Ready, and a proxy that would ask itself
     * for every module it lacks.
     */
    @Test
    void anUpstreamThatIsTheCachesOwnServiceIsRefused() {
        for (String own : List.of(
                "http://gpc.builds.svc",
                "https://goproxy.cn|http://gpc.builds.svc/,direct",
                "http://gpc",
                "http://GPC.builds:80",
                "http://gpc.builds.svc.cluster.local.",
                // the Service answers http on port 80 alone: another scheme or port reaches nothing that answers
                "HTTP://gpc.builds.svc",
                "https://gpc.builds.svc",
                "gpc.builds.svc",
                "https://proxy.golang.org,gpc.builds.svc.cluster.local",
                "http://gpc.builds.svc:3000")) {
            assertThat(SpecProblems.of(cache("builds", "gpc", spec -> spec.setUpstream(own))))
                    .as(own)
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("spec.upstream entry \"")
                    .contains("is this cache's own Service: the proxy would ask itself for every module it lacks");
        }
        for (String other : List.of(
                "http://gpc.other.svc",
                "https://gpc.other.svc.cluster.local",
                "http://gpc-2.builds.svc",
                "http://athens.builds.svc",
                "http://gpc.builds.example.com")) {
            assertThat(SpecProblems.of(cache("builds", "gpc", spec -> spec.setUpstream(other))))
                    .as(other)
                    .isEmpty();
        }
    }

    /** Where the CRD's rule did not run: an image the kubelet refuses (InvalidImageName) is named before it gets one. */
    @Test
    void anImageTheKubeletCannotPullIsRefused() {
        for (String refused : List.of("GHCR.io/Foo/Bar:1", "modproxy/proxy@sha256:abc", "modproxy/proxy:")) {
            assertThat(SpecProblems.of(cache(spec -> spec.setImage(refused))))
                    .as(refused)
                    .singleElement(InstanceOfAssertFactories.STRING)
                    .startsWith("spec.image \"" + refused + "\" is not an image reference the kubelet can pull");
        }
        assertThat(SpecProblems.of(cache(spec -> spec.setImage("registry.corp.example.com:5000/modproxy/proxy:1.2.3"))))
                .isEmpty();
    }

    /** A digest copied in capitals: the refusal says the hex digits are lowercase, and names each digest taken. */
    @Test
    void anImageDigestInCapitalsIsToldItsDigitsAreLowercase() {
        String upper = "ghcr.io/modproxy/proxy@sha256:" + "0123ABCD".repeat(8);
        assertThat(SpecProblems.of(cache(spec -> spec.setImage(upper))))
                .singleElement(InstanceOfAssertFactories.STRING)
                .contains("@sha256:<64 lowercase hex digits>", "sha384", "sha512");
        assertThat(SpecProblems.of(cache(spec -> spec.setImage(upper.toLowerCase(java.util.Locale.ROOT)))))
                .isEmpty();
    }

    private static dev.modproxy.operator.api.v1alpha1.GoProxyCache withEnv(String... names) {
        return withEnv(java.util.Arrays.stream(names)
                .map(name -> new EnvVar(name, "x", null))
                .toArray(EnvVar[]::new));
    }

    private static dev.modproxy.operator.api.v1alpha1.GoProxyCache withEnv(EnvVar... variables) {
        return cache(spec -> {
            spec.setProxy(new ProxyTuning());
            spec.getProxy().setEnv(java.util.Arrays.asList(variables));
        });
    }
}
