package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.json.JsonString;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reviews no API server sends on a good day: each gets a clear answer, never an exception. */
class HostileReviewsTest {

    static final String LONG_NAMESPACE = "n".repeat(63);

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(
                    new CacheRef("ci", "gomod"),
                    "http://gomod.ci.svc:8080",
                    "https://goproxy.cn,direct",
                    List.of(),
                    List.of(),
                    true,
                    false))
            .namespace(LONG_NAMESPACE, Map.of("modproxy.dev/inject", "enabled"), Map.of())
            .namespace("team-a", Map.of("modproxy.dev/inject", "enabled"), Map.of());
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")),
            new InjectionMetrics(new SimpleMeterRegistry()));

    AdmissionReviewHandler.Reply reply(String body) {
        return handler.handle(body.getBytes(StandardCharsets.UTF_8));
    }

    String text(AdmissionReviewHandler.Reply reply) {
        return new String(reply.body(), StandardCharsets.UTF_8);
    }

    static String review(String namespace, String metadata, String spec) {
        return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-1\","
                + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\"" + namespace + "\","
                + "\"operation\":\"CREATE\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":" + metadata
                + ",\"spec\":" + spec + "}}}";
    }

    static final String ONE_CONTAINER = "{\"containers\":[{\"name\":\"go\",\"image\":\"golang:1.26\"}]}";

    List<String> warnings(AdmissionReviewHandler.Reply reply) {
        assertThat(reply.status()).as(() -> text(reply)).isEqualTo(200);
        return response(reply.body()).getJsonArray("warnings").getValuesAs(JsonString.class).stream()
                .map(JsonString::getString)
                .toList();
    }

    @Test
    void bodiesThatAreNotOneAdmissionReviewV1AreBadRequestsSayingWhy() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);
        Map<String, String> answers = new java.util.LinkedHashMap<>();
        answers.put("", "malformed AdmissionReview: empty body");
        answers.put("  \n", "malformed AdmissionReview: empty body");
        answers.put("[]", "malformed AdmissionReview: body is not a JSON object");
        answers.put("null", "malformed AdmissionReview: body is not a JSON object");
        answers.put(
                good.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1"),
                "unsupported AdmissionReview apiVersion \"admission.k8s.io/v1beta1\": this webhook speaks admission.k8s.io/v1 only");
        answers.put(
                good.replace("\"kind\":\"AdmissionReview\"", "\"kind\":\"TokenReview\""),
                "expected kind AdmissionReview, apiVersion admission.k8s.io/v1");

        answers.forEach((body, message) -> {
            AdmissionReviewHandler.Reply reply = reply(body);
            assertThat(reply.status()).as(body).isEqualTo(400);
            assertThat(reply.contentType()).isEqualTo("text/plain; charset=utf-8");
            assertThat(text(reply)).as(body).isEqualTo(message + "\n");
        });
    }

    @Test
    void aReviewFollowedByMoreTextIsNotAcceptedAsJson() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);

        AdmissionReviewHandler.Reply reply = reply(good + "}{\"apiVersion\":1}");

        assertThat(reply.status()).isEqualTo(400);
        assertThat(text(reply).startsWith("malformed AdmissionReview: body is not JSON ("))
                .as(text(reply))
                .isTrue();
    }

    @Test
    void aMalformedReviewsAnswerSaysWhereWithoutRepeatingAPodsEnvValue() {
        String env = "{\"containers\":[{\"name\":\"go\",\"image\":\"golang:1.26\","
                + "\"env\":[{\"name\":\"NPM_TOKEN\",\"value\":npm_s3cretT0ken}]}]}";

        AdmissionReviewHandler.Reply reply = reply(review("ci", "{}", env));

        assertThat(reply.status()).isEqualTo(400);
        assertThat(text(reply))
                .doesNotContain("s3cret")
                .startsWith("malformed AdmissionReview: body is not JSON (Unrecognized token: was expecting")
                .contains(" at line 1, column ");
    }

    @Test
    void bytesThatAreNotUtf8AreABadRequest() {
        byte[] body = review("ci", "{\"labels\":{\"x\":\"é\"}}", ONE_CONTAINER).getBytes(StandardCharsets.ISO_8859_1);

        AdmissionReviewHandler.Reply reply = handler.handle(body);

        assertThat(reply.status()).isEqualTo(400);
        assertThat(text(reply).startsWith("malformed AdmissionReview: body is not JSON (Invalid UTF-8"))
                .as(text(reply))
                .isTrue();
    }

    @Test
    void utf16AndUtf32BodiesAreRefusedThoughTheParserCouldReadThem() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);
        for (String charset : List.of("UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32")) {
            AdmissionReviewHandler.Reply reply =
                    handler.handle(good.getBytes(java.nio.charset.Charset.forName(charset)));

            assertThat(reply.status()).as(charset).isEqualTo(400);
            assertThat(text(reply)).as(charset).isEqualTo("malformed AdmissionReview: body is not UTF-8\n");
        }
        assertThat(handler.handle(("\uFEFF" + good).getBytes(StandardCharsets.UTF_8))
                        .status())
                .as("a UTF-8 byte order mark may be ignored (RFC 8259)")
                .isEqualTo(200);
    }

    static String reviewWithObject(String object) {
        return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-3\","
                + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\"ci\","
                + "\"operation\":\"CREATE\",\"object\":" + object + "}}";
    }

    String statusMessage(AdmissionReviewHandler.Reply reply) {
        assertThat(reply.status()).as(() -> text(reply)).isEqualTo(200);
        assertThat(response(reply.body()).getBoolean("allowed")).isTrue();
        assertThat(response(reply.body()).containsKey("patch")).isFalse();
        assertThat(response(reply.body()).containsKey("status")).as(text(reply)).isTrue();
        return response(reply.body()).getJsonObject("status").getString("message");
    }

    @Test
    void podObjectWithoutItsOwnApiVersionAndKindIsStillReadAsThePodTheRequestNames() {
        byte[] review = reviewWithObject(
                        "{\"metadata\":{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":" + ONE_CONTAINER + "}")
                .getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertThat(AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go")
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|https://goproxy.cn,direct");
    }

    @Test
    void objectThatIsNotAPodOrAbsentIsAdmittedWithAMessageSayingSo() {
        assertThat(
                        statusMessage(
                                reply(
                                        reviewWithObject(
                                                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":{\"modproxy.dev/inject\":\"true\"}}}"))))
                .isEqualTo("modproxy: request.object is a ConfigMap, not a Pod");
        assertThat(statusMessage(reply(reviewWithObject("null")))).isEqualTo("modproxy: request.object is missing");
        assertThat(statusMessage(reply(reviewWithObject("\"pod\""))))
                .isEqualTo("modproxy: request.object is not a Pod object");
    }

    @Test
    void kindIsTakenFromRequestKindWhenTheReviewCarriesOnlyThat() {
        byte[] review = reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
                        + "{\"modproxy.dev/inject\":\"true\"}},\"spec\":" + ONE_CONTAINER + "}")
                .replace("\"kind\":{\"group\"", "\"requestKind\":{\"group\"")
                .getBytes(StandardCharsets.UTF_8);
        byte[] deployment = reviewWithObject("{}")
                .replace("\"kind\":\"Pod\"}", "\"kind\":\"Deployment\"}")
                .replace("\"group\":\"\"", "\"group\":\"apps\"")
                .getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);
        AdmissionReviewHandler.Reply other = handler.handle(deployment);

        assertThat(AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go")
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|https://goproxy.cn,direct");
        assertThat(other.status()).isEqualTo(200);
        assertThat(patch(other.body()).isEmpty()).isTrue();
        assertThat(response(other.body()).getBoolean("allowed")).isTrue();
    }

    @Test
    void aReviewOfAnotherKindIsAdmittedWithTheReasonInItsStatusWhateverItsOperation() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdmissionReviewHandler counted = new AdmissionReviewHandler(
                new PodMutator(directory, Set.of("kube-system", "modproxy")), new InjectionMetrics(registry));
        String deployment = reviewWithObject("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
                        + "{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":{}}")
                .replace("\"kind\":\"Pod\"}", "\"kind\":\"Deployment\"}")
                .replace("\"group\":\"\"", "\"group\":\"apps\"");

        for (String review : List.of(deployment, deployment.replace("\"CREATE\"", "\"UPDATE\""))) {
            AdmissionReviewHandler.Reply reply = counted.handle(review.getBytes(StandardCharsets.UTF_8));

            assertThat(statusMessage(reply)).isEqualTo("modproxy: request.kind is apps/Deployment, not a Pod");
            assertThat(response(reply.body()).containsKey("warnings")).isFalse();
        }
        assertThat(statusMessage(reply(reviewWithObject("{}")
                        .replace("\"kind\":{\"group\":\"\",\"version\":\"v1\"," + "\"kind\":\"Pod\"},", ""))))
                .isEqualTo("modproxy: request.kind is missing");
        assertThat(registry.get("modproxy.webhook.injections")
                        .tag("outcome", "skipped")
                        .counter()
                        .count())
                .as("left alone like a pod that did not opt in, not counted as an error")
                .isEqualTo(2.0);
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedByItsPath() {
        String message = statusMessage(reply(reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                + "{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"containers\":[{\"name\":\"go\","
                + "\"env\":{\"GOPROXY\":\"off\"}}]}}")));

        assertThat(message)
                .isEqualTo(
                        "modproxy: cannot read request.object.spec.containers[0].env: wrong JSON type for that field");
    }

    @Test
    void aWrongTypeDeepInAContainerIsNamedByItsFullPath() {
        String message = statusMessage(
                reply(
                        reviewWithObject(
                                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                                        + "{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"initContainers\":[{\"name\":\"a\"}],"
                                        + "\"containers\":[{\"name\":\"go\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":[\"2\"]}]}]}}")));

        assertThat(message)
                .isEqualTo(
                        "modproxy: cannot read request.object.spec.containers[0].env[1].value: wrong JSON type for that field");
    }

    @Test
    void fieldsAreReadInWhateverOrderTheyComeAndUnknownOnesAreSkipped() {
        String body = "{\"request\":{\"object\":{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":2}},"
                + "\"name\":\"go\",\"image\":\"golang:1.26\"}],\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]},"
                + "\"status\":{\"phase\":\"Pending\"},\"metadata\":{\"managedFields\":[{\"fieldsV1\":{\"f:spec\":{}}}],"
                + "\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"kind\":\"Pod\",\"apiVersion\":\"v1\"},"
                + "\"userInfo\":{\"username\":\"system:serviceaccount:ci:runner\",\"groups\":[\"a\",\"b\"]},"
                + "\"operation\":\"CREATE\",\"namespace\":\"ci\",\"kind\":{\"version\":\"v1\",\"kind\":\"Pod\",\"group\":\"\"},"
                + "\"dryRun\":false,\"uid\":\"u-9\"},\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"}";
        byte[] review = body.getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertThat(response(reply.body()).getString("uid")).isEqualTo("u-9");
        assertThat(AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go")
                        .get("GOPROXY"))
                .isEqualTo("http://gomod.ci.svc:8080|https://goproxy.cn,direct");
    }

    @Test
    void nullContainersAndEnvEntriesAreSteppedOverNotAnError() {
        byte[] review = reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
                        + "{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"containers\":[null,{\"name\":\"go\","
                        + "\"env\":[null,{\"name\":\"CGO_ENABLED\",\"value\":\"0\"}]}]}}")
                .getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertThat(reply.status()).isEqualTo(200);
        assertThat(response(reply.body()).containsKey("status")).as(text(reply)).isFalse();
        jakarta.json.JsonArray env = AdmissionFixtures.admittedPod(review, reply.body())
                .getJsonObject("spec")
                .getJsonArray("containers")
                .getJsonObject(1)
                .getJsonArray("env");
        assertThat(env.getJsonObject(2).getString("name")).isEqualTo("GOPROXY");
    }

    @Test
    void warningsNamingLongOrHostileValuesStayShortAndFreeOfControlCharacters() {
        String annotation = "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{\"modproxy.dev/cache\":\""
                + "team\\u000a\\u001b[31m/" + "é".repeat(300) + "\"}}";
        List<String> hostile = warnings(reply(review("ci", annotation, ONE_CONTAINER)));
        List<String> longNames = warnings(reply(review(
                LONG_NAMESPACE, "{\"labels\":{\"modproxy.dev/inject\":\"" + "c".repeat(63) + "\"}}", ONE_CONTAINER)));

        for (String warning : List.of(hostile.get(0), longNames.get(0))) {
            assertThat(warning.codePointCount(0, warning.length()) <= 256)
                    .as(warning)
                    .isTrue();
            assertThat(warning.codePoints().noneMatch(Character::isISOControl))
                    .as(warning)
                    .isTrue();
            assertThat(warning.startsWith("modproxy: ")).as(warning).isTrue();
        }
        assertThat(hostile.get(0)).endsWith("\u2026");
        assertThat(longNames.get(0))
                .as("the longest names Kubernetes allows still fit whole")
                .isEqualTo("modproxy: GoProxyCache " + LONG_NAMESPACE + "/" + "c".repeat(63)
                        + " (from pod label modproxy.dev/inject) does not exist; pod left unchanged");
    }

    /**
     * Any pod can post to the webhook's Service. What such a client writes in a review's uid or field names reaches the
     * operator's log when the review is admitted unchanged: a line break there started a line of its own (a forged
     * ERROR), an escape sequence coloured the console, and a long uid made a log line as long.
     */
    @Test
    void aClientsUidAndFieldNamesReachTheLogOnOneLineEscapedAndCut() {
        int shown = 200; // AdmissionReviewHandler.LOGGED_LENGTH
        String uid = "u-1\\n2026-12-05 16:00:00,000 ERROR [io.fabric8] forged uid\\u001b[31m" + "x".repeat(100_000);
        String body = review(
                        "ci",
                        "{\"labels\":{\"modproxy.dev/inject\":\"true\",\"k\\r\\nERROR forged key\":{}}}",
                        ONE_CONTAINER)
                .replace("\"uid\":\"u-1\"", "\"uid\":\"" + uid + "\"");
        List<String> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(
                        record instanceof org.jboss.logmanager.ExtLogRecord ext
                                ? ext.getFormattedMessage()
                                : record.getMessage());
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(AdmissionReviewHandler.class.getName());
        log.addHandler(capture);
        AdmissionReviewHandler.Reply reply;
        try {
            reply = reply(body);
        } finally {
            log.removeHandler(capture);
        }

        assertThat(statusMessage(reply)).startsWith("modproxy: cannot read request.object.metadata.labels.k\r\nERROR");
        assertThat(response(reply.body()).getString("uid"))
                .as("the answer carries the uid as sent")
                .startsWith("u-1\n2026")
                .hasSize(uid.length() - 6); // the JSON escapes \\n and \\u001b are one character each
        assertThat(logged).singleElement().satisfies(line -> {
            assertThat(line).doesNotContain("\n", "\r", "\u001b");
            assertThat(line)
                    .startsWith("review u-1\\n2026-12-05 16:00:00,000 ERROR [io.fabric8] forged uid\\u001b[31mxxx")
                    .contains("\u2026 (" + (uid.length() - 6 - shown) + " more characters) admitted unchanged: ")
                    .endsWith("labels.k\\r\\nERROR forged key: wrong JSON type for that field");
            assertThat(line.length()).isLessThan(2 * shown + 200);
        });
    }

    @Test
    void aNamespaceWithoutCachesIsExplainedInOneWholeWarning() {
        List<String> warnings = warnings(reply(review("team-a", "{}", ONE_CONTAINER)));

        assertThat(warnings)
                .isEqualTo(
                        List.of(
                                "modproxy: no GoProxyCache in namespace team-a; name one with annotation modproxy.dev/cache; pod left unchanged"));
        assertThat(warnings.get(0).length() <= 120).isTrue();
    }

    @Test
    void podWithoutMetadataInAnEnabledNamespaceGetsTheMetadataAdded() {
        directory.add(new CacheTarget(
                new CacheRef(LONG_NAMESPACE, "gomod"),
                "http://gomod:8080",
                "https://proxy.golang.org",
                List.of(),
                List.of(),
                true,
                false));
        String body =
                "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-2\","
                        + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\""
                        + LONG_NAMESPACE + "\","
                        + "\"operation\":\"CREATE\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":"
                        + ONE_CONTAINER + "}}}";
        byte[] review = body.getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        jakarta.json.JsonObject pod = AdmissionFixtures.admittedPod(review, reply.body());
        assertThat(AdmissionFixtures.env(pod, "containers", "go").get("GOPROXY"))
                .isEqualTo("http://gomod:8080|https://proxy.golang.org");
        assertThat(pod.getJsonObject("metadata").getJsonObject("annotations").containsKey("modproxy.dev/injected"))
                .isTrue();
        assertThat(patch(reply.body()).isEmpty()).isFalse();
    }
}
