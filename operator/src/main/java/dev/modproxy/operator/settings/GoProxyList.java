package dev.modproxy.operator.settings;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** Checks a GOPROXY-syntax field by the rule the proxy reads it with (the contract's, the go command's). */
public final class GoProxyList {

    private GoProxyList() {}

    /**
     * A setting of URLs as a status message may show it: each URL's login and query hidden, as the proxy shows them
     * (a cache's status is readable by many more than its spec's author).
     */
    public static String shown(String setting) {
        return Arrays.stream(setting.split(" "))
                .map(dev.modproxy.contract.GoProxyList::redacted)
                .collect(Collectors.joining(" "));
    }

    /** Returns what is wrong with {@code list}, naming {@code field}, or empty when the proxy can use it. */
    public static Optional<String> problem(String field, String list) {
        try {
            dev.modproxy.contract.GoProxyList.parse(list);
            return Optional.empty();
        } catch (dev.modproxy.contract.GoProxyList.InvalidException e) {
            return Optional.of(field + " " + e.getMessage());
        }
    }
}
