package dev.modproxy.operator.webhook;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jboss.logging.Logger;

/** HTTP side of {@code POST /mutate-pods}: checks path, method, media type, encoding and size, then reviews. */
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
    /*
     * How long a body may take to arrive: the longest an API server waits for a webhook (timeoutSeconds is at most
     * 30). A client that sends a byte now and then keeps its connection past the idle timeout, but not its share of
     * BODIES_IN_FLIGHT past this.
     */
    static final Duration BODY_DEADLINE = Duration.ofSeconds(30);
    /*
     * Looks at the API server in flight at once, each a blocking read on a worker thread of its own. Past them (an API
     * server that is slow to answer, many pods at once the informers are behind on) a review is answered from the
     * informers at once, as without the look: the webhook adds at most these reads to an API server in trouble.
     */
    static final int LOOKS_IN_FLIGHT = 4;
    /*
     * The API server waits for the whole review timeoutSeconds (3 s by default in the chart): a look that takes longer
     * is given up and the informers' answer sent, with time left for it to arrive. Two reads of a healthy API server
     * take milliseconds. With timeoutSeconds 1 (the chart's least) the API server may stop waiting first: the pod is
     * then created unchanged, as the informers' answer would have left it, only without its warning.
     */
    static final Duration LOOK_TIMEOUT = Duration.ofSeconds(1);

    private static final Logger LOG = Logger.getLogger(MutatePodsRoute.class);

    private final AdmissionReviewHandler handler;
    private final Vertx vertx;
    private final long inFlightBound;
    private final Duration bodyDeadline;
    private final AtomicLong inFlight = new AtomicLong();
    private final Duration lookTimeout;
    private final int lookBound;
    private final AtomicInteger looksInFlight = new AtomicInteger();
    /** The threads the looks block on; never this route's event loop. */
    private final WorkerExecutor lookers;

    public MutatePodsRoute(AdmissionReviewHandler handler, Vertx vertx) {
        this(handler, vertx, BODIES_IN_FLIGHT, BODY_DEADLINE, LOOK_TIMEOUT, LOOKS_IN_FLIGHT);
    }

    MutatePodsRoute(AdmissionReviewHandler handler, Vertx vertx, long inFlightBound, Duration bodyDeadline) {
        this(handler, vertx, inFlightBound, bodyDeadline, LOOK_TIMEOUT, LOOKS_IN_FLIGHT);
    }

    MutatePodsRoute(
            AdmissionReviewHandler handler,
            Vertx vertx,
            long inFlightBound,
            Duration bodyDeadline,
            Duration lookTimeout,
            int lookBound) {
        this.handler = handler;
        this.vertx = vertx;
        this.inFlightBound = inFlightBound;
        this.bodyDeadline = bodyDeadline;
        this.lookTimeout = lookTimeout;
        this.lookBound = lookBound;
        this.lookers = vertx.createSharedWorkerExecutor("modproxy-webhook-looks", lookBound);
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
        String encoding = request.getHeader("Content-Encoding");
        if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
            // the server does not decompress (the API server never compresses a review): gzip bytes were read as JSON
            request.response().putHeader("Accept-Encoding", "identity");
            refuse(request, 415, "an AdmissionReview is sent uncompressed, not with Content-Encoding: " + encoding);
            return;
        }
        String length = request.getHeader("Content-Length");
        if (length != null && parseLong(length) > MAX_BODY) {
            tooLarge(request);
            return;
        }
        if (request.version() == HttpVersion.HTTP_1_1 && "100-continue".equalsIgnoreCase(request.getHeader("Expect"))) {
            // the checks above passed: the client may send its body (curl asks so for bodies over 1 MiB, and waited a
            // second, or as long as it was told, for an answer that never came)
            request.response().writeContinue();
        }
        Arriving body = new Arriving();
        long deadline = vertx.setTimer(bodyDeadline.toMillis(), late -> {
            body.drop(408);
            refuse(request, 408, "the AdmissionReview did not arrive within " + bodyDeadline.toSeconds() + " s")
                    .onComplete(sent -> request.connection().close());
        });
        request.handler(body::take);
        // also how a client gone before its body ended gives its share back (the connection closed)
        request.exceptionHandler(failure -> {
            vertx.cancelTimer(deadline);
            body.drop(400);
            if (!request.response().ended()) {
                refuse(request, 400, "cannot read the request body: " + failure.getMessage());
            }
        });
        // The review reads only informer caches and parses JSON in memory: it never blocks, so it
        // runs on the event loop (the webhook's own, WebhookServer); a hop to a worker thread only added latency
        // under load. Only a pod the informers leave unchanged for a reason they may lag behind on (lookAgain) goes
        // on to a worker, to be looked at in the API server's view.
        request.endHandler(done -> {
            vertx.cancelTimer(deadline);
            if (request.response().ended()) {
                return;
            }
            switch (body.outcome) {
                case 0 -> {
                    AdmissionReviewHandler.Reply reply;
                    try {
                        reply = handler.handle(body.bytes.getBytes());
                    } finally {
                        body.drop(200); // whatever the review did, its bytes are no longer held
                    }
                    if (reply.lookAgain() == null) {
                        send(request, reply);
                    } else {
                        lookAgain(request, reply.lookAgain());
                    }
                }
                case 413 -> tooLarge(request);
                default ->
                    refuse(
                            request,
                            503,
                            "the webhook already holds " + inFlightBound + " bytes of unanswered reviews; retry");
            }
        });
    }

    private static void send(HttpServerRequest request, AdmissionReviewHandler.Reply reply) {
        request.response()
                .setStatusCode(reply.status())
                .putHeader("Content-Type", reply.contentType())
                .end(Buffer.buffer(reply.body()));
    }

    /**
     * Answers from the API server's view, read on a worker; this event loop answers the other reviews meanwhile. Past
     * {@link #lookBound} looks in flight, past {@link #lookTimeout}, or when a read fails, the informers' answer is
     * sent, as without the look; a failure or a timeout is logged once, at DEBUG (a dead API server is reported
     * elsewhere, and this would be a line per pod).
     */
    private void lookAgain(HttpServerRequest request, AdmissionReviewHandler.LookAgain again) {
        if (looksInFlight.incrementAndGet() > lookBound) {
            looksInFlight.decrementAndGet();
            send(request, again.answerFromInformers(InjectionMetrics.Recheck.BUSY));
            return;
        }
        AtomicBoolean answered = new AtomicBoolean();
        long deadline = vertx.setTimer(lookTimeout.toMillis(), late -> {
            if (answered.compareAndSet(false, true)) {
                LOG.debugf(
                        "review %s: the API server's view took over %d ms; answered from the informers",
                        AdmissionReviewHandler.loggable(again.uid()), lookTimeout.toMillis());
                answer(request, again.answerFromInformers(InjectionMetrics.Recheck.TIMED_OUT));
            }
        });
        // the slot is held until the read ends, also past the timeout: that is what bounds the reads in flight
        lookers.executeBlocking(again::fresher, false).onComplete(looked -> {
            looksInFlight.decrementAndGet();
            vertx.cancelTimer(deadline);
            if (!answered.compareAndSet(false, true)) {
                return;
            }
            if (looked.succeeded()) {
                answer(request, again.answer(looked.result()));
            } else if (looked.cause() instanceof KubernetesCacheDirectory.ReadsSpent) {
                // not a failure of the API server's, and a line per pod while it lasts: the metric says it
                answer(request, again.answerFromInformers(InjectionMetrics.Recheck.LIMITED));
            } else {
                LOG.debugf(
                        "review %s: cannot read the API server's view (%s); answered from the informers",
                        AdmissionReviewHandler.loggable(again.uid()),
                        // its message may carry the review's namespace, which a client posting to the Service chose
                        AdmissionReviewHandler.loggable(looked.cause().toString()));
                answer(request, again.answerFromInformers(InjectionMetrics.Recheck.FAILED));
            }
        });
    }

    /** Sends {@code reply} unless the client has gone meanwhile. */
    private static void answer(HttpServerRequest request, AdmissionReviewHandler.Reply reply) {
        if (!request.response().ended() && !request.response().closed()) {
            send(request, reply);
        }
    }

    /**
     * One request's body while it arrives, and its share of {@link #inFlight}; touched on its connection's event loop
     * only. A chunked body carries no Content-Length: it is counted while read, and nothing is kept past a limit.
     */
    private final class Arriving {

        private Buffer bytes = Buffer.buffer();
        private long held;
        /** 0 while the body may still be answered; else why it will not be (413, 503, 408, 400), or 200 once it was. */
        private int outcome;

        void take(Buffer chunk) {
            if (outcome != 0) {
                return;
            }
            if (bytes.length() + chunk.length() > MAX_BODY) {
                drop(413);
            } else if (inFlight.addAndGet(chunk.length()) > inFlightBound) {
                inFlight.addAndGet(-chunk.length());
                drop(503);
            } else {
                held += chunk.length();
                bytes.appendBuffer(chunk);
            }
        }

        /** Keeps no more of the body, and gives its share back; the first reason stays. */
        void drop(int status) {
            if (outcome == 0) {
                outcome = status;
            }
            inFlight.addAndGet(-held);
            held = 0;
            bytes = null;
        }
    }

    private static void tooLarge(HttpServerRequest request) {
        refuse(request, 413, "AdmissionReview larger than " + MAX_BODY + " bytes");
    }

    /** One line of plain text, as the review's own refusals (400) are. */
    private static Future<Void> refuse(HttpServerRequest request, int status, String message) {
        return request.response()
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
