namespace SharpVirt.Devices.Legacy;

/// <summary>
/// Splits a port access into byte accesses, the way an ISA bridge turns an <c>inw</c>/<c>outl</c> to an 8-bit device
/// into consecutive byte cycles. Offsets are guest values: every computation is bounded, never wraps.
/// </summary>
internal static class PortAccess
{
    /// <summary>
    /// The register byte <paramref name="index"/> of an access at <paramref name="offset"/> addresses,
    /// or -1 when it falls outside a device of <paramref name="size"/> registers.
    /// </summary>
    public static int Register(ulong offset, int index, int size) =>
        offset < (ulong)size && (ulong)index < (ulong)size - offset ? (int)offset + index : -1;
}
