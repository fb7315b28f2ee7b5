package dev.modproxy.proxy.upstream;

import dev.modproxy.contract.GoProxyList;
import java.io.IOException;
import java.net.InetAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Upstreams in GOPROXY syntax, tried in order with the go command's fallthrough rules: after an
 * entry followed by ',' only a 404/410 moves on to the next entry; after '|' any error does.
 * {@code direct} and {@code off} end the chain: this proxy does not fetch from version control,
 * so it answers 404 (direct) or 410 (off) and the client falls through to its own next entry.
 *
 * <p>Client status mapping: every upstream said 404/410 -> that status; the chain stopped on an
 * upstream's 403 or 400 -> that status (a proxy that gates modules by policy answers so, and the go command stops
 * there after ','); the chain stopped on an error -> 504 for timeouts, 502 otherwise (5xx, 401,
 * refused connection, unusable body, open breaker). Clients configured with {@code GOPROXY=cache|...}
 * fall through on all of them; {@code cache,...} clients fall through only on the 404/410.
 */
public final class UpstreamChain {

    /** One entry of the list; {@code fallThroughOnError} is true when '|' follows it. */
    public sealed interface Entry permits Proxy, Direct, Off {
        boolean fallThroughOnError();
    }

    public record Proxy(Upstream upstream, boolean fallThroughOnError) implements Entry {}

    public record Direct(boolean fallThroughOnError) implements Entry {}

    public record Off(boolean fallThroughOnError) implements Entry {}

    /** Consumes a 200 answer; throwing IOException lets the chain decide whether to try the next entry. */
    @FunctionalInterface
    public interface BodyConsumer<T> {
        T consume(UpstreamResponse response) throws IOException;
    }

    private final List<Entry> entries;
    private final String spec;
    private final UpstreamListener listener;

    public UpstreamChain(List<Entry> entries, String spec, UpstreamListener listener) {
        if (entries.isEmpty()) {
            throw new IllegalArgumentException("upstream list " + spec + " contains no entries");
        }
        this.entries = List.copyOf(entries);
        this.spec = spec;
        this.listener = Objects.requireNonNull(listener);
    }

    /** Settings shared by every upstream of a chain. */
    public record Settings(
            Duration connectTimeout, Duration readTimeout, int breakerThreshold, Duration breakerCoolDown) {}

    /**
     * Parses GOPROXY syntax by the go command's rule, which the operator checks specs against too
     * ({@link GoProxyList}): entries without a scheme get https://, anything after direct or off is ignored.
     *
     * @throws GoProxyList.InvalidException naming the unusable entry
     */
    public static UpstreamChain parse(String goproxy, Settings settings, UpstreamListener listener) {
        return parse(goproxy, settings, listener, EgressProxy.fromEnvironment(), UpstreamCredentials.none());
    }

    /**
     * As {@link #parse(String, Settings, UpstreamListener)}, reaching the upstreams through {@code egress} and
     * sending {@code credentials}' logins to the hosts they name.
     */
    public static UpstreamChain parse(
            String goproxy,
            Settings settings,
            UpstreamListener listener,
            EgressProxy egress,
            UpstreamCredentials credentials) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .proxy(egress)
                .followRedirects(HttpClient.Redirect.NEVER); // Upstream follows them, keeping credentials on the origin
        egress.trust().sslContext().ifPresent(builder::sslContext); // MODPROXY_UPSTREAM_CA_FILE's CAs too
        List<GoProxyList.Entry> parsed = GoProxyList.parse(goproxy).entries();
        // no authenticator: Upstream sends the logins itself (the JDK's sends a refused one four times a request and
        // drops a request's own Authorization header)
        HttpClient client = builder.build();
        List<Entry> entries = new ArrayList<>();
        for (GoProxyList.Entry entry : parsed) {
            if (entry instanceof GoProxyList.Proxy proxy) {
                entries.add(new Proxy(
                        new Upstream(
                                proxy.url(),
                                client,
                                credentials,
                                settings.readTimeout(),
                                new CircuitBreaker(
                                        proxy.url(), settings.breakerThreshold(), settings.breakerCoolDown()),
                                InetAddress::getAllByName),
                        proxy.fallThroughOnError()));
            } else if (entry instanceof GoProxyList.Direct) {
                entries.add(new Direct(entry.fallThroughOnError()));
            } else {
                entries.add(new Off(entry.fallThroughOnError()));
            }
        }
        return new UpstreamChain(entries, goproxy, listener);
    }

    public List<Entry> entries() {
        return entries;
    }

    private static final int RANK_NOT_FOUND = 0;
    private static final int RANK_ERROR = 1;

    /**
     * Asks each entry in turn for {@code relativePath} until one gives a usable 200 answer.
     * {@code mayTryNext} is consulted before moving on after a body failure: once bytes have
     * reached a client, another upstream can no longer be spliced in (before, it takes back the response begun).
     */
    public <T> UpstreamResult<T> fetch(String relativePath, BodyConsumer<T> consumer, BooleanSupplier mayTryNext) {
        return fetch(relativePath, consumer, mayTryNext, null);
    }

    /** As above; each upstream gets at most {@code deadline} (null: no limit) for the whole answer, body included. */
    public <T> UpstreamResult<T> fetch(
            String relativePath, BodyConsumer<T> consumer, BooleanSupplier mayTryNext, Duration deadline) {
        int bestRank = -1;
        UpstreamResult<T> best = UpstreamResult.refused(404, "no upstream has " + relativePath);
        // a refused content is the chain's answer only when no upstream failed otherwise: one that timed out or
        // answered 5xx might have had a good answer, and is asked again at the next request. So might an entry after
        // '|' left unasked because bytes of the download had reached a client: a fetch without one (a prefetch) asks it
        boolean failedOtherwise = false;
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (entry instanceof Direct) {
                return UpstreamResult.refused(
                        404, "not cached here: MODPROXY_UPSTREAM says direct, fetch " + relativePath + " directly");
            }
            if (entry instanceof Off) {
                return UpstreamResult.refused(410, "module fetching disabled by MODPROXY_UPSTREAM=off");
            }
            Upstream upstream = ((Proxy) entry).upstream();
            UpstreamResult<T> result = ask(upstream, relativePath, consumer, deadline);
            if (result.found()) {
                return result;
            }
            failedOtherwise |= !result.notFound() && !result.contentRefused();
            int rank = result.notFound() ? RANK_NOT_FOUND : RANK_ERROR;
            if (rank >= bestRank) {
                bestRank = rank;
                best = result;
            }
            if (!result.notFound() && !entry.fallThroughOnError()) {
                break; // after ',' the go command stops here too: this is the chain's answer
            }
            if (!result.notFound() && !mayTryNext.getAsBoolean()) {
                failedOtherwise |= i + 1 < entries.size();
                break;
            }
        }
        return best.contentRefused() && failedOtherwise ? UpstreamResult.refused(best.status(), best.reason()) : best;
    }

    private <T> UpstreamResult<T> ask(
            Upstream upstream, String relativePath, BodyConsumer<T> consumer, Duration deadline) {
        if (!upstream.breaker().tryAcquire()) {
            listener.requestFinished(upstream, "circuit_open", 0);
            return UpstreamResult.refused(502, upstream.host() + " skipped: circuit open after repeated failures");
        }
        long start = System.nanoTime();
        String outcome = "error";
        try (UpstreamResponse response = upstream.get(relativePath, deadline)) {
            if (response.notFound()) {
                upstream.breaker().recordSuccess();
                outcome = "not_found";
                return UpstreamResult.refused(response.status(), response.describe(relativePath));
            }
            if (!response.ok()) {
                // an upstream that answers is up: a 500 for one module (a VCS error behind Athens) is that module's
                // problem; only 503 says the server is unavailable
                if (response.status() == 503) {
                    upstream.breaker().recordFailure(relativePath);
                } else {
                    upstream.breaker().recordSuccess();
                }
                // a 403 or 400 is the upstream's answer about this path (proxy.golang.org's 400 for a path it cannot
                // serve, an allow-list's for a host it does not take), passed on so the go command says what it says
                // direct; any other refusal (a 401 included: the cache's login, not the client's) is a bad gateway
                if (response.status() == 403 || response.status() == 400) {
                    outcome = response.status() == 403 ? "forbidden" : "bad_request";
                    return UpstreamResult.refused(response.status(), response.describe(relativePath));
                }
                return UpstreamResult.refused(502, response.describe(relativePath));
            }
            T value = consumer.consume(response);
            upstream.breaker().recordSuccess();
            outcome = "ok";
            return UpstreamResult.found(value);
        } catch (UnusableAnswerException e) {
            upstream.breaker().recordSuccess();
            outcome = "rejected";
            String reason = e.describe(upstream.host());
            return e.contentRefused()
                    ? UpstreamResult.contentRefused(502, reason)
                    : UpstreamResult.refused(502, reason);
        } catch (EgressLoginRefusedException e) {
            // the egress proxy answered, refusing the cache's login (or wanting one): a refusal like a 401, not an
            // outage, so the circuit stays closed and the next request asks again (after the login is fixed)
            upstream.breaker().recordSuccess();
            return UpstreamResult.refused(502, upstream.host() + " failed: " + describe(e));
        } catch (UpstreamTimeoutException e) {
            upstream.breaker().recordFailure(relativePath);
            outcome = "timeout";
            return UpstreamResult.refused(504, e.getMessage());
        } catch (IOException e) {
            upstream.breaker().recordFailure(relativePath);
            return UpstreamResult.refused(502, upstream.host() + " failed: " + describe(e));
        } catch (CancellationException e) {
            upstream.breaker()
                    .recordNeither(); // we stopped it (a prefetch over its budget): says nothing about the upstream
            outcome = "cancelled";
            throw e;
        } catch (RuntimeException e) {
            upstream.breaker().recordNeither(); // a local fault, e.g. storage: not the upstream's
            outcome = "local_failure"; // nor an upstream error on the dashboard
            throw e;
        } finally {
            listener.requestFinished(upstream, outcome, System.nanoTime() - start);
        }
    }

    private static String describe(IOException e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder();
        for (Entry entry : entries) {
            if (entry instanceof Proxy proxy) {
                out.append(proxy.upstream());
            } else {
                out.append(entry instanceof Direct ? "direct" : "off");
            }
            if (entry != entries.get(entries.size() - 1)) {
                out.append(entry.fallThroughOnError() ? "|" : ",");
            }
        }
        return out.toString();
    }
}
