#!/usr/bin/env python3
"""bench/migration: live migration of a running guest to a second VMM process, SharpVirt against QEMU.

Both VMMs boot the default guest (same kernel, initramfs, one vCPU; 256 MiB and 1 GiB) to its shell, optionally
fill part of its RAM with non-zero data (--fill-mib, a file in the guest's tmpfs), and migrate it over TCP on
localhost to a destination process started for it (the source on CPU --cpu, the destination on --dest-cpu):

  SharpVirt  destination: sharpvirt vmm --incoming tcp:127.0.0.1:PORT
             source:      PUT /migrate {"destination_url": ...}, then GET /migrate until completed
  QEMU       destination: the same command line with -incoming tcp:127.0.0.1:PORT
             source:      QMP migrate {"uri": ...}, then query-migrate until completed

Both use their default downtime limit (300 ms). Reported, as each VMM measures it: total time (from the migrate
command to completion) and downtime, plus, measured here the same way for both, the time from the migrate command
until the guest's shell answers on the destination. The two downtimes are not the same span: QEMU's ends when the
source has sent its last byte (the destination is already built and loads the state after), SharpVirt's when the
destination has built the VM from the state and been told to run it. Runs alternate between the VMMs; medians
and SharpVirt/QEMU ratios (below 1.0: SharpVirt is faster).
"""
import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "api"))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "snapshot"))
from bench_api import Qmp, boot, connect  # noqa: E402
from bench_snapshot import responsive, stop, wait_output  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(path, method, target, body=None):
    """One request on a fresh connection (Connection: close); returns (status, parsed JSON or None)."""
    s = connect(path)
    data = body.encode() if body else b""
    s.sendall(f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {len(data)}\r\n"
              f"Content-Type: application/json\r\n\r\n".encode() + data)
    raw = b""
    while chunk := s.recv(65536):
        raw += chunk
    s.close()
    head, _, payload = raw.partition(b"\r\n\r\n")
    if b"chunked" in head.lower():
        out, rest = b"", payload
        while True:
            size, _, rest = rest.partition(b"\r\n")
            n = int(size, 16)
            if n == 0:
                break
            out, rest = out + rest[:n], rest[n + 2:]
        payload = out
    return int(head.split(b" ", 2)[1]), json.loads(payload) if payload.strip() else None


def fill(proc, mib, timeout):
    if mib:
        proc.stdin.write(f"yes sharpvirt-migration | head -c {mib}M > /dev/shm/fill; echo filled-$((1+1))\n".encode())
        proc.stdin.flush()
        wait_output(proc, b"filled-2", timeout)


def sharpvirt_round(args, memory, work):
    sock, url = os.path.join(work, "sv.sock"), f"tcp:127.0.0.1:{free_port()}"
    src = boot(["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", args.kernel, "--initrd", args.initrd,
                "--cmdline", "console=ttyS0 reboot=k panic=-1", "--memory", f"{memory}M", "--api-socket", sock], args.timeout)
    dst = None
    try:
        fill(src, args.fill_mib, args.timeout)
        time.sleep(1)
        dst = subprocess.Popen(["taskset", "-c", args.dest_cpu, args.sharpvirt, "vmm", "--incoming", url],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        wait_output(dst, b"waiting for a migration", args.timeout)
        t = time.monotonic()
        status, _ = api(sock, "PUT", "/migrate", json.dumps({"destination_url": url}))
        assert status == 202, status
        while True:
            _, info = api(sock, "GET", "/migrate")
            if info["state"] != "active":
                break
            time.sleep(0.005)
        if info["state"] != "completed":
            raise RuntimeError(f"SharpVirt migration {info['state']}: {info.get('error')}")
        responsive(dst, args.timeout, memory)
        answered = time.monotonic() - t
        src.wait(timeout=30)
        return info["elapsed_ms"], info["downtime_ms"], answered * 1000, info["transferred_bytes"] / 2**20
    finally:
        stop(src)
        if dst:
            stop(dst)


def qemu_round(args, memory, work):
    port = free_port()
    qmp_src, qmp_dst = os.path.join(work, "qs.sock"), os.path.join(work, "qd.sock")
    for p in (qmp_src, qmp_dst):
        if os.path.exists(p):
            os.unlink(p)
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    base = [args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
            "-m", f"{memory}M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
            "-kernel", args.kernel, "-initrd", args.initrd, "-append", cmdline]
    src = boot(["taskset", "-c", args.cpu] + base + ["-qmp", f"unix:{qmp_src},server=on,wait=off"], args.timeout)
    dst = None
    try:
        fill(src, args.fill_mib, args.timeout)
        time.sleep(1)
        dst = subprocess.Popen(["taskset", "-c", args.dest_cpu] + base + ["-qmp", f"unix:{qmp_dst},server=on,wait=off",
                                                                           "-incoming", f"tcp:127.0.0.1:{port}"],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        Qmp(qmp_dst)  # listening once QMP answers
        qmp = Qmp(qmp_src)
        t = time.monotonic()
        qmp.sock.sendall(json.dumps({"execute": "migrate", "arguments": {"uri": f"tcp:127.0.0.1:{port}"}}).encode() + b"\n")
        while qmp.read().get("return") is None:
            pass
        while True:
            info = qmp.execute("query-migrate")["return"]
            if info.get("status") in ("completed", "failed", "cancelled"):
                break
            time.sleep(0.005)
        if info["status"] != "completed":
            raise RuntimeError(f"QEMU migration {info['status']}: {info}")
        responsive(dst, args.timeout, memory)
        answered = time.monotonic() - t
        return info["total-time"], info["downtime"], answered * 1000, info["ram"]["transferred"] / 2**20
    finally:
        stop(src)
        if dst:
            stop(dst)


def main():
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--memory", type=int, nargs="+", default=[256, 1024], help="guest sizes in MiB")
    p.add_argument("--fill-mib", type=int, default=64, help="MiB of non-zero data put in the guest's RAM first")
    p.add_argument("--kernel", default=os.path.join(cache, "guest", "vmlinux-microvm"))
    p.add_argument("--initrd", default=os.path.join(cache, "guest", "initramfs.cpio"))
    p.add_argument("--cpu", default="1")
    p.add_argument("--dest-cpu", default="0")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()
    work = os.path.join("/tmp", f"sv-bench-migrate-{os.getpid()}")
    os.makedirs(work, exist_ok=True)
    for memory in args.memory:
        results = {"sharpvirt": [], "qemu": []}
        for i in range(args.runs):
            results["sharpvirt"].append(sharpvirt_round(args, memory, work))
            results["qemu"].append(qemu_round(args, memory, work))
            print(f"{memory} MiB run {i + 1}: sharpvirt {results['sharpvirt'][-1]}, qemu {results['qemu'][-1]}", file=sys.stderr)
        print(f"\nbench/migration: default guest, {memory} MiB with {args.fill_mib} MiB filled, 1 vCPU, "
              f"source CPU {args.cpu}, destination CPU {args.dest_cpu}, median of {args.runs}")
        print("| metric | SharpVirt | QEMU | ratio |")
        print("|---|---|---|---|")
        for k, label, unit in [(0, "total migration time", "ms"), (1, "downtime", "ms"),
                               (2, "migrate command to the shell answering on the destination", "ms"),
                               (3, "memory sent", "MiB")]:
            s = statistics.median(r[k] for r in results["sharpvirt"])
            q = statistics.median(r[k] for r in results["qemu"])
            ratio = f"{s / q:.2f}" if q else "n/a"
            print(f"| {label} | {s:.1f} {unit} | {q:.1f} {unit} | {ratio} |")


if __name__ == "__main__":
    main()
