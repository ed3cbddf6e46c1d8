using SharpVirt.Devices.Legacy;

namespace SharpVirt.Devices.Tests.Legacy;

public sealed class AcpiPowerButtonTests
{
    [Fact]
    public void Each_press_is_one_edge_on_the_event_device_interrupt_and_is_counted()
    {
        var line = new RecordingInterrupt();
        var button = new AcpiPowerButton(line);

        button.Press();
        button.Press();

        Assert.Equal(2, line.Pulses);
        Assert.Empty(line.Levels);
        Assert.Equal(2, button.Presses);
    }
}
