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
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from guest import PROMPT, Guest, default_guest, qemu_microvm  # noqa: E402

SEQ_MIB = 64
RAND_OPS = 200


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
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--cpu", default="1")
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()
    kernel, initrd, cmdline = default_guest()
    work = tempfile.mkdtemp(prefix="sv-bench-disk-")
    image = os.path.join(work, "disk.img")
    with open(image, "wb") as f:
        f.truncate(256 << 20)
    vmms = {
        "sharpvirt": ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", kernel, "--initrd", initrd,
                      "--memory", "256M", "--disk", f"path={image}", "--on-reboot", "exit"],
        "qemu": qemu_microvm(args.qemu, args.cpu, kernel, initrd, cmdline) + [
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
