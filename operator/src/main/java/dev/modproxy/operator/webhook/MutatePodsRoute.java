package dev.modproxy.operator.webhook;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;

/** HTTP side of {@code POST /mutate-pods}: checks path, method and size, then runs the review. */
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
        String length = request.getHeader("Content-Length");
        if (length != null && parseLong(length) > MAX_BODY) {
            request.response().setStatusCode(413).end("AdmissionReview larger than " + MAX_BODY + " bytes\n");
            return;
        }
        // The review reads only informer caches and parses JSON in memory: it never blocks, so it
        // runs on the event loop; a hop to a worker thread only added latency under load.
        request.body()
                .map(body -> handler.handle(body.getBytes()))
                .onSuccess(reply -> request.response().setStatusCode(reply.status())
                        .putHeader("Content-Type", reply.contentType())
                        .end(Buffer.buffer(reply.body())))
                .onFailure(failure -> request.response().setStatusCode(400)
                        .end("cannot read the request body: " + failure.getMessage() + "\n"));
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
