#!/usr/bin/env python3
"""Writes a base image for Jib as a docker-archive tarball, without a container engine or a registry.

The root file system is a jlink'd Java runtime (from the JDK on this machine) plus the few shared
libraries it loads, copied from this machine's Debian packages (each file's package is recorded in
/usr/share/modproxy-base/packages.txt inside the image), a passwd entry for uid 1001 and /tmp.
Entries are sorted, owned by root and dated at SOURCE_DATE_EPOCH (default 0), so the same inputs
give the same bytes and the same digest.

Usage: images/base-image.py JRE_DIR OUTPUT.tar
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

EPOCH = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
# What libjvm, libjava, libnet, libnio, libzip and the launcher need (ldd), and the loader.
LIBRARIES = [
    "/lib64/ld-linux-x86-64.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib/x86_64-linux-gnu/libm.so.6",
    "/lib/x86_64-linux-gnu/libz.so.1",
    "/lib/x86_64-linux-gnu/libgcc_s.so.1",
    "/lib/x86_64-linux-gnu/libstdc++.so.6",
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libpthread.so.0",
    "/lib/x86_64-linux-gnu/librt.so.1",
]


def package_of(path):
    found = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True)
    if found.returncode != 0:
        found = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
    name = found.stdout.split(":")[0] if found.returncode == 0 else "unknown"
    version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True).stdout
    return name + " " + version


def add(tar, name, data=None, mode=0o644, source=None, kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = EPOCH, 0, 0, "", ""
    info.type, info.mode, info.linkname = kind, mode, link
    if source is not None:
        with open(source, "rb") as f:
            data = f.read()
    if kind == tarfile.REGTYPE:
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    else:
        tar.addfile(info)


def layer(jre):
    entries = {}  # name -> (kind, mode, source or bytes or link)
    for d in ["bin", "etc", "lib", "lib64", "lib/x86_64-linux-gnu", "opt", "tmp", "usr",
              "usr/share", "usr/share/modproxy-base", "var", "var/cache"]:
        entries[d] = ("dir", 0o1777 if d == "tmp" else 0o755, None)
    packages = set()
    for lib in LIBRARIES:
        if not os.path.exists(lib):
            continue
        entries[lib.lstrip("/")] = ("file", 0o755, os.path.realpath(lib))
        packages.add(package_of(lib))
    for root, dirs, files in os.walk(jre):
        rel = os.path.relpath(root, jre)
        base = "opt/java" if rel == "." else "opt/java/" + rel
        entries[base] = ("dir", 0o755, None)
        for f in files:
            path = os.path.join(root, f)
            entries[base + "/" + f] = ("file", os.stat(path).st_mode & 0o777, path)
    entries["etc/passwd"] = ("bytes", 0o644, b"root:x:0:0:root:/root:/bin/false\nmodproxy:x:1001:0:modproxy:/tmp:/bin/false\n")
    entries["etc/group"] = ("bytes", 0o644, b"root:x:0:\n")
    entries["etc/nsswitch.conf"] = ("bytes", 0o644, b"hosts: files dns\n")
    entries["etc/hosts"] = ("bytes", 0o644, b"127.0.0.1 localhost\n")
    entries["usr/share/modproxy-base/packages.txt"] = ("bytes", 0o644,
        ("".join(sorted(p + "\n" for p in packages)) + "jlink " + java_version(jre) + "\n").encode())
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name in sorted(entries):
            kind, mode, value = entries[name]
            if kind == "dir":
                add(tar, name, mode=mode, kind=tarfile.DIRTYPE)
            elif kind == "file":
                add(tar, name, mode=mode, source=value)
            else:
                add(tar, name, data=value, mode=mode)
    return buffer.getvalue()


def java_version(jre):
    with open(os.path.join(jre, "release")) as f:
        for line in f:
            if line.startswith("JAVA_VERSION="):
                return line.split("=", 1)[1].strip().strip('"')
    return "unknown"


def main():
    jre, output = sys.argv[1], sys.argv[2]
    layer_tar = layer(jre)
    diff_id = "sha256:" + hashlib.sha256(layer_tar).hexdigest()
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/opt/java/bin:/usr/bin:/bin", "JAVA_HOME=/opt/java"], "User": "1001"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }, sort_keys=True, separators=(",", ":")).encode()
    config_name = hashlib.sha256(config).hexdigest() + ".json"
    layer_name = diff_id[len("sha256:"):] + "/layer.tar"
    manifest = json.dumps([{"Config": config_name, "RepoTags": ["modproxy/base:jre17"], "Layers": [layer_name]}]).encode()
    with tarfile.open(output, "w", format=tarfile.GNU_FORMAT) as out:
        add(out, diff_id[len("sha256:"):], kind=tarfile.DIRTYPE, mode=0o755)
        add(out, layer_name, data=layer_tar)
        add(out, config_name, data=config)
        add(out, "manifest.json", data=manifest)
    print("base image", output, "config", "sha256:" + config_name[:-5], "layer", diff_id)


if __name__ == "__main__":
    main()
