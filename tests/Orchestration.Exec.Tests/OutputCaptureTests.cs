using System.Text;
using NUnit.Framework;
using Orchestration.Exec;

namespace Orchestration.Exec.Tests;

[TestFixture]
public sealed class OutputCaptureTests
{
    [Test]
    public async Task PumpAsync_OutputWithinLimit_KeptWhole()
    {
        var capture = new OutputCapture(16);

        await capture.PumpAsync(new MemoryStream("héllo"u8.ToArray()), CancellationToken.None);

        Assert.That(capture.Snapshot(), Is.EqualTo(("héllo", false)));
    }

    [Test]
    public async Task PumpAsync_OutputOverLimit_KeepsPrefixCountsEverything()
    {
        var capture = new OutputCapture(4);

        await capture.PumpAsync(new MemoryStream("abcdefghij"u8.ToArray()), CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(capture.Snapshot(), Is.EqualTo(("abcd", true)));
            Assert.That(capture.TotalBytes, Is.EqualTo(10));
        });
    }

    [Test]
    public async Task Snapshot_CutInsideMultiByteCharacter_DropsThePartialCharacter()
    {
        // "é" is two bytes; a limit of 4 keeps "abc" and the first byte of "é".
        var capture = new OutputCapture(4);

        await capture.PumpAsync(new MemoryStream(Encoding.UTF8.GetBytes("abcé and more")), CancellationToken.None);

        Assert.That(capture.Snapshot(), Is.EqualTo(("abc", true)));
    }
}
