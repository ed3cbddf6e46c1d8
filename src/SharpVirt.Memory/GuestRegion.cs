namespace SharpVirt.Memory;

/// <summary>One contiguous range of guest RAM backed by one host mapping.</summary>
/// <param name="Start">Guest physical address of the first byte.</param>
/// <param name="Size">Length in bytes.</param>
/// <param name="HostAddress">Where the bytes live in this process.</param>
public readonly record struct GuestRegion(ulong Start, ulong Size, nint HostAddress)
{
    /// <summary>One past the last guest physical address.</summary>
    public ulong End => Start + Size;

    /// <summary>Whether [address, address+length) lies wholly inside this region.</summary>
    public bool Contains(ulong address, ulong length) =>
        address >= Start && length <= Size && address - Start <= Size - length;
}
