package dev.modproxy.proxy.warmup;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code POST /admin/warmup} (the route table registers it) starts a warm-up from {@code module@version} lines, go.sum text, or
 * JSON ({@code {"modules": [...]}} or {@code {"goSum": "..."}}); {@code GET /admin/warmup} reports
 * its progress and failures.
 */
public final class WarmupRoute {

    static final long MAX_BODY = 4L << 20;
    private static final String JSON_SHAPE =
            "send {\"modules\": [\"module@version\", ...]} or {\"goSum\": \"<go.sum text>\"}";

    private static final JsonFactory JSON = new JsonFactory();

    private final Warmer warmer;

    public WarmupRoute(Warmer warmer) {
        this.warmer = warmer;
    }

    /** Reads the warm-up list, up to {@link #MAX_BODY}, before {@link #start}. */
    public static BodyHandler bodyHandler() {
        return BodyHandler.create(false).setBodyLimit(MAX_BODY);
    }

    /**
     * A form body (curl -d sends one) would be decoded as form fields, and fail past 2 KiB: the list
     * is text or JSON, so say so instead.
     */
    public static void refuseForms(RoutingContext ctx) {
        String type = mediaType(ctx);
        if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/")) {
            json(
                    ctx,
                    415,
                    new JsonObject()
                            .put(
                                    "error",
                                    "send the warm-up list as text/plain or application/json"
                                            + " (with curl: --data-binary @go.sum -H 'Content-Type: text/plain')"));
            return;
        }
        ctx.next();
    }

    public void progress(RoutingContext ctx) {
        JsonObject body = warmer.job().map(WarmupJob::toJson).orElse(new JsonObject().put("state", "idle"));
        json(ctx, 200, body);
    }

    public void start(RoutingContext ctx) {
        if (ctx.body().length() > MAX_BODY) {
            // the management router may read larger bodies before this route's own limit applies
            json(ctx, 413, new JsonObject().put("error", "a warm-up list is at most " + MAX_BODY + " bytes"));
            return;
        }
        List<WarmupTarget> targets;
        try {
            targets = targets(ctx);
        } catch (IllegalArgumentException e) {
            json(ctx, 400, new JsonObject().put("error", "bad warm-up list: " + shortened(e.getMessage())));
            return;
        }
        Optional<WarmupJob> job = warmer.start(targets);
        if (job.isEmpty()) {
            json(ctx, 409, new JsonObject().put("error", "a warm-up is already running; see GET /admin/warmup"));
            return;
        }
        json(ctx, 202, job.get().toJson());
    }

    private static List<WarmupTarget> targets(RoutingContext ctx) {
        String text = ctx.body().asString();
        if (text != null && text.startsWith("\uFEFF")) {
            text = text.substring(1); // a byte order mark, as some editors save go.sum
        }
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("empty body: send module@version lines, go.sum text or JSON");
        }
        if (!mediaType(ctx).startsWith("application/json")) {
            return WarmupList.parse(text);
        }
        return fromJson(text);
    }

    /**
     * Reads the JSON body as it streams: the "modules" entries one by one, refused past
     * {@link WarmupList#MAX_TARGETS} entries; no tree of the whole body, no list of its entries and no copy of them
     * joined (a list of 4 MiB took some 70 MiB of heap that way).
     */
    static List<WarmupTarget> fromJson(String text) {
        List<WarmupTarget> modules = null;
        String goSum = null;
        try (JsonParser json = JSON.createParser(text)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("the body is not a JSON object; " + JSON_SHAPE);
            }
            for (JsonToken field = json.nextToken(); field == JsonToken.FIELD_NAME; field = json.nextToken()) {
                String name = json.currentName();
                JsonToken value = json.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue;
                }
                if (name.equals("modules") && modules == null) {
                    if (value != JsonToken.START_ARRAY) {
                        throw new IllegalArgumentException("\"modules\" must be a list of \"module@version\" strings");
                    }
                    WarmupList.Entries entries = new WarmupList.Entries();
                    int i = 0;
                    for (JsonToken entry = json.nextToken(); entry != JsonToken.END_ARRAY; entry = json.nextToken()) {
                        i++;
                        if (entry != JsonToken.VALUE_STRING) {
                            throw new IllegalArgumentException("\"modules\" entry " + i + " is not a string");
                        }
                        entries.add(json.getText());
                    }
                    modules = entries.targets();
                } else if (name.equals("goSum") && goSum == null) {
                    if (value != JsonToken.VALUE_STRING) {
                        throw new IllegalArgumentException("\"goSum\" must be the text of a go.sum, as one string");
                    }
                    goSum = json.getText();
                } else {
                    json.skipChildren();
                }
            }
            if (json.currentToken() != JsonToken.END_OBJECT || json.nextToken() != null) {
                throw new IllegalArgumentException("the body is not a JSON object; " + JSON_SHAPE);
            }
        } catch (java.io.IOException e) {
            // the body ended early or is not JSON: the parser's own message quotes the body
            throw new IllegalArgumentException("the body is not a JSON object; " + JSON_SHAPE);
        }
        if (modules != null) {
            return modules;
        }
        if (goSum != null) {
            return WarmupList.parse(goSum);
        }
        throw new IllegalArgumentException("the JSON body names no list; " + JSON_SHAPE);
    }

    /** The request's Content-Type in lower case (media types are case-insensitive), or "". */
    private static String mediaType(RoutingContext ctx) {
        return Optional.ofNullable(ctx.request().getHeader("Content-Type"))
                .orElse("")
                .toLowerCase(Locale.ROOT);
    }

    /** A refusal quotes what it refuses; a line of megabytes is cut, so the answer stays a line. */
    static String shortened(String message) {
        return message.length() <= 300
                ? message
                : message.substring(0, 300) + "... (" + message.length() + " characters)";
    }

    private static void json(RoutingContext ctx, int status, JsonObject body) {
        ctx.response()
                .setStatusCode(status)
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(body.encode());
    }
}
