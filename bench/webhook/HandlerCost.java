import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

import dev.modproxy.operator.webhook.AdmissionReviewHandler;
import dev.modproxy.operator.webhook.InjectionMetrics;
import dev.modproxy.operator.webhook.PodMutator;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * What one review costs the webhook itself, without network, TLS or other load: CPU time and
 * bytes allocated per AdmissionReview on one thread, after the JIT has settled.
 * Args: fixture AdmissionReview.
 */
public class HandlerCost {

    public static void main(String[] args) throws Exception {
        AdmissionReviewHandler handler = new AdmissionReviewHandler(
                new PodMutator(WebhookBenchServer.directory(), Set.of("kube-system")),
                new InjectionMetrics(new SimpleMeterRegistry()));
        byte[] review = Files.readAllBytes(Path.of(args[0]));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        int reviews = 50_000;
        for (int i = 0; i < reviews; i++) {
            handler.handle(review);
        }
        long bytes = threads.getCurrentThreadAllocatedBytes();
        long cpu = threads.getCurrentThreadCpuTime();
        for (int i = 0; i < reviews; i++) {
            handler.handle(review);
        }
        System.out.printf("handler cost per review (one thread, %d reviews after as many to warm up): %.1f us CPU, %d bytes allocated%n",
                reviews, (threads.getCurrentThreadCpuTime() - cpu) / 1e3 / reviews,
                (threads.getCurrentThreadAllocatedBytes() - bytes) / reviews);
    }
}
