package dev.modproxy.operator.admin;

import dev.modproxy.operator.api.v1alpha1.GoProxyCache;
import dev.modproxy.operator.dependent.CacheNames;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Where the operator reaches a cache's /admin endpoints: its management Service, or one fixed URL when it runs outside the cluster. */
@ApplicationScoped
public class ProxyAdminAddress {

    private final Optional<String> override;

    public ProxyAdminAddress(@ConfigProperty(name = "modproxy.operator.proxy-url-override") Optional<String> override) {
        this.override = override;
    }

    public String baseUrl(GoProxyCache cache) {
        return override.map(u -> u.replaceAll("/+$", "")).orElseGet(() -> CacheNames.adminUrl(cache));
    }
}
