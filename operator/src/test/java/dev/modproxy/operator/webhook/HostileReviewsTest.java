package dev.modproxy.operator.webhook;

import static dev.modproxy.operator.webhook.AdmissionFixtures.patch;
import static dev.modproxy.operator.webhook.AdmissionFixtures.response;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jakarta.json.JsonString;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** Reviews no API server sends on a good day: each gets a clear answer, never an exception. */
class HostileReviewsTest {

    static final String LONG_NAMESPACE = "n".repeat(63);

    final InMemoryCacheDirectory directory = new InMemoryCacheDirectory()
            .add(new CacheTarget(new CacheRef("ci", "gomod"), "http://gomod.ci.svc:8080", "https://goproxy.cn,direct",
                    List.of(), List.of(), true, false))
            .namespace(LONG_NAMESPACE, Map.of("modproxy.dev/inject", "enabled"), Map.of())
            .namespace("team-a", Map.of("modproxy.dev/inject", "enabled"), Map.of());
    final AdmissionReviewHandler handler = new AdmissionReviewHandler(
            new PodMutator(directory, Set.of("kube-system", "modproxy")), new InjectionMetrics(new SimpleMeterRegistry()));

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

    static final String ONE_CONTAINER = "{\"containers\":[{\"name\":\"go\",\"image\":\"golang:1.22\"}]}";

    List<String> warnings(AdmissionReviewHandler.Reply reply) {
        assertEquals(200, reply.status(), () -> text(reply));
        return response(reply.body()).getJsonArray("warnings").getValuesAs(JsonString.class).stream()
                .map(JsonString::getString).toList();
    }

    @Test
    void bodiesThatAreNotOneAdmissionReviewV1AreBadRequestsSayingWhy() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);
        Map<String, String> answers = new java.util.LinkedHashMap<>();
        answers.put("", "malformed AdmissionReview: empty body");
        answers.put("  \n", "malformed AdmissionReview: empty body");
        answers.put("[]", "malformed AdmissionReview: body is not a JSON object");
        answers.put("null", "malformed AdmissionReview: body is not a JSON object");
        answers.put(good.replace("admission.k8s.io/v1", "admission.k8s.io/v1beta1"),
                "unsupported AdmissionReview apiVersion \"admission.k8s.io/v1beta1\": this webhook speaks admission.k8s.io/v1 only");
        answers.put(good.replace("\"kind\":\"AdmissionReview\"", "\"kind\":\"TokenReview\""),
                "expected kind AdmissionReview, apiVersion admission.k8s.io/v1");

        answers.forEach((body, message) -> {
            AdmissionReviewHandler.Reply reply = reply(body);
            assertEquals(400, reply.status(), body);
            assertEquals("text/plain; charset=utf-8", reply.contentType());
            assertEquals(message + "\n", text(reply), body);
        });
    }

    @Test
    void aReviewFollowedByMoreTextIsNotAcceptedAsJson() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);

        AdmissionReviewHandler.Reply reply = reply(good + "}{\"apiVersion\":1}");

        assertEquals(400, reply.status());
        assertTrue(text(reply).startsWith("malformed AdmissionReview: body is not JSON ("), text(reply));
    }

    @Test
    void bytesThatAreNotUtf8AreABadRequest() {
        byte[] body = review("ci", "{\"labels\":{\"x\":\"é\"}}", ONE_CONTAINER).getBytes(StandardCharsets.ISO_8859_1);

        AdmissionReviewHandler.Reply reply = handler.handle(body);

        assertEquals(400, reply.status());
        assertTrue(text(reply).startsWith("malformed AdmissionReview: body is not JSON (Invalid UTF-8"), text(reply));
    }

    @Test
    void utf16AndUtf32BodiesAreRefusedThoughTheParserCouldReadThem() {
        String good = review("ci", "{\"labels\":{\"modproxy.dev/inject\":\"true\"}}", ONE_CONTAINER);
        for (String charset : List.of("UTF-16", "UTF-16LE", "UTF-16BE", "UTF-32")) {
            AdmissionReviewHandler.Reply reply = handler.handle(good.getBytes(java.nio.charset.Charset.forName(charset)));

            assertEquals(400, reply.status(), charset);
            assertEquals("malformed AdmissionReview: body is not UTF-8\n", text(reply), charset);
        }
        assertEquals(200, handler.handle(("\uFEFF" + good).getBytes(StandardCharsets.UTF_8)).status(),
                "a UTF-8 byte order mark may be ignored (RFC 8259)");
    }

    static String reviewWithObject(String object) {
        return "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-3\","
                + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\"ci\","
                + "\"operation\":\"CREATE\",\"object\":" + object + "}}";
    }

    String statusMessage(AdmissionReviewHandler.Reply reply) {
        assertEquals(200, reply.status(), () -> text(reply));
        assertTrue(response(reply.body()).getBoolean("allowed"));
        assertFalse(response(reply.body()).containsKey("patch"));
        return response(reply.body()).getJsonObject("status").getString("message");
    }

    @Test
    void podObjectWithoutItsOwnApiVersionAndKindIsStillReadAsThePodTheRequestNames() {
        byte[] review = reviewWithObject("{\"metadata\":{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":"
                + ONE_CONTAINER + "}").getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertEquals("http://gomod.ci.svc:8080|https://goproxy.cn,direct",
                AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go").get("GOPROXY"));
    }

    @Test
    void objectThatIsNotAPodOrAbsentIsAdmittedWithAMessageSayingSo() {
        assertEquals("modproxy: request.object is a ConfigMap, not a Pod", statusMessage(reply(reviewWithObject(
                "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"labels\":{\"modproxy.dev/inject\":\"true\"}}}"))));
        assertEquals("modproxy: request.object is missing", statusMessage(reply(reviewWithObject("null"))));
        assertEquals("modproxy: request.object is not a Pod object", statusMessage(reply(reviewWithObject("\"pod\""))));
    }

    @Test
    void kindIsTakenFromRequestKindWhenTheReviewCarriesOnlyThat() {
        byte[] review = reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
                + "{\"modproxy.dev/inject\":\"true\"}},\"spec\":" + ONE_CONTAINER + "}")
                .replace("\"kind\":{\"group\"", "\"requestKind\":{\"group\"").getBytes(StandardCharsets.UTF_8);
        byte[] deployment = reviewWithObject("{}").replace("\"kind\":\"Pod\"}", "\"kind\":\"Deployment\"}")
                .replace("\"group\":\"\"", "\"group\":\"apps\"").getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);
        AdmissionReviewHandler.Reply other = handler.handle(deployment);

        assertEquals("http://gomod.ci.svc:8080|https://goproxy.cn,direct",
                AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go").get("GOPROXY"));
        assertEquals(200, other.status());
        assertTrue(patch(other.body()).isEmpty());
        assertTrue(response(other.body()).getBoolean("allowed"));
    }

    @Test
    void aFieldOfTheWrongTypeIsNamedByItsPath() {
        String message = statusMessage(reply(reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                + "{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"containers\":[{\"name\":\"go\","
                + "\"env\":{\"GOPROXY\":\"off\"}}]}}")));

        assertEquals("modproxy: cannot read request.object.spec.containers[0].env: wrong JSON type for that field",
                message);
    }

    @Test
    void aWrongTypeDeepInAContainerIsNamedByItsFullPath() {
        String message = statusMessage(reply(reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
                + "{\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"initContainers\":[{\"name\":\"a\"}],"
                + "\"containers\":[{\"name\":\"go\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":[\"2\"]}]}]}}")));

        assertEquals("modproxy: cannot read request.object.spec.containers[0].env[1].value: wrong JSON type for that field",
                message);
    }

    @Test
    void fieldsAreReadInWhateverOrderTheyComeAndUnknownOnesAreSkipped() {
        String body = "{\"request\":{\"object\":{\"spec\":{\"containers\":[{\"resources\":{\"limits\":{\"cpu\":2}},"
                + "\"name\":\"go\",\"image\":\"golang:1.22\"}],\"volumes\":[{\"name\":\"v\",\"emptyDir\":{}}]},"
                + "\"status\":{\"phase\":\"Pending\"},\"metadata\":{\"managedFields\":[{\"fieldsV1\":{\"f:spec\":{}}}],"
                + "\"labels\":{\"modproxy.dev/inject\":\"true\"}},\"kind\":\"Pod\",\"apiVersion\":\"v1\"},"
                + "\"userInfo\":{\"username\":\"system:serviceaccount:ci:runner\",\"groups\":[\"a\",\"b\"]},"
                + "\"operation\":\"CREATE\",\"namespace\":\"ci\",\"kind\":{\"version\":\"v1\",\"kind\":\"Pod\",\"group\":\"\"},"
                + "\"dryRun\":false,\"uid\":\"u-9\"},\"kind\":\"AdmissionReview\",\"apiVersion\":\"admission.k8s.io/v1\"}";
        byte[] review = body.getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertEquals("u-9", response(reply.body()).getString("uid"));
        assertEquals("http://gomod.ci.svc:8080|https://goproxy.cn,direct",
                AdmissionFixtures.env(AdmissionFixtures.admittedPod(review, reply.body()), "containers", "go").get("GOPROXY"));
    }

    @Test
    void nullContainersAndEnvEntriesAreSteppedOverNotAnError() {
        byte[] review = reviewWithObject("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":"
                + "{\"modproxy.dev/inject\":\"true\"}},\"spec\":{\"containers\":[null,{\"name\":\"go\","
                + "\"env\":[null,{\"name\":\"CGO_ENABLED\",\"value\":\"0\"}]}]}}").getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        assertEquals(200, reply.status());
        assertFalse(response(reply.body()).containsKey("status"), text(reply));
        jakarta.json.JsonArray env = AdmissionFixtures.admittedPod(review, reply.body()).getJsonObject("spec")
                .getJsonArray("containers").getJsonObject(1).getJsonArray("env");
        assertEquals("GOPROXY", env.getJsonObject(2).getString("name"));
    }

    @Test
    void warningsNamingLongOrHostileValuesStayShortAndFreeOfControlCharacters() {
        String annotation = "{\"labels\":{\"modproxy.dev/inject\":\"true\"},\"annotations\":{\"modproxy.dev/cache\":\""
                + "team\\u000a\\u001b[31m/" + "é".repeat(300) + "\"}}";
        List<String> hostile = warnings(reply(review("ci", annotation, ONE_CONTAINER)));
        List<String> longNames = warnings(reply(review(LONG_NAMESPACE,
                "{\"labels\":{\"modproxy.dev/inject\":\"" + "c".repeat(63) + "\"}}", ONE_CONTAINER)));

        for (String warning : List.of(hostile.get(0), longNames.get(0))) {
            assertTrue(warning.codePointCount(0, warning.length()) <= 120, warning);
            assertTrue(warning.codePoints().noneMatch(Character::isISOControl), warning);
            assertTrue(warning.startsWith("modproxy: "), warning);
        }
        assertTrue(longNames.get(0).startsWith("modproxy: GoProxyCache " + LONG_NAMESPACE + "/ccc"), longNames.get(0));
    }

    @Test
    void aNamespaceWithoutCachesIsExplainedInOneWholeWarning() {
        List<String> warnings = warnings(reply(review("team-a", "{}", ONE_CONTAINER)));

        assertEquals(List.of("modproxy: no GoProxyCache in namespace team-a; name one with annotation modproxy.dev/cache; pod left unchanged"), warnings);
        assertTrue(warnings.get(0).length() <= 120);
    }

    @Test
    void podWithoutMetadataInAnEnabledNamespaceGetsTheMetadataAdded() {
        directory.add(new CacheTarget(new CacheRef(LONG_NAMESPACE, "gomod"), "http://gomod:8080", "https://proxy.golang.org",
                List.of(), List.of(), true, false));
        String body = "{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\",\"request\":{\"uid\":\"u-2\","
                + "\"kind\":{\"group\":\"\",\"version\":\"v1\",\"kind\":\"Pod\"},\"namespace\":\"" + LONG_NAMESPACE + "\","
                + "\"operation\":\"CREATE\",\"object\":{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":" + ONE_CONTAINER + "}}}";
        byte[] review = body.getBytes(StandardCharsets.UTF_8);

        AdmissionReviewHandler.Reply reply = handler.handle(review);

        jakarta.json.JsonObject pod = AdmissionFixtures.admittedPod(review, reply.body());
        assertEquals("http://gomod:8080|https://proxy.golang.org",
                AdmissionFixtures.env(pod, "containers", "go").get("GOPROXY"));
        assertTrue(pod.getJsonObject("metadata").getJsonObject("annotations").containsKey("modproxy.dev/injected"));
        assertFalse(patch(reply.body()).isEmpty());
    }
}
