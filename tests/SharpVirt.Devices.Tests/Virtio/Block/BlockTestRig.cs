using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using SharpVirt.Devices.RateLimiting;
using SharpVirt.Devices.Tests.Virtio.Rng;
using SharpVirt.Devices.Virtio;
using SharpVirt.Devices.Virtio.Block;
using SharpVirt.Memory;

namespace SharpVirt.Devices.Tests.Virtio.Block;

/// <summary>A VirtioBlock over a real temporary image file, activated over a MockQueue in real guest memory.</summary>
public sealed class BlockTestRig : IDisposable
{
    public const ulong Header = MockQueue.DataArea;
    public const ulong Status = MockQueue.DataArea + 0x100;
    public const ulong Data = MockQueue.DataArea + 0x1000;

    public const uint In = 0;
    public const uint Out = 1;
    public const uint Flush = 4;
    public const uint GetId = 8;
    public const uint Discard = 11;
    public const uint WriteZeroes = 13;

    public const ulong DiscardFeatures = (1UL << VirtioFeatures.Version1) | (1UL << 13) | (1UL << 14);

    /// <summary>Creates a temp image of <paramref name="imageBytes"/> bytes filled with a pattern, and the device over it.</summary>
    public BlockTestRig(long imageBytes = 64 * 1024, bool readOnly = false, string? serial = null, RateLimiter? limiter = null)
    {
        ImagePath = Path.GetTempFileName();
        var content = new byte[imageBytes];
        for (var i = 0; i < content.Length; i++)
        {
            content[i] = (byte)(i * 7);
        }

        File.WriteAllBytes(ImagePath, content);
        Memory = MockQueue.CreateMemory();
        Driver = new MockQueue(Memory, 16);
        Device = new VirtioBlock(ImagePath, readOnly, serial, limiter);
    }

    public string ImagePath { get; }

    public GuestMemory Memory { get; }

    public MockQueue Driver { get; }

    public RecordingInterrupt Interrupt { get; } = new();

    public VirtioBlock Device { get; }

    public void Activate(ulong features = 1UL << VirtioFeatures.Version1) =>
        Device.Activate(new VirtioActivation(Memory, features, [Driver.Config], Interrupt));

    public void WriteHeader(uint type, ulong sector, ulong at = Header)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, type);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), sector);
        Memory.Write(at, bytes);
    }

    /// <summary>Poisons the status byte so a test sees that the device wrote it.</summary>
    public void PoisonStatus(ulong at = Status) => Memory.Write(at, (byte)0xee);

    public byte StatusByte(ulong at = Status) => Memory.Read<byte>(at);

    public void Notify() => Device.QueueNotify(0);

    public void WaitForUsed(int count) =>
        Assert.True(RngTestRig.WaitFor(() => Driver.UsedIdx >= count), $"used.idx stayed at {Driver.UsedIdx}, expected {count}");

    public byte[] ReadGuest(ulong address, int length)
    {
        var bytes = new byte[length];
        Memory.Read(address, bytes);
        return bytes;
    }

    /// <summary>
    /// Reads the image as another host process would see it, through a plain open(2): .NET's own file APIs take
    /// an advisory flock, which the device's exclusive lock on a read-write image refuses.
    /// </summary>
    public byte[] ReadImage()
    {
        var fd = HostFile.Open(ImagePath, 0 /* O_RDONLY */);
        Assert.True(fd >= 0, $"open({ImagePath}) failed: errno {Marshal.GetLastPInvokeError()}");
        using var handle = new SafeFileHandle((nint)fd, ownsHandle: true);
        var bytes = new byte[RandomAccess.GetLength(handle)];
        var done = 0;
        while (done < bytes.Length)
        {
            var read = RandomAccess.Read(handle, bytes.AsSpan(done), done);
            Assert.True(read > 0);
            done += read;
        }

        return bytes;
    }

    /// <summary>Writes discard / write-zeroes segments (sector, count, flags) at <paramref name="at"/>.</summary>
    public void WriteSegments(ulong at, params (ulong Sector, uint Sectors, uint Flags)[] segments)
    {
        var bytes = new byte[segments.Length * 16];
        for (var i = 0; i < segments.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 16), segments[i].Sector);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((i * 16) + 8), segments[i].Sectors);
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan((i * 16) + 12), segments[i].Flags);
        }

        Memory.Write(at, bytes);
    }

    /// <summary>Bytes the image occupies on disk (st_blocks * 512), to see holes being punched.</summary>
    public long AllocatedBytes()
    {
        var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%b", ImagePath])
        {
            RedirectStandardOutput = true,
        })!;
        var text = stat.StandardOutput.ReadToEnd();
        stat.WaitForExit();
        return long.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture) * 512;
    }

    public static byte[] Pattern(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    public void Dispose()
    {
        Device.Dispose();
        Memory.Dispose();
        File.Delete(ImagePath);
    }
}

/// <summary>open(2) without .NET's advisory locking, to look at an image the device holds locked.</summary>
internal static partial class HostFile
{
    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int Open(string path, int flags);
}
