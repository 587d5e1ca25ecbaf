namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class EventReadConformanceTests(Backend backend) : ConformanceTest(backend)
{
    [Test]
    public async Task ReadCommittedEvents_ResumedAfterWatermark_EveryEventOnceInOrder()
    {
        for (var i = 0; i < 3; i++) await CreateRunAsync(T("a"));
        var ct = CancellationToken.None;

        var first = await Queries.ReadCommittedEventsAsync(0, 2, Org, ct);
        var second = await Queries.ReadCommittedEventsAsync(first.Watermark, 2, Org, ct);
        var idle = await Queries.ReadCommittedEventsAsync(second.Watermark, 2, Org, ct);
        var all = await Queries.ReadEventsAsync(0, 100, Org, ct);

        Assert.That(first.Events, Has.Count.EqualTo(2));
        Assert.That(first.Watermark, Is.EqualTo(first.Events[^1].Sequence), "a full page resumes right after its last event");
        Assert.That(first.Events.Concat(second.Events).Select(e => e.Sequence), Is.EqualTo(all.Select(e => e.Sequence)));
        Assert.That(idle.Events, Is.Empty);
        Assert.That(idle.Watermark, Is.EqualTo(second.Watermark), "nothing new: the watermark stays");
    }

    [Test]
    public async Task ReadCommittedEvents_OtherOrgsEventsAfter_WatermarkPassesThemWithoutReturningThem()
    {
        await CreateRunAsync(T("a"));
        await CreateRunAsync(OtherOrg, T("b"));
        var ct = CancellationToken.None;

        var mine = await Queries.ReadCommittedEventsAsync(0, 100, Org, ct);
        var everything = await Queries.ReadEventsAsync(0, 100, null, ct);

        Assert.That(mine.Events.All(e => e.OrgId == Org), Is.True);
        Assert.That(mine.Events, Has.Count.EqualTo(everything.Count(e => e.OrgId == Org)));
        Assert.That(mine.Watermark, Is.EqualTo(everything[^1].Sequence), "the other org's later events are passed over");
        Assert.That((await Queries.ReadCommittedEventsAsync(mine.Watermark, 100, Org, ct)).Events, Is.Empty);
    }
}
