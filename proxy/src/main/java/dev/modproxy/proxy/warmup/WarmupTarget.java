package dev.modproxy.proxy.warmup;

import dev.modproxy.proxy.protocol.ModulePath;
import dev.modproxy.proxy.protocol.ModuleVersion;

/** One module version to fetch ahead of builds; {@code goModOnly} for go.sum's "/go.mod" lines. */
public record WarmupTarget(ModulePath module, ModuleVersion version, boolean goModOnly) {

    @Override
    public String toString() {
        return module.path() + "@" + version + (goModOnly ? " (go.mod)" : "");
    }
}
