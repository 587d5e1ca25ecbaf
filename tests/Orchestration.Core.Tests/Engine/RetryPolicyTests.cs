using Orchestration.Domain;

namespace Orchestration.Core.Tests.Engine;

public sealed class RetryPolicyTests
{
    [Test]
    public void Default_IsTheDocumentedPolicy()
    {
        // docs/engine.md: three attempts, 1 s doubling to at most 5 minutes, 10% jitter.
        Assert.That(RetryPolicy.Default, Is.EqualTo(new RetryPolicy(3, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5), 2.0, 0.1)));
    }

    [Test]
    public void DelayBefore_NoJitterSample_DoublesFromInitialUpToMax()
    {
        var policy = new RetryPolicy(20, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 2.0, 0.1);

        var delays = Enumerable.Range(2, 7).Select(n => policy.DelayBefore(n, 0).TotalSeconds);

        Assert.That(delays, Is.EqualTo(new[] { 1.0, 2, 4, 8, 16, 30, 30 }));
    }

    [Test]
    public void DelayBefore_AnyJitterSample_WithinJitterBelowTheUnjitteredDelayAndNeverAboveMax()
    {
        var policy = RetryPolicy.Default;
        var random = new Random(12345);
        for (var i = 0; i < 10_000; i++)
        {
            var attempt = 2 + (i % 12);
            var sample = random.NextDouble();
            var unjittered = policy.DelayBefore(attempt, 0);

            var delay = policy.DelayBefore(attempt, sample);

            Assert.That(delay, Is.LessThanOrEqualTo(unjittered).And.LessThanOrEqualTo(policy.MaxDelay));
            Assert.That(delay.TotalMilliseconds, Is.GreaterThanOrEqualTo(unjittered.TotalMilliseconds * (1 - policy.Jitter) - 0.001));
        }
    }
}
