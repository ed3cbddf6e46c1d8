using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The MC146818 real-time clock and its 128 bytes of CMOS RAM, at ports 0x70-0x71 (base 0x70, length <see cref="Size"/>):
/// offset 0 selects a register (bit 7, the NMI mask, is ignored), offset 1 reads or writes it.
/// </summary>
/// <remarks>
/// The time registers (0x00 seconds, 0x02 minutes, 0x04 hours, 0x06 weekday, 0x07 day, 0x08 month, 0x09 year,
/// 0x32 century) are read from the host clock on every access, in BCD unless register B selects binary (bit 2), and in
/// 24-hour form unless the guest clears register B bit 1 (then 1-12 with bit 7 = PM). The host clock is authoritative:
/// guest writes to the time registers are ignored. Register A reads 0x26 (32.768 kHz divider, 1024 Hz rate) with UIP
/// always 0; register B starts at 0x02; register C reads 0 (no interrupt flags); register D reads 0x80 (RAM and time valid).
/// The clock raises no interrupt. Every other register is RAM, preset with the memory sizes a PC BIOS records:
/// 0x15/0x16 base memory (640 KiB), 0x17/0x18 and 0x30/0x31 extended memory above 1 MiB in KiB (at most 0xffff),
/// 0x34/0x35 memory between 16 MiB and 4 GiB in 64 KiB units, 0x5b-0x5d memory above 4 GiB in 64 KiB units (as QEMU does).
/// </remarks>
public sealed class CmosRtc : IBusDevice
{
    /// <summary>Length of the device's port range.</summary>
    public const int Size = 2;

    private const int IndexPort = 0;
    private const int DataPort = 1;
    private const int RamSize = 128;

    private const int Seconds = 0x00;
    private const int Minutes = 0x02;
    private const int Hours = 0x04;
    private const int Weekday = 0x06;
    private const int DayOfMonth = 0x07;
    private const int Month = 0x08;
    private const int Year = 0x09;
    private const int RegisterA = 0x0a;
    private const int RegisterB = 0x0b;
    private const int RegisterC = 0x0c;
    private const int RegisterD = 0x0d;
    private const int Century = 0x32;

    private const byte RegisterAWritable = 0x7f; // bit 7 (update in progress) is read-only
    private const byte RegisterBHour24 = 0x02;
    private const byte RegisterBBinary = 0x04;
    private const byte RegisterDValid = 0x80;
    private const byte HourPm = 0x80;

    private const ulong KiB = 1024;
    private const ulong MiB = 1024 * KiB;
    private const ulong Chunk = 64 * KiB;
    private const ulong FourGiB = 4096 * MiB;

    private readonly Lock _lock = new();
    private readonly Func<DateTime> _clock;
    private readonly byte[] _ram = new byte[RamSize];
    private int _index;

    /// <summary>Creates the clock.</summary>
    /// <param name="clock">Returns the current time in UTC (a local time is converted); tests pin it.</param>
    /// <param name="memoryBytes">Guest RAM size, recorded in the memory-size registers.</param>
    public CmosRtc(Func<DateTime> clock, ulong memoryBytes)
    {
        ArgumentNullException.ThrowIfNull(clock);
        _clock = clock;
        _ram[RegisterA] = 0x26;
        _ram[RegisterB] = RegisterBHour24;
        RecordMemorySize(memoryBytes);
    }

    /// <summary>Creates a clock that reads the host's UTC time.</summary>
    /// <param name="memoryBytes">Guest RAM size, recorded in the memory-size registers.</param>
    public CmosRtc(ulong memoryBytes)
        : this(static () => DateTime.UtcNow, memoryBytes)
    {
    }


    /// <summary>The CMOS RAM and index register now (for a snapshot).</summary>
    public CmosState SaveState()
    {
        lock (_lock)
        {
            return new CmosState([.. _ram], _index);
        }
    }

    /// <summary>Takes a snapshot's CMOS RAM and index register.</summary>
    public void RestoreState(CmosState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        lock (_lock)
        {
            state.Ram.AsSpan(0, Math.Min(RamSize, state.Ram.Length)).CopyTo(_ram);
            _index = state.Index & (RamSize - 1);
        }
    }

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                // The index port is write-only on a PC: it reads as an empty bus.
                data[i] = PortAccess.Register(offset, i, Size) == DataPort ? ReadRegister(_index) : (byte)0xff;
            }
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            for (var i = 0; i < data.Length; i++)
            {
                switch (PortAccess.Register(offset, i, Size))
                {
                    case IndexPort:
                        _index = data[i] & (RamSize - 1);
                        break;
                    case DataPort:
                        WriteRegister(_index, data[i]);
                        break;
                    default:
                        break;
                }
            }
        }
    }

    private byte ReadRegister(int register) => register switch
    {
        Seconds or Minutes or Hours or Weekday or DayOfMonth or Month or Year or Century => ReadTime(register),
        RegisterA => (byte)(_ram[RegisterA] & RegisterAWritable),
        RegisterC => 0,
        RegisterD => RegisterDValid,
        _ => _ram[register],
    };

    private void WriteRegister(int register, byte value)
    {
        switch (register)
        {
            case Seconds or Minutes or Hours or Weekday or DayOfMonth or Month or Year or Century:
            case RegisterC or RegisterD:
                // Time comes from the host clock; C and D are read-only.
                break;
            case RegisterA:
                _ram[RegisterA] = (byte)(value & RegisterAWritable);
                break;
            default:
                _ram[register] = value;
                break;
        }
    }

    private byte ReadTime(int register)
    {
        var now = _clock();
        if (now.Kind == DateTimeKind.Local)
        {
            now = now.ToUniversalTime();
        }

        return register switch
        {
            Seconds => Encode(now.Second),
            Minutes => Encode(now.Minute),
            Hours => EncodeHour(now.Hour),
            Weekday => Encode((int)now.DayOfWeek + 1), // 1 = Sunday
            DayOfMonth => Encode(now.Day),
            Month => Encode(now.Month),
            Year => Encode(now.Year % 100),
            _ => Encode(now.Year / 100),
        };
    }

    private byte EncodeHour(int hour)
    {
        if ((_ram[RegisterB] & RegisterBHour24) != 0)
        {
            return Encode(hour);
        }

        var hour12 = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Encode(hour12) | (hour >= 12 ? HourPm : 0));
    }

    // value is 0-99.
    private byte Encode(int value) =>
        (_ram[RegisterB] & RegisterBBinary) != 0 ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));

    private void RecordMemorySize(ulong memoryBytes)
    {
        SetWord(0x15, Math.Min(memoryBytes / KiB, 640));

        var extendedKib = memoryBytes > MiB ? Math.Min((memoryBytes - MiB) / KiB, 0xffff) : 0;
        SetWord(0x17, extendedKib);
        SetWord(0x30, extendedKib);

        var below4G = Math.Min(memoryBytes, FourGiB);
        SetWord(0x34, below4G > 16 * MiB ? Math.Min((below4G - (16 * MiB)) / Chunk, 0xffff) : 0);

        var above4G = memoryBytes > FourGiB ? Math.Min((memoryBytes - FourGiB) / Chunk, 0xffffff) : 0;
        _ram[0x5b] = (byte)above4G;
        _ram[0x5c] = (byte)(above4G >> 8);
        _ram[0x5d] = (byte)(above4G >> 16);
    }

    private void SetWord(int register, ulong value)
    {
        _ram[register] = (byte)value;
        _ram[register + 1] = (byte)(value >> 8);
    }
}
