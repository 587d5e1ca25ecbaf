namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ExecutorRegistryConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly CancellationToken Ct = CancellationToken.None;

    [Test]
    public async Task RecordExecutorActivity_NewThenRepeated_KeepsLatestSeenAndSumsCompleted()
    {
        var t0 = Time.GetUtcNow();
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "w-1", t0, 0, ["exec"], 1)], 100, Ct);
        await Executors.RecordExecutorActivityAsync(
        [
            new ExecutorActivity(Org, "w-1", t0.AddSeconds(10), 3),
            // An older report arriving late (another host's batch) never moves last_seen back.
            new ExecutorActivity(Org, "w-1", t0.AddSeconds(5), 2),
        ], 100, Ct);

        var list = await Executors.ListExecutorsAsync(Org, Ct);

        Assert.That(list, Has.Count.EqualTo(1));
        Assert.That(list[0].ExecutorId, Is.EqualTo("w-1"));
        Assert.That(list[0].LastSeen, Is.EqualTo(t0.AddSeconds(10)));
        Assert.That(list[0].JobsCompleted, Is.EqualTo(5));
        Assert.That(list[0].Types, Is.EqualTo(new[] { "exec" }));
        Assert.That(list[0].Capacity, Is.EqualTo(1));
    }

    [Test]
    public async Task RecordExecutorActivity_TypesAndCapacityGiven_ReplaceStored_OmittedKeepStored()
    {
        var t0 = Time.GetUtcNow();
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "w-1", t0, 0, ["a", "b"], 4)], 100, Ct);
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "w-1", t0.AddSeconds(1))], 100, Ct);
        var kept = (await Executors.ListExecutorsAsync(Org, Ct))[0];
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "w-1", t0.AddSeconds(2), 0, ["c"], 2)], 100, Ct);
        var replaced = (await Executors.ListExecutorsAsync(Org, Ct))[0];

        Assert.That(kept.Types, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(kept.Capacity, Is.EqualTo(4));
        Assert.That(replaced.Types, Is.EqualTo(new[] { "c" }));
        Assert.That(replaced.Capacity, Is.EqualTo(2));
    }

    [Test]
    public async Task RecordExecutorActivity_OrgAtCap_NewExecutorNotAdded_KnownOnesStillUpdated_OtherOrgUnaffected()
    {
        var t0 = Time.GetUtcNow();
        var applied = await Executors.RecordExecutorActivityAsync(
        [
            new ExecutorActivity(Org, "w-1", t0),
            new ExecutorActivity(Org, "w-2", t0),
            new ExecutorActivity(Org, "w-3", t0),
            new ExecutorActivity(OtherOrg, "w-9", t0),
        ], 2, Ct);
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "w-1", t0.AddSeconds(1), 1)], 2, Ct);

        var mine = await Executors.ListExecutorsAsync(Org, Ct);
        var theirs = await Executors.ListExecutorsAsync(OtherOrg, Ct);

        Assert.That(applied, Is.EqualTo(3));
        Assert.That(mine.Select(e => e.ExecutorId), Is.EqualTo(new[] { "w-1", "w-2" }));
        Assert.That(mine[0].JobsCompleted, Is.EqualTo(1));
        Assert.That(theirs.Select(e => e.ExecutorId), Is.EqualTo(new[] { "w-9" }));
    }

    [Test]
    public async Task ListExecutors_OtherOrgsExecutors_NeverListed()
    {
        var t0 = Time.GetUtcNow();
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(OtherOrg, "shared-name", t0, 7)], 100, Ct);

        Assert.That(await Executors.ListExecutorsAsync(Org, Ct), Is.Empty);
    }

    [Test]
    public async Task RemoveExecutorsSeenBefore_DropsOnlyStaleRows_AndAFreedPlaceCanBeTaken()
    {
        var t0 = Time.GetUtcNow();
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "old", t0), new ExecutorActivity(Org, "fresh", t0.AddHours(1))], 2, Ct);

        var removed = await Executors.RemoveExecutorsSeenBeforeAsync(t0.AddMinutes(30), Ct);
        await Executors.RecordExecutorActivityAsync([new ExecutorActivity(Org, "new", t0.AddHours(1))], 2, Ct);

        Assert.That(removed, Is.EqualTo(1));
        Assert.That((await Executors.ListExecutorsAsync(Org, Ct)).Select(e => e.ExecutorId), Is.EqualTo(new[] { "fresh", "new" }));
    }
}
