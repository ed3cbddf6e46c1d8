#!/usr/bin/env python3
"""bench/disk: virtio-blk throughput in the guest, SharpVirt against QEMU (microvm, virtio-mmio), same guest and image.

Boots the default guest once per VMM and round with a 256 MiB raw image as /dev/vda, and times with the guest's busybox
`dd` (direct I/O, so the guest page cache is out of the way): sequential write and read in 1 MiB blocks, and 4 KiB
random-offset reads (a shell loop of single-block dd's; mostly the guest's own cost on this host). Reports medians and
SharpVirt/QEMU ratios. Both VMMs use the host page cache and sync on the guest's flush (QEMU cache=writeback).

On kvm_pvm hosts the guest kernel is emulated (~1 us per instruction), so these figures are dominated by the guest
kernel's block layer running in the emulator, identically for both VMMs; they show the whole path a guest sees, not the
device model alone.
"""
import argparse
import os
import re
import select
import statistics
import subprocess
import sys
import tempfile
import time

PROMPT = b"~ # "
SEQ_MIB = 64
RAND_OPS = 200


class Guest:
    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b""

    def wait_for(self, marker, timeout, start_at):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.out.find(marker, start_at)
            if at >= 0:
                return at + len(marker)
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        raise RuntimeError(f"{marker!r} did not appear; output: {self.out[-800:]!r}")

    def timed(self, command, timeout=900):
        """Runs a command in the guest and returns the seconds it took by the guest's clock."""
        start_at = len(self.out)
        # busybox's date has no %N: time the command with busybox time ("real 0m 16.52s" on stderr).
        self.proc.stdin.write(f"time sh -c '{command}' 2>&1; echo BENCH-END\n".encode())
        self.proc.stdin.flush()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tail = self.out[start_at:]
            m = re.search(rb"real\s+(\d+)m\s*([0-9.]+)s", tail)
            if m and b"\nBENCH-END" in tail:
                return int(m.group(1)) * 60 + float(m.group(2))
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.out += chunk
        raise RuntimeError(f"command did not finish: {command}; output: {self.out[-800:]!r}")

    def close(self):
        try:
            self.proc.stdin.write(b"poweroff -f\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def measure(argv):
    g = Guest(argv)
    try:
        g.wait_for(PROMPT, 300, 0)
        write = g.timed(f"dd if=/dev/zero of=/dev/vda bs=1M count={SEQ_MIB} oflag=direct conv=fsync 2>/dev/null")
        read = g.timed(f"dd if=/dev/vda of=/dev/null bs=1M count={SEQ_MIB} iflag=direct 2>/dev/null")
        # Random 4 KiB reads: a loop of single-block dd's (each also forks a process in the guest).
        rand = g.timed(f"i=0; while [ $i -lt {RAND_OPS} ]; do dd if=/dev/vda of=/dev/null bs=4096 count=1 "
                       f"skip=$(( (i * 7919) % 65536 )) iflag=direct 2>/dev/null; i=$((i+1)); done")
        return SEQ_MIB / write, SEQ_MIB / read, RAND_OPS / rand
    finally:
        g.close()


def main():
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--cpu", default="1")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()
    kernel = os.path.join(cache, "guest", "vmlinux-microvm")
    initrd = os.path.join(cache, "guest", "initramfs.cpio")
    work = tempfile.mkdtemp(prefix="sv-bench-disk-")
    image = os.path.join(work, "disk.img")
    with open(image, "wb") as f:
        f.truncate(256 << 20)
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    vmms = {
        "sharpvirt": ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", kernel, "--initrd", initrd,
                      "--memory", "256M", "--disk", f"path={image}", "--on-reboot", "exit"],
        "qemu": ["taskset", "-c", args.cpu, args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
                 "-m", "256M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                 "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", cmdline,
                 "-drive", f"id=d0,file={image},format=raw,if=none,cache=writeback,aio=threads",
                 "-device", "virtio-blk-device,drive=d0"],
    }
    results = {n: [] for n in vmms}
    for i in range(args.runs):
        for name, argv in vmms.items():
            r = measure(argv)
            results[name].append(r)
            print(f"run {i + 1} {name:9s} write {r[0]:6.2f} MiB/s  read {r[1]:6.2f} MiB/s  4k random read {r[2]:6.1f} IOPS",
                  file=sys.stderr)
    print(f"\nbench/disk: 256 MiB raw image as /dev/vda, default guest, 1 vCPU, CPU {args.cpu}, median of {args.runs}")
    print("| metric (in the guest) | SharpVirt | QEMU microvm | ratio |")
    print("|---|---|---|---|")
    for k, label, unit in [(0, f"sequential write, 1 MiB blocks, O_DIRECT + fsync", "MiB/s"),
                           (1, "sequential read, 1 MiB blocks, O_DIRECT", "MiB/s"),
                           (2, f"4 KiB random reads ({RAND_OPS} single-block dd's)", "IOPS")]:
        s = statistics.median(r[k] for r in results["sharpvirt"])
        q = statistics.median(r[k] for r in results["qemu"])
        print(f"| {label} | {s:.2f} {unit} | {q:.2f} {unit} | {s / q:.2f} |")


if __name__ == "__main__":
    main()
