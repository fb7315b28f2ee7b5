package dev.modproxy.operator.settings;

import java.util.Optional;

/** Checks a GOPROXY-syntax field by the rule the proxy reads it with (the contract's, the go command's). */
public final class GoProxyList {

    private GoProxyList() {}

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
