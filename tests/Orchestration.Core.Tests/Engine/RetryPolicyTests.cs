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

    [Test]
    public void Validate_EveryFieldAtItsBound_Usable()
    {
        // The loosest policy each rule allows: one attempt, no delay, max equal to initial, constant delay, full jitter.
        Assert.That(new RetryPolicy(1, TimeSpan.Zero, TimeSpan.Zero, 1, 0).Validate(), Is.Null);
        Assert.That(new RetryPolicy(1, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5), 1, 1).Validate(), Is.Null);
    }

    [TestCase(0, 0, 0, 1.0, 0.0, "max_attempts must be at least 1")]
    [TestCase(1, -1, 0, 1.0, 0.0, "initial_delay must not be negative")]
    [TestCase(1, 5, 4, 1.0, 0.0, "max_delay must be at least initial_delay")]
    [TestCase(1, 0, 0, 0.99, 0.0, "backoff_factor must be at least 1")]
    [TestCase(1, 0, 0, double.NaN, 0.0, "backoff_factor must be at least 1")]
    [TestCase(1, 0, 0, double.PositiveInfinity, 0.0, "backoff_factor must be at least 1")]
    [TestCase(1, 0, 0, 1.0, -0.01, "jitter must be between 0 and 1")]
    [TestCase(1, 0, 0, 1.0, 1.01, "jitter must be between 0 and 1")]
    [TestCase(1, 0, 0, 1.0, double.NaN, "jitter must be between 0 and 1")]
    public void Validate_FieldJustPastItsBound_NamesThatField(int maxAttempts, int initialMs, int maxMs, double factor, double jitter, string expected)
    {
        var policy = new RetryPolicy(maxAttempts, TimeSpan.FromMilliseconds(initialMs), TimeSpan.FromMilliseconds(maxMs), factor, jitter);

        Assert.That(policy.Validate(), Is.EqualTo(expected));
    }

    [Test]
    public void DelayBefore_FullJitterAtTheTopOfTheSample_ShortensTowardsZeroNeverBelow()
    {
        var policy = new RetryPolicy(3, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(10), 1, 1);

        Assert.That(policy.DelayBefore(2, 0.5), Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(policy.DelayBefore(2, 0.999), Is.GreaterThanOrEqualTo(TimeSpan.Zero).And.LessThan(TimeSpan.FromMilliseconds(11)));
    }
}
