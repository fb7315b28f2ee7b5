package dev.modproxy.operator.settings;

import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks a GOPROXY-syntax field by the rule the proxy reads it with (the contract's, the go command's). */
public final class GoProxyList {

    private static final Pattern LOGIN = Pattern.compile(GoProxyCacheSpec.UPSTREAM_LOGIN);

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

    /**
     * Says so when an entry of {@code list} carries a login ({@link GoProxyCacheSpec#UPSTREAM_LOGIN}), naming the
     * entry by its host alone.
     */
    public static Optional<String> login(String field, String list) {
        Matcher login = list == null ? null : LOGIN.matcher(list);
        if (login == null || !login.find()) {
            return Optional.empty();
        }
        String rest = list.substring(login.end());
        String host = rest.split("[/,| \\t]", 2)[0];
        return Optional.of(field + " carries a login for " + host + " (user:password@), which would be readable in "
                + "the GoProxyCache and its ConfigMap; put it in a netrc Secret (machine " + host
                + " login USER password SECRET), name it in spec.upstreamCredentials.secretName and take the login "
                + "out of " + field + " (netrc logins are sent over https only)");
    }
}
