using System.Buffers.Binary;
using SharpVirt.Contracts;
using SharpVirt.Devices.Legacy;
using SharpVirt.Memory;
using SharpVirt.Vmm.Snapshot;

namespace SharpVirt.Vmm.Tests.Snapshot;

/// <summary>The state file's container: what is written reads back, and every kind of damage is refused by name.</summary>
public sealed class SnapshotFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sv-snapfile-").FullName;

    private static VmSnapshot Sample() => new()
    {
        Config = new VmConfig { BootSource = new BootSourceConfig { KernelImagePath = "/k" }, Machine = new MachineConfig { VcpuCount = 1 } },
        Memory = [new MemoryRange(0, 1 << 20, 0)],
        Vcpus =
        [
            new VcpuSnapshot
            {
                Id = 0, Cpuid = [1, 2], Regs = [3], Sregs = [4], Xsave = [5], Xcrs = [6], Lapic = [7], Events = [8], MpState = 0,
                Debugregs = [9], Msrs = [10, 11],
            },
        ],
        Irqchips = [new byte[520], new byte[520], new byte[520]],
        Pit = new byte[112],
        ClockNs = 123_456_789,
        Serial = new SerialState(1, 3, 8, 0, 0, 0x5a, 12, 0, true, false, [0x41, 0x42]),
        Cmos = new CmosState(new byte[128], 0x0b),
        I8042 = new I8042State(0x05, 0x03, 0, false, 0, 0),
        Devices = [],
        TakenAt = new DateTime(2026, 12, 2, 0, 0, 0, DateTimeKind.Utc),
        VmmVersion = "test",
    };

    [Fact]
    public void A_written_snapshot_reads_back_the_same()
    {
        SnapshotFile.Write(_dir, Sample());
        var read = SnapshotFile.Read(_dir);
        Assert.Equal(123_456_789UL, read.ClockNs);
        Assert.Equal([0x41, 0x42], read.Serial.RxFifo);
        Assert.Equal([10, 11], read.Vcpus[0].Msrs);
        Assert.Equal("/k", read.Config.BootSource.KernelImagePath);
        Assert.False(File.Exists(Path.Combine(_dir, "state.tmp")));
    }

    [Fact]
    public void A_flipped_byte_anywhere_in_the_state_is_a_checksum_error()
    {
        SnapshotFile.Write(_dir, Sample());
        var bytes = File.ReadAllBytes(Path.Combine(_dir, "state"));
        for (var at = 56; at < bytes.Length; at += 97)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[at] ^= 0x20;
            var e = Assert.Throws<SnapshotException>(() => SnapshotFile.Parse(damaged, "state"));
            Assert.Equal(SnapshotErrorKind.Corrupt, e.Kind);
            Assert.Contains("checksum does not match", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Truncated_foreign_version_and_foreign_files_are_refused_saying_which()
    {
        SnapshotFile.Write(_dir, Sample());
        var bytes = File.ReadAllBytes(Path.Combine(_dir, "state"));

        var truncated = Assert.Throws<SnapshotException>(() => SnapshotFile.Parse(bytes.AsSpan(0, bytes.Length / 2), "state"));
        Assert.Contains("truncated", truncated.Message, StringComparison.Ordinal);
        var header = Assert.Throws<SnapshotException>(() => SnapshotFile.Parse(bytes.AsSpan(0, 20), "state"));
        Assert.Contains("shorter than the 56-byte header", header.Message, StringComparison.Ordinal);

        var future = (byte[])bytes.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(future.AsSpan(8), 7);
        var version = Assert.Throws<SnapshotException>(() => SnapshotFile.Parse(future, "state"));
        Assert.Equal(SnapshotErrorKind.Version, version.Kind);
        Assert.Contains("format version 7", version.Message, StringComparison.Ordinal);

        var foreign = Assert.Throws<SnapshotException>(() => SnapshotFile.Parse("QFI\xfb not ours"u8, "state"));
        Assert.Equal(SnapshotErrorKind.NotASnapshot, foreign.Kind);

        var missing = Assert.Throws<SnapshotException>(() => SnapshotFile.Read(Path.Combine(_dir, "nope")));
        Assert.Contains("no such directory", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_memory_file_is_sparse_and_its_length_is_checked()
    {
        using var memory = GuestMemory.Create([(0, 4 << 20), (8 << 20, 1 << 20)]);
        memory.Write(0x1000, "page one"u8);
        memory.Write((8 << 20) + 0x3000, "page two"u8);
        var written = MemoryFile.Write(_dir, memory);
        Assert.Equal(2 * 4096, written);
        var layout = MemoryFile.Layout(memory);
        Assert.Equal(4 << 20, layout[1].FileOffset);

        using (var file = MemoryFile.Open(_dir, layout))
        using (var mapped = GuestMemory.MapFile(layout.Select(r => (r.Start, r.Size, r.FileOffset)), file))
        {
            Assert.Equal("page one"u8.ToArray(), mapped.GetSpan(0x1000, 8).ToArray());
            Assert.Equal("page two"u8.ToArray(), mapped.GetSpan((8 << 20) + 0x3000, 8).ToArray());
            mapped.Write(0x1000, "changed!"u8); // copy-on-write: the file keeps the snapshot
        }

        using (var again = MemoryFile.Open(_dir, layout))
        using (var remapped = GuestMemory.MapFile(layout.Select(r => (r.Start, r.Size, r.FileOffset)), again))
        {
            Assert.Equal("page one"u8.ToArray(), remapped.GetSpan(0x1000, 8).ToArray());
        }

        File.WriteAllBytes(Path.Combine(_dir, "memory"), new byte[4096]);
        var e = Assert.Throws<SnapshotException>(() => MemoryFile.Open(_dir, layout));
        Assert.Contains("4096 bytes, but the snapshot's guest memory is 5242880 bytes", e.Message, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
