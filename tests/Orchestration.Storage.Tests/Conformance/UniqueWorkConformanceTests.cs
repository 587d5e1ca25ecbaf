using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class UniqueWorkConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private Task<CreateRunResult> CreateUniqueAsync(UniqueRule rule, string org = Org, string family = "jobs", string? name = "sync") =>
        Client.CreateRunAsync(new RunSpec { OrgId = org, Family = family, Name = name, Unique = rule, Tasks = [T("a")] });

    private async Task FinishOnlyTaskAsync()
    {
        var task = await ClaimOneAsync();
        Assert.That(await CompleteAsync(task), Is.True);
    }

    [Test]
    public async Task CreateRun_UniqueKeyHeldByPendingRun_ReturnsExistingAndWritesNothing()
    {
        var first = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });
        var second = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });

        Assert.That(first.Created, Is.True);
        Assert.That(second.Created, Is.False);
        Assert.That(second.Run.Id, Is.EqualTo(first.Run.Id));
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None)).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateRun_UniqueKeyHeldByRunningRun_BlocksByDefault()
    {
        var first = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });
        await ClaimOneAsync();
        Assert.That((await RunAsync(first.Run.Id)).Status, Is.EqualTo(RunStatus.Running));

        var second = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });

        Assert.That(second.Created, Is.False);
        Assert.That(second.Run.Id, Is.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRun_HolderRunningAndOnlyPendingBlocks_CreatesNewRunThatThenBlocks()
    {
        var skipIfPending = new UniqueRule { Key = "reindex", States = UniqueStates.Pending };
        var first = await CreateUniqueAsync(skipIfPending);
        await ClaimOneAsync();

        var second = await CreateUniqueAsync(skipIfPending);
        var third = await CreateUniqueAsync(skipIfPending);

        Assert.That(second.Created, Is.True, "a running holder does not block a rule that only names pending");
        Assert.That(second.Run.Id, Is.Not.EqualTo(first.Run.Id));
        Assert.That(third.Created, Is.False, "the new pending run holds the key now");
        Assert.That(third.Run.Id, Is.EqualTo(second.Run.Id));
    }

    [Test]
    public async Task CreateRun_HolderCompletedWithoutWindow_CreatesNewRun()
    {
        var first = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });
        await FinishOnlyTaskAsync();
        Assert.That((await RunAsync(first.Run.Id)).Status, Is.EqualTo(RunStatus.Completed));

        var second = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });

        Assert.That(second.Created, Is.True);
        Assert.That(second.Run.Id, Is.Not.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRun_WindowAfterCompletion_BlocksUntilWindowEndsThenCreates()
    {
        var rule = new UniqueRule { Key = "digest", Window = TimeSpan.FromMinutes(10) };
        var first = await CreateUniqueAsync(rule);
        await FinishOnlyTaskAsync();

        Time.Advance(TimeSpan.FromMinutes(9));
        var within = await CreateUniqueAsync(rule);
        Time.Advance(TimeSpan.FromMinutes(1));
        var after = await CreateUniqueAsync(rule);

        Assert.That(within.Created, Is.False, "9 minutes after completion is inside the 10-minute window");
        Assert.That(within.Run.Id, Is.EqualTo(first.Run.Id));
        Assert.That(within.Run.Status, Is.EqualTo(RunStatus.Completed));
        Assert.That(after.Created, Is.True, "the window ends 10 minutes after completion, with no background job run");
        Assert.That(after.Run.Id, Is.Not.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRun_CompletedInBlockingStates_BlocksWithoutWindow()
    {
        var once = new UniqueRule { Key = "migration-7", States = UniqueStates.Any };
        var first = await CreateUniqueAsync(once);
        await FinishOnlyTaskAsync();
        Time.Advance(TimeSpan.FromDays(30));

        var second = await CreateUniqueAsync(once);

        Assert.That(second.Created, Is.False);
        Assert.That(second.Run.Id, Is.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRun_ConflictMode_ThrowsNamingKeyAndExistingRun()
    {
        var first = await CreateUniqueAsync(new UniqueRule { Key = "nightly" });

        var conflict = Assert.ThrowsAsync<UniqueConflictException>(() => CreateUniqueAsync(new UniqueRule { Key = "nightly", OnDuplicate = OnDuplicate.Conflict }));

        Assert.That(conflict!.Key, Is.EqualTo("nightly"));
        Assert.That(conflict.ExistingRun!.Id, Is.EqualTo(first.Run.Id));
        Assert.That(conflict.Message, Does.Contain("nightly").And.Contain(first.Run.Id.ToString()));
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None)).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateRun_SameKeyInOtherOrgFamilyOrName_DoesNotCollide()
    {
        var first = await CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, name: "sync");
        var otherName = await CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, name: "backup");
        var otherFamily = await CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, family: "workflows", name: "sync");
        var otherOrg = await CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, org: OtherOrg, name: "sync");
        var orgWide = await CreateUniqueAsync(new UniqueRule { Key = "k" }, name: "sync");
        var sameName = await CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, name: "sync");

        Assert.That(new[] { first, otherName, otherFamily, otherOrg, orgWide }.All(r => r.Created), Is.True, "each differs in name, family, org or scope");
        Assert.That(sameName.Created, Is.False);
        Assert.That(sameName.Run.Id, Is.EqualTo(first.Run.Id));
    }

    [Test]
    public async Task CreateRuns_KeyRepeatedInOneCall_LaterOnesGetTheFirstRun()
    {
        var specs = Enumerable.Range(0, 3).Select(_ => new RunSpec { OrgId = Org, Family = "jobs", Unique = new UniqueRule { Key = "batch" }, Tasks = [T("a")] }).ToList();

        var results = await Client.CreateRunsAsync(specs);

        Assert.That(results.Select(r => r.Created), Is.EqualTo(new[] { true, false, false }));
        Assert.That(results.Select(r => r.Run.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None)).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateRun_EightConcurrentEnqueuers_CreateExactlyOneRun()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CreateUniqueAsync(new UniqueRule { Key = "race" }))));

        Assert.That(attempts.Count(a => a.Created), Is.EqualTo(1));
        Assert.That(attempts.Select(a => a.Run.Id).Distinct().Count(), Is.EqualTo(1));
        Assert.That((await Queries.ListRunsAsync(new RunQuery { OrgId = Org }, CancellationToken.None)).Total, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateRun_EightConcurrentEnqueuersAfterWindowEnded_CreateExactlyOneNewRun()
    {
        var rule = new UniqueRule { Key = "race", Window = TimeSpan.FromMinutes(1) };
        var first = await CreateUniqueAsync(rule);
        await FinishOnlyTaskAsync();
        Time.Advance(TimeSpan.FromMinutes(2));

        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => CreateUniqueAsync(rule))));

        Assert.That(attempts.Count(a => a.Created), Is.EqualTo(1), "replacing a holder that stopped blocking is as exclusive as the first take");
        Assert.That(attempts.Select(a => a.Run.Id).Distinct().Single(), Is.Not.EqualTo(first.Run.Id));
    }

    [Test]
    public void CreateRun_UniqueRuleWithIdempotencyKeyOrNameScopeWithoutName_Refused()
    {
        Assert.ThrowsAsync<OrchestrationValidationException>(() => Client.CreateRunAsync(new RunSpec { OrgId = Org, IdempotencyKey = "i", Unique = new UniqueRule { Key = "k" }, Tasks = [T("a")] }));
        Assert.ThrowsAsync<OrchestrationValidationException>(() => CreateUniqueAsync(new UniqueRule { Key = "k", Scope = UniqueScope.Name }, name: null));
        Assert.ThrowsAsync<OrchestrationValidationException>(() => CreateUniqueAsync(new UniqueRule { Key = "" }));
    }
}
