package dev.modproxy.operator.webhook;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GroupVersionKind;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.admission.v1.AdmissionRequest;

/** Turns one admission request into the patch that points the pod's Go builds at a cache. */
public final class PodMutator {

    private final CacheSelection selection;
    private final Set<String> excludedNamespaces;

    public PodMutator(CacheDirectory directory, Set<String> excludedNamespaces) {
        this.selection = new CacheSelection(directory);
        this.excludedNamespaces = Set.copyOf(excludedNamespaces);
    }

    /** The result for one pod; {@code patch} is empty unless something was added. */
    public record Mutation(Outcome outcome, JsonPatch patch, List<String> warnings, String reason) {

        static Mutation skipped(String reason) {
            return new Mutation(Outcome.SKIPPED, new JsonPatch(), List.of(), reason);
        }
    }

    public Mutation mutate(AdmissionRequest request) {
        if (!"CREATE".equals(request.getOperation())) {
            return Mutation.skipped("operation " + request.getOperation() + " is not CREATE");
        }
        // the API server always sends kind; a hand-made review may carry only requestKind
        GroupVersionKind kind = request.getKind() != null ? request.getKind() : request.getRequestKind();
        if (kind == null || !"Pod".equals(kind.getKind()) || !isBlank(kind.getGroup())) {
            return Mutation.skipped("object is not a Pod");
        }
        if (!isBlank(request.getSubResource())) {
            return Mutation.skipped("subresource " + request.getSubResource());
        }
        if (request.getObject() == null) {
            throw new MalformedReviewException("request.object is missing");
        }
        if (!(request.getObject() instanceof Pod pod)) {
            throw new MalformedReviewException(request.getObject() instanceof HasMetadata resource
                    ? "request.object is a " + resource.getKind() + ", not a Pod"
                    : "request.object is not a Pod object");
        }
        ObjectMeta meta = pod.getMetadata() == null ? new ObjectMeta() : pod.getMetadata();
        // on CREATE the pod's own metadata.namespace may still be empty
        String namespace = !isBlank(request.getNamespace()) ? request.getNamespace() : meta.getNamespace();
        if (isBlank(namespace)) {
            throw new MalformedReviewException("request.namespace is missing");
        }
        if (excludedNamespaces.contains(namespace)) {
            return Mutation.skipped("namespace " + namespace + " is excluded");
        }
        CacheSelection.Outcome chosen = selection.select(namespace, orEmpty(meta.getLabels()),
                orEmpty(meta.getAnnotations()));
        if (chosen instanceof CacheSelection.NotRequested notRequested) {
            return Mutation.skipped(notRequested.reason());
        }
        if (chosen instanceof CacheSelection.Unavailable unavailable) {
            return new Mutation(Outcome.SKIPPED, new JsonPatch(), List.of("modproxy: " + unavailable.warning()),
                    unavailable.warning());
        }
        return inject(pod, meta, ((CacheSelection.Chosen) chosen).cache());
    }

    private Mutation inject(Pod pod, ObjectMeta meta, CacheTarget cache) {
        Outcome outcome = cache.serving() ? Outcome.INJECTED : Outcome.FALLBACK_ONLY;
        List<String> warnings = new ArrayList<>();
        if (outcome == Outcome.FALLBACK_ONLY) {
            warnings.add("modproxy: GoProxyCache " + cache.ref() + " is not Ready; GOPROXY set to its fallback chain");
        }
        Map<String, String> env = GoEnvironment.forCache(cache);
        JsonPatch patch = new JsonPatch();
        Findings findings = new Findings();
        int touched = 0;
        if (pod.getSpec() != null) {
            touched += addMissing(patch, "/spec/initContainers", pod.getSpec().getInitContainers(), pod.getSpec(), env,
                    findings);
            touched += addMissing(patch, "/spec/containers", pod.getSpec().getContainers(), pod.getSpec(), env, findings);
        }
        if (!findings.keptEnvFrom.isEmpty()) {
            warnings.add("modproxy: envFrom may set the Go variables; left to it in container(s) "
                    + String.join(", ", findings.keptEnvFrom));
        }
        if (!findings.scriptedBuilds.isEmpty()) {
            warnings.add("modproxy: pass --build-arg GOPROXY to the image build in " + String.join(", ", findings.scriptedBuilds)
                    + " (docs/image-builds.md)");
        }
        if (touched == 0) {
            return new Mutation(Outcome.SKIPPED, patch, warnings,
                    "every container sets " + String.join(", ", env.keySet()) + " or may take them from envFrom");
        }
        annotate(patch, pod.getMetadata() != null, meta, cache, outcome, findings);
        return new Mutation(outcome, patch, warnings, touched + " container(s) use " + cache.ref());
    }

    /** What the pass over the containers found besides the patch, for the annotation and the warnings. */
    private static final class Findings {
        final List<String> keptEnvFrom = new ArrayList<>();
        final List<String> buildArgs = new ArrayList<>();
        final List<String> scriptedBuilds = new ArrayList<>();
    }

    private static int addMissing(JsonPatch patch, String listPath, List<Container> containers, PodSpec spec,
            Map<String, String> env, Findings findings) {
        if (containers == null) {
            return 0;
        }
        int touched = 0;
        for (int i = 0; i < containers.size(); i++) {
            Container container = containers.get(i);
            if (container == null) {
                continue;
            }
            List<EnvVar> existing = container.getEnv();
            // by name only: a value, a valueFrom or an empty value all mean the container decided
            Map<String, EnvVar> present = new HashMap<>();
            if (existing != null) {
                // of two entries with one name, the container sees the later one
                existing.stream().filter(Objects::nonNull).forEach(var -> present.put(var.getName(), var));
            }
            ArrayNode missing = JsonNodeFactory.instance.arrayNode();
            // the variables this container's Go commands get from the webhook: its image build should get the same
            Map<String, String> ours = new LinkedHashMap<>();
            boolean leftToEnvFrom = false;
            for (Map.Entry<String, String> variable : env.entrySet()) {
                EnvVar own = present.get(variable.getKey());
                if (own != null) {
                    if (own.getValueFrom() == null && variable.getValue().equals(own.getValue())) {
                        ours.put(variable.getKey(), variable.getValue());
                    }
                    continue;
                }
                if (mayComeFromEnvFrom(container, variable.getKey())) {
                    leftToEnvFrom = true;
                    continue;
                }
                missing.add(JsonNodeFactory.instance.objectNode().put("name", variable.getKey())
                        .put("value", variable.getValue()));
                ours.put(variable.getKey(), variable.getValue());
            }
            if (leftToEnvFrom) {
                findings.keptEnvFrom.add(container.getName());
            }
            String containerPath = listPath + "/" + i;
            boolean changed = false;
            if (!missing.isEmpty()) {
                String envPath = containerPath + "/env";
                if (existing == null || existing.isEmpty()) {
                    // "add" of the whole array also works when the pod carries "env": []
                    patch.add(envPath, missing);
                } else {
                    missing.forEach(var -> patch.add(envPath + "/-", var));
                }
                changed = true;
            }
            changed |= addBuildArgs(patch, containerPath, container, spec, ours, findings);
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
    private static boolean addBuildArgs(JsonPatch patch, String containerPath, Container container, PodSpec spec,
            Map<String, String> ours, Findings findings) {
        ContainerCommand command = ContainerCommand.of(container, spec);
        Optional<ImageBuilder> builder = ImageBuilder.recognise(command, container.getImage());
        if (ScriptedImageBuild.needsBuildArgsByHand(command, container.getImage(), builder)) {
            findings.scriptedBuilds.add(container.getName());
            return false;
        }
        if (builder.isEmpty() || !builder.get().builds(command.arguments())
                || !builder.get().readsAppendedFlags(command.arguments())) {
            return false;
        }
        Map<String, String> passed = builder.get().buildArgs(command.arguments());
        ArrayNode flags = JsonNodeFactory.instance.arrayNode();
        ours.forEach((name, value) -> {
            if (!passed.containsKey(name)) {
                flags.add(builder.get().flag(name, value));
            }
        });
        // recorded while the build gets one of the webhook's values; stable when the webhook is called again
        boolean passesOurs = !flags.isEmpty()
                || ours.entrySet().stream().anyMatch(variable -> variable.getValue().equals(passed.get(variable.getKey())));
        if (passesOurs) {
            findings.buildArgs.add(container.getName());
        }
        if (flags.isEmpty()) {
            return false;
        }
        List<String> args = container.getArgs();
        if (args == null || args.isEmpty()) {
            // Kubernetes runs command + args: new args follow a builder whose flags are all in its command
            patch.add(containerPath + "/args", flags);
        } else {
            flags.forEach(flag -> patch.add(containerPath + "/args/-", flag));
        }
        return true;
    }

    /**
     * The webhook cannot read the ConfigMaps and Secrets behind envFrom, and an added env entry
     * would win over them: a source whose prefix could yield the name may set it, so it is left alone.
     */
    private static boolean mayComeFromEnvFrom(Container container, String name) {
        List<EnvFromSource> sources = container.getEnvFrom();
        return sources != null && sources.stream()
                .anyMatch(source -> source != null && (source.getPrefix() == null || name.startsWith(source.getPrefix())));
    }

    private static void annotate(JsonPatch patch, boolean hasMetadata, ObjectMeta meta, CacheTarget cache,
            Outcome outcome, Findings findings) {
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
        Map<String, String> annotations = meta.getAnnotations();
        if (!hasMetadata) {
            ObjectNode metadata = JsonNodeFactory.instance.objectNode();
            metadata.set("annotations", JsonNodeFactory.instance.objectNode().put(InjectionLabels.INJECTED, value));
            patch.add("/metadata", metadata);
        } else if (annotations == null || annotations.isEmpty()) {
            patch.add("/metadata/annotations", JsonNodeFactory.instance.objectNode().put(InjectionLabels.INJECTED, value));
        } else if (!value.equals(annotations.get(InjectionLabels.INJECTED))) {
            patch.add("/metadata/annotations/" + JsonPatch.token(InjectionLabels.INJECTED),
                    JsonNodeFactory.instance.textNode(value));
        }
    }

    private static Map<String, String> orEmpty(Map<String, String> map) {
        return map == null ? Map.of() : map;
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }
}
