package dev.modproxy.operator.settings;

import dev.modproxy.contract.ByteSize;
import dev.modproxy.contract.GoSumDb;
import dev.modproxy.contract.ModulePathPatterns;
import dev.modproxy.contract.ProxyDuration;
import dev.modproxy.contract.Redacted;
import dev.modproxy.contract.SettingValueRule;
import dev.modproxy.operator.api.KubernetesSyntax;
import dev.modproxy.operator.api.v1alpha1.EgressProxy;
import dev.modproxy.operator.api.v1alpha1.EgressProxyLogin;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.ProxyTuning;
import dev.modproxy.operator.api.v1alpha1.Storage;
import dev.modproxy.operator.api.v1alpha1.UpstreamCA;
import dev.modproxy.operator.dependent.CacheNames;
import dev.modproxy.operator.webhook.InjectionLabels;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Toleration;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Mistakes in a GoProxyCache that stop the operator from rendering it. The CRD schema rejects most of them
 * at admission; this catches the rest (and all of them where the schema is not enforced).
 */
public final class SpecProblems {

    /**
     * Longest name whose derived object names still fit a 63-character DNS label: the longest is the management
     * Service's, "-management" (CacheNamesTest checks every name CacheNames derives).
     */
    public static final int MAX_NAME_LENGTH = 52;

    /** A name the cache's Service (a DNS label) can take; the CRD refuses other names with this rule too. */
    public static final String NAME_PATTERN = "^[a-z]([-a-z0-9]*[a-z0-9])?$";

    public static final String NAME_MESSAGE = "metadata.name must fit the cache's Service name: at most "
            + MAX_NAME_LENGTH + " lowercase letters, digits and '-', starting with a letter and ending with a letter "
            + "or digit";

    private static final Pattern DNS_LABEL = Pattern.compile(NAME_PATTERN);

    private static final Pattern ENV_NAME = Pattern.compile(ProxyTuning.ENV_NAME_PATTERN);
    private static final Pattern IMAGE = Pattern.compile(GoProxyCacheSpec.IMAGE);

    private static final Pattern STORAGE_SIZE = Pattern.compile(Storage.QUANTITY);
    /** Kubernetes' quantity grammar, unsigned: CPU takes the decimal suffixes below 1 too (100m). */
    private static final Pattern RESOURCE_QUANTITY =
            Pattern.compile("^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$");

    private SpecProblems() {}

    public static List<String> of(GoProxyCache cache) {
        List<String> problems = new ArrayList<>();
        String name = cache.getMetadata().getName();
        if (name.length() > MAX_NAME_LENGTH || !DNS_LABEL.matcher(name).matches()) {
            problems.add("metadata.name \"" + name + "\" cannot name the cache's Service (" + NAME_MESSAGE
                    + "); recreate the GoProxyCache under such a name");
        }
        GoProxyCacheSpec spec = cache.getSpec();
        if (spec == null) {
            problems.add("spec is missing; add at least \"spec: {}\" to get the defaults");
            return problems;
        }
        problems.addAll(GoProxyList.upstreamProblems(
                "spec.upstream",
                spec.getUpstream(),
                CacheNames.service(cache),
                cache.getMetadata().getNamespace()));
        if (spec.getInjection() != null && spec.getInjection().getFallback() != null) {
            GoProxyList.problem("spec.injection.fallback", spec.getInjection().getFallback())
                    .ifPresent(problems::add);
        }
        sumdbProblems(spec.getSumdb(), problems);
        if (spec.getImage() != null
                && !spec.getImage().isBlank()
                && !IMAGE.matcher(spec.getImage()).matches()) {
            problems.add("spec.image \"" + spec.getImage() + "\" is not an image reference the kubelet can pull ("
                    + GoProxyCacheSpec.IMAGE_MESSAGE + ")");
        }
        if (spec.getUpstreamCA() != null
                && (spec.getUpstreamCA().getSecretName() == null)
                        == (spec.getUpstreamCA().getConfigMapName() == null)) {
            problems.add(UpstreamCA.ONE_SOURCE_MESSAGE);
        }
        egressProxyProblems(spec.getEgressProxy(), problems);
        patternProblems("spec.noSumDB", spec.getNoSumDB(), problems);
        patternProblems("spec.private", spec.getPrivate(), problems);
        storageProblems(spec, problems);
        if (spec.getResources() != null) {
            quantityProblems("spec.resources.requests", spec.getResources().getRequests(), problems);
            quantityProblems("spec.resources.limits", spec.getResources().getLimits(), problems);
        }
        tuningProblems(spec.getProxy(), problems);
        podLabelProblems(spec.getPodLabels(), problems);
        podTemplateProblems(spec, problems);
        if (spec.getProxy() != null && spec.getProxy().getEnv() != null) {
            envProblems(spec.getProxy().getEnv(), problems);
        }
        return problems;
    }

    /**
     * What the proxy takes as GOSUMDB, or it stops at start, by the rule it reads it with (the contract's GoSumDb): the
     * CRD's rule checks the shape, this also the verifier key's hash and algorithm, as the go command's
     * note.NewVerifier does.
     */
    private static void sumdbProblems(String sumdb, List<String> problems) {
        if (sumdb == null) {
            return;
        }
        try {
            GoSumDb.parse(sumdb);
        } catch (GoSumDb.InvalidException e) {
            problems.add("spec.sumdb " + e.getMessage());
        }
    }

    /**
     * The CRD's rules on spec.egressProxy's https:// URLs and loginSecretRef, for a cache the API server did not check
     * by them.
     */
    private static void egressProxyProblems(EgressProxy egress, List<String> problems) {
        if (egress == null) {
            return;
        }
        // stored before the API server refused it: the proxy pods would stop at start with it and crash-loop
        if (EgressProxy.isHttps(egress.getHttpsProxy())) {
            problems.add("spec.egressProxy.httpsProxy \"" + Redacted.words(egress.getHttpsProxy()) + "\""
                    + EgressProxy.NOT_HTTPS_WORDS);
        }
        if (EgressProxy.isHttps(egress.getHttpProxy())) {
            problems.add("spec.egressProxy.httpProxy \"" + Redacted.words(egress.getHttpProxy()) + "\""
                    + EgressProxy.NOT_HTTPS_WORDS);
        }
        if (egress.getLoginSecretRef() == null) {
            return;
        }
        if (isBlank(egress.getHttpsProxy()) && isBlank(egress.getHttpProxy())) {
            problems.add(EgressProxy.LOGIN_NEEDS_A_PROXY_MESSAGE);
        }
        EgressProxyLogin login = egress.getLoginSecretRef();
        if (!KubernetesSyntax.isSecretName(login.getName())) {
            problems.add("spec.egressProxy.loginSecretRef.name \"" + login.getName() + "\" must be "
                    + KubernetesSyntax.SECRET_NAME_WORDS);
        }
        if (login.getKey() != null && !KubernetesSyntax.isDataKey(login.getKey())) {
            problems.add("spec.egressProxy.loginSecretRef.key \"" + login.getKey() + "\" must be a key of the Secret: "
                    + KubernetesSyntax.DATA_KEY_WORDS);
        }
    }

    private static boolean isBlank(String value) {
        return value == null || value.isBlank();
    }

    /**
     * A variable a field sets is refused whatever its value; the value of another of the proxy's settings is read by
     * the contract's rule for it, so that one the proxy would stop at start with is said here, not in a crash loop.
     */
    private static void envProblems(List<EnvVar> env, List<String> problems) {
        // the API server refuses the proxy Deployment with two of a name (500 on server-side apply), every retry
        Map<String, Integer> firstOfName = new HashMap<>();
        for (int i = 0; i < env.size(); i++) {
            String at = "spec.proxy.env[" + i + "]";
            EnvVar variable = env.get(i);
            entryProblem(variable).ifPresent(problem -> problems.add(at + ": " + problem));
            String name = variable == null ? null : variable.getName();
            if (name == null) {
                continue;
            }
            Integer first = firstOfName.putIfAbsent(name, i);
            if (first != null) {
                problems.add(at + " sets " + name + " again, after spec.proxy.env[" + first
                        + "]: a container takes each variable once; keep one of them");
            }
            Optional<String> owned = ProxySettings.ownedVariable(name);
            if (owned.isPresent()) {
                // said once per name, at its first entry
                if (first == null) {
                    problems.add(ProxySettings.ownedVariableMessage(owned.get(), name));
                }
                continue;
            }
            // a value from a Secret or ConfigMap is unknown here; an empty one the proxy takes as unset (its default)
            String value = variable.getValue();
            if (variable.getValueFrom() != null || value == null || value.isEmpty()) {
                continue;
            }
            ProxySettings.settingVariable(name)
                    .flatMap(setting ->
                            SettingValueRule.of(setting).orElseThrow().problem(setting, value))
                    .ifPresent(problem -> problems.add(at + " (" + name + "): " + problem));
        }
    }

    /** The CRD's rules on one spec.proxy.env entry (CrdConventions), for a cache the API server did not check by them. */
    private static Optional<String> entryProblem(EnvVar variable) {
        if (variable == null) {
            return Optional.empty();
        }
        if (variable.getName() == null || !ENV_NAME.matcher(variable.getName()).matches()) {
            return Optional.of(
                    "name \"" + Objects.toString(variable.getName(), "") + "\": " + ProxyTuning.ENV_NAME_MESSAGE);
        }
        EnvVarSource source = variable.getValueFrom();
        if (source == null) {
            return Optional.empty();
        }
        if (variable.getValue() != null && !variable.getValue().isEmpty()) {
            return Optional.of(ProxyTuning.ENV_VALUE_OR_SOURCE_MESSAGE);
        }
        long sources = Stream.of(
                        source.getConfigMapKeyRef(),
                        source.getFieldRef(),
                        source.getResourceFieldRef(),
                        source.getSecretKeyRef())
                .filter(Objects::nonNull)
                .count();
        return sources == 1 ? Optional.empty() : Optional.of(ProxyTuning.ENV_ONE_SOURCE_MESSAGE);
    }

    /**
     * The proxy's own settings, read as the proxy reads them, so that a value it would stop at start with is reported
     * here instead of a crash loop under a Ready status: durations by the contract's ProxyDuration (Quarkus's rule,
     * which the proxy's Duration settings are read by), sizes by the contract's ByteSize.
     */
    private static void tuningProblems(ProxyTuning tuning, List<String> problems) {
        if (tuning == null) {
            return;
        }
        durationProblem("spec.proxy.mutableTtl", tuning.getMutableTtl(), false, problems);
        durationProblem("spec.proxy.negativeTtl", tuning.getNegativeTtl(), false, problems);
        // the JDK's HTTP client refuses a zero timeout: at start for the connection's, at every fetch for the read's
        durationProblem("spec.proxy.connectTimeout", tuning.getConnectTimeout(), true, problems);
        durationProblem("spec.proxy.readTimeout", tuning.getReadTimeout(), true, problems);
        String size = tuning.getMemoryCacheSize();
        if (size != null && !size.isBlank()) {
            try {
                ByteSize.parse("spec.proxy.memoryCacheSize", size);
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage() + " (0 turns the memory cache off)");
            }
        }
    }

    private static void durationProblem(String field, String written, boolean positive, List<String> problems) {
        if (written == null || written.isBlank()) {
            return;
        }
        Duration duration;
        try {
            duration = ProxyDuration.parse(written);
        } catch (RuntimeException e) {
            problems.add(field + " \"" + written + "\" is not a duration the proxy reads; write a whole number with "
                    + "ms, s, m, h or d (\"30s\", \"5m\") or an ISO-8601 duration (\"PT30S\", \"P1DT12H\")");
            return;
        }
        if (duration.isNegative() || (positive && duration.isZero())) {
            problems.add(field + " \"" + written + "\" " + (positive ? "must be more than 0" : "must not be negative")
                    + "; write e.g. \"5s\"");
        } else if (duration.compareTo(SettingValueRule.LONGEST_DURATION) > 0) {
            // the proxy stops at start with a longer one (it failed every request that used it before)
            problems.add(field + " \"" + written + "\" must be at most 106751d (292 years); write e.g. \"5s\"");
        }
    }

    /**
     * Labels the operator puts on the proxy pods itself, over any of spec.podLabels: the Deployment's selector (which
     * the Service and the PodDisruptionBudget share), the labels naming the operator and the app, and the one that
     * keeps the webhook from injecting into the proxy's own pods. The CRD refuses them in spec.podLabels too.
     */
    public static final List<String> RESERVED_POD_LABELS = List.of(
            CacheNames.NAME_LABEL,
            CacheNames.INSTANCE_LABEL,
            CacheNames.COMPONENT_LABEL,
            CacheNames.MANAGED_BY_LABEL,
            CacheNames.PART_OF_LABEL,
            InjectionLabels.INJECT);

    /** What a user reads when spec.podLabels sets a label of {@link #RESERVED_POD_LABELS}. */
    public static String reservedPodLabelMessage(String label) {
        return "spec.podLabels cannot set " + label + ": the operator sets it on the proxy pods itself (their "
                + "Deployment, Service and the injection webhook rely on it); remove it from spec.podLabels";
    }

    private static void podLabelProblems(Map<String, String> podLabels, List<String> problems) {
        if (podLabels == null) {
            return;
        }
        RESERVED_POD_LABELS.stream()
                .filter(podLabels::containsKey)
                .forEach(label -> problems.add(reservedPodLabelMessage(label)));
    }

    /**
     * What the operator passes on into the pod template and the Service as it is, checked by the rules the CRD checks
     * them by ({@link KubernetesSyntax}), for a cache stored before it did: the Deployment's refusal named the
     * Deployment's field (spec.template.labels), not the cache's.
     */
    private static void podTemplateProblems(GoProxyCacheSpec spec, List<String> problems) {
        labelProblems("spec.podLabels", spec.getPodLabels(), problems);
        labelProblems("spec.nodeSelector", spec.getNodeSelector(), problems);
        annotationKeyProblems("spec.podAnnotations", spec.getPodAnnotations(), problems);
        if (spec.getService() != null) {
            annotationKeyProblems("spec.service.annotations", spec.getService().getAnnotations(), problems);
        }
        List<LocalObjectReference> pullSecrets = spec.getImagePullSecrets();
        for (int i = 0; pullSecrets != null && i < pullSecrets.size(); i++) {
            String name = pullSecrets.get(i) == null ? null : pullSecrets.get(i).getName();
            // no name at all is no name to check, for the CRD's rule on the name as for this
            if (name != null && !KubernetesSyntax.isSecretName(name)) {
                problems.add("spec.imagePullSecrets[" + i + "].name \"" + name + "\" must be "
                        + KubernetesSyntax.SECRET_NAME_WORDS);
            }
        }
        List<Toleration> tolerations = spec.getTolerations();
        for (int i = 0; tolerations != null && i < tolerations.size(); i++) {
            Toleration toleration = tolerations.get(i);
            if (toleration == null) {
                continue;
            }
            oneOf(
                    "spec.tolerations[" + i + "].operator",
                    toleration.getOperator(),
                    KubernetesSyntax.TOLERATION_OPERATORS,
                    problems);
            oneOf(
                    "spec.tolerations[" + i + "].effect",
                    toleration.getEffect(),
                    KubernetesSyntax.TOLERATION_EFFECTS,
                    problems);
        }
    }

    private static void labelProblems(String field, Map<String, String> labels, List<String> problems) {
        if (labels == null) {
            return;
        }
        keyProblems(
                field,
                labels,
                KubernetesSyntax::isLabelKey,
                "a label key: " + KubernetesSyntax.LABEL_KEY_WORDS,
                problems);
        labels.forEach((key, value) -> {
            if (!KubernetesSyntax.isLabelValue(value)) {
                problems.add(field + "[" + key + "] \"" + value + "\" must be a label value: "
                        + KubernetesSyntax.LABEL_VALUE_WORDS);
            }
        });
    }

    private static void annotationKeyProblems(String field, Map<String, String> annotations, List<String> problems) {
        if (annotations != null) {
            keyProblems(
                    field,
                    annotations,
                    KubernetesSyntax::isAnnotationKey,
                    "an annotation key, " + KubernetesSyntax.ANNOTATION_KEY_WORDS,
                    problems);
        }
    }

    /** Each key of {@code map} that breaks {@code rule}, said as "must be {@code ruleWords}". */
    private static void keyProblems(
            String field, Map<String, String> map, Predicate<String> rule, String ruleWords, List<String> problems) {
        map.keySet().stream()
                .filter(rule.negate())
                .forEach(key -> problems.add(field + " key \"" + key + "\" must be " + ruleWords));
    }

    /** An unset value (null) is Kubernetes' default; an empty one is among {@code taken} where Kubernetes takes it. */
    private static void oneOf(String field, String value, List<String> taken, List<String> problems) {
        if (value != null && !taken.contains(value)) {
            problems.add(field + " \"" + value + "\" must be one of "
                    + String.join(", ", taken.stream().filter(t -> !t.isEmpty()).toList()) + " (or unset)");
        }
    }

    private static void storageProblems(GoProxyCacheSpec spec, List<String> problems) {
        Storage storage = spec.getStorage();
        if (storage == null) {
            return;
        }
        String size = storage.getSize();
        if (size == null || !STORAGE_SIZE.matcher(size).matches() || !isPositive(size)) {
            problems.add(
                    "spec.storage.size \"" + size + "\" is not a positive Kubernetes quantity; write e.g. \"10Gi\"");
        } else if (!isBelowTheCap(size)) {
            problems.add("spec.storage.size \"" + size + "\" is more than a volume claim can ask for: Kubernetes "
                    + "would cut it down to " + Storage.QUANTITY_CAP + " bytes (8Ei) without a word; write a smaller "
                    + "size, e.g. \"10Gi\"");
        }
        if (storage.getAccessModes() != null && !Storage.ACCESS_MODES.containsAll(storage.getAccessModes())) {
            problems.add("spec.storage.accessModes " + storage.getAccessModes() + ": " + Storage.ACCESS_MODES_MESSAGE);
        }
        watermarkProblems(storage, problems);
        if (spec.getReplicas() > 1 && !storage.isShared() && spec.getObjectStorage() == null) {
            problems.add(
                    "spec.replicas is " + spec.getReplicas() + " but a ReadWriteOnce volume holds one pod; set "
                            + "spec.storage.accessModes to [ReadWriteMany], configure spec.objectStorage, or set replicas to 1");
        }
    }

    private static void watermarkProblems(Storage storage, List<String> problems) {
        Integer high = storage.getHighWatermark();
        Integer low = storage.getLowWatermark();
        percentProblem("spec.storage.highWatermark", high, problems);
        percentProblem("spec.storage.lowWatermark", low, problems);
        int effectiveHigh = high == null ? Storage.DEFAULT_HIGH_WATERMARK : high;
        int effectiveLow = low == null ? Storage.DEFAULT_LOW_WATERMARK : low;
        if (effectiveLow >= effectiveHigh) {
            problems.add("spec.storage.lowWatermark (" + effectiveLow + "%) must be below spec.storage.highWatermark ("
                    + effectiveHigh + "%), or eviction would never stop");
        }
    }

    private static void percentProblem(String field, Integer percent, List<String> problems) {
        if (percent != null && (percent < 1 || percent > 100)) {
            problems.add(field + " is " + percent + "; write a percentage from 1 to 100");
        }
    }

    private static void quantityProblems(String field, Map<String, Quantity> quantities, List<String> problems) {
        if (quantities == null) {
            return;
        }
        quantities.forEach((resource, quantity) -> {
            String written = quantity == null ? null : quantity.toString();
            if (written == null || !RESOURCE_QUANTITY.matcher(written).matches() || !isQuantity(written)) {
                problems.add(field + "." + resource + " \"" + written + "\" is not a Kubernetes quantity of 0 or more; "
                        + "write e.g. \"100m\" or \"256Mi\"");
            }
        });
    }

    private static boolean isQuantity(String written) {
        try {
            new Quantity(written).getNumericalAmount();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** A size the claim keeps as written: the CRD's rule refuses the same sizes. */
    private static boolean isBelowTheCap(String size) {
        return new Quantity(size).getNumericalAmount().compareTo(new BigDecimal(Storage.QUANTITY_CAP)) < 0;
    }

    private static boolean isPositive(String size) {
        try {
            return new Quantity(size).getNumericalAmount().signum() > 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static void patternProblems(String field, List<String> patterns, List<String> problems) {
        if (patterns == null) {
            return;
        }
        for (int i = 0; i < patterns.size(); i++) {
            String p = patterns.get(i);
            if (p == null || p.isBlank() || p.contains(",") || p.chars().anyMatch(Character::isWhitespace)) {
                problems.add(field + "[" + i + "] \"" + p + "\" is not one module path pattern; write one pattern "
                        + "per list item, e.g. \"corp.example.com/*\", without commas or spaces");
            } else {
                Optional<String> why = ModulePathPatterns.problem(p);
                if (why.isPresent()) {
                    problems.add(
                            field + "[" + i + "] \"" + p + "\" " + why.get() + ", so the proxy would stop at "
                                    + "start; write a path.Match glob such as \"corp.example.com/*\" or \"*.corp.example.com\"");
                }
            }
        }
    }
}
