"""A guest on a VMM's serial console, driven like a user at its shell: shared by the benchmarks."""
import os
import re
import select
import time

PROMPT = b"~ # "


class Guest:
    """Starts a VMM (argv) whose stdin/stdout are the default guest's console."""

    def __init__(self, argv):
        import subprocess
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.out = b""

    def _read(self, timeout):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if ready:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                return False
            self.out += chunk
        return True

    def wait_for(self, marker, timeout, start_at=0):
        """Waits until marker (bytes) appears after start_at; returns the offset just past it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.out.find(marker, start_at)
            if at >= 0:
                return at + len(marker)
            if not self._read(0.05):
                break
        raise RuntimeError(f"{marker!r} did not appear; output: {self.out[-800:]!r}")

    def type(self, line):
        self.proc.stdin.write(line.encode() + b"\n")
        self.proc.stdin.flush()

    def run(self, command, marker, timeout=600):
        """Types command; waits for marker printed after it; returns the offset past the marker."""
        start_at = len(self.out)
        self.type(command)
        # The console echoes the command itself: look for the marker only on a line of its own.
        return self.wait_for(b"\n" + marker, timeout, start_at)

    def timed(self, command, timeout=900):
        """Runs a command in the guest and returns the seconds it took by the guest's clock."""
        start_at = len(self.out)
        # busybox's date has no %N: time the command with busybox time ("real 0m 16.52s" on stderr).
        self.type(f"time sh -c '{command}' 2>&1; echo BENCH-END")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            tail = self.out[start_at:]
            m = re.search(rb"real\s+(\d+)m\s*([0-9.]+)s", tail)
            if m and b"\nBENCH-END" in tail:
                return int(m.group(1)) * 60 + float(m.group(2))
            if not self._read(0.1):
                break
        raise RuntimeError(f"command did not finish: {command}; output: {self.out[-800:]!r}")

    def close(self):
        try:
            self.proc.stdin.write(b"poweroff -f\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=60)
        except Exception:
            self.proc.kill()
            self.proc.wait()


def default_guest():
    """(kernel, initrd, QEMU's -append) of the default guest: the command line SharpVirt's compat template gives Linux."""
    cache = os.environ.get("SHARPVIRT_CACHE", os.path.expanduser("~/.cache/sharpvirt"))
    kernel = os.path.join(cache, "guest", "vmlinux-microvm")
    initrd = os.path.join(cache, "guest", "initramfs.cpio")
    cmdline = "console=ttyS0 reboot=k panic=-1 noxsave clearcpuid=141,150,151,158,288,306,308"
    return kernel, initrd, cmdline


def qemu_microvm(qemu, cpu, kernel, initrd, cmdline, memory="256M"):
    """QEMU's microvm with the same guest, CPU mask and memory as SharpVirt gets; devices are appended by the caller."""
    return ["taskset", "-c", cpu, qemu, "-enable-kvm", "-M", "microvm,acpi=on", "-cpu", "qemu64,-cx16",
            "-m", memory, "-smp", "1", "-nodefaults", "-no-user-config", "-nographic", "-serial", "stdio",
            "-no-reboot", "-kernel", kernel, "-initrd", initrd, "-append", cmdline]
