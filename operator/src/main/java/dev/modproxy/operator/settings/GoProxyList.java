package dev.modproxy.operator.settings;

import dev.modproxy.contract.Redacted;
import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
     * What is wrong with the upstream list of the cache whose Service is {@code service} in {@code namespace}, naming
     * {@code field}: a list the proxy cannot use, a login in it, an entry that is the cache itself. Read once.
     */
    public static List<String> upstreamProblems(String field, String list, String service, String namespace) {
        List<String> problems = new ArrayList<>();
        dev.modproxy.contract.GoProxyList parsed = null;
        try {
            parsed = dev.modproxy.contract.GoProxyList.parse(list);
        } catch (dev.modproxy.contract.GoProxyList.InvalidException e) {
            problems.add(field + " " + e.getMessage());
        }
        login(field, list).ifPresent(problems::add);
        if (parsed != null) {
            ownService(field, parsed, service, namespace).ifPresent(problems::add);
        }
        return problems;
    }

    /**
     * Says so when an entry of {@code list} is the cache's own Service, by any name its pods resolve it by: the proxy
     * would send every module it lacks to itself, a request that waits on itself until the read timeout, and no module
     * would ever reach a build. Whatever the scheme (HTTP://, or https:// as an entry without one gets) and the port:
     * the Service answers http on port 80 alone, so any other spelling reaches nothing that answers either.
     */
    private static Optional<String> ownService(
            String field, dev.modproxy.contract.GoProxyList parsed, String service, String namespace) {
        String inNamespace = service + "." + namespace;
        for (dev.modproxy.contract.GoProxyList.Entry entry : parsed.entries()) {
            if (!(entry instanceof dev.modproxy.contract.GoProxyList.Proxy proxy)
                    || proxy.url().getHost() == null) {
                continue;
            }
            String host = proxy.url().getHost().toLowerCase(Locale.ROOT);
            if (host.endsWith(".")) {
                host = host.substring(0, host.length() - 1);
            }
            if (host.equals(service)
                    || host.equals(inNamespace)
                    || host.equals(inNamespace + ".svc")
                    || host.startsWith(inNamespace + ".svc.")) {
                return Optional.of(
                        field + " entry \"" + Redacted.url(proxy.url().toString()) + "\" is this cache's "
                                + "own Service: the proxy would ask itself for every module it lacks and never get one; name "
                                + "the proxy it fetches from, e.g. https://proxy.golang.org (build pods get this cache's URL "
                                + "from the webhook)");
            }
        }
        return Optional.empty();
    }

    /**
     * Says so when an entry of {@code list} carries a login ({@link GoProxyCacheSpec#UPSTREAM_LOGIN}), naming the
     * entry by its host alone.
     */
    private static Optional<String> login(String field, String list) {
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
