#!/usr/bin/env python3
"""bench/api: control API latency of SharpVirt's REST API against QEMU's QMP, on the same running guest.

Each VMM in turn boots the default guest (same kernel, initramfs, memory, vCPUs, host CPU) to its shell, alone on
that CPU. Then, over one persistent connection (HTTP/1.1 keep-alive on SharpVirt's Unix socket, a QMP session on
QEMU's), the three requests alternate:

  status   GET /                         vs  {"execute": "query-status"}
  pause    PUT /actions {"action":"pause"}  vs  {"execute": "stop"}
  resume   PUT /actions {"action":"resume"} vs  {"execute": "cont"}

Each time is from the request's first byte written to the whole answer read. Prints medians and p99 in
microseconds and the SharpVirt/QEMU ratio (below 1.0 means SharpVirt answers faster).
"""
import argparse
import json
import os
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time

READY = b"SHARPVIRT-READY"


def boot(argv, timeout):
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    seen, start = b"", time.monotonic()
    while READY not in seen:
        if time.monotonic() - start > timeout:
            proc.kill()
            raise RuntimeError(f"{argv[3]}: no readiness line after {timeout}s: {seen[-400:]!r}")
        if select.select([proc.stdout], [], [], 0.1)[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{argv[3]} exited: {seen[-400:]!r}")
            seen += chunk
    return proc


def connect(path, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


class Http:
    """Minimal HTTP/1.1 keep-alive client: enough for SharpVirt's answers (Content-Length or none)."""

    def __init__(self, path):
        self.sock = connect(path)
        self.buf = b""

    def request(self, method, target, body=None):
        data = body.encode() if body else b""
        head = f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(data)}\r\n"
        if data:
            head += "Content-Type: application/json\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + data)
        while b"\r\n\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        header, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status = int(header.split(b" ", 2)[1])
        length = 0
        chunked = False
        for line in header.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while not self.buf.endswith(b"0\r\n\r\n"):
                self.buf += self.sock.recv(65536)
            self.buf = b""
        else:
            while len(self.buf) < length:
                self.buf += self.sock.recv(65536)
            self.buf = self.buf[length:]
        return status


class Qmp:
    def __init__(self, path):
        self.sock = connect(path)
        self.buf = b""
        self.read()  # greeting
        self.execute("qmp_capabilities")

    def read(self):
        while b"\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command):
        self.sock.sendall(json.dumps({"execute": command}).encode() + b"\n")
        while True:
            answer = self.read()
            if "return" in answer or "error" in answer:  # events (STOP, RESUME) may come first
                return answer


def timed(fn):
    t = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t) / 1000.0


def main():
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=500, help="requests of each kind per VMM")
    p.add_argument("--kernel", default=os.path.join(cache, "guest", "vmlinux-microvm"))
    p.add_argument("--initrd", default=os.path.join(cache, "guest", "initramfs.cpio"))
    p.add_argument("--cpu", default="1", help="host CPU list for taskset (both VMMs)")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    p.add_argument("--timeout", type=int, default=300)
    args = p.parse_args()

    work = tempfile.mkdtemp(prefix="sv-bench-api-")
    sv_sock, q_sock = os.path.join(work, "sv.sock"), os.path.join(work, "qmp.sock")
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    vmms = {
        "sharpvirt": (["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", args.kernel, "--initrd", args.initrd,
                       "--cmdline", "console=ttyS0 reboot=k panic=-1", "--memory", "256M", "--api-socket", sv_sock],
                      lambda: Http(sv_sock),
                      {"status": lambda c: c.request("GET", "/"),
                       "pause": lambda c: c.request("PUT", "/actions", '{"action":"pause"}'),
                       "resume": lambda c: c.request("PUT", "/actions", '{"action":"resume"}')}),
        "qemu": (["taskset", "-c", args.cpu, args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
                  "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                  "-qmp", f"unix:{q_sock},server=on,wait=off", "-kernel", args.kernel, "-initrd", args.initrd,
                  "-append", cmdline],
                 lambda: Qmp(q_sock),
                 {"status": lambda c: c.execute("query-status"),
                  "pause": lambda c: c.execute("stop"),
                  "resume": lambda c: c.execute("cont")}),
    }
    # One VMM at a time on the CPU: a second guest's timer work on the same CPU would delay the other's vCPU wake-ups.
    times = {name: {k: [] for k in ("status", "pause", "resume")} for name in vmms}
    for name, (argv, connect_client, kinds) in vmms.items():
        proc = boot(argv, args.timeout)
        try:
            client = connect_client()
            for _ in range(20):  # warm-up: first touch of code pages on both sides
                for fn in kinds.values():
                    fn(client)
            for _ in range(args.requests):
                for kind, fn in kinds.items():
                    times[name][kind].append(timed(lambda: fn(client)))
        finally:
            proc.kill()
            proc.wait()
    results = {k: (times["sharpvirt"][k], times["qemu"][k]) for k in ("status", "pause", "resume")}

    def p99(xs):
        return sorted(xs)[int(len(xs) * 0.99) - 1]

    print(f"\nbench/api: default guest running, 256 MiB, 1 vCPU, CPU {args.cpu}, {args.requests} requests of each kind per VMM")
    print("| request | SharpVirt median (p99) | QEMU QMP median (p99) | ratio of medians |")
    print("|---|---|---|---|")
    for k, (s, qq) in results.items():
        ms, mq = statistics.median(s), statistics.median(qq)
        print(f"| {k} | {ms:.0f} us ({p99(s):.0f}) | {mq:.0f} us ({p99(qq):.0f}) | {ms / mq:.2f} |")


if __name__ == "__main__":
    sys.exit(main())
