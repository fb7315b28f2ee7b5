package dev.modproxy.proxy.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.HeadBucketRequest;

/**
 * Review: a bucket whose address drops the connection's SYN (an egress NetworkPolicy or a firewall that drops, a
 * load balancer gone) is not a silent endpoint that accepts and never answers: the probe's HeadBucket waits in
 * connect, which the SDK's call timeout cannot cut short (the UrlConnection client's abort disconnects a connection
 * it does not have yet), so it waits for the client's own connection timeout, 2 s, past the kubelet's 2 s.
 */
class BlackHoledBucketProbeTest {

    @TempDir
    Path staging;

    @Test
    void theReadinessProbeGivesUpWithinTheKubeletsTimeoutWhenTheBucketsAddressDropsConnections() throws Exception {
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                // never accepted: once its queue is full, the kernel drops further SYNs, as a black hole does
                while (queued.size() < 64) {
                    Socket s = new Socket();
                    try {
                        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), full.getLocalPort()), 300);
                        queued.add(s);
                    } catch (SocketTimeoutException dropped) {
                        s.close();
                        break;
                    }
                }
                URI uri = URI.create("http://127.0.0.1:" + full.getLocalPort());
                try (S3Storage bucket = new S3Storage(
                        new S3Storage.Settings(Optional.of(uri), "b", "cache", "us-east-1", true),
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                        staging)) {
                    for (int probe = 1; probe <= 2; probe++) {
                        long start = System.nanoTime();
                        // a ProbeTimeoutException (no answer within 1500 ms), as the hung bucket's, but later
                        IOException e = assertThrows(IOException.class, bucket::probeWritable);
                        long took = (System.nanoTime() - start) / 1_000_000;
                        assertTrue(
                                took < 1_900,
                                "probe " + probe + " took " + took + " ms, past the kubelet's 2 s with its own"
                                        + " round trip: " + e);
                    }
                }
            } finally {
                for (Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /**
     * The probe answers on time by leaving its HeadBucket behind, still in connect: the next probe, 1.5 s later while
     * that call waits out the client's 2 s connection timeout, waits for it rather than starting another, so probes
     * never pile calls (and threads) up on a bucket that drops connections.
     */
    @Test
    void aProbeWhileTheLastOnesCallIsStillConnectingWaitsForItRatherThanStartingAnother() throws Exception {
        AtomicInteger heads = new AtomicInteger();
        ExecutionInterceptor counter = new ExecutionInterceptor() {
            @Override
            public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
                if (context.request() instanceof HeadBucketRequest) {
                    heads.incrementAndGet();
                }
            }
        };
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                fill(full, queued);
                URI uri = URI.create("http://127.0.0.1:" + full.getLocalPort());
                try (S3Storage bucket = new S3Storage(
                        new S3Storage.Settings(Optional.of(uri), "b", "cache", "us-east-1", true),
                        StaticCredentialsProvider.create(AwsBasicCredentials.create("k", "s")),
                        staging,
                        ClientOverrideConfiguration.builder()
                                .addExecutionInterceptor(counter)
                                .build())) {
                    assertThrows(ProbeTimeoutException.class, bucket::probeWritable);
                    // at once: the first call is in connect until about 2.0 s after it began
                    assertThrows(ProbeTimeoutException.class, bucket::probeWritable);
                    assertEquals(1, heads.get(), "HeadBucket calls made by two probes in a row on a black hole");
                }
            } finally {
                for (Socket s : queued) {
                    s.close();
                }
            }
        }
    }

    /** Connects to listener, never accepted, until its queue is full and the kernel drops further SYNs. */
    private static void fill(ServerSocket listener, List<Socket> queued) throws IOException {
        while (queued.size() < 64) {
            Socket s = new Socket();
            try {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()), 300);
                queued.add(s);
            } catch (SocketTimeoutException dropped) {
                s.close();
                return;
            }
        }
    }
}
