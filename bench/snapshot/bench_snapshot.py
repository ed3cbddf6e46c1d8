#!/usr/bin/env python3
"""bench/snapshot: snapshot and restore of a running guest, SharpVirt against QEMU on the same guest.

Both VMMs boot the default guest (same kernel, initramfs, vCPUs, host CPU; 256 MiB and 1 GiB) to its shell, then:

  snapshot  SharpVirt: PUT /snapshot/create (the guest pauses, state and sparse memory are written, it runs on).
            QEMU: QMP stop, then migrate to "exec:cat > FILE" until query-migrate says completed (QEMU's way of
            saving a running VM to a file; it has no other for microvm).
  size      the files' allocated size on disk (du): what the snapshot really takes.
  restore   from starting a new VMM process on the files to the guest's shell answering a command:
            sharpvirt vmm --restore DIR; qemu ... -incoming "exec:cat FILE", then QMP cont once it is paused.

Runs alternate between the VMMs. Prints medians and the SharpVirt/QEMU ratios (below 1.0: SharpVirt is faster or
smaller). The guests are idle after boot: their RAM is mostly untouched, which both formats skip.
"""
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
from bench_api import Http, Qmp, boot  # noqa: E402


def wait_output(proc, marker, timeout):
    seen, start = b"", time.monotonic()
    while marker not in seen:
        if time.monotonic() - start > timeout:
            raise RuntimeError(f"no {marker!r} after {timeout}s: {seen[-300:]!r}")
        if select.select([proc.stdout], [], [], 0.05)[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"the VMM exited: {seen[-300:]!r}")
            seen += chunk


def responsive(proc, timeout, n):
    proc.stdin.write(f"echo back-$(({n}+1))\n".encode())
    proc.stdin.flush()
    wait_output(proc, f"back-{n + 1}".encode(), timeout)


def du(path):
    return int(subprocess.run(["du", "-sk", path], capture_output=True, text=True, check=True).stdout.split()[0]) / 1024.0


def stop(proc):
    proc.kill()
    proc.wait()


def sharpvirt_round(args, memory, work):
    sock, snap = os.path.join(work, "sv.sock"), os.path.join(work, "sv-snap")
    shutil.rmtree(snap, ignore_errors=True)
    src = boot(["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", args.kernel, "--initrd", args.initrd,
                "--cmdline", "console=ttyS0 reboot=k panic=-1", "--memory", f"{memory}M", "--api-socket", sock], args.timeout)
    try:
        time.sleep(2)
        http = Http(sock)
        t = time.monotonic()
        status = http.request("PUT", "/snapshot/create", f'{{"snapshot_path":"{snap}"}}')
        took = time.monotonic() - t
        assert status == 200, status
    finally:
        stop(src)
    t = time.monotonic()
    dst = subprocess.Popen(["taskset", "-c", args.cpu, args.sharpvirt, "vmm", "--restore", snap],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        responsive(dst, args.timeout, memory)
        restore = time.monotonic() - t
    finally:
        stop(dst)
    return took, du(snap), restore


def qemu_round(args, memory, work):
    qmp_path, file = os.path.join(work, "q.sock"), os.path.join(work, "q.state")
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    base = ["taskset", "-c", args.cpu, args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
            "-m", f"{memory}M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
            "-kernel", args.kernel, "-initrd", args.initrd, "-append", cmdline]
    src = boot(base + ["-qmp", f"unix:{qmp_path},server=on,wait=off"], args.timeout)
    try:
        time.sleep(2)
        qmp = Qmp(qmp_path)
        t = time.monotonic()
        qmp.execute("stop")
        qmp.sock.sendall(f'{{"execute":"migrate","arguments":{{"uri":"exec:cat > {file}"}}}}\n'.encode())
        while qmp.read().get("return") is None:
            pass
        while True:
            answer = qmp.execute("query-migrate")
            state = answer.get("return", {}).get("status")
            if state == "completed":
                break
            if state == "failed":
                raise RuntimeError(f"QEMU migrate failed: {answer}")
            time.sleep(0.005)
        took = time.monotonic() - t
    finally:
        stop(src)
    os.unlink(qmp_path) if os.path.exists(qmp_path) else None
    t = time.monotonic()
    dst = subprocess.Popen(base + ["-qmp", f"unix:{qmp_path},server=on,wait=off", "-incoming", f"exec:cat {file}"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        qmp = Qmp(qmp_path)
        while qmp.execute("query-status")["return"]["status"] != "paused":
            time.sleep(0.002)
        qmp.execute("cont")
        responsive(dst, args.timeout, memory)
        restore = time.monotonic() - t
    finally:
        stop(dst)
    return took, du(file), restore


def main():
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--memory", type=int, nargs="+", default=[256, 1024], help="guest sizes in MiB")
    p.add_argument("--kernel", default=os.path.join(cache, "guest", "vmlinux-microvm"))
    p.add_argument("--initrd", default=os.path.join(cache, "guest", "initramfs.cpio"))
    p.add_argument("--cpu", default="1")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="sv-bench-snap-")
    for memory in args.memory:
        results = {"sharpvirt": [], "qemu": []}
        for i in range(args.runs):
            results["sharpvirt"].append(sharpvirt_round(args, memory, work))
            results["qemu"].append(qemu_round(args, memory, work))
            print(f"{memory} MiB run {i + 1}: sharpvirt {results['sharpvirt'][-1]}, qemu {results['qemu'][-1]}", file=sys.stderr)
        print(f"\nbench/snapshot: default guest idle after boot, {memory} MiB, 1 vCPU, CPU {args.cpu}, median of {args.runs}")
        print("| metric | SharpVirt | QEMU | ratio |")
        print("|---|---|---|---|")
        for k, label, unit, scale in [(0, "snapshot of the running guest", "ms", 1000), (1, "snapshot on disk", "MiB", 1),
                                      (2, "restore to a responsive shell", "ms", 1000)]:
            s = statistics.median(r[k] for r in results["sharpvirt"]) * scale
            q = statistics.median(r[k] for r in results["qemu"]) * scale
            print(f"| {label} | {s:.1f} {unit} | {q:.1f} {unit} | {s / q:.2f} |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
