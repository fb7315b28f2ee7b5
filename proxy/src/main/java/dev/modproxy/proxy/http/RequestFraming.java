package dev.modproxy.proxy.http;

import dev.modproxy.proxy.protocol.GoErrorText;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Refuses requests whose framing the proxy would have to guess at, before any route sees them:
 * an HTTP version other than 1.0, 1.1 or real HTTP/2 (505); more than one Host (400, RFC 9112 3.2:
 * two servers in a chain may each take a different one for the target); a Transfer-Encoding other
 * than chunked (501, RFC 9112 6.1); a method this server does not know (501, RFC 9110 15.6.2: a known one
 * that a path does not take is that route's 405); a request target that is no URI (400: a backslash, a control
 * character, a '%' not followed by two hex digits, which no route should see and the router cannot even match);
 * any request with a Transfer-Encoding (400), because no route
 * takes a body and Content-Length together with Transfer-Encoding (RFC 9112 6.3, a sign of request
 * smuggling) reaches here as a chunked request alone, the HTTP codec having dropped the
 * Content-Length; and a GET or HEAD with a Content-Length other than 0 (400): the GOPROXY protocol
 * has no bodies. An HTTP/1 connection is closed after each: what follows on it cannot be trusted to
 * start a new request.
 */
final class RequestFraming {

    /**
     * The methods of RFC 9110 section 9 and PATCH (RFC 5789), case-sensitive (9.1): a route that does not take one
     * answers 405 with Allow; any other method, "get" included, is one this server does not implement.
     */
    private static final Set<String> KNOWN_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH");

    private RequestFraming() {}

    /**
     * The HTTP/1 connections closed after a refusal, by event loop (a connection is served on one only, so no lock is
     * taken on the path every request goes), held weakly: a request read behind the refused one can reach the router
     * after the connection has closed (the decoder hands on what it buffered as the channel goes inactive), so the
     * mark must outlive the close, and is dropped with the connection.
     */
    private static final ThreadLocal<Set<HttpConnection>> REFUSED_CONNECTIONS =
            ThreadLocal.withInitial(() -> Collections.newSetFromMap(new WeakHashMap<>()));

    static void install(Router router) {
        // right after RequestMetrics: refusals are timed too
        router.route()
                .order(Integer.MIN_VALUE + 1)
                .handler(RequestFraming::check)
                .failureHandler(RequestFraming::refused);
    }

    /**
     * A request the router refused itself, before any handler ran (an HTTP/1.1 request without Host or with one that
     * is no host, a request target that is not a path): one line of text like every other refusal, and no ERROR in
     * the log per request, instead of the framework's JSON error page and log line. {@code OPTIONS *}, which the
     * router takes for a target that is not a path, is answered with the methods served. Other failures are left to
     * the framework, which logs them.
     */
    private static void refused(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        String path = request.path();
        if (request.method() == HttpMethod.OPTIONS && "*".equals(request.uri())) {
            // the asterisk form asks about the server as a whole (RFC 9110 9.3.7): a valid request, answered once
            // its framing is, since the router failed it before check() could see it
            if (refusedFraming(ctx)) {
                return;
            }
            if (request.version() == HttpVersion.HTTP_1_1 && request.getHeader(HttpHeaders.HOST) == null) {
                refuseAndClose(ctx, 400, "For HTTP/1.x requests, the 'Host' header is required");
                return;
            }
            ctx.response()
                    .setStatusCode(204)
                    .putHeader(HttpHeaders.ALLOW, "GET, HEAD")
                    .end();
            return;
        }
        if (path == null || !path.startsWith("/")) {
            // "*" (GET), host:port (CONNECT) or a relative path: the router answers 404 without a reason
            refuseAndClose(ctx, 400, "the request target must be a path starting with '/'");
            return;
        }
        int status = ctx.statusCode();
        if (status < 400 || status > 499 || ctx.response().headWritten()) {
            ctx.next();
            return;
        }
        String host = request.getHeader(HttpHeaders.HOST);
        if (host != null && request.authority() == null) {
            // the router says the Host header is missing when it cannot read it
            refuseAndClose(
                    ctx,
                    400,
                    "the Host header is not a host name or address with an optional port: '"
                            + host.replaceAll("\\p{Cntrl}", "?") + "'");
            return;
        }
        String reason = ctx.failure() == null || ctx.failure().getMessage() == null
                ? "bad request"
                : ctx.failure().getMessage().replaceAll("\\p{Cntrl}", "?");
        refuseAndClose(ctx, status, reason);
    }

    /** Whether HTTP defines this method; what a route does not take is its 405. */
    static boolean knownMethod(HttpMethod method) {
        return KNOWN_METHODS.contains(method.name());
    }

    private static void check(RoutingContext ctx) {
        Set<HttpConnection> refused = REFUSED_CONNECTIONS.get();
        if (!refused.isEmpty() && refused.contains(ctx.request().connection())) {
            // read behind a refused request on a connection now closing: its framing was never to be trusted, and
            // a route would still do its work (a module fetched and stored) though no answer goes out
            return;
        }
        if (!refusedFraming(ctx)) {
            ctx.next();
        }
    }

    /** Refuses the request (and closes an HTTP/1 connection) if its framing is one the class comment lists. */
    private static boolean refusedFraming(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        HttpVersion version = request.version();
        boolean http1 = version == HttpVersion.HTTP_1_0 || version == HttpVersion.HTTP_1_1;
        if (!http1 && !(version == HttpVersion.HTTP_2 && request.streamId() >= 0)) {
            refuseAndClose(ctx, 505, "HTTP version not supported: use HTTP/1.1");
            return true;
        }
        if (!knownMethod(request.method())) {
            refuseAndClose(
                    ctx,
                    501,
                    "method " + request.method().name().replaceAll("\\p{Cntrl}", "?")
                            + " is not implemented: the GOPROXY protocol takes GET and HEAD");
            return true;
        }
        String targetProblem = targetProblem(request.uri());
        if (targetProblem != null) {
            refuseAndClose(ctx, 400, targetProblem);
            return true;
        }
        if (http1 && request.headers().getAll(HttpHeaders.HOST).size() > 1) {
            refuseAndClose(ctx, 400, "more than one Host header");
            return true;
        }
        List<String> transferEncodings = request.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!transferEncodings.isEmpty()) {
            String named = String.join(", ", transferEncodings).replaceAll("\\p{Cntrl}", "?");
            boolean chunked =
                    transferEncodings.stream().allMatch(value -> value.strip().equalsIgnoreCase("chunked"));
            // No route takes a body, and the HTTP codec drops a Content-Length it finds beside a chunked
            // Transfer-Encoding, so whether this request was smuggling another is unknowable here (RFC 9112 6.3):
            // any method with a Transfer-Encoding is refused and its connection closed.
            refuseAndClose(
                    ctx,
                    chunked ? 400 : 501,
                    chunked
                            ? "a " + request.method() + " with Transfer-Encoding " + named
                                    + ": no request here has a body, and its length may be ambiguous"
                            : "Transfer-Encoding " + named + " is not supported");
            return true;
        }
        boolean bodyless = request.method() == HttpMethod.GET || request.method() == HttpMethod.HEAD;
        String contentLength = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (bodyless && contentLength != null && !contentLength.strip().equals("0")) {
            // the body is never read: the connection is closed rather than what follows it taken for a request
            refuseAndClose(ctx, 400, "a " + request.method() + " has no body in the GOPROXY protocol");
            return true;
        }
        return false;
    }

    /**
     * Why a request target is no URI, or null. Quarkus's own check of this ({@code java.net.URI}) answers a bare 400
     * and is switched off ({@code ProxyMain}) so that this one says why; it refuses at least what that one did.
     */
    private static String targetProblem(String target) {
        try {
            new URI(target);
            return null;
        } catch (URISyntaxException e) {
            for (int i = 0; i < target.length(); i++) {
                char c = target.charAt(i);
                if (c == '\\') {
                    return "backslash at index " + i + " of the request target: paths are separated by '/'";
                }
                if (c < 0x20 || c == 0x7f) {
                    return String.format("control character 0x%02x at index %d of the request target", (int) c, i);
                }
                if (c == '%'
                        && (i + 2 >= target.length()
                                || Character.digit(target.charAt(i + 1), 16) < 0
                                || Character.digit(target.charAt(i + 2), 16) < 0)) {
                    return "malformed percent escape at index " + i
                            + " of the request target: '%' must be followed by two hex digits";
                }
            }
            // e.g. "Illegal character in path", without the input, which the client has
            return e.getReason() + " at index " + e.getIndex() + " of the request target";
        }
    }

    private static void refuseAndClose(RoutingContext ctx, int status, String reason) {
        Buffer body = Buffer.buffer(GoErrorText.body(reason));
        HttpServerResponse response = ctx.response()
                .setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
                .putHeader(HttpHeaders.CACHE_CONTROL, "no-store")
                .putHeader(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
        if (ctx.request().version() == HttpVersion.HTTP_2) {
            // HTTP/2 frames every stream apart, so nothing on the connection is in doubt; a Connection field
            // would make the answer malformed (RFC 9113 8.2.2) and closing would end the other streams with it
            response.end(body);
            return;
        }
        // once the answer has ended, the server takes the next request already read on the connection (one smuggled
        // behind this) to the router, even after the close: check() drops it
        HttpConnection connection = ctx.request().connection();
        REFUSED_CONNECTIONS.get().add(connection);
        response.putHeader(HttpHeaders.CONNECTION, "close").end(body);
        connection.close();
    }
}
