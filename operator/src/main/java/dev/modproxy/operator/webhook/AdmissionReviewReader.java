package dev.modproxy.operator.webhook;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.modproxy.operator.webhook.PodReview.AdmittedPod;
import dev.modproxy.operator.webhook.PodReview.EnvEntry;
import dev.modproxy.operator.webhook.PodReview.EnvSource;
import dev.modproxy.operator.webhook.PodReview.PodContainer;
import dev.modproxy.operator.webhook.PodReview.ResourceKind;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an AdmissionReview v1 body in one pass of a streaming parser into a {@link PodReview}, keeping
 * only the fields the mutator needs: every review of a pod creation waits on the webhook, and building
 * the whole Pod model (fabric8) cost a hundred kilobytes and most of the handler's time per review.
 * The whole body is still parsed, so a body that is not one JSON document is refused as before.
 */
final class AdmissionReviewReader {

    static final String API_VERSION = "admission.k8s.io/v1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A body that is not one AdmissionReview v1; the message is the 400 answer. */
    static final class NotAReview extends Exception {

        NotAReview(String message) {
            super(message, null, false, false);
        }
    }

    private final JsonParser parser;
    private String wrongType;

    private AdmissionReviewReader(JsonParser parser) {
        this.parser = parser;
    }

    static PodReview read(byte[] body) throws NotAReview {
        try (JsonParser parser = JSON.createParser(body)) {
            return new AdmissionReviewReader(parser).review();
        } catch (JsonProcessingException e) {
            throw new NotAReview("malformed AdmissionReview: body is not JSON (" + withoutText(e) + ")");
        } catch (IOException e) {
            throw new NotAReview("malformed AdmissionReview: unreadable body");
        }
    }

    /**
     * The parser's reason and where, without the text it quotes: an unquoted value in a pod's env (a token) would come
     * back whole in "Unrecognized token '...'" and reach the API server's error and log.
     */
    private static String withoutText(JsonProcessingException e) {
        String reason = String.valueOf(e.getOriginalMessage())
                .replaceFirst("^Unrecognized token '[^']*'", "Unrecognized token");
        JsonLocation at = e.getLocation();
        return at == null || at.getLineNr() < 0
                ? reason
                : reason + " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }

    private PodReview review() throws IOException, NotAReview {
        JsonToken first = parser.nextToken();
        if (first == null) {
            throw new NotAReview("malformed AdmissionReview: empty body");
        }
        if (first != JsonToken.START_OBJECT) {
            parser.skipChildren();
            endOfDocument();
            throw new NotAReview("malformed AdmissionReview: body is not a JSON object");
        }
        String kind = null;
        String apiVersion = null;
        Request request = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "kind" -> kind = looseText(value);
                case "apiVersion" ->
                    apiVersion = value.isScalarValue() || value == JsonToken.VALUE_NULL
                            ? looseText(value)
                            : parser.readValueAsTree().toString();
                case "request" -> request = value == JsonToken.START_OBJECT ? request() : skipped(null);
                default -> parser.skipChildren();
            }
        }
        endOfDocument();
        if (!"AdmissionReview".equals(kind)) {
            throw new NotAReview("expected kind AdmissionReview, apiVersion " + API_VERSION);
        }
        if (!API_VERSION.equals(apiVersion)) {
            String shown = apiVersion == null ? "" : apiVersion;
            throw new NotAReview("unsupported AdmissionReview apiVersion \""
                    + AdmissionReviewHandler.warning(shown.length() > 60 ? shown.substring(0, 60) : shown)
                    + "\": this webhook speaks " + API_VERSION + " only");
        }
        if (request == null) {
            throw new NotAReview("malformed AdmissionReview: no request");
        }
        if (request.uid == null || request.uid.isEmpty()) {
            throw new NotAReview("malformed AdmissionReview: request.uid is missing");
        }
        return request.review(wrongType);
    }

    private void endOfDocument() throws IOException, NotAReview {
        JsonToken trailing = parser.nextToken();
        if (trailing != null) {
            throw new NotAReview(
                    "malformed AdmissionReview: body is not JSON (more after the first value: " + trailing + ")");
        }
    }

    /** The request's fields, in whatever order they come; the object's kind may follow its spec. */
    private static final class Request {
        String uid;
        String operation;
        ResourceKind kind;
        ResourceKind requestKind;
        String subResource;
        String namespace;
        boolean dryRun;
        boolean objectIsJsonObject;
        // why there is no Pod when request.object is not a JSON object
        String notAnObject = "request.object is missing";
        String objectApiVersion;
        String objectKind;
        AdmittedPod object;

        PodReview review(String wrongType) {
            ResourceKind effective = kind != null ? kind : requestKind;
            String notAPod = null;
            if (!objectIsJsonObject) {
                notAPod = notAnObject;
            } else if (objectKind == null && objectApiVersion == null) {
                // hand-written reviews often leave out the object's own apiVersion and kind; request.kind says Pod
                if (effective == null || !"Pod".equals(effective.kind())) {
                    notAPod = "request.object is not a Pod object";
                }
            } else if (!"Pod".equals(objectKind) || objectApiVersion != null && !"v1".equals(objectApiVersion)) {
                notAPod = objectKind == null
                        ? "request.object is not a Pod object"
                        : "Pod".equals(objectKind)
                                ? "request.object is a Pod of apiVersion " + objectApiVersion + ", not v1"
                                : "request.object is a " + objectKind + ", not a Pod";
            }
            return new PodReview(
                    uid,
                    operation,
                    effective,
                    subResource,
                    namespace,
                    dryRun,
                    notAPod == null ? object : null,
                    notAPod,
                    wrongType);
        }
    }

    private Request request() throws IOException {
        Request request = new Request();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "uid" -> request.uid = looseText(value);
                case "operation" -> request.operation = text(value, "request.operation");
                case "kind" -> request.kind = kind(value, "request.kind");
                case "requestKind" -> request.requestKind = kind(value, "request.requestKind");
                case "subResource" -> request.subResource = text(value, "request.subResource");
                case "namespace" -> request.namespace = text(value, "request.namespace");
                case "dryRun" -> request.dryRun = "true".equals(text(value, "request.dryRun"));
                case "object" -> object(value, request);
                default -> parser.skipChildren();
            }
        }
        return request;
    }

    private void object(JsonToken value, Request request) throws IOException {
        request.objectIsJsonObject = value == JsonToken.START_OBJECT;
        request.object = null;
        request.objectKind = null;
        request.objectApiVersion = null;
        if (value != JsonToken.START_OBJECT) {
            request.notAnObject =
                    value == JsonToken.VALUE_NULL ? "request.object is missing" : "request.object is not a Pod object";
            skipped(value == JsonToken.START_ARRAY ? "request.object" : null);
            return;
        }
        boolean hasMetadata = false;
        String namespace = null;
        Map<String, String> labels = Map.of();
        Map<String, String> annotations = Map.of();
        List<PodContainer> initContainers = List.of();
        List<PodContainer> containers = List.of();
        boolean hostNetwork = false;
        String dnsPolicy = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken token = parser.nextToken();
            switch (field) {
                case "apiVersion" -> request.objectApiVersion = text(token, "request.object.apiVersion");
                case "kind" -> request.objectKind = text(token, "request.object.kind");
                case "metadata" -> {
                    hasMetadata = token != JsonToken.VALUE_NULL;
                    if (token != JsonToken.START_OBJECT) {
                        skipped(token == JsonToken.VALUE_NULL ? null : "request.object.metadata");
                        continue;
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken inner = parser.nextToken();
                        switch (name) {
                            case "namespace" -> namespace = text(inner, "request.object.metadata.namespace");
                            case "labels" -> labels = stringMap(inner, "request.object.metadata.labels");
                            case "annotations" -> annotations = stringMap(inner, "request.object.metadata.annotations");
                            default -> parser.skipChildren();
                        }
                    }
                }
                case "spec" -> {
                    if (token != JsonToken.START_OBJECT) {
                        skipped(token == JsonToken.VALUE_NULL ? null : "request.object.spec");
                        continue;
                    }
                    while (parser.nextToken() == JsonToken.FIELD_NAME) {
                        String name = parser.currentName();
                        JsonToken inner = parser.nextToken();
                        switch (name) {
                            case "initContainers" ->
                                initContainers = containers(inner, "request.object.spec.initContainers");
                            case "containers" -> containers = containers(inner, "request.object.spec.containers");
                            case "hostNetwork" ->
                                hostNetwork = "true".equals(text(inner, "request.object.spec.hostNetwork"));
                            case "dnsPolicy" -> dnsPolicy = text(inner, "request.object.spec.dnsPolicy");
                            default -> parser.skipChildren();
                        }
                    }
                }
                default -> parser.skipChildren();
            }
        }
        request.object = new AdmittedPod(
                hasMetadata, namespace, labels, annotations, initContainers, containers, hostNetwork, dnsPolicy);
    }

    private List<PodContainer> containers(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            skipped(value == JsonToken.VALUE_NULL ? null : path);
            return List.of();
        }
        List<PodContainer> containers = new ArrayList<>(4);
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            if (token != JsonToken.START_OBJECT) {
                skipped(token == JsonToken.VALUE_NULL ? null : path + "[" + containers.size() + "]");
                containers.add(null);
                continue;
            }
            containers.add(container(path + "[" + containers.size() + "]"));
        }
        return containers;
    }

    private PodContainer container(String path) throws IOException {
        String name = null;
        String image = null;
        List<String> command = List.of();
        List<String> args = List.of();
        List<EnvEntry> env = List.of();
        List<EnvSource> envFrom = List.of();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (field) {
                case "name" -> name = text(value, path + ".name");
                case "image" -> image = text(value, path + ".image");
                case "command" -> command = strings(value, path + ".command");
                case "args" -> args = strings(value, path + ".args");
                case "env" -> env = env(value, path + ".env");
                case "envFrom" -> envFrom = envFrom(value, path + ".envFrom");
                default -> parser.skipChildren();
            }
        }
        return new PodContainer(name, image, command, args, env, envFrom);
    }

    private List<EnvEntry> env(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            skipped(value == JsonToken.VALUE_NULL ? null : path);
            return List.of();
        }
        List<EnvEntry> entries = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            if (token != JsonToken.START_OBJECT) {
                skipped(token == JsonToken.VALUE_NULL ? null : path + "[" + entries.size() + "]");
                entries.add(null);
                continue;
            }
            String name = null;
            String text = null;
            boolean fromSource = false;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken inner = parser.nextToken();
                switch (field) {
                    case "name" -> name = text(inner, path + "[" + entries.size() + "].name");
                    case "value" -> text = text(inner, path + "[" + entries.size() + "].value");
                    case "valueFrom" -> {
                        fromSource = inner == JsonToken.START_OBJECT;
                        skipped(
                                inner == JsonToken.START_OBJECT || inner == JsonToken.VALUE_NULL
                                        ? null
                                        : path + "[" + entries.size() + "].valueFrom");
                    }
                    default -> parser.skipChildren();
                }
            }
            entries.add(new EnvEntry(name, text, fromSource));
        }
        return entries;
    }

    private List<EnvSource> envFrom(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            skipped(value == JsonToken.VALUE_NULL ? null : path);
            return List.of();
        }
        List<EnvSource> sources = new ArrayList<>(2);
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            if (token != JsonToken.START_OBJECT) {
                skipped(token == JsonToken.VALUE_NULL ? null : path + "[" + sources.size() + "]");
                sources.add(null);
                continue;
            }
            String prefix = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken inner = parser.nextToken();
                if ("prefix".equals(field)) {
                    prefix = text(inner, path + "[" + sources.size() + "].prefix");
                } else {
                    parser.skipChildren();
                }
            }
            sources.add(new EnvSource(prefix));
        }
        return sources;
    }

    private List<String> strings(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_ARRAY) {
            skipped(value == JsonToken.VALUE_NULL ? null : path);
            return List.of();
        }
        List<String> words = new ArrayList<>();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            words.add(text(token, path + "[" + words.size() + "]"));
        }
        return words;
    }

    private Map<String, String> stringMap(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            skipped(value == JsonToken.VALUE_NULL ? null : path);
            return Map.of();
        }
        Map<String, String> map = new HashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            map.put(key, text(parser.nextToken(), path + "." + key));
        }
        return map;
    }

    private ResourceKind kind(JsonToken value, String path) throws IOException {
        if (value != JsonToken.START_OBJECT) {
            return skipped(value == JsonToken.VALUE_NULL ? null : path);
        }
        String group = null;
        String kind = null;
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String field = parser.currentName();
            JsonToken inner = parser.nextToken();
            switch (field) {
                case "group" -> group = text(inner, path + ".group");
                case "kind" -> kind = text(inner, path + ".kind");
                default -> parser.skipChildren();
            }
        }
        return new ResourceKind(group, kind);
    }

    /** A string field: numbers and booleans are taken as their text (as a model binding would); objects and arrays do not fit. */
    private String text(JsonToken value, String path) throws IOException {
        if (value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value.isScalarValue()) {
            return parser.getText();
        }
        return skipped(path);
    }

    /** Text of a scalar, null for anything else: fields whose absence has its own message. */
    private String looseText(JsonToken value) throws IOException {
        if (value.isScalarValue()) {
            return parser.getText();
        }
        parser.skipChildren();
        return null;
    }

    /** Skips the current value; a non-null path records it as the first field of the wrong type. */
    private <T> T skipped(String wrongTypeAt) throws IOException {
        parser.skipChildren();
        if (wrongTypeAt != null && wrongType == null) {
            wrongType = wrongTypeAt;
        }
        return null;
    }
}
