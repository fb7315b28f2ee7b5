package dev.modproxy.operator.warmup;

import dev.modproxy.contract.admin.WarmupReport;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.Warmup;
import dev.modproxy.operator.api.v1alpha1.WarmupState;
import dev.modproxy.operator.api.v1alpha1.WarmupStatus;
import java.util.List;
import java.util.Optional;

/** status.warmup as a function of the spec's generation and what the proxy answered. */
public final class WarmupProgress {

    static final int SHOWN_FAILURES = 20;

    private WarmupProgress() {}

    public static boolean wanted(GoProxyCache cache) {
        Warmup warmup = cache.getSpec().getWarmup();
        return warmup != null
                && ((warmup.getModules() != null && !warmup.getModules().isEmpty())
                        || warmup.getGoSumConfigMap() != null);
    }

    /** The spec's list has not been handed to the proxy since it last changed. */
    public static boolean due(GoProxyCache cache) {
        WarmupStatus previous = previous(cache);
        return wanted(cache) && (previous == null || !generation(cache).equals(previous.getSubmittedGeneration()));
    }

    public static boolean running(GoProxyCache cache) {
        WarmupStatus previous = previous(cache);
        return previous != null && previous.getState() == WarmupState.Running;
    }

    /** The proxy took the list: from here on its answers are the progress. */
    public static WarmupStatus accepted(GoProxyCache cache, WarmupReport answer) {
        return fromAnswer(generation(cache), answer);
    }

    public static WarmupStatus progressed(GoProxyCache cache, WarmupReport answer) {
        return fromAnswer(previous(cache).getSubmittedGeneration(), answer);
    }

    /** A list the proxy cannot read is not sent again until the spec changes. */
    public static WarmupStatus rejected(GoProxyCache cache, String why) {
        WarmupStatus status = new WarmupStatus();
        status.setSubmittedGeneration(generation(cache));
        status.setState(WarmupState.Rejected);
        status.setMessage(
                "The proxy refused spec.warmup: " + why + ". Fix the list; it is sent again when the spec changes.");
        return status;
    }

    /** Not handed over yet (proxy unreachable, another warm-up running, ConfigMap missing); tried again later. */
    public static WarmupStatus pending(GoProxyCache cache, String why) {
        WarmupStatus status = new WarmupStatus();
        WarmupStatus previous = previous(cache);
        status.setSubmittedGeneration(previous == null ? null : previous.getSubmittedGeneration());
        status.setState(WarmupState.Pending);
        status.setMessage("Warm-up not started yet: " + why + ".");
        return status;
    }

    /** The module list the proxy reads: spec lines first, then the go.sum text. */
    public static String moduleList(Warmup warmup, Optional<String> goSum) {
        StringBuilder list = new StringBuilder();
        if (warmup.getModules() != null) {
            warmup.getModules().forEach(m -> list.append(m.strip()).append('\n'));
        }
        goSum.ifPresent(text -> list.append(text).append('\n'));
        return list.toString();
    }

    private static WarmupStatus fromAnswer(Long generation, WarmupReport answer) {
        WarmupStatus status = new WarmupStatus();
        status.setSubmittedGeneration(generation);
        status.setState(state(answer.state()));
        if (status.getState() == WarmupState.Interrupted) {
            status.setMessage("The proxy no longer has this warm-up (it restarted while running); "
                    + "it is sent again when the spec changes.");
        }
        status.setRequested(answer.requested());
        status.setCompleted(answer.completed());
        status.setFailed(answer.failed());
        List<WarmupReport.Failure> failures = answer.failures() == null ? List.of() : answer.failures();
        status.setFailures(failures.stream()
                .limit(SHOWN_FAILURES)
                .map(f -> f.module() + "@" + f.version() + " " + f.artifact() + ": " + f.reason())
                .toList());
        if (!failures.isEmpty()) {
            status.setMessage(
                    answer.failed() + " module version(s) could not be fetched; builds fetch them on demand.");
        }
        return status;
    }

    private static WarmupState state(String proxyState) {
        if (WarmupReport.RUNNING.equals(proxyState)) {
            return WarmupState.Running;
        }
        return WarmupReport.FINISHED.equals(proxyState) ? WarmupState.Finished : WarmupState.Interrupted;
    }

    private static WarmupStatus previous(GoProxyCache cache) {
        return cache.getStatus() == null ? null : cache.getStatus().getWarmup();
    }

    private static Long generation(GoProxyCache cache) {
        return Optional.ofNullable(cache.getMetadata().getGeneration()).orElse(0L);
    }
}
