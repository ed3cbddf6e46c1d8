using System.Globalization;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// AML <c>Device</c> objects for the DSDT's <c>\_SB_</c> scope. Hardware-reduced ACPI gives Linux no legacy PIC, so
/// ISA interrupts reach drivers only through these descriptions: each device's <c>_CRS</c> names its ports and IRQ.
/// </summary>
public static class AcpiDevices
{
    /// <summary>The largest index <see cref="VirtioMmio"/> accepts (device names VR00-VRFF).</summary>
    public const int MaxVirtioMmioIndex = 0xff;

    /// <summary>The notification value of a power button press (ACPI 6.5 section 5.6.6, button devices).</summary>
    private const ulong PowerButtonPressed = 0x80;

    /// <summary>
    /// A virtio-mmio transport, which Linux's virtio_mmio driver matches by <c>_HID "LNRO0005"</c>:
    /// <c>Device (VRxx) { _HID, _UID index, _CRS { Memory32Fixed (ReadWrite, base, size),
    /// Interrupt (ResourceConsumer, Level, ActiveHigh, Exclusive) { irq } } }</c>, where xx is the index in hex.
    /// The interrupt is level-triggered: the transport holds the line while InterruptStatus has a bit set, so a used
    /// buffer that arrives while the driver is acknowledging an earlier one is not lost (an edge would be).
    /// </summary>
    /// <param name="index">The device's number, 0-255; it names the device and is its <c>_UID</c>.</param>
    /// <param name="baseAddress">Guest physical address of the register window; the window must end at or below 4 GiB.</param>
    /// <param name="size">Size of the register window (0x200 for virtio-mmio version 2).</param>
    /// <param name="irq">The global system interrupt (an IOAPIC pin).</param>
    public static byte[] VirtioMmio(int index, ulong baseAddress, uint size, uint irq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, MaxVirtioMmioIndex);
        ArgumentOutOfRangeException.ThrowIfZero(size);
        if (baseAddress > uint.MaxValue || baseAddress + size > 1UL << 32)
        {
            throw new ArgumentOutOfRangeException(nameof(baseAddress), baseAddress,
                $"virtio-mmio window 0x{baseAddress:x}+0x{size:x} must end at or below 4 GiB");
        }

        return Aml.Device("VR" + index.ToString("X2", CultureInfo.InvariantCulture),
            Aml.Name("_HID", Aml.String("LNRO0005")),
            Aml.Name("_UID", Aml.Integer((ulong)index)),
            Aml.Name("_CRS", Aml.ResourceTemplate(
                AmlResources.Memory32Fixed((uint)baseAddress, size),
                AmlResources.ExtendedInterrupt(irq, edgeTriggered: true))));
    }

    /// <summary>
    /// A 16550 UART (<c>PNP0501</c>) named COM1-COM4: <c>_UID</c> <paramref name="index"/>,
    /// <c>_CRS { IO (Decode16, port, port, 1, 8), IRQNoFlags () { irq } }</c>.
    /// </summary>
    /// <param name="index">0 for COM1 up to 3 for COM4.</param>
    /// <param name="port">The first of its eight I/O ports (0x3f8 for COM1).</param>
    /// <param name="irq">Its ISA interrupt (4 for COM1).</param>
    public static byte[] Serial(int index, ushort port, int irq)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(index, 3);
        return Aml.Device("COM" + (index + 1).ToString(CultureInfo.InvariantCulture),
            Aml.Name("_HID", Aml.EisaId("PNP0501")),
            Aml.Name("_UID", Aml.Integer((ulong)index)),
            Aml.Name("_CRS", Aml.ResourceTemplate(AmlResources.Io(port, 8), AmlResources.IrqNoFlags(irq))));
    }

    /// <summary>
    /// The i8042 keyboard controller (<c>PNP0303</c>, data port 0x60, command port 0x64, IRQ 1). Linux's i8042
    /// driver takes its ports and interrupt from this entry; without an AUX (mouse) entry it probes no mouse port.
    /// </summary>
    public static byte[] I8042Keyboard() =>
        Aml.Device("KBD_",
            Aml.Name("_HID", Aml.EisaId("PNP0303")),
            Aml.Name("_CRS", Aml.ResourceTemplate(AmlResources.Io(0x60, 1), AmlResources.Io(0x64, 1), AmlResources.IrqNoFlags(1))));

    /// <summary>The CMOS real-time clock (<c>PNP0B00</c>, ports 0x70-0x71, IRQ 8), which Linux's rtc_cmos driver binds.</summary>
    public static byte[] CmosRtc() =>
        Aml.Device("RTC_",
            Aml.Name("_HID", Aml.EisaId("PNP0B00")),
            Aml.Name("_CRS", Aml.ResourceTemplate(AmlResources.Io(0x70, 2), AmlResources.IrqNoFlags(8))));

    /// <summary>
    /// The power button of a hardware-reduced platform, which has no fixed-feature button: <c>Device (PWRB)</c>
    /// (<c>PNP0C0C</c>, which Linux's ACPI button driver binds) and a generic event device (<c>ACPI0013</c>) whose
    /// interrupt is <paramref name="gsi"/>, edge-triggered. An edge there runs <c>_EVT</c>, which does
    /// <c>Notify (\_SB_.PWRB, 0x80)</c>: "the button was pressed". The interrupt serves only the button, so
    /// <c>_EVT</c> needs no status register.
    /// </summary>
    public static byte[] PowerButton(uint gsi) =>
        Aml.Concat(
            Aml.Device("PWRB",
                Aml.Name("_HID", Aml.EisaId("PNP0C0C")),
                Aml.Name("_UID", Aml.Integer(0))),
            Aml.Device("GED_",
                Aml.Name("_HID", Aml.String("ACPI0013")),
                Aml.Name("_UID", Aml.Integer(0)),
                Aml.Name("_CRS", Aml.ResourceTemplate(AmlResources.ExtendedInterrupt(gsi, edgeTriggered: true))),
                Aml.Method("_EVT", 1, serialized: true, Aml.Notify("\\_SB_.PWRB", PowerButtonPressed))));
}
