package dev.modproxy.operator.webhook;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponse;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionResponseBuilder;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReview;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionReviewBuilder;

/**
 * HTTP body in, HTTP answer out, for {@code POST /mutate-pods}. Never throws and never denies:
 * a review it cannot read gets a 400 with the reason; one with a uid gets "allowed" and the reason
 * as status message, so the pod is admitted unchanged.
 */
public final class AdmissionReviewHandler {

    private static final Logger LOG = Logger.getLogger(AdmissionReviewHandler.class);
    private static final String API_VERSION = "admission.k8s.io/v1";
    // the API server drops a warning holding control characters and may cut one over 120 characters
    static final int WARNING_LENGTH = 120;
    static final int MAX_WARNINGS = 3;

    private final PodMutator mutator;
    private final InjectionMetrics metrics;
    private final ObjectMapper mapper = new ObjectMapper();
    // "{...} garbage" is not one JSON document; the API server never sends it
    private final ObjectReader documentReader = mapper.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public AdmissionReviewHandler(PodMutator mutator, InjectionMetrics metrics) {
        this.mutator = mutator;
        this.metrics = metrics;
    }

    /** {@code body} is JSON for status 200, plain text otherwise. */
    public record Reply(int status, String contentType, byte[] body) {

        static Reply badRequest(String message) {
            return new Reply(400, "text/plain; charset=utf-8", (message + "\n").getBytes(StandardCharsets.UTF_8));
        }
    }

    public Reply handle(byte[] body) {
        long started = System.nanoTime();
        Outcome outcome = Outcome.ERROR;
        String uid = "";
        try {
            if (looksLikeUtf16Or32(body)) {
                return Reply.badRequest("malformed AdmissionReview: body is not UTF-8");
            }
            JsonNode tree;
            try {
                tree = documentReader.readTree(body);
            } catch (JsonProcessingException e) {
                return Reply.badRequest("malformed AdmissionReview: body is not JSON (" + e.getOriginalMessage() + ")");
            } catch (IOException e) {
                return Reply.badRequest("malformed AdmissionReview: unreadable body");
            }
            if (tree == null || tree.isMissingNode()) {
                return Reply.badRequest("malformed AdmissionReview: empty body");
            }
            if (!tree.isObject()) {
                return Reply.badRequest("malformed AdmissionReview: body is not a JSON object");
            }
            if (!"AdmissionReview".equals(tree.path("kind").asText())) {
                return Reply.badRequest("expected kind AdmissionReview, apiVersion " + API_VERSION);
            }
            if (!API_VERSION.equals(tree.path("apiVersion").asText())) {
                return Reply.badRequest("unsupported AdmissionReview apiVersion \"" + quoted(tree.path("apiVersion"))
                        + "\": this webhook speaks " + API_VERSION + " only");
            }
            JsonNode requestNode = tree.get("request");
            if (requestNode == null || !requestNode.isObject()) {
                return Reply.badRequest("malformed AdmissionReview: no request");
            }
            uid = requestNode.path("uid").asText("");
            if (uid.isEmpty()) {
                return Reply.badRequest("malformed AdmissionReview: request.uid is missing");
            }
            // hand-written reviews often leave out the object's own apiVersion and kind; request.kind says Pod
            if ("Pod".equals(requestNode.path("kind").path("kind").asText())
                    && requestNode.get("object") instanceof ObjectNode object && !object.has("kind") && !object.has("apiVersion")) {
                object.put("apiVersion", "v1").put("kind", "Pod");
            }
            AdmissionRequest request;
            try {
                request = mapper.treeToValue(requestNode, AdmissionRequest.class);
            } catch (JsonMappingException e) {
                return allowedWithMessage(uid, "modproxy: cannot read " + where(e) + ": wrong JSON type for that field");
            } catch (JsonProcessingException e) {
                return allowedWithMessage(uid, "modproxy: cannot read request: " + e.getOriginalMessage());
            } catch (IllegalArgumentException e) {
                return allowedWithMessage(uid, "modproxy: cannot read request: " + e.getMessage());
            }
            PodMutator.Mutation mutation;
            try {
                mutation = mutator.mutate(request);
            } catch (MalformedReviewException e) {
                return allowedWithMessage(uid, "modproxy: " + e.getMessage());
            }
            outcome = mutation.outcome();
            LOG.debugf("review %s: %s (%s)", uid, outcome.tag(), mutation.reason());
            return ok(response(uid, mutation));
        } catch (RuntimeException e) {
            LOG.error("admission review failed; pod admitted unchanged", e);
            outcome = Outcome.ERROR;
            String message = "modproxy webhook error: " + e.getClass().getSimpleName();
            return uid.isEmpty() ? Reply.badRequest(message) : allowedWithMessage(uid, message);
        } finally {
            metrics.record(outcome, System.nanoTime() - started);
        }
    }

    private AdmissionResponse response(String uid, PodMutator.Mutation mutation) {
        AdmissionResponseBuilder response = new AdmissionResponseBuilder().withUid(uid).withAllowed(true);
        if (!mutation.warnings().isEmpty()) {
            response.withWarnings(mutation.warnings().stream().limit(MAX_WARNINGS).map(AdmissionReviewHandler::warning)
                    .toList());
        }
        if (!mutation.patch().isEmpty()) {
            response.withPatchType("JSONPatch")
                    .withPatch(Base64.getEncoder().encodeToString(
                            mutation.patch().toJson().toString().getBytes(StandardCharsets.UTF_8)));
        }
        return response.build();
    }

    /** JSON between systems is UTF-8 (RFC 8259); the parser alone would also accept UTF-16 and UTF-32. */
    private static boolean looksLikeUtf16Or32(byte[] body) {
        if (body.length < 2) {
            return false;
        }
        boolean byteOrderMark = (body[0] == (byte) 0xFE && body[1] == (byte) 0xFF)
                || (body[0] == (byte) 0xFF && body[1] == (byte) 0xFE);
        return byteOrderMark || body[0] == 0 || body[1] == 0;
    }

    /** The field that did not fit, as a JSON path under the review: "request.object.spec.containers[0].env". */
    private static String where(JsonMappingException e) {
        StringBuilder path = new StringBuilder("request");
        for (JsonMappingException.Reference step : e.getPath()) {
            if (step.getFieldName() != null) {
                path.append('.').append(step.getFieldName());
            } else if (step.getIndex() >= 0) {
                path.append('[').append(step.getIndex()).append(']');
            }
        }
        return path.toString();
    }

    private static String quoted(JsonNode value) {
        String text = value.isValueNode() ? value.asText() : value.toString();
        return warning(text.length() > 60 ? text.substring(0, 60) : text);
    }

    /** A warning the API server shows as it is: no control characters, at most {@link #WARNING_LENGTH} characters. */
    static String warning(String text) {
        int[] clean = text.codePoints().map(c -> Character.isISOControl(c) ? ' ' : c).toArray();
        if (clean.length <= WARNING_LENGTH) {
            return new String(clean, 0, clean.length);
        }
        return new String(clean, 0, WARNING_LENGTH - 1) + "\u2026";
    }

    private Reply allowedWithMessage(String uid, String message) {
        LOG.warnf("review %s admitted unchanged: %s", uid, message);
        return ok(new AdmissionResponseBuilder().withUid(uid).withAllowed(true)
                .withStatus(new StatusBuilder().withCode(200).withMessage(message).build())
                .build());
    }

    private Reply ok(AdmissionResponse response) {
        AdmissionReview review = new AdmissionReviewBuilder().withApiVersion(API_VERSION).withKind("AdmissionReview")
                .withResponse(response).build();
        try {
            return new Reply(200, "application/json", mapper.writeValueAsBytes(review));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write AdmissionReview", e);
        }
    }
}
