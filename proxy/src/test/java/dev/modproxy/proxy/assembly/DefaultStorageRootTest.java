package dev.modproxy.proxy.assembly;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * MODPROXY_STORAGE_DIR when unset: $XDG_CACHE_HOME/modproxy, else ~/.cache/modproxy, where ~ is $HOME as the shell
 * and the go command (os.UserCacheDir) read it. The JVM's user.home comes from the passwd entry and ignores $HOME, so
 * it is only the fallback for a process without $HOME.
 */
class DefaultStorageRootTest {

    @Test
    void xdgCacheHomeComesFirst() {
        assertEquals(Path.of("/xdg/modproxy"), ProxySettings.defaultStorageRoot("/xdg", "/home/ci", "/root"));
    }

    @Test
    void withoutXdgCacheHomeItIsHomesCacheNotThePasswdEntrys() {
        assertEquals(Path.of("/home/ci/.cache/modproxy"), ProxySettings.defaultStorageRoot(null, "/home/ci", "/root"));
        assertEquals(Path.of("/home/ci/.cache/modproxy"), ProxySettings.defaultStorageRoot(" ", "/home/ci", "/root"));
    }

    @Test
    void withoutHomeEitherItIsTheJvmsUserHome() {
        assertEquals(Path.of("/root/.cache/modproxy"), ProxySettings.defaultStorageRoot(null, null, "/root"));
        assertEquals(Path.of("/root/.cache/modproxy"), ProxySettings.defaultStorageRoot("", "", "/root"));
    }
}
