package dev.modproxy.operator.webhook;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.atomic.AtomicLong;

/** HTTP side of {@code POST /mutate-pods}: checks path, method, media type and size, then runs the review. */
public final class MutatePodsRoute implements Handler<HttpServerRequest> {

    public static final String PATH = "/mutate-pods";
    // the API server caps requests at 3 MiB; anything larger is not an AdmissionReview
    private static final long MAX_BODY = 4L * 1024 * 1024;
    /*
     * Bodies read but not yet answered, all requests together. The API server's reviews are a few KiB and are answered
     * as soon as they have arrived; what reaches this bound is a client holding many large bodies open at once, which
     * would otherwise run the operator out of memory (any pod can reach the webhook's Service).
     */
    static final long BODIES_IN_FLIGHT = 32L * 1024 * 1024;

    private final AdmissionReviewHandler handler;
    private final long inFlightBound;
    private final AtomicLong inFlight = new AtomicLong();

    public MutatePodsRoute(AdmissionReviewHandler handler) {
        this(handler, BODIES_IN_FLIGHT);
    }

    MutatePodsRoute(AdmissionReviewHandler handler, long inFlightBound) {
        this.handler = handler;
        this.inFlightBound = inFlightBound;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (!PATH.equals(request.path())) {
            refuse(request, 404, "not found: the webhook serves POST " + PATH);
            return;
        }
        if (request.method() != HttpMethod.POST) {
            request.response().putHeader("Allow", "POST");
            refuse(request, 405, "use POST");
            return;
        }
        String type = request.getHeader("Content-Type");
        if (type != null && !isJson(type)) {
            request.response().putHeader("Accept", "application/json");
            refuse(request, 415, "an AdmissionReview is sent as Content-Type: application/json, not " + type);
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
        boolean[] busy = {false};
        long[] held = {0}; // what this request holds of inFlight; touched on its connection's event loop only
        Runnable release = () -> {
            inFlight.addAndGet(-held[0]);
            held[0] = 0;
        };
        request.handler(chunk -> {
            if (!overLimit[0] && body.length() + chunk.length() > MAX_BODY) {
                overLimit[0] = true;
            }
            if (overLimit[0] || busy[0]) {
                return;
            }
            if (inFlight.addAndGet(chunk.length()) > inFlightBound) {
                inFlight.addAndGet(-chunk.length());
                busy[0] = true;
                release.run();
                return;
            }
            held[0] += chunk.length();
            body.appendBuffer(chunk);
        });
        // also how a client gone before its body ended gives its share back (the connection closed)
        request.exceptionHandler(failure -> {
            release.run();
            if (!request.response().ended()) {
                refuse(request, 400, "cannot read the request body: " + failure.getMessage());
            }
        });
        // The review reads only informer caches and parses JSON in memory: it never blocks, so it
        // runs on the event loop; a hop to a worker thread only added latency under load.
        request.endHandler(done -> {
            try {
                if (overLimit[0]) {
                    tooLarge(request);
                } else if (busy[0]) {
                    refuse(
                            request,
                            503,
                            "the webhook already holds " + inFlightBound + " bytes of unanswered reviews; retry");
                } else {
                    AdmissionReviewHandler.Reply reply = handler.handle(body.getBytes());
                    request.response()
                            .setStatusCode(reply.status())
                            .putHeader("Content-Type", reply.contentType())
                            .end(Buffer.buffer(reply.body()));
                }
            } finally {
                release.run();
            }
        });
    }

    private static void tooLarge(HttpServerRequest request) {
        refuse(request, 413, "AdmissionReview larger than " + MAX_BODY + " bytes");
    }

    /** One line of plain text, as the review's own refusals (400) are. */
    private static void refuse(HttpServerRequest request, int status, String message) {
        request.response()
                .setStatusCode(status)
                .putHeader("Content-Type", AdmissionReviewHandler.PLAIN_TEXT)
                .end(message + "\n");
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
