using System.Globalization;

namespace SharpVirt.Devices.Virtio.Transport.Mmio;

/// <summary>
/// Tells a Linux guest where a virtio-mmio device is, for kernels built with CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES
/// (<c>drivers/virtio/virtio_mmio.c</c>: <c>virtio_mmio.device=&lt;size&gt;@&lt;baseaddr&gt;:&lt;irq&gt;</c>).
/// </summary>
public static class VirtioMmioCmdline
{
    /// <summary>
    /// The kernel command line parameter for one device, e.g. <c>virtio_mmio.device=0x200@0xd0000000:5</c>.
    /// </summary>
    /// <param name="baseAddress">Guest physical address of the device's MMIO window.</param>
    /// <param name="irq">The device's interrupt line (GSI).</param>
    /// <param name="size">Size of the window; <see cref="VirtioMmioRegister.RegionSize"/> unless told otherwise.</param>
    /// <exception cref="ArgumentOutOfRangeException">The size is zero or the window wraps past the top of the address space.</exception>
    public static string DeviceParameter(ulong baseAddress, uint irq, ulong size = VirtioMmioRegister.RegionSize)
    {
        ArgumentOutOfRangeException.ThrowIfZero(size);
        if (size - 1 > ulong.MaxValue - baseAddress)
        {
            throw new ArgumentOutOfRangeException(
                nameof(baseAddress), $"virtio-mmio window 0x{baseAddress:x} + 0x{size:x} wraps past the top of the address space");
        }

        return string.Create(CultureInfo.InvariantCulture, $"virtio_mmio.device=0x{size:x}@0x{baseAddress:x}:{irq}");
    }
}
