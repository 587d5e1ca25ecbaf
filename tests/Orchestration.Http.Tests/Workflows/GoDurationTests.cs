using Orchestration.Http.Workflows;

namespace Orchestration.Http.Tests.Workflows;

public sealed class GoDurationTests
{
    [TestCase("10ms", 10)]
    [TestCase("1s", 1_000)]
    [TestCase("5m", 300_000)]
    [TestCase("1h", 3_600_000)]
    [TestCase("1h30m", 5_400_000)]
    [TestCase("2m30s", 150_000)]
    [TestCase("1s500ms", 1_500)]
    [TestCase("90m", 5_400_000)]
    [TestCase("0s", 0)]
    [TestCase("720h", 2_592_000_000)]
    public void TryParse_GoStyleDuration_ReturnsItsLength(string text, long milliseconds)
    {
        Assert.That(GoDuration.TryParse(text, out var value, out var problem), Is.True, problem);
        Assert.That(value, Is.EqualTo(TimeSpan.FromMilliseconds(milliseconds)));
    }

    [TestCase("")]
    [TestCase("5")]
    [TestCase("m")]
    [TestCase("1.5h")]
    [TestCase("-1s")]
    [TestCase("+1s")]
    [TestCase(" 1s")]
    [TestCase("1s ")]
    [TestCase("1us")]
    [TestCase("1d")]
    [TestCase("1m1m")]
    [TestCase("500ms1s")]
    [TestCase("5m1h")]
    [TestCase("1H")]
    [TestCase("9999999999s")]
    [TestCase("721h")]
    public void TryParse_AnythingElse_RefusedWithAReason(string text)
    {
        Assert.That(GoDuration.TryParse(text, out _, out var problem), Is.False);
        Assert.That(problem, Does.StartWith("must be"));
    }

    [TestCase(0, "0s")]
    [TestCase(10, "10ms")]
    [TestCase(1_000, "1s")]
    [TestCase(300_000, "5m")]
    [TestCase(3_600_000, "1h")]
    [TestCase(5_400_000, "1h30m")]
    [TestCase(3_723_004, "1h2m3s4ms")]
    public void Format_Duration_WritesTheGoShapeBack(long milliseconds, string expected)
    {
        var text = GoDuration.Format(TimeSpan.FromMilliseconds(milliseconds));

        Assert.That(text, Is.EqualTo(expected));
        Assert.That(GoDuration.TryParse(text, out var back, out _) && back == TimeSpan.FromMilliseconds(milliseconds), Is.True, "formatted text parses back");
    }
}
