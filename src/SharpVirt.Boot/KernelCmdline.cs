using System.Text;

namespace SharpVirt.Boot;

/// <summary>A kernel command line: validated ASCII without NUL, bounded by the kernel's limit.</summary>
public static class KernelCmdline
{
    /// <summary>The command line most guests want on this VMM's hardware.</summary>
    public const string Default = "console=ttyS0 reboot=k panic=-1";

    /// <summary>The NUL-terminated bytes of <paramref name="cmdline"/>; throws if it is too long or not printable ASCII.</summary>
    public static byte[] Encode(string cmdline, int maxSize = X64Layout.CmdlineMaxSize)
    {
        foreach (var c in cmdline)
        {
            if (c is < ' ' or > '~')
            {
                throw new BootException(BootErrorKind.Malformed, $"kernel command line: character 0x{(int)c:x2} is not printable ASCII");
            }
        }

        if (cmdline.Length + 1 > maxSize)
        {
            throw new BootException(BootErrorKind.DoesNotFit, $"kernel command line is {cmdline.Length} bytes; the limit is {maxSize - 1}");
        }

        var bytes = new byte[cmdline.Length + 1];
        Encoding.ASCII.GetBytes(cmdline, bytes);
        return bytes;
    }
}
