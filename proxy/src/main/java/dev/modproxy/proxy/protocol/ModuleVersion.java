package dev.modproxy.proxy.protocol;

/**
 * A canonical semantic version as the GOPROXY protocol names artifacts:
 * {@code vMAJOR.MINOR.PATCH[-prerelease][+incompatible]}, no leading zeros, no other build suffix.
 */
public final class ModuleVersion {

    private static final String INCOMPATIBLE = "+incompatible";

    /**
     * The longest version the proxy serves or caches, canonical or not: its cache names files by version
     * ({@code $version.zip}, case-encoded), which must stay within the file system's 255 bytes a name.
     */
    public static final int MAX_LENGTH = 128;

    private final String version;
    private final String major;
    /** Case-encoded once: every cache hit names its storage key and its prefetch hints with it. */
    private final String encoded;

    private ModuleVersion(String version, String major) {
        this.version = version;
        this.major = major;
        this.encoded = CaseEncoding.encode(version);
    }

    /** Parses a canonical version; anything else (v1.2, v1.2.3+meta, 1.2.3) is rejected with the reason. */
    public static ModuleVersion parse(String version) {
        String reason = canonicalProblem(version);
        if (reason != null) {
            throw new IllegalArgumentException("version " + CaseEncoding.quote(version) + " " + reason);
        }
        return new ModuleVersion(version, version.substring(0, version.indexOf('.')));
    }

    public static boolean isCanonical(String version) {
        return canonicalProblem(version) == null;
    }

    /** A version string split once: {@code v} + dotted numbers, then {@code -prerelease}, then {@code +build} (each null when absent). */
    private record Parts(String[] numbers, String prerelease, String build) {

        /** @param v a string that starts with 'v' */
        static Parts of(String v) {
            String rest = v.substring(1);
            String build = null;
            int plus = rest.indexOf('+');
            if (plus >= 0) {
                build = rest.substring(plus + 1);
                rest = rest.substring(0, plus);
            }
            String prerelease = null;
            int dash = rest.indexOf('-');
            if (dash >= 0) {
                prerelease = rest.substring(dash + 1);
                rest = rest.substring(0, dash);
            }
            return new Parts(rest.split("\\.", -1), prerelease, build);
        }

        boolean numbersValid() {
            for (String n : numbers) {
                if (!isNumber(n)) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * Whether the go command reads this as a semantic version at all (its semver.IsValid):
     * {@code vMAJOR[.MINOR[.PATCH[-prerelease][+build]]]}, as in version lists and go.mod requirements.
     */
    public static boolean isSemver(String v) {
        if (v == null || v.length() < 2 || v.charAt(0) != 'v' || v.length() > 256) {
            return false;
        }
        Parts parts = Parts.of(v);
        int count = parts.numbers().length;
        if (count > 3 || count < 3 && (parts.prerelease() != null || parts.build() != null)) {
            return false; // v1 and v1.2 are shorthands only without suffixes
        }
        return parts.numbersValid()
                && (parts.prerelease() == null || identifiers(parts.prerelease(), true))
                && (parts.build() == null || identifiers(parts.build(), false));
    }

    private static boolean identifiers(String dotted, boolean prerelease) {
        for (String id : dotted.split("\\.", -1)) {
            if (identifierProblem(id, prerelease) != null) {
                return false;
            }
        }
        return true;
    }

    /** Why one dot-separated identifier of a pre-release (no leading zeros) or build suffix is invalid, or null. */
    private static String identifierProblem(String id, boolean prerelease) {
        if (id.isEmpty() || !id.chars().allMatch(c -> c == '-' || c < 0x80 && Character.isLetterOrDigit(c))) {
            return "has an invalid pre-release identifier " + CaseEncoding.quote(id);
        }
        if (prerelease && id.chars().allMatch(Character::isDigit) && !isNumber(id)) {
            return "has a numeric pre-release identifier with a leading zero";
        }
        return null;
    }

    /** Checks that this version may belong to the module: major suffix and +incompatible rules. */
    public ModuleVersion checkBelongsTo(ModulePath module) {
        String pathMajor = module.pathMajor();
        if (incompatible()) {
            if (!pathMajor.isEmpty()) {
                throw new IllegalArgumentException("version " + version + ": +incompatible is not allowed for module "
                        + module + " which has a major version suffix");
            }
            if (major.equals("v0") || major.equals("v1")) {
                throw new IllegalArgumentException(
                        "version " + version + ": +incompatible is only for major versions v2 and above");
            }
            return this;
        }
        if (pathMajor.startsWith(".v")) {
            String gopkgMajor = pathMajor.endsWith("-unstable")
                    ? pathMajor.substring(1, pathMajor.length() - "-unstable".length())
                    : pathMajor.substring(1);
            boolean oldPseudoForV1 = version.startsWith("v0.0.0-") && gopkgMajor.equals("v1");
            if (!major.equals(gopkgMajor) && !oldPseudoForV1) {
                throw new IllegalArgumentException(
                        "version " + version + " invalid for " + module + ": should be " + gopkgMajor);
            }
        } else if (pathMajor.isEmpty()) {
            if (!major.equals("v0") && !major.equals("v1")) {
                throw new IllegalArgumentException("version " + version + " invalid for " + module
                        + ": should be v0 or v1, not " + major + " (or use the /" + major + " module path)");
            }
        } else if (!major.equals(pathMajor.substring(1))) {
            throw new IllegalArgumentException("version " + version + " invalid for " + module + ": should be "
                    + pathMajor.substring(1) + ", not " + major);
        }
        return this;
    }

    public String major() {
        return major;
    }

    public boolean incompatible() {
        return version.endsWith(INCOMPATIBLE);
    }

    /** The case-encoded form (canonical versions are lower-case except in pre-release tags). */
    public String encoded() {
        return encoded;
    }

    /** Why the string is not canonical, or null when it is; it reads after "version v ". */
    static String canonicalProblem(String v) {
        if (v == null || v.length() < 2 || v.charAt(0) != 'v') {
            return "must start with 'v'";
        }
        if (v.length() > MAX_LENGTH) {
            return "is longer than " + MAX_LENGTH + " characters";
        }
        Parts parts = Parts.of(v);
        if (parts.build() != null && !INCOMPATIBLE.equals("+" + parts.build())) {
            return "has build metadata other than +incompatible";
        }
        if (parts.numbers().length != 3) {
            return "is not canonical: needs major.minor.patch";
        }
        for (String n : parts.numbers()) {
            if (!isNumber(n)) {
                return "is not canonical: " + CaseEncoding.quote(n) + " is not a number without leading zeros";
            }
        }
        if (parts.prerelease() != null) {
            for (String id : parts.prerelease().split("\\.", -1)) {
                String problem = identifierProblem(id, true);
                if (problem != null) {
                    return problem;
                }
            }
        }
        return null;
    }

    private static boolean isNumber(String n) {
        // no cap on digits: semver numbers are unbounded and the go command accepts any length
        if (n.isEmpty() || !n.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return false;
        }
        return n.length() == 1 || n.charAt(0) != '0';
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModuleVersion other && other.version.equals(version);
    }

    @Override
    public int hashCode() {
        return version.hashCode();
    }

    @Override
    public String toString() {
        return version;
    }
}
