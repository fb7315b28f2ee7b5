#!/usr/bin/env python3
"""Where a running modproxy's resident memory is: the JVM's own account beside the kernel's.

Usage: bench/proxy-memory.py PID [LABEL]

Prints one block:
  - the kernel's view from /proc/PID/smaps: resident memory (RSS) in file mappings (the jar, the JDK's
    libraries, mapped zips), in glibc's malloc arenas, and in the other anonymous mappings (the Java heap,
    metaspace, code cache, thread stacks, direct buffers: what the JVM reserves itself);
  - when the JVM runs with -XX:NativeMemoryTracking=summary, its own account (jcmd VM.native_memory summary),
    committed MiB per category;
  - the thread count (/proc/PID/status).

A glibc arena other than the main one is an mmap of 64 MiB aligned to 64 MiB (HEAP_MAX_SIZE on 64-bit), of which
the part in use is read-write and the rest reserved with no access. glibc gives each thread that mallocs an arena of
its own, up to 8 per core unless MALLOC_ARENA_MAX says fewer; java.util.zip.Inflater (zlib's state and window), the
JDK's C code and the JIT allocate there. The main arena is [heap] (brk). NMT counts the JVM's own mallocs but not
zlib's, and not what glibc keeps of freed blocks: RSS in arenas beyond NMT's "Other"/"Internal" is that.
"""
import collections
import glob
import re
import subprocess
import sys

ARENA = 64 << 20


def mappings(pid):
    header = re.compile(r"^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$")
    current = None
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            m = header.match(line)
            if m:
                if current:
                    yield current
                current = {"start": int(m.group(1), 16), "end": int(m.group(2), 16), "perms": m.group(3),
                           "path": m.group(4).strip(), "rss": 0}
            elif line.startswith("Rss:"):
                current["rss"] = int(line.split()[1]) << 10
    if current:
        yield current


def kernel_view(pid):
    maps = list(mappings(pid))
    arenas = {}  # 64 MiB-aligned start -> resident bytes
    # the span of each arena: its aligned start and every mapping within the 64 MiB that follows
    for m in maps:
        if m["path"] == "" and m["start"] % ARENA == 0 and "rw" in m["perms"]:
            span_end = m["start"] + ARENA
            inside = [x for x in maps if x["start"] >= m["start"] and x["end"] <= span_end and x["path"] == ""]
            if sum(x["end"] - x["start"] for x in inside) == ARENA and all(
                    x["perms"] in ("rw-p", "---p") for x in inside):
                arenas[m["start"]] = sum(x["rss"] for x in inside)
    in_arena = set()
    for start in arenas:
        for x in maps:
            if x["path"] == "" and start <= x["start"] and x["end"] <= start + ARENA:
                in_arena.add(x["start"])
    total = sum(m["rss"] for m in maps)
    brk = sum(m["rss"] for m in maps if m["path"] == "[heap]")
    files = sum(m["rss"] for m in maps if m["path"].startswith("/"))
    other = total - files - brk - sum(arenas.values())
    return total, files, brk, arenas, other


def nmt(pid):
    try:
        out = subprocess.run(["jcmd", str(pid), "VM.native_memory", "summary"], capture_output=True, text=True,
                             timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    if "committed=" not in out:
        return None
    found = []
    for m in re.finditer(r"^-\s+(.+?) \(reserved=\d+KB, committed=(\d+)KB", out, re.M):
        found.append((m.group(1).strip(), int(m.group(2)) >> 10))
    total = re.search(r"^Total: reserved=\d+KB, committed=(\d+)KB", out, re.M)
    # what the JVM took with malloc, in every category (the rest it maps itself)
    malloced = sum(int(m.group(1)) for m in re.finditer(r"\(malloc=(\d+)KB", out)) >> 10
    return (int(total.group(1)) >> 10 if total else None), found, malloced


def main():
    pid = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else ""
    mib = lambda b: b / (1 << 20)
    total, files, brk, arenas, other = kernel_view(pid)
    with open(f"/proc/{pid}/status") as status:
        fields = dict(line.split(":", 1) for line in status if ":" in line)
    threads = fields["Threads"].strip()
    hwm = int(fields["VmHWM"].split()[0]) >> 10
    print(f"== modproxy memory {label}: RSS {mib(total):.0f} MiB (peak {hwm} MiB), {threads} threads")
    print(f"   kernel: files {mib(files):.0f}, malloc [heap] {mib(brk):.0f}, malloc arenas {mib(sum(arenas.values())):.0f} "
          f"in {len(arenas)}, other anonymous (the JVM's own mappings) {mib(other):.0f} MiB")
    # thread names as the kernel keeps them (15 characters), numbers stripped: which pools the threads are in
    names = collections.Counter()
    for comm in glob.glob(f"/proc/{pid}/task/*/comm"):
        try:
            with open(comm) as f:
                names[re.sub(r"[-#]?\d+$", "", f.read().strip())] += 1
        except OSError:
            pass  # the thread ended meanwhile
    print("   threads: " + ", ".join(f"{name} {n}" for name, n in names.most_common(8)))
    account = nmt(pid)
    if account:
        committed, categories, malloced = account
        shown = ", ".join(f"{name} {value}" for name, value in categories if value >= 1)
        print(f"   NMT committed {committed} MiB, of which malloc {malloced}: {shown}")


if __name__ == "__main__":
    main()
