package dev.modproxy.operator.dependent;

import dev.modproxy.operator.api.v1alpha1.GoProxyCacheSpec;
import org.eclipse.microprofile.config.ConfigProvider;

/** Which proxy image a cache runs: its own choice, else the release that matches this operator. */
public final class ProxyImage {

    public static final String REPOSITORY = "ghcr.io/modproxy/proxy";
    static final String CONFIG_KEY = "modproxy.operator.proxy-image";

    private ProxyImage() {}

    public static String of(GoProxyCacheSpec spec) {
        if (spec.getImage() != null && !spec.getImage().isBlank()) {
            return spec.getImage();
        }
        return defaultImage();
    }

    static String defaultImage() {
        try {
            return ConfigProvider.getConfig()
                    .getOptionalValue(CONFIG_KEY, String.class)
                    .orElseGet(ProxyImage::fromManifest);
        } catch (IllegalStateException noConfig) {
            return fromManifest();
        }
    }

    private static String fromManifest() {
        String version = ProxyImage.class.getPackage().getImplementationVersion();
        return REPOSITORY + ":" + (version == null ? "latest" : version);
    }
}
