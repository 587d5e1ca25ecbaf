using Microsoft.Extensions.Time.Testing;
using Orchestration.Storage;

namespace Orchestration.Core.Tests.Engine;

public sealed class WorkSignalTests
{
    // A fake clock that is never advanced: a wait that misses its notification can only end by the test's deadline.
    private readonly FakeTimeProvider _frozen = new();

    [Test]
    public async Task WaitAsync_NotifiedBetweenVersionReadAndWait_ReturnsAtOnce()
    {
        var signal = new WorkSignal();
        var seen = signal.Version;
        signal.Notify();

        var wait = signal.WaitAsync(seen, TimeSpan.FromHours(1), _frozen, CancellationToken.None);

        Assert.That(wait.IsCompletedSuccessfully, Is.True);
        await wait;
    }

    [Test]
    public async Task WaitAsync_ProducerAndConsumerRacing_NoWakeUpIsLost()
    {
        // The consumer follows the documented protocol: read the version, look for work, wait with that version. The
        // producer adds work and notifies from another thread, racing every step. A lost wake-up leaves the consumer
        // waiting on the frozen clock with work available, and the deadline fails the test.
        const int items = 20_000;
        var signal = new WorkSignal();
        var produced = 0;
        var consumed = 0;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var consumer = Task.Run(async () =>
        {
            while (consumed < items)
            {
                var version = signal.Version;
                if (Volatile.Read(ref produced) > consumed)
                {
                    consumed++;
                    continue;
                }

                await signal.WaitAsync(version, TimeSpan.FromHours(1), _frozen, deadline.Token);
            }
        });
        var producer = Task.Run(() =>
        {
            for (var i = 0; i < items; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Notify();
                if (i % 64 == 0) Thread.Yield();
            }
        });

        await Task.WhenAll(producer, consumer);
        Assert.That(consumed, Is.EqualTo(items));
    }
}
