package dev.modproxy.proxy.warmup;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.ArrayList;
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
        JsonObject json;
        try {
            json = new JsonObject(text);
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException("the body is not a JSON object; " + JSON_SHAPE);
        }
        if (json.getValue("modules") != null) {
            if (!(json.getValue("modules") instanceof JsonArray modules)) {
                throw new IllegalArgumentException("\"modules\" must be a list of \"module@version\" strings");
            }
            List<String> entries = new ArrayList<>();
            for (int i = 0; i < modules.size(); i++) {
                if (!(modules.getValue(i) instanceof String entry)) {
                    throw new IllegalArgumentException("\"modules\" entry " + (i + 1) + " is not a string");
                }
                entries.add(entry);
            }
            return WarmupList.parse(entries);
        }
        if (json.getValue("goSum") != null) {
            if (!(json.getValue("goSum") instanceof String goSum)) {
                throw new IllegalArgumentException("\"goSum\" must be the text of a go.sum, as one string");
            }
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
