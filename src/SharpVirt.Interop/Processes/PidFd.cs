using System.Runtime.InteropServices;

namespace SharpVirt.Interop.Processes;

/// <summary>
/// A process file descriptor (pidfd_open(2)): it names one process for good, even after its pid is reused, becomes
/// readable when the process exits, and works for processes that are not our children (a supervisor that restarted).
/// </summary>
public static partial class PidFd
{
    private const string Lib = "libc";

    /// <summary>No such process (ESRCH).</summary>
    private const int ESRCH = 3;

    /// <summary>Opens a pidfd for <paramref name="pid"/>; null when no such process exists (it has ended).</summary>
    public static FileDescriptor? Open(int pid)
    {
        var fd = pidfd_open(pid, 0);
        if (fd < 0)
        {
            var errno = Errno.Last;
            if (errno == ESRCH)
            {
                return null;
            }

            throw new SystemCallException("pidfd_open", errno);
        }

        return new FileDescriptor(fd);
    }

    /// <summary>Sends <paramref name="signal"/> to the process; false when it has already ended.</summary>
    public static bool Signal(FileDescriptor pidfd, int signal)
    {
        if (pidfd_send_signal(pidfd, signal, 0, 0) == 0)
        {
            return true;
        }

        var errno = Errno.Last;
        return errno == ESRCH ? false : throw new SystemCallException("pidfd_send_signal", errno);
    }

    /// <summary>True once the process has exited (the pidfd is readable).</summary>
    public static unsafe bool HasExited(FileDescriptor pidfd)
    {
        var poll = new PollFd { Fd = pidfd.Number, Events = PollFd.POLLIN };
        return LibC.poll(&poll, 1, 0) > 0;
    }

    [LibraryImport(Lib, EntryPoint = "pidfd_open", SetLastError = true)]
    private static partial int pidfd_open(int pid, uint flags);

    [LibraryImport(Lib, EntryPoint = "pidfd_send_signal", SetLastError = true)]
    private static partial int pidfd_send_signal(SafeHandle pidfd, int signal, nint info, uint flags);
}
