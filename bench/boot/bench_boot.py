#!/usr/bin/env python3
"""bench/boot: boot time and peak RSS of SharpVirt against QEMU (microvm) on the same guests.

Two guests. The default guest (Linux + busybox initramfs): its kernel code is emulated on kvm_pvm hosts, so its boot
time measures mostly the host's emulator, the same for both VMMs. And tiny-guest.S (built here with gcc), which prints
one line and powers off at once: its run time is the VMM's own cost (process start, KVM and memory setup, first guest
output, teardown).

For each VMM and run: time from process start to the guest kernel's first console line (VMM start-up plus the
kernel's early boot), to the guest's readiness line (SHARPVIRT-READY, printed by the
default guest's /init), time to process exit after `poweroff -f` is typed, and the VMM process's peak RSS
(wait4's ru_maxrss). Both VMMs get the same kernel, initramfs, command line, memory, vCPUs and CPU (taskset).
Prints medians and the SharpVirt/QEMU ratios (below 1.0 means SharpVirt is faster / smaller).
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import tempfile
import time

READY = b"SHARPVIRT-READY"


def run_once(argv, timeout, ready_marker=READY, type_poweroff=True):
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.fileno()
    seen = b""
    ready_at = None
    first_at = None
    while True:
        if time.monotonic() - start > timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            raise RuntimeError(f"{argv[3]}: timeout after {timeout}s; last output: {seen[-400:]!r}")
        ready, _, _ = select.select([out], [], [], 0.05)
        if not ready:
            continue
        chunk = os.read(out, 65536)
        if not chunk:
            break  # the VMM closed its output: it is exiting
        seen += chunk
        if first_at is None and b"Linux version" in seen:
            first_at = time.monotonic() - start
        if ready_at is None and ready_marker in seen:
            ready_at = time.monotonic() - start
            if type_poweroff:
                time.sleep(0.3)  # let the shell start reading, then power off
                proc.stdin.write(b"poweroff -f\n")
                proc.stdin.flush()
    # Reap it ourselves (not through Popen) to get its resource usage.
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    exit_at = time.monotonic() - start
    if ready_at is None:
        raise RuntimeError(f"{argv[3]}: no readiness line; output: {seen[-600:]!r}")
    return ready_at, exit_at, usage.ru_maxrss / 1024.0, first_at


def main():
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=5, help="boots of the default guest per VMM (0: skip)")
    p.add_argument("--tiny-runs", type=int, default=20, help="runs of the tiny guest per VMM (0: skip)")
    p.add_argument("--kernel", default=os.path.join(cache, "guest", "vmlinux-microvm"))
    p.add_argument("--initrd", default=os.path.join(cache, "guest", "initramfs.cpio"))
    p.add_argument("--memory", type=int, default=256, help="MiB")
    p.add_argument("--cpus", type=int, default=1)
    p.add_argument("--cpu", default="1", help="host CPU list for taskset (both VMMs)")
    p.add_argument("--timeout", type=int, default=300)
    p.add_argument("--sharpvirt", default=os.path.join(root, "out", "bin", "sharpvirt"))
    p.add_argument("--qemu", default="qemu-system-x86_64")
    args = p.parse_args()

    # The command line SharpVirt's default (compat) template produces; QEMU gets the same one.
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    vmms = {
        "sharpvirt": ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", args.kernel, "--initrd", args.initrd,
                      "--cmdline", "console=ttyS0 reboot=k panic=-1", "--memory", f"{args.memory}M",
                      "--cpus", str(args.cpus), "--on-reboot", "exit"],
        "qemu": ["taskset", "-c", args.cpu, args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
                 "-m", f"{args.memory}M", "-smp", str(args.cpus), "-nodefaults", "-no-user-config", "-nographic",
                 "-serial", "stdio", "-no-reboot", "-kernel", args.kernel, "-initrd", args.initrd, "-append", cmdline],
    }
    if args.tiny_runs > 0:
        bench_tiny(args, root)
    if args.runs <= 0:
        return

    results = {name: [] for name in vmms}
    for i in range(args.runs):
        for name, argv in vmms.items():  # interleaved, so drift in the host affects both alike
            ready, exit_, rss, first = run_once(argv, args.timeout)
            results[name].append((ready, exit_, rss, first))
            print(f"run {i + 1} {name:9s} first line {first:6.2f} s  ready {ready:7.2f} s  exit {exit_:7.2f} s  "
                  f"peak RSS {rss:7.1f} MiB", file=sys.stderr)

    def med(name, k):
        return statistics.median(r[k] for r in results[name])

    print(f"\nbench/boot: {os.path.basename(args.kernel)}, {args.memory} MiB, {args.cpus} vCPU, CPU {args.cpu}, median of {args.runs}")
    print(f"| metric | SharpVirt | QEMU microvm | ratio |")
    print(f"|---|---|---|---|")
    for k, label, unit in [(3, "start to the kernel's first console line", "s"), (0, "start to readiness line (shell)", "s"),
                           (1, "start to process exit (after poweroff)", "s"), (2, "VMM peak RSS", "MiB")]:
        s, q = med("sharpvirt", k), med("qemu", k)
        print(f"| {label} | {s:.2f} {unit} | {q:.2f} {unit} | {s / q:.2f} |")


def bench_tiny(args, root):
    build = tempfile.mkdtemp(prefix="sv-bench-")
    guest = os.path.join(build, "tiny-guest.elf")
    subprocess.run(["gcc", "-nostdlib", "-static", "-no-pie", "-Wl,-Ttext=0x100000", "-Wl,--build-id=none", "-o", guest,
                    os.path.join(os.path.dirname(os.path.abspath(__file__)), "tiny-guest.S")], check=True)
    vmms = {
        "sharpvirt": ["taskset", "-c", args.cpu, args.sharpvirt, "run", "--kernel", guest, "--memory", f"{args.memory}M"],
        "qemu": ["taskset", "-c", args.cpu, args.qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
                 "-m", f"{args.memory}M", "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
                 "-device", "isa-debug-exit,iobase=0x501,iosize=1", "-no-reboot", "-kernel", guest],
    }
    results = {name: [] for name in vmms}
    for _ in range(args.tiny_runs):
        for name, argv in vmms.items():
            ready, exit_, rss, _ = run_once(argv, 30, b"TINY-GUEST up", type_poweroff=False)
            results[name].append((ready, exit_, rss))
    print(f"\nbench/boot: tiny-guest.S (prints a line, powers off), {args.memory} MiB, 1 vCPU, CPU {args.cpu}, median of {args.tiny_runs}")
    print("| metric | SharpVirt | QEMU microvm | ratio |")
    print("|---|---|---|---|")
    for k, label, unit, scale in [(0, "start to first guest output", "ms", 1000), (1, "start to process exit", "ms", 1000),
                                  (2, "VMM peak RSS", "MiB", 1)]:
        sv = statistics.median(r[k] for r in results["sharpvirt"]) * scale
        q = statistics.median(r[k] for r in results["qemu"]) * scale
        print(f"| {label} | {sv:.1f} {unit} | {q:.1f} {unit} | {sv / q:.2f} |")


if __name__ == "__main__":
    main()
