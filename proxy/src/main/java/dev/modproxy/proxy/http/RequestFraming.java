package dev.modproxy.proxy.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Refuses requests whose framing the proxy would have to guess at, before any route sees them:
 * an HTTP version other than 1.0, 1.1 or real HTTP/2 (505), a Transfer-Encoding other than chunked
 * (501, RFC 9112 6.1), and a body on a GET or HEAD, chunked or with a Content-Length other than 0
 * (400): the GOPROXY protocol has none,
 * and Content-Length together with Transfer-Encoding (RFC 9112 6.3, a sign of request smuggling)
 * reaches here as a chunked GET, the HTTP codec having dropped the Content-Length. The connection
 * is closed after each: what follows on it cannot be trusted to start a new request.
 */
final class RequestFraming {

    private RequestFraming() {}

    static void install(Router router) {
        // right after RequestMetrics: refusals are timed too
        router.route()
                .order(Integer.MIN_VALUE + 1)
                .handler(RequestFraming::check)
                .failureHandler(RequestFraming::refused);
    }

    /**
     * A request the router refused itself, before any handler ran (an HTTP/1.1 request without Host, a request target
     * that is not a path): one line of
     * text like every other refusal, and no ERROR in the log per request, instead of the framework's JSON error page
     * and log line. Other failures are left to the framework, which logs them.
     */
    private static void refused(RoutingContext ctx) {
        String path = ctx.request().path();
        if (path == null || !path.startsWith("/")) {
            // "*" (OPTIONS, GET), host:port (CONNECT) or a relative path: the router answers 404 without a reason
            refuseAndClose(ctx, 400, "the request target must be a path starting with '/'");
            return;
        }
        int status = ctx.statusCode();
        if (status < 400 || status > 499 || ctx.response().headWritten()) {
            ctx.next();
            return;
        }
        String reason = ctx.failure() == null || ctx.failure().getMessage() == null
                ? "bad request"
                : ctx.failure().getMessage().replaceAll("\\p{Cntrl}", "?");
        refuseAndClose(ctx, status, reason);
    }

    private static void check(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpVersion version = request.version();
        boolean http1 = version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1;
        if (!http1 && !(version == HttpVersion.HTTP_2 && request.streamId() >= 0)) {
            refuseAndClose(ctx, 505, "HTTP version not supported: use HTTP/1.1");
            return;
        }
        String transferEncoding = request.getHeader(HttpHeaders.TRANSFER_ENCODING);
        if (transferEncoding != null && !transferEncoding.strip().equalsIgnoreCase("chunked")) {
            refuseAndClose(
                    ctx,
                    501,
                    "Transfer-Encoding " + transferEncoding.replaceAll("\\p{Cntrl}", "?") + " is not supported");
            return;
        }
        boolean bodyless = request.method() == io.vertx.core.http.HttpMethod.GET
                || request.method() == io.vertx.core.http.HttpMethod.HEAD;
        if (transferEncoding != null && (bodyless || request.getHeader(HttpHeaders.CONTENT_LENGTH) != null)) {
            refuseAndClose(
                    ctx,
                    400,
                    "a " + request.method()
                            + " with Transfer-Encoding (and maybe Content-Length): its length is ambiguous");
            return;
        }
        String contentLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (bodyless && contentLength != null && !contentLength.strip().equals("0")) {
            // the body is never read: the connection is closed rather than what follows it taken for a request
            refuseAndClose(ctx, 400, "a " + request.method() + " has no body in the GOPROXY protocol");
            return;
        }
        ctx.next();
    }

    private static void refuseAndClose(RoutingContext ctx, int status, String reason) {
        Buffer body = Buffer.buffer(reason + "\n");
        ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONNECTION, "close")
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()))
                .end(body)
                .onComplete(done -> ctx.request().connection().close());
    }
}
