package dev.modproxy.proxy.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The setup the acceptance tests share: a {@link FakeUpstream} and the proxy as production assembles it
 * ({@link ProxyUnderTest}) on it, with a cache root of its own; started before each test, closed (and
 * the cache removed) after it. Register it on an instance field:
 *
 * <pre>
 * &#64;RegisterExtension
 * final ProxyOnFakeUpstream env = ProxyOnFakeUpstream.publishing(u -&gt; Modules.publish(u, "example.com/lib", "v1.0.0"));
 * </pre>
 */
public final class ProxyOnFakeUpstream implements BeforeEachCallback, AfterEachCallback {

    private final Consumer<FakeUpstream> publish;
    private ProxyUnderTest.Options options = ProxyUnderTest.options();
    private Path work;
    private FakeUpstream upstream;
    private ProxyUnderTest proxy;

    private ProxyOnFakeUpstream(Consumer<FakeUpstream> publish) {
        this.publish = publish;
    }

    /** An upstream that serves what {@code publish} puts on it (anything else: 404). */
    public static ProxyOnFakeUpstream publishing(Consumer<FakeUpstream> publish) {
        return new ProxyOnFakeUpstream(publish);
    }

    /** The proxy's settings for every test of the class. */
    public ProxyOnFakeUpstream with(ProxyUnderTest.Options proxyOptions) {
        options = proxyOptions;
        return this;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        work = Files.createTempDirectory("modproxy-test");
        upstream = FakeUpstream.start();
        publish.accept(upstream);
        proxy = new ProxyUnderTest(upstream.url(), cacheRoot(), options);
    }

    @Override
    public void afterEach(ExtensionContext context) throws Exception {
        try {
            if (proxy != null) {
                proxy.close();
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
            deleteWork();
        }
    }

    public FakeUpstream upstream() {
        return upstream;
    }

    public ProxyUnderTest proxy() {
        return proxy;
    }

    /** Where the proxy keeps its cache. */
    public Path cacheRoot() {
        return work.resolve("cache");
    }

    /** Stops the proxy and starts it again on the same cache and upstream with other settings. */
    public ProxyUnderTest restart(ProxyUnderTest.Options proxyOptions) throws Exception {
        proxy.close();
        proxy = null;
        proxy = new ProxyUnderTest(upstream.url(), cacheRoot(), proxyOptions);
        return proxy;
    }

    private void deleteWork() throws IOException {
        try (Stream<Path> files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(file -> {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
