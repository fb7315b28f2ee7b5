package dev.modproxy.operator.webhook;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.modproxy.operator.webhook.PodReview.AdmittedPod;
import dev.modproxy.operator.webhook.PodReview.EnvEntry;
import dev.modproxy.operator.webhook.PodReview.PodContainer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Turns one admission request into the patch that points the pod's Go builds at a cache. */
public final class PodMutator {

    private final CacheSelection selection;
    private final Set<String> excludedNamespaces;

    public PodMutator(CacheDirectory directory, Set<String> excludedNamespaces) {
        this.selection = new CacheSelection(directory);
        this.excludedNamespaces = Set.copyOf(excludedNamespaces);
    }

    /**
     * The result for one pod; {@code patch} is empty unless something was added.
     *
     * @param statusMessage for the answer's {@code status.message}: why a review the webhook cannot act on was
     *        left alone; null for a pod it looked at
     * @param lookAgain the pod is left unchanged for a reason a fresher view of the caches and namespaces could
     *        change ({@link CacheSelection})
     */
    public record Mutation(
            InjectionOutcome outcome,
            JsonPatch patch,
            List<String> warnings,
            String reason,
            String statusMessage,
            boolean lookAgain) {

        Mutation(InjectionOutcome outcome, JsonPatch patch, List<String> warnings, String reason) {
            this(outcome, patch, warnings, reason, null, false);
        }

        static Mutation skipped(String reason) {
            return skipped(reason, false);
        }

        static Mutation skipped(String reason, boolean lookAgain) {
            return new Mutation(InjectionOutcome.SKIPPED, new JsonPatch(), List.of(), reason, null, lookAgain);
        }

        /** The pod asked for a cache but is left as it is; the user is told why. */
        static Mutation leftUnchanged(String warning) {
            return leftUnchanged(warning, false);
        }

        static Mutation leftUnchanged(String warning, boolean lookAgain) {
            return new Mutation(
                    InjectionOutcome.SKIPPED,
                    new JsonPatch(),
                    List.of("modproxy: " + warning),
                    warning,
                    null,
                    lookAgain);
        }

        /** Not a pod: skipped like the pods that did not opt in, but the answer says why. */
        static Mutation notAPod(String reason) {
            return new Mutation(InjectionOutcome.SKIPPED, new JsonPatch(), List.of(), reason, reason, false);
        }
    }

    public Mutation mutate(PodReview request) {
        // before the operation: whatever is done to an object that is not a Pod, the answer says it is not one
        PodReview.ResourceKind kind = request.kind();
        if (kind == null || !"Pod".equals(kind.kind()) || !isBlank(kind.group())) {
            return Mutation.notAPod(notAPod(kind));
        }
        if (!"CREATE".equals(request.operation())) {
            return Mutation.skipped("operation " + request.operation() + " is not CREATE");
        }
        if (!isBlank(request.subResource())) {
            return Mutation.skipped("subresource " + request.subResource());
        }
        AdmittedPod pod = request.pod();
        if (pod == null) {
            throw new MalformedReviewException(request.notAPod());
        }
        // on CREATE the pod's own metadata.namespace may still be empty
        String namespace = !isBlank(request.namespace()) ? request.namespace() : pod.namespace();
        if (isBlank(namespace)) {
            throw new MalformedReviewException("request.namespace is missing");
        }
        if (excludedNamespaces.contains(namespace)) {
            return Mutation.skipped("namespace " + namespace + " is excluded");
        }
        CacheSelection.Outcome chosen = selection.select(namespace, pod.labels(), pod.annotations());
        if (chosen instanceof CacheSelection.NotRequested notRequested) {
            return Mutation.skipped(notRequested.reason(), notRequested.lookAgain());
        }
        if (chosen instanceof CacheSelection.Unavailable unavailable) {
            return Mutation.leftUnchanged(unavailable.warning(), unavailable.lookAgain());
        }
        return inject(pod, ((CacheSelection.Chosen) chosen).cache());
    }

    private Mutation inject(AdmittedPod pod, CacheTarget cache) {
        InjectionOutcome outcome = cache.serving() ? InjectionOutcome.INJECTED : InjectionOutcome.FALLBACK_ONLY;
        List<String> warnings = new ArrayList<>();
        if (cache.fallbackRefused()) {
            if (outcome == InjectionOutcome.FALLBACK_ONLY) {
                // neither the cache nor its chain to hand over: the pod's own settings are all it has
                return Mutation.leftUnchanged("GoProxyCache " + cache.ref()
                        + " is not Ready, its fallback refused (Degraded InvalidSpec); pod left unchanged");
            }
            warnings.add("modproxy: GoProxyCache " + cache.ref()
                    + ": fallback chain refused (Degraded InvalidSpec); GOPROXY is the cache alone");
        } else if (outcome == InjectionOutcome.FALLBACK_ONLY) {
            warnings.add("modproxy: GoProxyCache " + cache.ref() + " is not Ready; GOPROXY set to its fallback chain");
        }
        if (outcome == InjectionOutcome.INJECTED && pod.hostNetwork() && !resolvesClusterNames(pod.dnsPolicy())) {
            warnings.add("modproxy: hostNetwork pod: set dnsPolicy: ClusterFirstWithHostNet to reach the cache; "
                    + "NetworkPolicy: docs/injection.md");
        }
        // spelled for env values and args, which the kubelet expands: the cache's text arrives as written
        Map<String, String> env = VariableReferences.literal(GoEnvironment.forCache(cache));
        JsonPatch patch = new JsonPatch();
        Findings findings = new Findings();
        int touched = 0;
        touched += addMissing(patch, "/spec/initContainers", pod.initContainers(), pod, env, findings);
        touched += addMissing(patch, "/spec/containers", pod.containers(), pod, env, findings);
        if (!findings.unseenExemptions.isEmpty()) {
            // the variables come from valueFrom or envFrom, which the webhook cannot read (docs/injection.md)
            warnings.add("modproxy: private modules may reach the fallback: add " + cache.ref() + "'s spec.private to "
                    + String.join(", ", findings.unseenExemptionNames) + " in "
                    + String.join(", ", findings.unseenExemptions));
        }
        if (!findings.keptEnvFrom.isEmpty()) {
            warnings.add("modproxy: envFrom may set the Go variables; left to it in container(s) "
                    + String.join(", ", findings.keptEnvFrom));
        }
        if (!findings.scriptedBuilds.isEmpty()) {
            warnings.add("modproxy: pass --build-arg GOPROXY to the image build in "
                    + String.join(", ", findings.scriptedBuilds) + " (docs/image-builds.md)");
        }
        if (touched == 0) {
            return new Mutation(
                    InjectionOutcome.SKIPPED,
                    patch,
                    warnings,
                    "every container sets " + String.join(", ", env.keySet()) + " or may take them from envFrom");
        }
        annotate(patch, pod, cache, outcome, findings);
        return new Mutation(outcome, patch, warnings, touched + " container(s) use " + cache.ref());
    }

    /** What the pass over the containers found besides the patch, for the annotation and the warnings. */
    private static final class Findings {
        final List<String> keptEnvFrom = new ArrayList<>();
        final List<String> buildArgs = new ArrayList<>();
        final List<String> scriptedBuilds = new ArrayList<>();
        /** Containers whose GONOPROXY or GONOSUMDB (the names) come from a source the webhook cannot read. */
        final Set<String> unseenExemptions = new LinkedHashSet<>();

        final Set<String> unseenExemptionNames = new TreeSet<>();
    }

    private static int addMissing(
            JsonPatch patch,
            String listPath,
            List<PodContainer> containers,
            AdmittedPod pod,
            Map<String, String> env,
            Findings findings) {
        int touched = 0;
        for (int i = 0; i < containers.size(); i++) {
            PodContainer container = containers.get(i);
            if (container == null) {
                continue;
            }
            List<EnvEntry> existing = container.env();
            String containerPath = listPath + "/" + i;
            // by name only: a value, a valueFrom or an empty value all mean the container decided, but for
            // GONOPROXY and GONOSUMDB, which must still exempt the cache's private patterns (coveringCachePatterns)
            Map<String, Integer> present = new HashMap<>();
            for (int index = 0; index < existing.size(); index++) {
                // of two entries with one name, the container sees the later one
                if (existing.get(index) != null) {
                    present.put(existing.get(index).name(), index);
                }
            }
            ArrayNode missing = JsonNodeFactory.instance.arrayNode();
            // the variables this container's Go commands get from the webhook: its image build should get the same
            Map<String, String> ours = new LinkedHashMap<>();
            boolean leftToEnvFrom = false;
            boolean changed = false;
            boolean ownGoPrivate = present.containsKey(GoEnvironment.GOPRIVATE)
                    || mayComeFromEnvFrom(container, GoEnvironment.GOPRIVATE);
            for (Map.Entry<String, String> entry : env.entrySet()) {
                Map.Entry<String, String> variable = ownGoPrivate ? keepingOwnGoPrivate(entry) : entry;
                String name = variable.getKey();
                // the cache's fallback is only asked through the webhook's GOPROXY, the first variable of env
                boolean mustExemptCachePatterns =
                        (name.equals(GoEnvironment.GONOPROXY) || name.equals(GoEnvironment.GONOSUMDB))
                                && ours.containsKey(GoEnvironment.GOPROXY);
                Integer ownIndex = present.get(name);
                if (ownIndex != null) {
                    EnvEntry own = existing.get(ownIndex);
                    String value = own.value();
                    boolean goPrivateWrittenOut = false;
                    if (mustExemptCachePatterns && !own.fromSource()) {
                        value = coveringCachePatterns(value, entry.getValue(), variable.getValue());
                        Integer goPrivateIndex = present.get(GoEnvironment.GOPRIVATE);
                        if (value.equals(variable.getValue())
                                && ownGoPrivate
                                && goPrivateIndex != null
                                && goPrivateIndex > ownIndex) {
                            // the kubelet expands a reference with the variables listed before it: at this entry the
                            // container's GOPRIVATE, listed later, is not defined and $(GOPRIVATE) would stay as
                            // written
                            EnvEntry goPrivate = existing.get(goPrivateIndex);
                            String goPrivateText = goPrivate.value() == null ? "" : goPrivate.value();
                            if (goPrivate.fromSource() || goPrivateText.contains("$")) {
                                // a value only the kubelet knows: a second entry after it, which the container sees
                                missing.add(JsonNodeFactory.instance
                                        .objectNode()
                                        .put("name", name)
                                        .put("value", variable.getValue()));
                                ours.put(name, variable.getValue());
                                continue;
                            }
                            value = goPrivateText.isBlank() ? entry.getValue() : entry.getValue() + "," + goPrivateText;
                            goPrivateWrittenOut = true;
                        }
                        if (!value.equals(own.value())) {
                            patch.add(
                                    containerPath + "/env/" + ownIndex + "/value",
                                    JsonNodeFactory.instance.textNode(value));
                            changed = true;
                        }
                    } else if (mustExemptCachePatterns) {
                        findings.unseenExemptions.add(container.name());
                        findings.unseenExemptionNames.add(name);
                    }
                    if (goPrivateWrittenOut) {
                        // the webhook's value in another spelling: an image build needs it as much as the env does
                        ours.put(name, value);
                    } else if (!own.fromSource() && variable.getValue().equals(value)) {
                        ours.put(name, variable.getValue());
                    }
                    continue;
                }
                if (mayComeFromEnvFrom(container, name)) {
                    leftToEnvFrom = true;
                    if (mustExemptCachePatterns) {
                        findings.unseenExemptions.add(container.name());
                        findings.unseenExemptionNames.add(name);
                    }
                    continue;
                }
                missing.add(JsonNodeFactory.instance
                        .objectNode()
                        .put("name", variable.getKey())
                        .put("value", variable.getValue()));
                ours.put(variable.getKey(), variable.getValue());
            }
            if (leftToEnvFrom) {
                findings.keptEnvFrom.add(container.name());
            }
            if (!missing.isEmpty()) {
                String envPath = containerPath + "/env";
                if (existing.isEmpty()) {
                    // "add" of the whole array also works when the pod carries "env": []
                    patch.add(envPath, missing);
                } else {
                    missing.forEach(var -> patch.add(envPath + "/-", var));
                }
                changed = true;
            }
            changed |= addBuildArgs(patch, containerPath, container, pod, ours, findings);
            if (changed) {
                touched++;
            }
        }
        return touched;
    }

    /**
     * Appends the variables as build arguments when the container runs a recognised image builder
     * ({@link ImageBuilder}) that does not pass them yet; names the container for a warning when a script
     * drives the build instead ({@link ScriptedImageBuild}).
     */
    private static boolean addBuildArgs(
            JsonPatch patch,
            String containerPath,
            PodContainer container,
            AdmittedPod pod,
            Map<String, String> ours,
            Findings findings) {
        ContainerCommand command = ContainerCommand.of(container, pod.initContainers());
        Optional<ImageBuilder> builder = ImageBuilder.recognise(command, container.image());
        if (ScriptedImageBuild.needsBuildArgsByHand(command, container.image(), builder)) {
            findings.scriptedBuilds.add(container.name());
            return false;
        }
        if (builder.isEmpty()
                || !builder.get().builds(command.arguments())
                || !builder.get().readsAppendedFlags(command.arguments())) {
            return false;
        }
        Map<String, String> passed = builder.get().buildArgs(command.arguments());
        ArrayNode flags = JsonNodeFactory.instance.arrayNode();
        ours.forEach((name, value) -> {
            if (!passed.containsKey(name)) {
                // the env's spelling: the kubelet expands args as it does env values
                flags.add(builder.get().flag(name, value));
            }
        });
        // recorded while the build gets one of the webhook's values; stable when the webhook is called again
        boolean passesOurs = !flags.isEmpty()
                || ours.entrySet().stream()
                        .anyMatch(variable -> variable.getValue().equals(passed.get(variable.getKey())));
        if (passesOurs) {
            findings.buildArgs.add(container.name());
        }
        if (flags.isEmpty()) {
            return false;
        }
        if (container.args().isEmpty()) {
            // Kubernetes runs command + args: new args follow a builder whose flags are all in its command
            patch.add(containerPath + "/args", flags);
        } else {
            flags.forEach(flag -> patch.add(containerPath + "/args/-", flag));
        }
        return true;
    }

    /**
     * The go command derives GONOPROXY and GONOSUMDB from GOPRIVATE only while they are unset; once the webhook sets
     * them for the cache's patterns, a GOPRIVATE the container sets itself (in env, maybe through envFrom) would
     * exempt its paths from nothing, and its private modules would go to the cache's fallback and the checksum
     * database. So they end with a reference to the container's own GOPRIVATE, which the kubelet expands when the
     * container starts (dependent environment variables; in args too, for the build arguments). A reference that
     * envFrom leaves undefined stays as written and, as a pattern, matches no module path.
     */
    private static Map.Entry<String, String> keepingOwnGoPrivate(Map.Entry<String, String> variable) {
        String name = variable.getKey();
        if (name.equals(GoEnvironment.GONOPROXY) || name.equals(GoEnvironment.GONOSUMDB)) {
            return Map.entry(name, variable.getValue() + "," + VariableReferences.to(GoEnvironment.GOPRIVATE));
        }
        return variable;
    }

    /**
     * The container's own GONOPROXY or GONOSUMDB, made to exempt the cache's patterns too. The go command reads them
     * in preference to GOPRIVATE: a container that sets {@code GONOPROXY=other.corp/*} would otherwise have the
     * cache's private modules asked of the cache and then of its public fallback. The patterns the value lacks are
     * appended as the webhook writes them ({@link VariableReferences#literal}), so a second call finds them all and
     * changes nothing. An empty value is unset to the go command (derived from GOPRIVATE): it becomes the webhook's.
     *
     * @param cachePatterns the cache's patterns for the variable, comma-separated
     * @param ours what the webhook sets when the container does not ({@code cachePatterns}, maybe with a reference
     *        to the container's GOPRIVATE)
     */
    private static String coveringCachePatterns(String own, String cachePatterns, String ours) {
        if (own == null || own.isBlank()) {
            return ours;
        }
        Set<String> listed = new HashSet<>();
        // as the go command reads them, blanks and all: " a.corp/*" is a glob no module path matches, not a.corp/*
        listed.addAll(List.of(own.split(",")));
        StringBuilder covering = new StringBuilder(own);
        for (String pattern : cachePatterns.split(",")) {
            if (!listed.contains(pattern)) {
                covering.append(',').append(pattern);
            }
        }
        return covering.toString();
    }

    /**
     * The webhook cannot read the ConfigMaps and Secrets behind envFrom, and an added env entry
     * would win over them: a source whose prefix could yield the name may set it, so it is left alone.
     */
    private static boolean mayComeFromEnvFrom(PodContainer container, String name) {
        for (PodReview.EnvSource source : container.envFrom()) {
            if (source != null && (source.prefix() == null || name.startsWith(source.prefix()))) {
                return true;
            }
        }
        return false;
    }

    private static void annotate(
            JsonPatch patch, AdmittedPod pod, CacheTarget cache, InjectionOutcome outcome, Findings findings) {
        ObjectNode record = JsonNodeFactory.instance.objectNode();
        record.put("cache", cache.ref().toString());
        record.put("outcome", outcome.tag());
        if (!findings.keptEnvFrom.isEmpty()) {
            ArrayNode names = record.putArray("envFrom");
            findings.keptEnvFrom.forEach(names::add);
        }
        if (!findings.buildArgs.isEmpty()) {
            ArrayNode names = record.putArray("buildArgs");
            findings.buildArgs.forEach(names::add);
        }
        String value = record.toString();
        Map<String, String> annotations = pod.annotations();
        if (!pod.hasMetadata()) {
            ObjectNode metadata = JsonNodeFactory.instance.objectNode();
            metadata.set("annotations", JsonNodeFactory.instance.objectNode().put(InjectionLabels.INJECTED, value));
            patch.add("/metadata", metadata);
        } else if (annotations.isEmpty()) {
            patch.add(
                    "/metadata/annotations",
                    JsonNodeFactory.instance.objectNode().put(InjectionLabels.INJECTED, value));
        } else if (!value.equals(annotations.get(InjectionLabels.INJECTED))) {
            // the webhook's own record: "add" of a member the pod has replaces it (RFC 6902, 4.1), a user's value too
            patch.add(
                    "/metadata/annotations/" + JsonPatch.token(InjectionLabels.INJECTED),
                    JsonNodeFactory.instance.textNode(value));
        }
    }

    /**
     * A host-network pod resolves the cache's Service name only with ClusterFirstWithHostNet, or with DNS of its own
     * (None and a dnsConfig); ClusterFirst, the default, means the node's resolver for it.
     */
    private static boolean resolvesClusterNames(String dnsPolicy) {
        return "ClusterFirstWithHostNet".equals(dnsPolicy) || "None".equals(dnsPolicy);
    }

    private static String notAPod(PodReview.ResourceKind kind) {
        if (kind == null || isBlank(kind.kind())) {
            return "request.kind is missing";
        }
        String named = isBlank(kind.group()) ? kind.kind() : kind.group() + "/" + kind.kind();
        return "request.kind is " + named + ", not a Pod";
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
