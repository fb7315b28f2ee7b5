package dev.modproxy.operator.webhook;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

/** HTTP side of {@code POST /mutate-pods}: checks path, method, media type and size, then runs the review. */
public final class MutatePodsRoute implements Handler<HttpServerRequest> {

    public static final String PATH = "/mutate-pods";
    // the API server caps requests at 3 MiB; anything larger is not an AdmissionReview
    private static final long MAX_BODY = 4L * 1024 * 1024;

    private final AdmissionReviewHandler handler;

    public MutatePodsRoute(AdmissionReviewHandler handler) {
        this.handler = handler;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (!PATH.equals(request.path())) {
            request.response().setStatusCode(404).end("not found: the webhook serves POST " + PATH + "\n");
            return;
        }
        if (request.method() != HttpMethod.POST) {
            request.response().setStatusCode(405).putHeader("Allow", "POST").end("use POST\n");
            return;
        }
        String type = request.getHeader("Content-Type");
        if (type != null && !isJson(type)) {
            request.response()
                    .setStatusCode(415)
                    .putHeader("Accept", "application/json")
                    .end("an AdmissionReview is sent as Content-Type: application/json, not " + type + "\n");
            return;
        }
        String length = request.getHeader("Content-Length");
        if (length != null && parseLong(length) > MAX_BODY) {
            tooLarge(request);
            return;
        }
        // a chunked body carries no Content-Length: count while reading, keep nothing past the limit
        Buffer body = Buffer.buffer();
        boolean[] overLimit = {false};
        request.handler(chunk -> {
            if (!overLimit[0] && body.length() + chunk.length() > MAX_BODY) {
                overLimit[0] = true;
            }
            if (!overLimit[0]) {
                body.appendBuffer(chunk);
            }
        });
        request.exceptionHandler(failure -> {
            if (!request.response().ended()) {
                request.response()
                        .setStatusCode(400)
                        .end("cannot read the request body: " + failure.getMessage() + "\n");
            }
        });
        // The review reads only informer caches and parses JSON in memory: it never blocks, so it
        // runs on the event loop; a hop to a worker thread only added latency under load.
        request.endHandler(done -> {
            if (overLimit[0]) {
                tooLarge(request);
                return;
            }
            AdmissionReviewHandler.Reply reply = handler.handle(body.getBytes());
            request.response()
                    .setStatusCode(reply.status())
                    .putHeader("Content-Type", reply.contentType())
                    .end(Buffer.buffer(reply.body()));
        });
    }

    private static void tooLarge(HttpServerRequest request) {
        request.response().setStatusCode(413).end("AdmissionReview larger than " + MAX_BODY + " bytes\n");
    }

    /** application/json with any parameters; the API server sends exactly that. */
    private static boolean isJson(String contentType) {
        int semicolon = contentType.indexOf(';');
        String media = (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim();
        return media.equalsIgnoreCase("application/json");
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
