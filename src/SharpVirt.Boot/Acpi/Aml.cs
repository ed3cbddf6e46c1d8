using System.Buffers.Binary;
using System.Globalization;

namespace SharpVirt.Boot.Acpi;

/// <summary>
/// An encoder for the small part of the ACPI Machine Language (ACPI 6.5 chapter 20) the VMM's DSDT needs:
/// names, scopes, devices, methods that notify a device, packages, integers, strings, EISA IDs and buffers. Each method returns the complete
/// encoding of one term, so terms nest by passing one method's result to another, as ASL nests.
/// </summary>
public static class Aml
{
    /// <summary>The largest value a PkgLength can encode (28 bits).</summary>
    public const int MaxPackageLength = (1 << 28) - 1;

    private const byte ZeroOp = 0x00;
    private const byte OneOp = 0x01;
    private const byte NameOp = 0x08;
    private const byte BytePrefix = 0x0a;
    private const byte WordPrefix = 0x0b;
    private const byte DWordPrefix = 0x0c;
    private const byte StringPrefix = 0x0d;
    private const byte QWordPrefix = 0x0e;
    private const byte ScopeOp = 0x10;
    private const byte MethodOp = 0x14;
    private const byte BufferOp = 0x11;
    private const byte PackageOp = 0x12;
    private const byte ExtOpPrefix = 0x5b;
    private const byte DeviceOp = 0x82;
    private const byte NotifyOp = 0x86;
    private const byte MethodSerialized = 0x08;
    private const byte EndTag = 0x79;

    /// <summary>
    /// The PkgLength for a package whose contents after the PkgLength take <paramref name="bodyLength"/> bytes.
    /// The encoded value counts the PkgLength bytes themselves: one byte holds up to 63; longer forms put the
    /// count of following bytes (1-3) in bits 7-6 of the lead byte, the low nibble in bits 3-0, then 8 bits per byte.
    /// </summary>
    public static byte[] PkgLength(int bodyLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bodyLength);
        for (var size = 1; size <= 4; size++)
        {
            var limit = size == 1 ? 0x3f : (1L << (4 + 8 * (size - 1))) - 1;
            var total = (long)bodyLength + size;
            if (total > limit)
            {
                continue;
            }

            var encoded = new byte[size];
            if (size == 1)
            {
                encoded[0] = (byte)total;
                return encoded;
            }

            encoded[0] = (byte)(((size - 1) << 6) | (int)(total & 0x0f));
            for (var i = 1; i < size; i++)
            {
                encoded[i] = (byte)(total >> (4 + 8 * (i - 1)));
            }

            return encoded;
        }

        throw new ArgumentOutOfRangeException(nameof(bodyLength), bodyLength,
            $"an AML package holds at most {MaxPackageLength} bytes");
    }

    /// <summary>
    /// A NameString: an optional root (<c>\</c>) or parent (<c>^</c>) prefix, then one or more dot-separated
    /// segments of 1-4 characters (A-Z, 0-9, _; not starting with a digit), each padded with <c>_</c> to four.
    /// </summary>
    public static byte[] NameString(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var prefix = 0;
        if (path.StartsWith('\\'))
        {
            prefix = 1;
        }
        else
        {
            while (prefix < path.Length && path[prefix] == '^')
            {
                prefix++;
            }
        }

        var result = new List<byte>(path.Length + 8);
        foreach (var c in path.AsSpan(0, prefix))
        {
            result.Add((byte)c);
        }

        if (prefix == path.Length)
        {
            result.Add(0x00); // NullName: the root or parent itself
            return [.. result];
        }

        var segments = path[prefix..].Split('.');
        switch (segments.Length)
        {
            case 1:
                break;
            case 2:
                result.Add(0x2e); // DualNamePrefix
                break;
            case <= 255:
                result.Add(0x2f); // MultiNamePrefix
                result.Add((byte)segments.Length);
                break;
            default:
                throw new ArgumentException($"AML name '{path}' has more than 255 segments", nameof(path));
        }

        foreach (var segment in segments)
        {
            result.AddRange(NameSeg(segment, path));
        }

        return [.. result];
    }

    /// <summary><c>Name (name, value)</c>: binds <paramref name="value"/> (an encoded data term) to a name.</summary>
    public static byte[] Name(string name, ReadOnlySpan<byte> value) => [NameOp, .. NameString(name), .. value];

    /// <summary><c>Scope (name) { terms }</c>.</summary>
    public static byte[] Scope(string name, params ReadOnlySpan<byte[]> terms) =>
        [ScopeOp, .. WithLength(NameString(name), Concat(terms))];

    /// <summary><c>Device (name) { terms }</c>.</summary>
    public static byte[] Device(string name, params ReadOnlySpan<byte[]> terms) =>
        [ExtOpPrefix, DeviceOp, .. WithLength(NameString(name), Concat(terms))];

    /// <summary>
    /// <c>Method (name, arguments, NotSerialized or Serialized) { terms }</c>: a control method taking
    /// <paramref name="arguments"/> (0-7) arguments, at sync level 0.
    /// </summary>
    public static byte[] Method(string name, int arguments, bool serialized, params ReadOnlySpan<byte[]> terms)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(arguments);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(arguments, 7);
        var flags = (byte)(arguments | (serialized ? MethodSerialized : 0));
        return [MethodOp, .. WithLength([.. NameString(name), flags], Concat(terms))];
    }

    /// <summary><c>Notify (path, value)</c>: sends notification <paramref name="value"/> to the object at <paramref name="path"/>.</summary>
    public static byte[] Notify(string path, ulong value) => [NotifyOp, .. NameString(path), .. Integer(value)];

    /// <summary><c>Package (n) { elements }</c> with as many elements as given (at most 255).</summary>
    public static byte[] Package(params ReadOnlySpan<byte[]> elements)
    {
        if (elements.Length > 255)
        {
            throw new ArgumentException($"an AML Package holds at most 255 elements, not {elements.Length}", nameof(elements));
        }

        return [PackageOp, .. WithLength([(byte)elements.Length], Concat(elements))];
    }

    /// <summary>An integer in its shortest form: Zero, One, or a byte, word, dword or qword constant.</summary>
    public static byte[] Integer(ulong value) => value switch
    {
        0 => [ZeroOp],
        1 => [OneOp],
        <= byte.MaxValue => [BytePrefix, (byte)value],
        <= ushort.MaxValue => [WordPrefix, (byte)value, (byte)(value >> 8)],
        <= uint.MaxValue => DWord((uint)value),
        _ => QWord(value),
    };

    /// <summary>A 32-bit constant, always in DWord form.</summary>
    public static byte[] DWord(uint value)
    {
        var encoded = new byte[5];
        encoded[0] = DWordPrefix;
        BinaryPrimitives.WriteUInt32LittleEndian(encoded.AsSpan(1), value);
        return encoded;
    }

    /// <summary>A null-terminated ASCII string constant (characters 0x01-0x7f).</summary>
    public static byte[] String(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var encoded = new byte[value.Length + 2];
        encoded[0] = StringPrefix;
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] is < '\u0001' or > '\u007f')
            {
                throw new ArgumentException($"AML strings are ASCII without NUL: '{value}'", nameof(value));
            }

            encoded[i + 1] = (byte)value[i];
        }

        return encoded;
    }

    /// <summary>
    /// <c>EisaId ("PNP0501")</c>: three letters compressed to 5 bits each and four hex digits, stored big-endian
    /// in a DWord constant (so "PNP0501" encodes as 0x0105D041).
    /// </summary>
    public static byte[] EisaId(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (id.Length != 7 || !char.IsAsciiLetterUpper(id[0]) || !char.IsAsciiLetterUpper(id[1]) ||
            !char.IsAsciiLetterUpper(id[2]) || !ushort.TryParse(id.AsSpan(3), NumberStyles.AllowHexSpecifier,
                CultureInfo.InvariantCulture, out var product))
        {
            throw new ArgumentException($"'{id}' is not an EISA ID (three capital letters and four hex digits)", nameof(id));
        }

        var vendor = ((id[0] - 0x40) << 10) | ((id[1] - 0x40) << 5) | (id[2] - 0x40);
        var compressed = ((uint)vendor << 16) | product;
        return DWord(BinaryPrimitives.ReverseEndianness(compressed));
    }

    /// <summary><c>Buffer () { data }</c>: a buffer whose size is the data's length.</summary>
    public static byte[] Buffer(ReadOnlySpan<byte> data) =>
        [BufferOp, .. WithLength(Integer((ulong)data.Length), data)];

    /// <summary>
    /// <c>ResourceTemplate () { descriptors }</c>: a buffer of resource descriptors (see <see cref="AmlResources"/>)
    /// closed by an end tag whose checksum is zero (meaning "not checked").
    /// </summary>
    public static byte[] ResourceTemplate(params ReadOnlySpan<byte[]> descriptors) =>
        Buffer([.. Concat(descriptors), EndTag, 0x00]);

    /// <summary>Joins encoded terms in order.</summary>
    public static byte[] Concat(params ReadOnlySpan<byte[]> terms)
    {
        var length = 0;
        foreach (var term in terms)
        {
            ArgumentNullException.ThrowIfNull(term);
            length = checked(length + term.Length);
        }

        var result = new byte[length];
        var offset = 0;
        foreach (var term in terms)
        {
            term.CopyTo(result, offset);
            offset += term.Length;
        }

        return result;
    }

    private static byte[] QWord(ulong value)
    {
        var encoded = new byte[9];
        encoded[0] = QWordPrefix;
        BinaryPrimitives.WriteUInt64LittleEndian(encoded.AsSpan(1), value);
        return encoded;
    }

    /// <summary>PkgLength followed by the two parts of a package's body.</summary>
    private static byte[] WithLength(ReadOnlySpan<byte> head, ReadOnlySpan<byte> rest) =>
        [.. PkgLength(checked(head.Length + rest.Length)), .. head, .. rest];

    private static byte[] NameSeg(string segment, string path)
    {
        if (segment.Length is < 1 or > 4 || char.IsAsciiDigit(segment[0]))
        {
            throw new ArgumentException($"AML name '{path}': segment '{segment}' must be 1-4 characters, not starting with a digit", nameof(path));
        }

        var encoded = new byte[4] { (byte)'_', (byte)'_', (byte)'_', (byte)'_' };
        for (var i = 0; i < segment.Length; i++)
        {
            var c = segment[i];
            if (!char.IsAsciiLetterUpper(c) && !char.IsAsciiDigit(c) && c != '_')
            {
                throw new ArgumentException($"AML name '{path}': '{c}' is not A-Z, 0-9 or _", nameof(path));
            }

            encoded[i] = (byte)c;
        }

        return encoded;
    }
}
