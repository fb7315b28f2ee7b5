package dev.modproxy.operator.settings;

import dev.modproxy.contract.Redacted;
import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import dev.modproxy.operator.api.v1alpha1.Storage;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

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
    private static final Pattern SUMDB = Pattern.compile("^(off|[A-Za-z0-9.-]+(\\+\\S+)?( https?://\\S+)?)$");
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
        GoProxyList.problem("spec.upstream", spec.getUpstream()).ifPresent(problems::add);
        GoProxyList.login("spec.upstream", spec.getUpstream()).ifPresent(problems::add);
        if (spec.getInjection() != null && spec.getInjection().getFallback() != null) {
            GoProxyList.problem("spec.injection.fallback", spec.getInjection().getFallback())
                    .ifPresent(problems::add);
        }
        if (spec.getSumdb() != null && !SUMDB.matcher(spec.getSumdb()).matches()) {
            problems.add("spec.sumdb \"" + Redacted.words(spec.getSumdb())
                    + "\" is not GOSUMDB syntax; write \"sum.golang.org\", "
                    + "\"name+key\", \"name+key https://url\" or \"off\"");
        }
        patternProblems("spec.noSumDB", spec.getNoSumDB(), problems);
        patternProblems("spec.private", spec.getPrivate(), problems);
        storageProblems(spec, problems);
        if (spec.getResources() != null) {
            quantityProblems("spec.resources.requests", spec.getResources().getRequests(), problems);
            quantityProblems("spec.resources.limits", spec.getResources().getLimits(), problems);
        }
        if (spec.getProxy() != null && spec.getProxy().getEnv() != null) {
            spec.getProxy().getEnv().stream()
                    .map(e -> e.getName())
                    .filter(ProxySettings.OWNED_VARIABLES::containsKey)
                    .distinct()
                    .forEach(variable -> problems.add(ProxySettings.ownedVariableMessage(variable)));
        }
        return problems;
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
            }
        }
    }
}
