using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Hosting;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class RetentionConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private async Task<Run> FinishedRunAsync(string? name = null, bool fail = false)
    {
        var created = await Client.CreateRunAsync(new RunSpec { OrgId = Org, Name = name, Tasks = [T("only")] });
        Assert.That(created.Created, Is.True);
        var task = await ClaimOneAsync();
        Assert.That(task.RunId, Is.EqualTo(created.Run.Id), "the helper expects no other claimable work");
        if (fail) Assert.That((await FailAsync(task, retryable: false)).Applied, Is.True);
        else Assert.That(await CompleteAsync(task, "{\"ok\":true}"), Is.True);
        var run = await RunAsync(created.Run.Id);
        Assert.That(run.Status, Is.EqualTo(fail ? RunStatus.Failed : RunStatus.Completed));
        return run;
    }

    private Task<RetentionResult> PassAsync(RetentionOptions options) => Retention.DeleteExpiredRunsAsync(options.ToPass(), CancellationToken.None);

    private async Task<bool> ExistsAsync(Run run) => await Queries.GetRunAsync(Org, run.Id, CancellationToken.None) is not null;

    private async Task<Dictionary<string, TableGrowth>> GrowthAsync() =>
        (await Retention.GetStorageGrowthAsync(CancellationToken.None)).ToDictionary(g => g.Table);

    [Test]
    public async Task DeleteExpiredRuns_CompletedRunOlderThanItsTtl_DeletedWithEveryRowAndYoungerRunKept()
    {
        var old = await Client.CreateRunAsync(new RunSpec { OrgId = Org, Tasks = [T("a"), T("b", "a")] });
        await Client.PutRunDataAsync(Org, old.Run.Id, new RunDataSpec { Key = "k", ValueJson = "1" });
        var a = await ClaimOneAsync("a");
        await CompleteAsync(a);
        var b = await ClaimOneAsync("b");
        await CompleteAsync(b);
        Time.Advance(2 * Hour);
        var young = await FinishedRunAsync();

        var result = await PassAsync(new RetentionOptions { CompletedTtl = Hour });

        Assert.That(result.Runs, Is.EqualTo(new[] { new RetentionCount(RetentionOptions.DefaultRule, RetentionState.Completed, 1) }));
        Assert.That(result.IsFull, Is.False);
        Assert.That(await Queries.GetRunAsync(Org, old.Run.Id, CancellationToken.None), Is.Null);
        Assert.That(await Queries.GetTaskAsync(Org, a.Id, CancellationToken.None), Is.Null);
        Assert.That(await Queries.GetAttemptsAsync(Org, b.Id, CancellationToken.None), Is.Empty);
        Assert.That(await Queries.GetLatestRunDataAsync(Org, old.Run.Id, "k", CancellationToken.None), Is.Null);
        Assert.That((await Queries.ReadEventsAsync(0, 1000, null, CancellationToken.None)).Select(e => e.RunId).Distinct(), Is.EqualTo(new[] { young.Id }));
        Assert.That(await ExistsAsync(young), Is.True);
        var growth = await GrowthAsync();
        Assert.That(growth[GrowthTables.Runs].Rows, Is.EqualTo(1));
        Assert.That(growth[GrowthTables.Tasks].Rows, Is.EqualTo(1));
        Assert.That(growth[GrowthTables.Attempts].Rows, Is.EqualTo(1));
        Assert.That(growth[GrowthTables.RunData].Rows, Is.Zero);
    }

    [Test]
    public async Task DeleteExpiredRuns_FailedAndCancelledRuns_KeptForTheFailedTtlNotTheCompletedOne()
    {
        var failed = await FinishedRunAsync(fail: true);
        var cancelled = await CreateRunAsync(T("never"));
        Assert.That(await Client.CancelRunAsync(Org, cancelled.Id), Is.EqualTo(RunCommandStatus.Applied));
        var completed = await FinishedRunAsync();
        var options = new RetentionOptions { CompletedTtl = Hour, FailedTtl = TimeSpan.FromDays(1) };
        Time.Advance(2 * Hour);

        var first = await PassAsync(options);
        Time.Advance(TimeSpan.FromDays(1));
        var keptUntilNow = await ExistsAsync(failed) && await ExistsAsync(cancelled);
        var second = await PassAsync(options);

        Assert.That(first.Runs, Is.EqualTo(new[] { new RetentionCount(RetentionOptions.DefaultRule, RetentionState.Completed, 1) }));
        Assert.That(keptUntilNow, Is.True, "failed and cancelled runs went with the completed TTL");
        Assert.That(await ExistsAsync(completed), Is.False);
        Assert.That(second.Runs, Is.EqualTo(new[] { new RetentionCount(RetentionOptions.DefaultRule, RetentionState.Failed, 2) }));
        Assert.That(await ExistsAsync(failed), Is.False);
        Assert.That(await ExistsAsync(cancelled), Is.False);
    }

    [Test]
    public async Task DeleteExpiredRuns_RuleForARunName_WinsOverTheDefault()
    {
        var nightly = await FinishedRunAsync("nightly");
        var other = await FinishedRunAsync("other");
        var unnamed = await FinishedRunAsync();
        var options = new RetentionOptions { CompletedTtl = Hour };
        options.Rules.Add(new RetentionRule { Name = "nightly", CompletedTtl = TimeSpan.FromDays(30) });
        Time.Advance(2 * Hour);

        var result = await PassAsync(options);

        Assert.That(await ExistsAsync(nightly), Is.True);
        Assert.That(await ExistsAsync(other), Is.False);
        Assert.That(await ExistsAsync(unnamed), Is.False, "a run without a name is decided by the default");
        Assert.That(result.TotalRuns, Is.EqualTo(2));
        Time.Advance(TimeSpan.FromDays(30));
        var later = await PassAsync(options);
        Assert.That(later.Runs, Is.EqualTo(new[] { new RetentionCount("*/nightly", RetentionState.Completed, 1) }));
        Assert.That(await ExistsAsync(nightly), Is.False);
    }

    [Test]
    public async Task DeleteExpiredRuns_RuleForFamilyAndName_WinsOverTheRuleForTheNameAlone()
    {
        var run = await FinishedRunAsync("report");
        var options = new RetentionOptions();
        options.Rules.Add(new RetentionRule { Name = "report", CompletedTtl = TimeSpan.FromDays(30) });
        options.Rules.Add(new RetentionRule { Family = run.Family, Name = "report", CompletedTtl = Hour });
        options.Rules.Add(new RetentionRule { Family = "another-family", Name = "report", CompletedTtl = TimeSpan.Zero });
        Time.Advance(2 * Hour);

        var result = await PassAsync(options);

        Assert.That(result.Runs, Is.EqualTo(new[] { new RetentionCount($"{run.Family}/report", RetentionState.Completed, 1) }));
        Assert.That(await ExistsAsync(run), Is.False);
    }

    [Test]
    public async Task DeleteExpiredRuns_DeleteOnCompleteRule_DeletesItsCompletedRunsAtOnceAndKeepsOthersAndItsFailures()
    {
        var ephemeral = await FinishedRunAsync("ephemeral");
        var failedEphemeral = await FinishedRunAsync("ephemeral", fail: true);
        var kept = await FinishedRunAsync("kept");
        var options = new RetentionOptions();
        options.Rules.Add(new RetentionRule { Name = "ephemeral", DeleteOnComplete = true });

        var result = await PassAsync(options);

        Assert.That(result.Runs, Is.EqualTo(new[] { new RetentionCount("*/ephemeral", RetentionState.Completed, 1) }));
        Assert.That(await ExistsAsync(ephemeral), Is.False);
        Assert.That(await ExistsAsync(failedEphemeral), Is.True, "no failed TTL anywhere: failures are kept");
        Assert.That(await ExistsAsync(kept), Is.True);
    }

    [Test]
    public async Task DeleteExpiredRuns_UnfinishedRunsOfAnyAge_NeverDeleted()
    {
        var finished = await FinishedRunAsync();
        var running = await CreateRunAsync(T("running"), T("after", "running"));
        var runningTask = await ClaimOneAsync("running");
        var queued = await CreateRunAsync(T("queued"));
        var open = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true })).Run;
        var options = new RetentionOptions { CompletedTtl = TimeSpan.Zero, FailedTtl = TimeSpan.Zero };
        options.Rules.Add(new RetentionRule { Name = null, Family = running.Family, DeleteOnComplete = true, FailedTtl = TimeSpan.Zero });
        Time.Advance(TimeSpan.FromDays(1000));

        var result = await PassAsync(options);

        Assert.That(result.TotalRuns, Is.EqualTo(1));
        Assert.That(await ExistsAsync(finished), Is.False);
        Assert.That(await ExistsAsync(running), Is.True);
        Assert.That(await ExistsAsync(queued), Is.True);
        Assert.That(await ExistsAsync(open), Is.True);
        Assert.That((await TaskAsync(runningTask.Id)).Status, Is.EqualTo(TaskRunStatus.Running));
    }

    [Test]
    public async Task DeleteExpiredRuns_MoreDueThanTheBatch_DeletesOldestFirstAndTheNextPassTheRest()
    {
        var runs = new List<Run>();
        for (var i = 0; i < 5; i++)
        {
            runs.Add(await FinishedRunAsync());
            Time.Advance(TimeSpan.FromMinutes(1));
        }

        var options = new RetentionOptions { CompletedTtl = Hour, BatchSize = 2 };
        Time.Advance(2 * Hour);

        var first = await PassAsync(options);
        var left = new List<bool>();
        foreach (var run in runs) left.Add(await ExistsAsync(run));
        var second = await PassAsync(options);
        var third = await PassAsync(options);

        Assert.That(first.TotalRuns, Is.EqualTo(2));
        Assert.That(first.IsFull, Is.True);
        Assert.That(left, Is.EqualTo(new[] { false, false, true, true, true }), "the two that finished first went first");
        Assert.That(second.TotalRuns, Is.EqualTo(2));
        Assert.That(third.TotalRuns, Is.EqualTo(1));
        Assert.That(third.IsFull, Is.False);
        Assert.That((await GrowthAsync())[GrowthTables.Runs].Rows, Is.Zero);
    }

    [Test]
    public async Task DeleteExpiredRuns_WebhookDeliveriesPastTheirTtl_FinishedOnesDeletedPendingKept()
    {
        var ct = CancellationToken.None;
        var run = Guid.NewGuid();
        NewWebhookDelivery Delivery(long seq) => new()
        {
            Id = $"msg_{seq}", EndpointId = "wh_1", OrgId = Org, RunId = run, EventSequence = seq, EventType = "workflow.completed",
            PayloadJson = "{}", CreatedAt = Time.GetUtcNow(),
        };

        await Webhooks.EnqueueWebhookDeliveriesAsync(0, 3, [Delivery(1), Delivery(2), Delivery(3)], ct);
        var now = Time.GetUtcNow();
        await Webhooks.RecordWebhookAttemptsAsync(
        [
            new WebhookAttemptOutcome("msg_1", WebhookDeliveryStatus.Delivered, null, 200, null, now),
            new WebhookAttemptOutcome("msg_2", WebhookDeliveryStatus.Failed, null, 500, "HTTP 500", now),
        ], ct);
        Time.Advance(TimeSpan.FromDays(8));
        await Webhooks.EnqueueWebhookDeliveriesAsync(3, 4, [Delivery(4)], ct);
        await Webhooks.RecordWebhookAttemptsAsync([new WebhookAttemptOutcome("msg_4", WebhookDeliveryStatus.Delivered, null, 200, null, Time.GetUtcNow())], ct);

        var result = await PassAsync(new RetentionOptions { WebhookDeliveryTtl = TimeSpan.FromDays(7) });

        Assert.That(result.WebhookDeliveries, Is.EqualTo(2));
        var left = await Webhooks.ListWebhookDeliveriesAsync(Org, "wh_1", 100, ct);
        Assert.That(left.Select(d => d.Id), Is.EquivalentTo(new[] { "msg_3", "msg_4" }), "pending and young deliveries stay");
        Assert.That((await GrowthAsync())[GrowthTables.WebhookDeliveries].Rows, Is.EqualTo(2));
    }

    [Test]
    public async Task GetStorageGrowth_RowsWritten_CountsEveryTableAndDatesItsOldestRow()
    {
        var empty = await GrowthAsync();
        var start = Time.GetUtcNow();
        var first = await FinishedRunAsync();
        await Client.PutRunDataAsync(Org, first.Id, new RunDataSpec { Key = "k", ValueJson = "1" });
        Time.Advance(Hour);
        await FinishedRunAsync();

        var growth = await GrowthAsync();

        Assert.That(empty.Keys, Is.EquivalentTo(GrowthTables.All));
        Assert.That(empty.Values.All(g => g.Rows == 0 && g.OldestAt is null), Is.True, "an empty store reports zero rows and no oldest row");
        Assert.That(growth[GrowthTables.Runs].Rows, Is.EqualTo(2));
        Assert.That(growth[GrowthTables.Runs].OldestAt, Is.EqualTo(start));
        Assert.That(growth[GrowthTables.Tasks].Rows, Is.EqualTo(2));
        Assert.That(growth[GrowthTables.Tasks].OldestAt, Is.EqualTo(start));
        Assert.That(growth[GrowthTables.Attempts].Rows, Is.EqualTo(2));
        Assert.That(growth[GrowthTables.Attempts].OldestAt, Is.EqualTo(start));
        Assert.That(growth[GrowthTables.RunData].Rows, Is.EqualTo(1));
        Assert.That(growth[GrowthTables.Events].Rows, Is.GreaterThanOrEqualTo(4), "at least each run's start and end");
        Assert.That(growth[GrowthTables.Events].OldestAt, Is.EqualTo(start));
        Assert.That(growth.Values.All(g => !g.Estimated), Is.True, "small tables are counted");
    }
}
