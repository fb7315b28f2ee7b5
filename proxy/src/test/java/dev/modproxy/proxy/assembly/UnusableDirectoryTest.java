package dev.modproxy.proxy.assembly;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import org.junit.jupiter.api.Test;

/**
 * The reason in the one line a cache root or pass-through directory the proxy cannot use stops it with. The JDK's
 * exceptions for a refused permission or a missing parent carry the path alone, and the line read "got /cache
 * (/cache)", which says nothing (seen running the jar as a user that may not write where the directory goes).
 */
class UnusableDirectoryTest {

    @Test
    void aRefusedPermissionIsNamed() {
        assertEquals(
                "/var/cache/modproxy: permission denied to the proxy's user",
                ProxyAssembly.whyNotUsable(new AccessDeniedException("/var/cache/modproxy")));
    }

    @Test
    void aDirectoryThatCannotBeMadeIsNamed() {
        assertEquals(
                "/proc/modproxy: no such file or directory, and it cannot be made there",
                ProxyAssembly.whyNotUsable(new NoSuchFileException("/proc/modproxy")));
    }

    @Test
    void aFileInTheWayIsNamed() {
        assertEquals(
                "/cache is a file, not a directory",
                ProxyAssembly.whyNotUsable(new FileAlreadyExistsException("/cache")));
    }

    @Test
    void aReasonTheSystemGaveIsKept() {
        assertEquals(
                "/cache/.tmp/n-1: Read-only file system",
                ProxyAssembly.whyNotUsable(new FileSystemException("/cache/.tmp/n-1", null, "Read-only file system")));
    }
}
