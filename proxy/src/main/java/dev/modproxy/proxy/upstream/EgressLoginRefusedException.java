package dev.modproxy.proxy.upstream;

import java.io.IOException;

/**
 * The egress proxy answered 407 Proxy Authentication Required: it refused the login HTTPS_PROXY or HTTP_PROXY gives,
 * or wants one where none is given. A refusal, as an upstream's 401 is, not an outage: the egress proxy is up and
 * answering, so it leaves the upstream's circuit closed; the upstream never saw the request.
 */
public final class EgressLoginRefusedException extends IOException {

    public EgressLoginRefusedException(String message) {
        super(message);
    }
}
