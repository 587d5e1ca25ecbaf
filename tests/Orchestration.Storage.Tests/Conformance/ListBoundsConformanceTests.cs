using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

/// <summary>
/// List queries bound what they load (oversized payloads left out, a page stopped at its budget) and no page size makes a
/// store exceed a parameter limit.
/// </summary>
[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class ListBoundsConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private static string Payload(int chars) => "\"" + new string('p', chars - 2) + "\"";

    private async Task<Guid> OpenRunAsync(string? input, string? metadata = null)
    {
        var id = (await Client.CreateRunAsync(new RunSpec { OrgId = Org, Open = true, Family = "foreman", InputJson = input, MetadataJson = metadata })).Run.Id;
        Time.Advance(TimeSpan.FromSeconds(1));
        return id;
    }

    [Test]
    public async Task ListRuns_PayloadOverMaxPayloadChars_ReturnedAsOmittedWithItsLength()
    {
        var big = await OpenRunAsync(Payload(5000), metadata: "{\"m\":1}");
        var small = await OpenRunAsync(Payload(100));

        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, MaxPayloadChars = 1000 }, CancellationToken.None);
        var whole = await Queries.GetRunAsync(Org, big, CancellationToken.None);

        var bigRow = page.Items.Single(r => r.Id == big);
        Assert.That(StoredPayload.TryGetOmitted(bigRow.InputJson, out var chars), Is.True, bigRow.InputJson?[..Math.Min(40, bigRow.InputJson.Length)]);
        Assert.That(chars, Is.EqualTo(5000));
        Assert.That(bigRow.MetadataJson, Is.EqualTo("{\"m\":1}"), "payloads under the cap are returned whole");
        Assert.That(bigRow.OutputJson, Is.Null);
        Assert.That(page.Items.Single(r => r.Id == small).InputJson, Is.EqualTo(Payload(100)));
        Assert.That(whole!.InputJson, Is.EqualTo(Payload(5000)), "reads by id are never capped");
    }

    [Test]
    public async Task ListRuns_PayloadBudget_StopsBeforeTheRowThatWouldExceedIt()
    {
        for (var i = 0; i < 5; i++) await OpenRunAsync(Payload(1000));

        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = 100, PayloadBudgetChars = 2500 }, CancellationToken.None);
        var tiny = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = 100, PayloadBudgetChars = 10 }, CancellationToken.None);
        var unbounded = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = 100 }, CancellationToken.None);

        Assert.That(page.Items, Has.Count.EqualTo(2));
        Assert.That(page.Total, Is.EqualTo(5));
        Assert.That(tiny.Items, Has.Count.EqualTo(1), "the first row is always returned so paging moves on");
        Assert.That(unbounded.Items, Has.Count.EqualTo(5));
    }

    [Test]
    public async Task ListTasks_PayloadCapAndBudget_OmitAndStop()
    {
        var run = await CreateRunAsync(
            new TaskSpec { Name = "a", Type = "work", InputJson = Payload(3000) },
            new TaskSpec { Name = "b", Type = "work", InputJson = Payload(800) },
            new TaskSpec { Name = "c", Type = "work", InputJson = Payload(800) },
            new TaskSpec { Name = "d", Type = "work", InputJson = Payload(800) });

        var capped = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = run.Id, Limit = 100, MaxPayloadChars = 1000 }, CancellationToken.None);
        var budgeted = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = run.Id, Limit = 100, MaxPayloadChars = 1000, PayloadBudgetChars = 1000 }, CancellationToken.None);
        var noPayloads = await Queries.ListTasksAsync(new TaskQuery { OrgId = Org, RunId = run.Id, Limit = 100, MaxPayloadChars = 0 }, CancellationToken.None);

        Assert.That(capped.Items, Has.Count.EqualTo(4));
        Assert.That(StoredPayload.TryGetOmitted(capped.Items.Single(t => t.Name == "a").InputJson, out var chars) && chars == 3000, Is.True);
        Assert.That(capped.Items.Single(t => t.Name == "b").InputJson, Is.EqualTo(Payload(800)));
        // a's omitted stand-in is short, so a and b fit in 1,000 characters and c does not.
        Assert.That(budgeted.Items.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(budgeted.Total, Is.EqualTo(4));
        Assert.That(noPayloads.Items.All(t => StoredPayload.TryGetOmitted(t.InputJson, out _)), Is.True);
    }

    [Test]
    public async Task ListRuns_PageLargerThanSqliteVariableLimit_ReturnsEveryRunWithCounters()
    {
        // SQLite binds at most 32,766 variables per statement; a page of runs must not bind one per run.
        const int count = 33_000;
        await Client.CreateRunsAsync(Enumerable.Range(0, count).Select(_ => new RunSpec { OrgId = Org, Open = true, Family = "foreman" }).ToList());
        await CreateRunAsync(T("a"), T("b"));

        var page = await Queries.ListRunsAsync(new RunQuery { OrgId = Org, Limit = count + 1 }, CancellationToken.None);

        Assert.That(page.Items, Has.Count.EqualTo(count + 1));
        Assert.That(page.Items.Count(r => r.TotalTasks == 2), Is.EqualTo(1));
    }
}
