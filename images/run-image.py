#!/usr/bin/env python3
"""Runs an image tarball (docker-archive, as Jib's buildTar writes it) without a container engine.

Unpacks its layers in order into a fresh root file system, then starts the image's entrypoint
with the image's environment, user and working directory in a chroot inside new mount and PID
namespaces (unshare; needs root), with /proc mounted and an empty writable directory at
/var/cache/modproxy as the cache volume. Waits until http://127.0.0.1:MANAGEMENT_PORT/q/health/ready
answers 200, prints the answer and the image's digests, then stops the process.

Usage: images/run-image.py IMAGE.tar HTTP_PORT MANAGEMENT_PORT [NAME=VALUE...]
"""
import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request


def members(archive):
    with tarfile.open(archive) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def unpack_layer(data, root):
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as layer:
        for member in layer.getmembers():
            name = os.path.normpath(member.name.lstrip("./"))
            base = os.path.basename(name)
            if base.startswith(".wh."):  # whiteout: a file the layer removes
                target = os.path.join(root, os.path.dirname(name), base[len(".wh."):])
                shutil.rmtree(target, ignore_errors=True) if os.path.isdir(target) else (
                    os.path.lexists(target) and os.remove(target))
                continue
            if name.startswith("..") or os.path.isabs(name):
                raise SystemExit("layer entry escapes the root: " + member.name)
            layer.extract(member, root, set_attrs=True, numeric_owner=True)


def main():
    archive, http_port, management_port = sys.argv[1], sys.argv[2], sys.argv[3]
    extra_env = sys.argv[4:]
    files = members(archive)
    manifest = json.loads(files["manifest.json"])[0]
    config_bytes = files[manifest["Config"]]
    config = json.loads(config_bytes)["config"]
    print("image config digest (image id): sha256:" + hashlib.sha256(config_bytes).hexdigest())
    for layer in manifest["Layers"]:
        print("layer", layer, "sha256:" + hashlib.sha256(files[layer]).hexdigest())

    root = tempfile.mkdtemp(prefix="modproxy-image-")
    os.chmod(root, 0o755)  # mkdtemp makes it 0700: the image's user could not even enter its /
    for layer in manifest["Layers"]:
        unpack_layer(files[layer], root)
    os.makedirs(os.path.join(root, "proc"), exist_ok=True)
    os.makedirs(os.path.join(root, "var/cache/modproxy"), exist_ok=True)

    env = list(config.get("Env") or []) + ["QUARKUS_HTTP_PORT=" + http_port,
                                           "QUARKUS_MANAGEMENT_PORT=" + management_port,
                                           "MODPROXY_SUMDB=off", "MODPROXY_UPSTREAM=off"] + extra_env
    entrypoint = (config.get("Entrypoint") or []) + (config.get("Cmd") or [])
    user = config.get("User") or "0"
    workdir = config.get("WorkingDir") or "/"
    print("entrypoint", entrypoint, "user", user, "workdir", workdir)
    # Nothing from the image runs but its entrypoint: it has no shell. In new mount and PID
    # namespaces the root and the cache volume become mounts of their own (the proxy asks the mount
    # table which file system holds its cache), then unshare enters the root, mounts /proc (the
    # JVM's launcher finds its libraries through /proc/self/exe) and drops to the image's user.
    uid = user.split(":")[0]
    volume = tempfile.mkdtemp(prefix="modproxy-volume-")
    os.chown(volume, 1001, 0)  # what fsGroup does for the mounted volume
    setup = ('/usr/bin/mount --make-rprivate / && /usr/bin/mount --bind "$ROOT" "$ROOT" && '
             '/usr/bin/mount --bind "$VOLUME" "$ROOT/var/cache/modproxy" && '
             'exec /usr/bin/env -u ROOT -u VOLUME "$@"')
    command = ["/usr/bin/unshare", "--mount", "--pid", "--fork", "/bin/sh", "-c", setup, "sh",
               "/usr/bin/unshare", "--root=" + root, "--wd=" + workdir, "--mount-proc=/proc",
               "--setuid=" + uid, "--setgid=0"] + entrypoint
    # the image's environment only (its PATH finds the entrypoint inside the root)
    process_env = dict(e.split("=", 1) for e in env)
    process_env.update(ROOT=root, VOLUME=volume)
    log = open(root + ".log", "w")
    process = subprocess.Popen(command, env=process_env,
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started = time.monotonic()
    url = "http://127.0.0.1:%s/q/health/ready" % management_port
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit("the entrypoint exited with %s; log: %s" % (process.returncode, log.name))
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        print("ready after %.1f s: %s" % (time.monotonic() - started, answer.read().decode()))
                        break
            except OSError:
                pass
            if time.monotonic() - started > 180:
                raise SystemExit("not ready within 180 s; log: " + log.name)
            time.sleep(0.2)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # the operator's leader elector can outlast a graceful stop; the check is already done
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(volume, ignore_errors=True)


if __name__ == "__main__":
    main()
