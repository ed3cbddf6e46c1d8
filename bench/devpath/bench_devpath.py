#!/usr/bin/env python3
"""bench/devpath: the virtio-blk device path of SharpVirt against QEMU (microvm, virtio-mmio), with no guest kernel.

The guest is blk-guest.S (built here with gcc): a bare-metal virtio 1.x driver that sets the machine up in ring 0 and
then runs entirely in ring 3, where kvm_pvm executes guest code natively (its ring 0 is emulated, ~1 us per
instruction). It negotiates only VIRTIO_F_VERSION_1, sets VIRTQ_AVAIL_F_NO_INTERRUPT and polls with interrupts off, and
times two loops of N 4 KiB reads (a 3-descriptor chain each: header, data, status) from a 64 MiB raw image:

  queue depth 1:  publish one chain, notify, spin on used.idx, check the status byte and the data, repeat;
  queue depth 32: publish 32 chains and notify once; as completions arrive, re-publish each and notify once per
                  batch, unless the device set VIRTQ_USED_F_NO_NOTIFY.

So one request is: the guest's ring-3 driver loop, the notify (a 32-bit MMIO write to QueueNotify, which both VMMs
bind to an ioeventfd: KVM signals it in the kernel and the vCPU does not exit to the VMM's userspace), the VMM's device
thread (SharpVirt's device event loop and I/O pool; QEMU's main-loop AioContext and its aio=threads workers) waking,
walking the chain and doing a pread from the host page cache into guest memory, the used-ring update, and the guest's
spin seeing used.idx move. No guest kernel, no interrupts, no guest block layer: compare bench/disk, which is the whole
path and mostly the emulated guest kernel.

Both VMMs get the same guest, image, 64 MiB, 1 vCPU and host CPU(s) (taskset, --cpu; default CPU 1, which puts the
spinning vCPU and the device threads on one CPU: the device thread runs only when the scheduler preempts the spin).
Reported, medians over --runs runs alternating the VMMs:
  - round trip at queue depth 1 and requests/s at queue depth 32, from host timestamps of the guest's begin and end
    lines on the serial console (time.monotonic at arrival);
  - host CPU per request, per loop, from /proc/PID/task/*/schedstat sampled at those lines: all threads, and all but
    the vCPU thread (which spins for the whole loop, so it counts wall time, not work);
  - host CPU per request over the whole process (wait4's user+sys) minus that of a run of the same guest with N=0
    (start-up, device set-up and teardown), divided by the 2N requests of both loops.
The guest also checks every status byte and that each 4 KiB block starts with its sector number (the runner stamps
every 512-byte sector of the image with its le64 number), and counts its notifications.
"""
import argparse
import os
import re
import statistics
import select
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
IMAGE_MIB = 64
VCPU_THREADS = {"sharpvirt": "vcpu0", "qemu": "CPU 0/KVM"}  # comm names (QEMU's need debug-threads=on)


def build_guest(work, nreq):
    elf = os.path.join(work, f"blk-guest-{nreq}.elf")
    subprocess.run(["gcc", "-nostdlib", "-static", "-no-pie", "-Wl,-Ttext=0x100000", "-Wl,--build-id=none",
                    f"-DNREQ={nreq}", "-o", elf, os.path.join(HERE, "blk-guest.S")], check=True)
    return elf


def make_image(path):
    """64 MiB whose every 512-byte sector starts with its own number (le64): the guest checks what it reads."""
    per_mib = (1 << 20) // 512
    with open(path, "wb") as f:
        for mib in range(IMAGE_MIB):
            f.write(b"".join((mib * per_mib + s).to_bytes(8, "little") + bytes(504) for s in range(per_mib)))


def thread_cpu(pid):
    """ns on CPU per thread (comm, tid) of a live process, from schedstat; threads that vanish are skipped."""
    out = {}
    base = f"/proc/{pid}/task"
    try:
        tids = os.listdir(base)
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"{base}/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"{base}/{tid}/schedstat") as f:
                out[(comm, tid)] = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return out


def cpu_delta(before, after, vcpu_name):
    """(all threads, all but the vCPU thread) ns between two thread_cpu samples (new threads count from 0)."""
    total = other = 0
    for key, ns in after.items():
        d = ns - before.get(key, 0)
        total += d
        if key[0] != vcpu_name:
            other += d
    return total, other


def run_once(name, argv, nreq, timeout):
    start = time.monotonic()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err)
    fd = proc.stdout.fileno()
    buf = b""
    chunks = []  # (offset of the chunk's first byte, arrival time)
    marks = {}  # event -> (time, thread samples)
    scanned = 0
    while True:
        if time.monotonic() - start > timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise RuntimeError(f"{name}: timeout after {timeout}s; output: {buf[-600:]!r}")
        ready, _, _ = select.select([fd], [], [], 0.05)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        now = time.monotonic()
        if not chunk:
            break  # the VMM closed its output: it is exiting
        chunks.append((len(buf), now))
        buf += chunk
        # A loop starts right after its begin line's newline and has ended before its end line's first byte: stamp
        # each with the arrival of that byte (chunks are often single bytes, as each serial write is one exit).
        for qd in ("qd1", "qd32"):
            for ev, pat in (("begin", b"DEVPATH %s begin\n"), ("end", b"DEVPATH %s e")):
                key = f"{qd} {ev}"
                if key in marks:
                    continue
                at = buf.find(pat % qd.encode(), max(0, scanned - 32))
                if at < 0:
                    continue
                byte = at + len(pat % qd.encode()) - 1 if ev == "begin" else at
                t = max(t for off, t in chunks if off <= byte)
                marks[key] = (t, thread_cpu(proc.pid))
        scanned = len(buf)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    text = buf.decode(errors="replace")
    if "DEVPATH error" in text or "DEVPATH done" not in text:
        raise RuntimeError(f"{name}: guest failed (exit status {status >> 8}):\n{text[-1500:]}\nstderr: {stderr[-800:]}")
    r = {"cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss / 1024.0, "exit": time.monotonic() - start}
    for qd in ("qd1", "qd32"):
        m = re.search(rf"DEVPATH {qd} end (\d+) ok", text)
        if not m or int(m.group(1)) != nreq:
            raise RuntimeError(f"{name}: {qd} did not complete {nreq} requests:\n{text[-800:]}")
        r[f"{qd} tsc"] = int(re.search(rf"DEVPATH {qd} tsc (\d+)", text).group(1))
        r[f"{qd} notifies"] = int(re.search(rf"DEVPATH {qd} notifies (\d+)", text).group(1))
        (t0, s0), (t1, s1) = marks[f"{qd} begin"], marks[f"{qd} end"]
        r[f"{qd} wall"] = t1 - t0
        r[f"{qd} cpu all"], r[f"{qd} cpu other"] = (d / 1e9 for d in cpu_delta(s0, s1, VCPU_THREADS[name]))
    r["device"] = re.search(r"DEVPATH device (.*)", text).group(1).strip()
    return r


def main():
    root = os.path.dirname(os.path.dirname(HERE))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--requests", type=int, default=20000, help="requests per loop (N)")
    p.add_argument("--cpu", default="1", help="host CPU list for taskset (both VMMs)")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()
    if args.requests < 1:
        p.error("--requests must be at least 1")

    # Keep this script off the VMMs' CPU, where it can: it samples /proc while they run.
    try:
        vmm_cpus = set()
        for part in args.cpu.split(","):
            lo, _, hi = part.partition("-")
            vmm_cpus.update(range(int(lo), int(hi or lo) + 1))
        others = os.sched_getaffinity(0) - vmm_cpus
        if others:
            os.sched_setaffinity(0, others)
    except (ValueError, OSError):
        pass

    work = tempfile.mkdtemp(prefix="sv-bench-devpath-")
    try:
        run_all(args, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_all(args, work):
    guests = {n: build_guest(work, n) for n in (args.requests, 0)}
    image = os.path.join(work, "disk.img")
    make_image(image)

    def argv(name, guest):
        if name == "sharpvirt":
            return ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", guest, "--memory", f"{IMAGE_MIB}M",
                    "--disk", f"path={image}"]
        # force-legacy=false: QEMU 7.2's virtio-mmio is version 1 (legacy) unless told otherwise, even on microvm.
        return ["taskset", "-c", args.cpu, args.qemu, "-name", "devpath,debug-threads=on", "-enable-kvm",
                "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16", "-m", f"{IMAGE_MIB}M", "-smp", "1", "-nodefaults",
                "-no-user-config", "-nographic", "-serial", "stdio", "-device", "isa-debug-exit,iobase=0x501,iosize=1",
                "-no-reboot", "-global", "virtio-mmio.force-legacy=false", "-kernel", guest,
                "-drive", f"id=d0,file={image},format=raw,if=none,cache=writeback,aio=threads",
                "-device", "virtio-blk-device,drive=d0"]

    n = args.requests
    names = ("sharpvirt", "qemu")
    results = {name: [] for name in names}
    baseline = {name: [] for name in names}
    for i in range(args.runs):
        for name in names:  # interleaved, so drift in the host affects both alike
            base = run_once(name, argv(name, guests[0]), 0, args.timeout)
            baseline[name].append(base["cpu"])
            r = run_once(name, argv(name, guests[n]), n, args.timeout)
            results[name].append(r)
            if i == 0:
                print(f"{name}: {r['device']}", file=sys.stderr)
            print(f"run {i + 1} {name:9s} qd1 {r['qd1 wall'] / n * 1e6:7.2f} us/req "
                  f"({r['qd1 tsc'] / n:8.0f} guest TSC/req, cpu {r['qd1 cpu all'] / n * 1e6:6.2f} all "
                  f"{r['qd1 cpu other'] / n * 1e6:6.2f} non-vCPU us/req)  "
                  f"qd32 {n / r['qd32 wall']:8.0f} req/s ({r['qd32 tsc'] / n:7.0f} TSC/req, cpu "
                  f"{r['qd32 cpu all'] / n * 1e6:6.2f} all {r['qd32 cpu other'] / n * 1e6:6.2f} non-vCPU us/req, "
                  f"{r['qd32 notifies']} notifies)  process cpu {r['cpu']:.3f} s, N=0 run {base['cpu']:.3f} s",
                  file=sys.stderr)

    def med(name, f):
        return statistics.median(f(r) for r in results[name])

    def per_req_process_cpu(name):
        b = statistics.median(baseline[name])
        return statistics.median((r["cpu"] - b) / (2 * n) * 1e6 for r in results[name])

    rows = [
        ("4 KiB read round trip, queue depth 1", "us", lambda name: med(name, lambda r: r["qd1 wall"] / n * 1e6)),
        ("requests/s at queue depth 32", "", lambda name: med(name, lambda r: n / r["qd32 wall"])),
        ("host CPU per request, qd 1, all threads", "us", lambda name: med(name, lambda r: r["qd1 cpu all"] / n * 1e6)),
        ("host CPU per request, qd 1, outside the vCPU thread", "us",
         lambda name: med(name, lambda r: r["qd1 cpu other"] / n * 1e6)),
        ("host CPU per request, qd 32, all threads", "us",
         lambda name: med(name, lambda r: r["qd32 cpu all"] / n * 1e6)),
        ("host CPU per request, qd 32, outside the vCPU thread", "us",
         lambda name: med(name, lambda r: r["qd32 cpu other"] / n * 1e6)),
        ("host CPU per request, whole process minus an N=0 run, both loops", "us", per_req_process_cpu),
        ("guest notifies per request at queue depth 32", "",
         lambda name: med(name, lambda r: r["qd32 notifies"] / n)),
    ]
    print(f"\nbench/devpath: virtio-blk 4 KiB reads from ring 3, no guest kernel, N={n} per loop, "
          f"{IMAGE_MIB} MiB raw image, 1 vCPU, CPU {args.cpu}, median of {args.runs}")
    print("| metric | SharpVirt | QEMU microvm | ratio (SharpVirt/QEMU) |")
    print("|---|---|---|---|")
    for label, unit, f in rows:
        s, q = f("sharpvirt"), f("qemu")
        digits = 0 if label.startswith("requests") else (3 if label.startswith("guest") else 2)
        ratio = f"{s / q:.2f}" if q else "-"
        print(f"| {label}{f' ({unit})' if unit else ''} | {s:.{digits}f} | {q:.{digits}f} | {ratio} |")


if __name__ == "__main__":
    main()
