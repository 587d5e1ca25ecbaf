using Orchestration.Storage.InMemory;

namespace Orchestration.Storage.Tests.InMemoryOnly;

// The in-memory store's event buffer: a bounded ring whose sequences stay consecutive, so reads resume exactly.
public sealed class EventLogTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public void Append_BeyondCapacity_KeepsTheMostRecentInOrder()
    {
        var log = new EventLog(capacity: 3);
        for (var i = 0; i < 5; i++) log.Append("org-a", Guid.Empty, null, "run.created", null, Now);

        Assert.That(log.Read(0, 10, null).Select(e => e.Sequence), Is.EqualTo(new long[] { 3, 4, 5 }));
        Assert.That(log.Read(3, 10, null).Select(e => e.Sequence), Is.EqualTo(new long[] { 4, 5 }));
        Assert.That(log.Read(5, 10, null), Is.Empty);
    }

    [Test]
    public void Read_OrgAndLimit_FiltersBeforeCounting()
    {
        var log = new EventLog(capacity: 2000);
        for (var i = 0; i < 1500; i++) log.Append(i % 2 == 0 ? "org-a" : "org-b", Guid.Empty, null, "run.created", null, Now);

        var read = log.Read(1000, 3, "org-b");

        Assert.That(read.Select(e => e.Sequence), Is.EqualTo(new long[] { 1002, 1004, 1006 }));
        Assert.That(read.Select(e => e.OrgId), Is.All.EqualTo("org-b"));
    }
}
