namespace SharpVirt.Devices.Metrics;

/// <summary>One named count, bumped by a device thread and read from any thread.</summary>
public sealed class Counter
{
    private long _value;

    internal Counter(string name) => Name = name;

    /// <summary>The metric's name in snapshots (snake_case, as Firecracker's metrics).</summary>
    public string Name { get; }

    /// <summary>The current value.</summary>
    public long Value => Interlocked.Read(ref _value);

    /// <summary>Adds one.</summary>
    public void Increment() => Interlocked.Increment(ref _value);

    /// <summary>Adds <paramref name="amount"/>.</summary>
    public void Add(long amount) => Interlocked.Add(ref _value, amount);

    /// <inheritdoc />
    public override string ToString() => $"{Name}={Value}";
}

/// <summary>
/// The counters of one device in a fixed order, so a metrics endpoint can list every device's counters without
/// knowing the device (each subclass names its counters once, as properties).
/// </summary>
public abstract class MetricSet
{
    private readonly List<Counter> _counters = [];

    /// <summary>Every counter, in declaration order.</summary>
    public IReadOnlyList<Counter> Counters => _counters;

    /// <summary>The values now, by name.</summary>
    public IReadOnlyList<KeyValuePair<string, long>> Snapshot() => [.. _counters.Select(c => KeyValuePair.Create(c.Name, c.Value))];

    /// <summary>Declares a counter (from a subclass's constructor or property initializers).</summary>
    protected Counter Add(string name)
    {
        var counter = new Counter(name);
        _counters.Add(counter);
        return counter;
    }
}
