package dev.modproxy.operator.settings;

import static org.assertj.core.api.Assertions.assertThat;

import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ObjectStorage;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

class ProxySettingsTest {

    @Test
    void defaultsRenderTheDocumentedEnvironment() {
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env())
                .containsEntry("MODPROXY_UPSTREAM", "https://proxy.golang.org")
                .containsEntry("MODPROXY_SUMDB", "sum.golang.org")
                .containsEntry("MODPROXY_STORAGE_DIR", "/var/cache/modproxy")
                .containsEntry("QUARKUS_HTTP_PORT", "8080")
                .doesNotContainKeys("MODPROXY_PRIVATE", "MODPROXY_NOSUMDB");
    }

    @Test
    void patternListsJoinWithCommasAsTheGoCommandReadsThem() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setPrivate(List.of("git.corp.example.com/*", "*.internal"));
        assertThat(ProxySettings.of(spec).env()).containsEntry("MODPROXY_PRIVATE", "git.corp.example.com/*,*.internal");
    }

    @Test
    void theEgressProxyReachesThePodsAsTheGoCommandsVariables() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setEgressProxy(new dev.modproxy.operator.api.v1alpha1.EgressProxy());
        spec.getEgressProxy().setHttpsProxy("http://proxy.corp.example.com:3128");
        spec.getEgressProxy().setNoProxy(List.of(".corp.example.com", "10.0.0.0/8"));

        assertThat(ProxySettings.of(spec).env())
                .containsEntry("HTTPS_PROXY", "http://proxy.corp.example.com:3128")
                .containsEntry("NO_PROXY", ".corp.example.com,10.0.0.0/8")
                .doesNotContainKey("HTTP_PROXY");
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env())
                .doesNotContainKeys("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY");
    }

    @Test
    void theProxysOwnSettingsReachItUnderTheNamesItReads() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setProxy(new dev.modproxy.operator.api.v1alpha1.ProxyTuning());
        spec.getProxy().setMutableTtl("10m");
        spec.getProxy().setNegativeTtl("30s");
        spec.getProxy().setConnectTimeout("3s");
        spec.getProxy().setReadTimeout("1m");
        spec.getProxy().setSumdbRequired(true);
        spec.getProxy().setMemoryCacheSize("128Mi");

        assertThat(ProxySettings.of(spec).env())
                .containsEntry("MODPROXY_MUTABLE_TTL", "10m")
                .containsEntry("MODPROXY_NEGATIVE_TTL", "30s")
                .containsEntry("MODPROXY_CONNECT_TIMEOUT", "3s")
                .containsEntry("MODPROXY_READ_TIMEOUT", "1m")
                .containsEntry("MODPROXY_SUMDB_REQUIRED", "true")
                .containsEntry("MODPROXY_MEMORY_CACHE_SIZE", "128Mi");
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env())
                .doesNotContainKeys(
                        "MODPROXY_MUTABLE_TTL",
                        "MODPROXY_READ_TIMEOUT",
                        "MODPROXY_SUMDB_REQUIRED",
                        "MODPROXY_MEMORY_CACHE_SIZE");
    }

    @Test
    void hashIsStableAndFollowsEverySetting() {
        GoProxyCacheSpec a = new GoProxyCacheSpec();
        GoProxyCacheSpec b = new GoProxyCacheSpec();
        assertThat(ProxySettings.of(a).hash())
                .isEqualTo(ProxySettings.of(b).hash())
                .hasSize(16);
        b.setSumdb("off");
        assertThat(ProxySettings.of(a).hash()).isNotEqualTo(ProxySettings.of(b).hash());
        // the value running pods carry in modproxy.dev/config-hash: another one would roll every cache's pods
        assertThat(ProxySettings.of(a).hash()).isEqualTo("f6d434ef3f24ca8d");
    }

    @Test
    void objectStorageSwitchesTheProxyToS3WithTheBucketCoordinatesButNoCredentials() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        ObjectStorage bucket = new ObjectStorage();
        bucket.setEndpoint("http://minio.storage.svc:9000");
        bucket.setBucket("go-modules");
        bucket.setRegion("eu-west-1");
        bucket.setPrefix("ci/");
        bucket.setCredentialsSecret("minio-keys");
        spec.setObjectStorage(bucket);

        assertThat(ProxySettings.of(spec).env())
                .containsEntry("MODPROXY_STORAGE_TYPE", "s3")
                .containsEntry("MODPROXY_S3_ENDPOINT", "http://minio.storage.svc:9000")
                .containsEntry("MODPROXY_S3_BUCKET", "go-modules")
                .containsEntry("MODPROXY_S3_REGION", "eu-west-1")
                .containsEntry("MODPROXY_S3_PREFIX", "ci/")
                .containsEntry("MODPROXY_S3_PATH_STYLE", "true")
                .doesNotContainKeys("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
                .allSatisfy((key, value) -> assertThat(value).doesNotContain("minio-keys"));
    }

    @Test
    void virtualHostStyleAndAwsDefaultsLeaveOutWhatIsNotSet() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        ObjectStorage bucket = new ObjectStorage();
        bucket.setBucket("go-modules");
        bucket.setPathStyle(false);
        spec.setObjectStorage(bucket);

        assertThat(ProxySettings.of(spec).env())
                .containsEntry("MODPROXY_S3_PATH_STYLE", "false")
                .doesNotContainKeys("MODPROXY_S3_ENDPOINT", "MODPROXY_S3_REGION", "MODPROXY_S3_PREFIX");
    }

    @Test
    void withoutObjectStorageTheProxyKeepsItsDiskDefault() {
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env())
                .doesNotContainKeys("MODPROXY_STORAGE_TYPE", "MODPROXY_S3_BUCKET");
    }

    @Test
    void watermarksAreRenderedAsPercentages() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.getStorage().setHighWatermark(85);
        spec.getStorage().setLowWatermark(60);
        assertThat(ProxySettings.of(spec).env())
                .containsEntry("MODPROXY_EVICTION_HIGH_WATERMARK", "85%")
                .containsEntry("MODPROXY_EVICTION_LOW_WATERMARK", "60%");
    }

    @Test
    void jvmOptionsComeAfterTheImagesOwnSoTheyOverrideOnlyWhatTheyName() {
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setProxy(new ProxyTuning());
        spec.getProxy().setJvmOptions(" -XX:MaxRAMPercentage=70 -Xss512k ");

        assertThat(ProxySettings.of(spec).env())
                .containsEntry(
                        "JAVA_TOOL_OPTIONS",
                        "-XX:+UseG1GC -XX:MaxRAMPercentage=12.5 -XX:TrimNativeHeapInterval=1000"
                                + " -Djdk.nio.maxCachedBufferSize=262144 -Djava.io.tmpdir=/tmp"
                                + " -XX:MaxRAMPercentage=70 -Xss512k");
        // without options the pod does not set the variable, so the image's own stays in force
        assertThat(ProxySettings.of(new GoProxyCacheSpec()).env()).doesNotContainKey("JAVA_TOOL_OPTIONS");
        assertThat(ProxySettings.of(spec).hash())
                .isNotEqualTo(ProxySettings.of(new GoProxyCacheSpec()).hash());
    }

    /** The operator restates the images' options; both images must say the same, and only in JAVA_TOOL_OPTIONS. */
    @Test
    void bothImagesSetTheirJvmOptionsWhereJvmOptionsCanOverrideThem() throws IOException {
        String dockerfile = Files.readString(Path.of("..", "proxy", "Dockerfile"));
        assertThat(dockerfile).contains("JAVA_TOOL_OPTIONS=\"" + ProxySettings.IMAGE_JVM_OPTIONS + "\"");

        String pom = Files.readString(Path.of("..", "pom.xml"));
        // Jib's environment takes each image's options from its image-name-* profile
        assertThat(pom).contains("<JAVA_TOOL_OPTIONS>${modproxy.image.java-options}</JAVA_TOOL_OPTIONS>");
        assertThat(imageJavaOptions(pom, "proxy")).isEqualTo(ProxySettings.IMAGE_JVM_OPTIONS);
        // the operator's image: the same options whichever way it is built, the collector the webhook's tail needs
        String operatorOptions = imageJavaOptions(pom, "operator");
        assertThat(operatorOptions).contains("-XX:+UseZGC");
        assertThat(Files.readString(Path.of("Dockerfile"))).contains("JAVA_TOOL_OPTIONS=\"" + operatorOptions + "\"");
        Matcher entrypoint = java.util.regex.Pattern.compile("<entrypoint>([^<]*)</entrypoint>")
                .matcher(pom);
        assertThat(entrypoint.find()).isTrue();
        // an option on the command line would beat the same option in JAVA_TOOL_OPTIONS
        assertThat(entrypoint.group(1)).isEqualTo("java,-jar,/deployments/quarkus-run.jar");
    }

    /**
     * A cold build leaves about 20 MiB of the C allocator's freed blocks resident unless the JVM trims them
     * (docs/benchmarks.md, "Memory in a cold build and in a churned memory cache"): every proxy pod runs with the trim
     * on and two malloc arenas, and the JDK that runs the tests knows the option (an unknown -XX option would stop the
     * JVM at start).
     */
    @Test
    void proxyPodsGiveFreedNativeMemoryBackToTheKernel() throws IOException, InterruptedException {
        assertThat(ProxySettings.IMAGE_JVM_OPTIONS.split(" ")).contains("-XX:TrimNativeHeapInterval=1000");
        // a user's spec.proxy.jvmOptions keep it: they are appended to the image's
        GoProxyCacheSpec spec = new GoProxyCacheSpec();
        spec.setProxy(new ProxyTuning());
        spec.getProxy().setJvmOptions("-Xss512k");
        assertThat(ProxySettings.of(spec).env().get("JAVA_TOOL_OPTIONS")).contains("-XX:TrimNativeHeapInterval=1000");

        assertThat(Files.readString(Path.of("..", "proxy", "Dockerfile"))).contains("MALLOC_ARENA_MAX=2");
        assertThat(Files.readString(Path.of("..", "pom.xml"))).contains("<MALLOC_ARENA_MAX>2</MALLOC_ARENA_MAX>");

        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(List.of(ProxySettings.IMAGE_JVM_OPTIONS.split(" ")));
        command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
        Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
        String flags = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jvm.waitFor()).as(flags).isZero();
        assertThat(flags).containsPattern("TrimNativeHeapInterval\\s+= 1000\\s");
    }

    /** modproxy.image.java-options of the image-name-* profile that names this image (comments may come between). */
    private static String imageJavaOptions(String pom, String image) {
        Matcher profile = java.util.regex.Pattern.compile("<modproxy.image.name>" + image
                        + "</modproxy.image.name>(?:\\s|<!--(?:[^-]|-(?!->))*-->)*"
                        + "<modproxy.image.java-options>([^<]*)</modproxy.image.java-options>")
                .matcher(pom);
        assertThat(profile.find())
                .as("image-name profile of " + image + " in pom.xml")
                .isTrue();
        return profile.group(1);
    }
}
