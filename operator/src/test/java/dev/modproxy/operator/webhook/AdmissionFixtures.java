package dev.modproxy.operator.webhook;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the AdmissionReview fixtures and applies a webhook's answer the way the API server does. */
final class AdmissionFixtures {

    private AdmissionFixtures() {}

    static byte[] review(String name) {
        try (InputStream in = AdmissionFixtures.class.getResourceAsStream("/admission/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static JsonObject json(byte[] bytes) {
        try (JsonReader reader = Json.createReader(new StringReader(new String(bytes, StandardCharsets.UTF_8)))) {
            return reader.readObject();
        }
    }

    static JsonObject response(byte[] reply) {
        return json(reply).getJsonObject("response");
    }

    /** The JSONPatch of an answer, decoded; empty when the webhook changed nothing. */
    static JsonArray patch(byte[] reply) {
        JsonObject response = response(reply);
        if (!response.containsKey("patch")) {
            return JsonValue.EMPTY_JSON_ARRAY;
        }
        byte[] decoded = Base64.getDecoder().decode(response.getString("patch"));
        try (JsonReader reader = Json.createReader(new StringReader(new String(decoded, StandardCharsets.UTF_8)))) {
            return reader.readArray();
        }
    }

    /** The pod as admitted: the review's object with the answer's patch applied (RFC 6902, Parsson). */
    static JsonObject admittedPod(byte[] review, byte[] reply) {
        JsonObject pod = json(review).getJsonObject("request").getJsonObject("object");
        return Json.createPatch(patch(reply)).apply(pod);
    }

    /**
     * The fixture's pod as a test would create it on a real API server: without the owner references
     * to a TaskRun that does not exist there (the garbage collector would delete the pod). The service
     * account it names ("pipeline" for the Tekton fixtures) must exist, or the API server refuses the pod.
     */
    static JsonObject podToCreate(String name) {
        JsonObject pod = json(review(name)).getJsonObject("request").getJsonObject("object");
        JsonObject metadata = Json.createObjectBuilder(pod.getJsonObject("metadata"))
                .remove("ownerReferences")
                .build();
        return Json.createObjectBuilder(pod)
                .add("metadata", metadata)
                .remove("status")
                .build();
    }

    /** The same review again, carrying the already patched pod: what reinvocation sends. */
    static byte[] reinvocation(byte[] review, JsonObject patchedPod) {
        JsonObject original = json(review);
        JsonObject request = Json.createObjectBuilder(original.getJsonObject("request"))
                .add("object", patchedPod)
                .build();
        return Json.createObjectBuilder(original)
                .add("request", request)
                .build()
                .toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    /** One (init) container of the pod, by name. */
    static JsonObject container(JsonObject pod, String list, String container) {
        return pod.getJsonObject("spec").getJsonArray(list).getValuesAs(JsonObject.class).stream()
                .filter(c -> container.equals(c.getString("name")))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no container " + container));
    }

    /** Env of one (init) container, name to value; "valueFrom" entries show as "<valueFrom>". */
    static Map<String, String> env(JsonObject pod, String list, String container) {
        JsonObject found = container(pod, list, container);
        Map<String, String> env = new LinkedHashMap<>();
        if (found.containsKey("env")) {
            for (JsonObject var : found.getJsonArray("env").getValuesAs(JsonObject.class)) {
                env.put(var.getString("name"), var.containsKey("value") ? var.getString("value") : "<valueFrom>");
            }
        }
        return env;
    }
}
