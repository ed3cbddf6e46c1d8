#!/usr/bin/env python3
"""bench/net: virtio-net TCP throughput between the guest and the host, SharpVirt against QEMU (microvm, virtio-mmio).

Both VMMs run inside a network namespace this script creates (and deletes), each on a tap it opens there; the host end
of the tap gets 10.251.0.1/24 and the guest's eth0 10.251.0.2/24, so no address exists outside the namespace. Per VMM
and round, the default guest boots once and moves MIB MiB each way over one TCP connection with busybox nc:
guest to host (the guest's `dd if=/dev/zero | nc`, a Python receiver in the namespace timing first byte to end of
stream) and host to guest (a Python sender, timed from connect until the guest's nc, having read the whole stream,
closes the connection). Both VMMs negotiate checksum and segmentation offloads with the tap (QEMU without vhost:
/dev/vhost-net is absent on the project's hosts). Medians and SharpVirt/QEMU ratios (higher is better) are printed.

On kvm_pvm hosts the guest kernel is emulated (~1 us per instruction): the guest's TCP stack bounds these figures, the
same for both VMMs; they show the whole path a guest sees. bench/device-harness measures the device path alone.
"""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from guest import PROMPT, Guest, default_guest, qemu_microvm  # noqa: E402

NS = f"svbench{os.getpid() % 100000}"
TAP = "svbtap0"
HOST, GUEST = "10.251.0.1", "10.251.0.2"
MAC = "52:54:00:25:10:02"


def sh(*argv, check=True):
    return subprocess.run(argv, check=check, capture_output=True, text=True)


def in_ns(*argv):
    return ["ip", "netns", "exec", NS, *argv]


RECEIVER = """
import socket, sys, time
s = socket.create_server(("{host}", 5001)); print("ready", flush=True)
c, _ = s.accept(); first = None; total = 0
while True:
    b = c.recv(1 << 20)
    if not b: break
    if first is None: first = time.monotonic()
    total += len(b)
print(total, time.monotonic() - first, flush=True)
"""

SENDER = """
import socket, sys, time
data = b"\\x5a" * (1 << 20); c = socket.create_connection(("{guest}", 5002)); start = time.monotonic()
for _ in range({mib}): c.sendall(data)
c.shutdown(socket.SHUT_WR); print(start, flush=True)
while c.recv(65536): pass
print(time.monotonic(), flush=True)
"""


def measure(argv, mib):
    g = Guest(in_ns(*argv))
    try:
        at = g.wait_for(PROMPT, 300)
        deadline = time.monotonic() + 10
        while sh("ip", "netns", "exec", NS, "ip", "link", "show", TAP, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{TAP} did not appear")
            time.sleep(0.1)
        sh(*in_ns("ip", "addr", "add", f"{HOST}/24", "dev", TAP))
        sh(*in_ns("ip", "link", "set", TAP, "up"))
        g.run(f"ip addr add {GUEST}/24 dev eth0; ip link set eth0 up; ping -c 2 {HOST} >/dev/null; echo net-$((1+1))", b"net-2")

        # Guest to host.
        receiver = subprocess.Popen(in_ns("python3", "-c", RECEIVER.format(host=HOST)), stdout=subprocess.PIPE, text=True)
        assert receiver.stdout.readline().strip() == "ready"
        g.run(f"dd if=/dev/zero bs=64k count={mib * 16} 2>/dev/null | nc {HOST} 5001; echo up-$((2+2))", b"up-4", timeout=900)
        total, seconds = receiver.stdout.readline().split()
        receiver.wait(30)
        if int(total) != mib << 20:
            raise RuntimeError(f"the host received {total} bytes of {mib << 20}")
        up = mib / float(seconds)

        # Host to guest: the guest's nc counts what it got with wc.
        g.run("nc -l -p 5002 | wc -c > /tmp/rx & sleep 1; echo listening-$((3+3))", b"listening-6")
        sender = subprocess.Popen(in_ns("python3", "-c", SENDER.format(guest=GUEST, mib=mib)), stdout=subprocess.PIPE, text=True)
        # Nothing is typed until the guest's nc has closed: a background job that reads the terminal is stopped
        # (SIGTTIN) by the guest shell's job control, and busybox nc reads its stdin whenever it has input.
        start = float(sender.stdout.readline())
        rest, _ = sender.communicate(timeout=900)
        end = float(rest.split()[0])
        g.run("wait; echo rx=$(cat /tmp/rx)", f"rx={mib << 20}".encode())
        down = mib / (end - start)
        return up, down
    finally:
        g.close()
        sh("ip", "netns", "exec", NS, "ip", "link", "del", TAP, check=False)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--mib", type=int, default=1, help="MiB moved each way per run (a guest TCP packet costs ~40 ms of emulated kernel time here)")
    p.add_argument("--cpu", default="1")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()
    kernel, initrd, cmdline = default_guest()
    vmms = {
        "sharpvirt": ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", kernel, "--initrd", initrd,
                      "--memory", "256M", "--net", f"tap={TAP},mac={MAC}", "--on-reboot", "exit"],
        "qemu": qemu_microvm(args.qemu, args.cpu, kernel, initrd, cmdline) + [
            "-netdev", f"tap,id=n0,ifname={TAP},script=no,downscript=no,vhost=off",
            "-device", f"virtio-net-device,netdev=n0,mac={MAC}"],
    }
    sh("ip", "netns", "add", NS)
    try:
        sh(*in_ns("ip", "link", "set", "lo", "up"))
        results = {n: [] for n in vmms}
        for i in range(args.runs):
            for name, argv in vmms.items():
                r = measure(argv, args.mib)
                results[name].append(r)
                print(f"run {i + 1} {name:9s} guest->host {r[0]:6.2f} MiB/s  host->guest {r[1]:6.2f} MiB/s", file=sys.stderr)
    finally:
        sh("ip", "netns", "del", NS, check=False)
    print(f"\nbench/net: TCP over virtio-net on a tap, {args.mib} MiB each way, default guest, 1 vCPU, CPU {args.cpu}, "
          f"median of {args.runs}")
    print("| metric (busybox nc in the guest) | SharpVirt | QEMU microvm | ratio (higher is better) |")
    print("|---|---|---|---|")
    for k, label in [(0, "guest to host"), (1, "host to guest")]:
        s = statistics.median(r[k] for r in results["sharpvirt"])
        q = statistics.median(r[k] for r in results["qemu"])
        print(f"| {label} | {s:.2f} MiB/s | {q:.2f} MiB/s | {s / q:.2f} |")


if __name__ == "__main__":
    main()
