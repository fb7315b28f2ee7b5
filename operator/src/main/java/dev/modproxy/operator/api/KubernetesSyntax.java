package dev.modproxy.operator.api;

import java.util.List;
import java.util.regex.Pattern;

/**
 * Kubernetes' own rules for what a cache passes on into its Deployment's pod template and its Service (label keys and
 * values, annotation keys, Secret names, toleration operators and effects), written once: the CRD refuses a value
 * that breaks one at admission ({@link CrdConventions}), and SpecProblems reports a cache stored before the CRD did.
 * Left to the Deployment, the API server refused most of them there, quoting the Deployment's field rather than the
 * cache's; a pull secret's name it takes as it is, and the kubelet then fails to pull with it.
 * Each pattern reads alike in RE2 (the CRD's CEL, as a raw string) and java.util.regex.
 */
public final class KubernetesSyntax {

    /** A DNS-1123 subdomain, as object names are (IsDNS1123Subdomain), without its length bound. */
    private static final String SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

    public static final int DNS_SUBDOMAIN_MAX_LENGTH = 253;

    /** A Secret's name (a DNS-1123 subdomain), whose length the schema's maxLength bounds. */
    public static final String DNS_SUBDOMAIN = "^" + SUBDOMAIN + "$";

    /**
     * A label key (IsQualifiedName): an optional DNS subdomain prefix and '/', then a name of at most 63 characters.
     * The prefix's bound is {@link #KEY_PREFIX_LENGTH}.
     */
    public static final String LABEL_KEY = "^(" + SUBDOMAIN + "/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$";

    /** A key whose prefix, if it has one, is at most {@value #DNS_SUBDOMAIN_MAX_LENGTH} characters. */
    public static final String KEY_PREFIX_LENGTH = "^([^/]{0," + DNS_SUBDOMAIN_MAX_LENGTH + "}/)?[^/]*$";

    public static final int LABEL_VALUE_MAX_LENGTH = 63;

    /** A label value (IsValidLabelValue): empty, or a name as a label key's; its length the schema bounds. */
    public static final String LABEL_VALUE = "^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$";

    /**
     * The most labels, annotations or pull secrets a cache's field takes. The API server prices a rule by the most
     * entries it may see and refuses the CRD when that is unbounded; at 256 the dearest of those rules is priced at about a
     * twentieth of its limit (8192 entries put it 1.4 times over, on Kubernetes 1.36); a pod template needs far fewer.
     */
    public static final int MAX_ENTRIES = 256;

    public static final List<String> TOLERATION_OPERATORS = List.of("Exists", "Equal", "");
    public static final List<String> TOLERATION_EFFECTS = List.of("NoSchedule", "PreferNoSchedule", "NoExecute", "");

    /** What a label or annotation key is, in words, after "must be". */
    public static final String LABEL_KEY_WORDS = "an optional prefix (a DNS subdomain of at most "
            + DNS_SUBDOMAIN_MAX_LENGTH + " lowercase letters, digits, '-' and '.') and '/', then a name of at most 63 "
            + "letters, digits, '-', '_' and '.', starting and ending with a letter or digit, e.g. team or "
            + "example.com/team";

    /** What an annotation key is, in words, after "must be". */
    public static final String ANNOTATION_KEY_WORDS =
            "what a label key is once its letters are lowercased: " + LABEL_KEY_WORDS;

    /** What a label value is, in words, after "must be". */
    public static final String LABEL_VALUE_WORDS = "empty or at most " + LABEL_VALUE_MAX_LENGTH + " letters, digits, "
            + "'-', '_' and '.', starting and ending with a letter or digit";

    /** What an object's name (a DNS subdomain) is, in words. */
    public static final String NAME_WORDS = "at most " + DNS_SUBDOMAIN_MAX_LENGTH + " lowercase letters, digits, '-' "
            + "and '.', starting and ending with a letter or digit";

    /** What a Secret name is, in words, after "must be". */
    public static final String SECRET_NAME_WORDS = "the name of a Secret in the cache's namespace: " + NAME_WORDS;

    /**
     * A CEL rule on a field that names an object (a Secret, a ConfigMap, a ServiceAccount): {@link #DNS_SUBDOMAIN},
     * whose refusal says in words what is taken where a schema pattern printed its regex. The field's maxLength is
     * {@link #DNS_SUBDOMAIN_MAX_LENGTH}, which also bounds the rule's cost.
     */
    public static final String DNS_SUBDOMAIN_RULE = "self.matches(r'" + DNS_SUBDOMAIN + "')";

    public static final int DNS_LABEL_MAX_LENGTH = 63;

    /** A namespace's name (a DNS-1123 label), whose length the schema's maxLength bounds. */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

    /** {@link #DNS_LABEL} as a CEL rule. */
    public static final String DNS_LABEL_RULE = "self.matches(r'" + DNS_LABEL + "')";

    /** What a namespace's name is, in words. */
    public static final String DNS_LABEL_WORDS = "at most " + DNS_LABEL_MAX_LENGTH + " lowercase letters, digits and "
            + "'-', starting and ending with a letter or digit";

    /** A key of a Secret's or ConfigMap's data (IsConfigMapKey), whose length the schema's maxLength bounds. */
    public static final String DATA_KEY = "^[-._a-zA-Z0-9]+$";

    /** {@link #DATA_KEY} as a CEL rule. */
    public static final String DATA_KEY_RULE = "self.matches(r'" + DATA_KEY + "')";

    /** What a data key is, in words. */
    public static final String DATA_KEY_WORDS =
            "at most " + DNS_SUBDOMAIN_MAX_LENGTH + " letters, digits, '-', '_' and '.'";

    private static final Pattern LABEL_KEY_PATTERN = Pattern.compile(LABEL_KEY);
    private static final Pattern KEY_PREFIX_LENGTH_PATTERN = Pattern.compile(KEY_PREFIX_LENGTH);
    private static final Pattern LABEL_VALUE_PATTERN = Pattern.compile(LABEL_VALUE);
    private static final Pattern DNS_SUBDOMAIN_PATTERN = Pattern.compile(DNS_SUBDOMAIN);
    private static final Pattern DATA_KEY_PATTERN = Pattern.compile(DATA_KEY);

    private KubernetesSyntax() {}

    /** {@link #isLabelKey} as a CEL expression on the string {@code variable}. */
    public static String labelKeyRule(String variable) {
        return variable + ".matches(r'" + LABEL_KEY + "') && " + variable + ".matches(r'" + KEY_PREFIX_LENGTH + "')";
    }

    /**
     * {@link #isAnnotationKey} as a CEL expression on the string {@code variable}: Kubernetes checks an annotation key
     * as a label key once its ASCII letters are lowercased (ValidateAnnotations), so {@code Example.com/Team} is one.
     */
    public static String annotationKeyRule(String variable) {
        return labelKeyRule(variable + ".lowerAscii()");
    }

    public static boolean isAnnotationKey(String key) {
        return key != null && isLabelKey(lowerAscii(key));
    }

    /** CEL's lowerAscii: only A to Z change (String.toLowerCase would also turn the Kelvin sign into a k). */
    private static String lowerAscii(String text) {
        StringBuilder lowered = new StringBuilder(text.length());
        text.chars().forEach(c -> lowered.append((char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c)));
        return lowered.toString();
    }

    public static boolean isLabelKey(String key) {
        return key != null
                && LABEL_KEY_PATTERN.matcher(key).matches()
                && KEY_PREFIX_LENGTH_PATTERN.matcher(key).matches();
    }

    public static boolean isLabelValue(String value) {
        return value != null
                && value.length() <= LABEL_VALUE_MAX_LENGTH
                && LABEL_VALUE_PATTERN.matcher(value).matches();
    }

    public static boolean isSecretName(String name) {
        return name != null
                && name.length() <= DNS_SUBDOMAIN_MAX_LENGTH
                && DNS_SUBDOMAIN_PATTERN.matcher(name).matches();
    }

    public static boolean isDataKey(String key) {
        return key != null
                && key.length() <= DNS_SUBDOMAIN_MAX_LENGTH
                && DATA_KEY_PATTERN.matcher(key).matches();
    }
}
