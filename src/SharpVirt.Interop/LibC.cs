using System.Runtime.InteropServices;

namespace SharpVirt.Interop;

/// <summary>Raw libc entry points. Callers check results through <see cref="Errno"/>.</summary>
public static unsafe partial class LibC
{
    private const string Lib = "libc";

    /// <summary>open(2) flag: read and write.</summary>
    public const int O_RDWR = 0x2;
    /// <summary>open(2) flag: read only.</summary>
    public const int O_RDONLY = 0x0;
    /// <summary>open(2) flag: close on exec.</summary>
    public const int O_CLOEXEC = 0x80000;
    /// <summary>open(2) flag: non-blocking.</summary>
    public const int O_NONBLOCK = 0x800;

    /// <summary>mmap(2) protection: readable.</summary>
    public const int PROT_READ = 0x1;
    /// <summary>mmap(2) protection: writable.</summary>
    public const int PROT_WRITE = 0x2;
    /// <summary>mmap(2) protection: executable.</summary>
    public const int PROT_EXEC = 0x4;
    /// <summary>mmap(2) flag: shared mapping.</summary>
    public const int MAP_SHARED = 0x01;
    /// <summary>mmap(2) flag: private mapping.</summary>
    public const int MAP_PRIVATE = 0x02;
    /// <summary>mmap(2) flag: anonymous memory.</summary>
    public const int MAP_ANONYMOUS = 0x20;
    /// <summary>mmap(2) flag: do not reserve swap.</summary>
    public const int MAP_NORESERVE = 0x4000;
    /// <summary>mmap(2) failure value.</summary>
    public static readonly nint MapFailed = -1;

    /// <summary>madvise(2): pages may be freed.</summary>
    public const int MADV_DONTNEED = 4;
    /// <summary>madvise(2): do not copy into forked children.</summary>
    public const int MADV_DONTFORK = 10;
    /// <summary>madvise(2): allow transparent huge pages.</summary>
    public const int MADV_HUGEPAGE = 14;
    /// <summary>madvise(2) (Linux 5.14): fault the pages in writable now, as a write would, without changing them.</summary>
    public const int MADV_POPULATE_WRITE = 23;

    /// <summary>lseek(2) whence: the next offset holding data.</summary>
    public const int SEEK_DATA = 3;
    /// <summary>lseek(2) whence: the next hole.</summary>
    public const int SEEK_HOLE = 4;

    /// <summary>flock(2) operations.</summary>
    public const int LOCK_SH = 1, LOCK_EX = 2, LOCK_NB = 4, LOCK_UN = 8;

    /// <summary>flock(2): the advisory whole-file lock .NET takes for FileShare.None (exclusive) or Read (shared).</summary>
    [LibraryImport(Lib, EntryPoint = "flock", SetLastError = true)]
    public static partial int flock(SafeHandle fd, int operation);

    /// <summary>lseek(2).</summary>
    [LibraryImport(Lib, EntryPoint = "lseek", SetLastError = true)]
    public static partial long lseek(SafeHandle fd, long offset, int whence);

    /// <summary>open(2).</summary>
    [LibraryImport(Lib, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int open(string path, int flags, int mode);

    /// <summary>close(2).</summary>
    [LibraryImport(Lib, EntryPoint = "close", SetLastError = true)]
    public static partial int close(int fd);

    /// <summary>read(2).</summary>
    [LibraryImport(Lib, EntryPoint = "read", SetLastError = true)]
    public static partial nint read(SafeHandle fd, byte* buffer, nint count);

    /// <summary>write(2).</summary>
    [LibraryImport(Lib, EntryPoint = "write", SetLastError = true)]
    public static partial nint write(SafeHandle fd, byte* buffer, nint count);

    /// <summary>ioctl(2) with no argument or an integer argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(SafeHandle fd, nuint request, nuint arg);

    /// <summary>ioctl(2) with a pointer argument.</summary>
    [LibraryImport(Lib, EntryPoint = "ioctl", SetLastError = true)]
    public static partial int ioctl(SafeHandle fd, nuint request, void* arg);

    /// <summary>mmap(2).</summary>
    [LibraryImport(Lib, EntryPoint = "mmap", SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    /// <summary>munmap(2).</summary>
    [LibraryImport(Lib, EntryPoint = "munmap", SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    /// <summary>mprotect(2).</summary>
    [LibraryImport(Lib, EntryPoint = "mprotect", SetLastError = true)]
    public static partial int mprotect(nint addr, nuint length, int prot);

    /// <summary>madvise(2).</summary>
    [LibraryImport(Lib, EntryPoint = "madvise", SetLastError = true)]
    public static partial int madvise(nint addr, nuint length, int advice);

    /// <summary>eventfd(2).</summary>
    [LibraryImport(Lib, EntryPoint = "eventfd", SetLastError = true)]
    public static partial int eventfd(uint initval, int flags);

    /// <summary>epoll_create1(2).</summary>
    [LibraryImport(Lib, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int epoll_create1(int flags);

    /// <summary>epoll_ctl(2).</summary>
    [LibraryImport(Lib, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int epoll_ctl(SafeHandle epfd, int op, int fd, Events.EpollEvent* ev);

    /// <summary>epoll_wait(2).</summary>
    [LibraryImport(Lib, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int epoll_wait(SafeHandle epfd, Events.EpollEvent* events, int maxEvents, int timeout);

    /// <summary>preadv2(2).</summary>
    [LibraryImport(Lib, EntryPoint = "preadv2", SetLastError = true)]
    public static partial nint preadv2(SafeHandle fd, IoVec* iov, int iovcnt, long offset, int flags);

    /// <summary>pwritev2(2).</summary>
    [LibraryImport(Lib, EntryPoint = "pwritev2", SetLastError = true)]
    public static partial nint pwritev2(SafeHandle fd, IoVec* iov, int iovcnt, long offset, int flags);

    /// <summary>preadv2/pwritev2 flag: fail with EAGAIN rather than wait (a read served only from the page cache).</summary>
    public const int RWF_NOWAIT = 0x08;

    /// <summary>fdatasync(2).</summary>
    [LibraryImport(Lib, EntryPoint = "fdatasync", SetLastError = true)]
    public static partial int fdatasync(SafeHandle fd);

    /// <summary>fallocate(2).</summary>
    [LibraryImport(Lib, EntryPoint = "fallocate", SetLastError = true)]
    public static partial int fallocate(SafeHandle fd, int mode, long offset, long length);

    /// <summary>fallocate(2) mode: keep the file size.</summary>
    public const int FALLOC_FL_KEEP_SIZE = 0x01;
    /// <summary>fallocate(2) mode: deallocate the range (with KEEP_SIZE): it reads as zeros.</summary>
    public const int FALLOC_FL_PUNCH_HOLE = 0x02;
    /// <summary>fallocate(2) mode: make the range read as zeros, keeping it allocated.</summary>
    public const int FALLOC_FL_ZERO_RANGE = 0x10;

    /// <summary>socket(2).</summary>
    [LibraryImport(Lib, EntryPoint = "socket", SetLastError = true)]
    public static partial int socket(int domain, int type, int protocol);

    /// <summary>socketpair(2).</summary>
    [LibraryImport(Lib, EntryPoint = "socketpair", SetLastError = true)]
    public static partial int socketpair(int domain, int type, int protocol, int* fds);

    /// <summary>Address family: IPv4.</summary>
    public const int AF_INET = 2;
    /// <summary>Address family: Unix domain.</summary>
    public const int AF_UNIX = 1;
    /// <summary>Socket type: datagrams.</summary>
    public const int SOCK_DGRAM = 2;
    /// <summary>Socket type: ordered, reliable datagrams.</summary>
    public const int SOCK_SEQPACKET = 5;

    /// <summary>lstat(2) (exported by glibc since 2.33).</summary>
    [LibraryImport(Lib, EntryPoint = "lstat", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int lstat(string path, byte* statBuffer);

    /// <summary>poll(2).</summary>
    [LibraryImport(Lib, EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(PollFd* fds, nuint nfds, int timeout);

    /// <summary>isatty(3).</summary>
    [LibraryImport(Lib, EntryPoint = "isatty")]
    public static partial int isatty(int fd);

    /// <summary>tcgetattr(3).</summary>
    [LibraryImport(Lib, EntryPoint = "tcgetattr", SetLastError = true)]
    public static partial int tcgetattr(int fd, Termios* termios);

    /// <summary>tcsetattr(3).</summary>
    [LibraryImport(Lib, EntryPoint = "tcsetattr", SetLastError = true)]
    public static partial int tcsetattr(int fd, int optionalActions, Termios* termios);

    /// <summary>cfmakeraw(3).</summary>
    [LibraryImport(Lib, EntryPoint = "cfmakeraw")]
    public static partial void cfmakeraw(Termios* termios);

    /// <summary>sysconf(3).</summary>
    [LibraryImport(Lib, EntryPoint = "sysconf", SetLastError = true)]
    public static partial long sysconf(int name);

    /// <summary>sigaction(2) as glibc exposes it (glibc adds the restorer itself).</summary>
    [LibraryImport(Lib, EntryPoint = "sigaction", SetLastError = true)]
    public static partial int sigaction(int signum, SigAction* act, SigAction* oldact);

    /// <summary>The first real-time signal number glibc leaves to applications.</summary>
    [LibraryImport(Lib, EntryPoint = "__libc_current_sigrtmin")]
    public static partial int SigRtMin();

    /// <summary>pthread_self(3).</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_self")]
    public static partial nuint pthread_self();

    /// <summary>pthread_kill(3): returns an errno value, not -1.</summary>
    [LibraryImport(Lib, EntryPoint = "pthread_kill")]
    public static partial int pthread_kill(nuint thread, int sig);

    /// <summary>sysconf name for the number of physical pages.</summary>
    public const int SC_PHYS_PAGES = 85;
    /// <summary>sysconf name for the page size.</summary>
    public const int SC_PAGESIZE = 30;
    /// <summary>sysconf name for the number of online processors.</summary>
    public const int SC_NPROCESSORS_ONLN = 84;
    /// <summary>tcsetattr action: apply now.</summary>
    public const int TCSANOW = 0;
}

/// <summary>struct iovec: one host memory range of a vectored read or write.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct IoVec
{
    /// <summary>iov_base.</summary>
    public nint Base;
    /// <summary>iov_len.</summary>
    public nuint Length;
}

/// <summary>struct pollfd.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PollFd
{
    /// <summary>The descriptor.</summary>
    public int Fd;
    /// <summary>Requested events.</summary>
    public short Events;
    /// <summary>Returned events.</summary>
    public short REvents;

    /// <summary>There is data to read.</summary>
    public const short POLLIN = 0x1;
    /// <summary>Hang up.</summary>
    public const short POLLHUP = 0x10;
}

/// <summary>glibc's struct termios on x86_64 (60 bytes), treated as opaque bytes but for what cfmakeraw sets.</summary>
[StructLayout(LayoutKind.Sequential, Size = 60)]
public struct Termios
{
    /// <summary>Input modes.</summary>
    public uint IFlag;
    /// <summary>Output modes.</summary>
    public uint OFlag;
    /// <summary>Control modes.</summary>
    public uint CFlag;
    /// <summary>Local modes.</summary>
    public uint LFlag;
}

/// <summary>glibc's struct sigaction on x86_64: handler, 1024-bit mask, flags, restorer.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct SigAction
{
    /// <summary>The handler address.</summary>
    public nint Handler;
    /// <summary>The blocked signal mask.</summary>
    public fixed ulong Mask[16];
    /// <summary>SA_* flags.</summary>
    public int Flags;
    /// <summary>Set by glibc.</summary>
    public nint Restorer;
}
