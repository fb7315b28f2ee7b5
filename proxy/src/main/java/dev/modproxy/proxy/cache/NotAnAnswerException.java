package dev.modproxy.proxy.cache;

/**
 * The body is no answer of the kind asked at all: an HTML or XML page where a {@code .mod}, {@code .info} or list
 * belongs, bytes that do not start as a zip where a {@code .zip} does. Most likely a page something between the cache
 * and the upstream put in the answer's place (a captive portal's sign-in page, a filtering proxy's block page, an
 * error page sent with a status of 200 and another {@code Content-Type} than HTML), which is gone once the network
 * is: refused, as a page labelled {@code text/html} is, and not remembered, so the next request asks again. Asking
 * again is cheap: a zip is refused at its first bytes, and a page is small.
 */
final class NotAnAnswerException extends ArtifactRejectedException {

    NotAnAnswerException(String reason) {
        super(reason);
    }
}
