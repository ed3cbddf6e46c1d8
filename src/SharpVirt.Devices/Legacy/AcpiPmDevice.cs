using SharpVirt.Devices.Bus;

namespace SharpVirt.Devices.Legacy;

/// <summary>
/// The power-management registers of a hardware-reduced ACPI platform, at I/O port 0x3c0 with length <see cref="Size"/>.
/// The FADT points its SLEEP_CONTROL_REG at offset 0, its SLEEP_STATUS_REG at offset 1 and its RESET_REG at offset 2
/// (with RESET_VALUE <see cref="ResetValue"/>); the DSDT's <c>_S5</c> package gives SLP_TYP <see cref="SleepTypeSoftOff"/>.
/// </summary>
/// <remarks>
/// Offset 0, sleep control: a write with SLP_EN (bit 5) set requests sleep state SLP_TYP = bits 2-4; S5 (soft-off)
/// invokes the power-off callback, other sleep types are unsupported and only counted. Offset 1, sleep status: reads 0
/// (WAK_STS is never set, so its write-1-to-clear has nothing to clear). Offset 2, reset: writing
/// <see cref="ResetValue"/> invokes the reset callback. Reads of offsets 0 and 2 return 0.
/// Callbacks run on the writing vCPU thread; the device holds no lock while calling them.
/// </remarks>
public sealed class AcpiPmDevice : IBusDevice
{
    /// <summary>Length of the device's port range.</summary>
    public const int Size = 3;

    /// <summary>The SLP_TYP the DSDT's <c>_S5</c> object declares for soft-off.</summary>
    public const byte SleepTypeSoftOff = 5;

    /// <summary>The FADT's RESET_VALUE: writing it to the reset register resets the machine.</summary>
    public const byte ResetValue = 0x01;

    private const int SleepControl = 0;
    private const int ResetRegister = 2;
    private const byte SleepEnable = 0x20;

    private readonly Action _onPowerOff;
    private readonly Action _onReset;
    private long _powerOffRequests;
    private long _resetRequests;
    private long _unsupportedSleepRequests;

    /// <summary>Creates the device.</summary>
    /// <param name="onPowerOff">Invoked when the guest enters S5 (soft-off).</param>
    /// <param name="onReset">Invoked when the guest writes <see cref="ResetValue"/> to the reset register.</param>
    public AcpiPmDevice(Action onPowerOff, Action onReset)
    {
        ArgumentNullException.ThrowIfNull(onPowerOff);
        ArgumentNullException.ThrowIfNull(onReset);
        _onPowerOff = onPowerOff;
        _onReset = onReset;
    }

    /// <summary>S5 requests the guest made.</summary>
    public long PowerOffRequests => Interlocked.Read(ref _powerOffRequests);

    /// <summary>Reset requests the guest made.</summary>
    public long ResetRequests => Interlocked.Read(ref _resetRequests);

    /// <summary>Sleep requests for states other than S5, which are ignored.</summary>
    public long UnsupportedSleepRequests => Interlocked.Read(ref _unsupportedSleepRequests);

    /// <inheritdoc />
    public void Read(ulong offset, Span<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = PortAccess.Register(offset, i, Size) < 0 ? (byte)0xff : (byte)0;
        }
    }

    /// <inheritdoc />
    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            var value = data[i];
            switch (PortAccess.Register(offset, i, Size))
            {
                case SleepControl when (value & SleepEnable) != 0:
                    RequestSleep((value >> 2) & 7);
                    break;
                case ResetRegister when value == ResetValue:
                    Interlocked.Increment(ref _resetRequests);
                    _onReset();
                    break;
                default:
                    break;
            }
        }
    }

    private void RequestSleep(int sleepType)
    {
        if (sleepType == SleepTypeSoftOff)
        {
            Interlocked.Increment(ref _powerOffRequests);
            _onPowerOff();
        }
        else
        {
            Interlocked.Increment(ref _unsupportedSleepRequests);
        }
    }
}
