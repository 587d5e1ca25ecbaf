using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Storage;

namespace Orchestration.Storage.Tests.Postgres;

public sealed class PostgresClockTests
{
    [Test]
    public async Task ClaimAndReap_HostClockTenMinutesAhead_CannotTakeLiveLease()
    {
        await using var schema = await PgSchema.CreateAsync();
        var honest = await schema.StoreAsync(TimeProvider.System);
        var skewed = await schema.StoreAsync(new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10)));
        await PgSchema.Client(honest).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });
        var held = (await honest.ClaimTasksAsync(PgSchema.Claim("honest"), CancellationToken.None)).Single();

        var reaped = await skewed.ReleaseExpiredLeasesAsync(100, CancellationToken.None);
        var stolen = await skewed.ClaimTasksAsync(PgSchema.Claim("skewed"), CancellationToken.None);
        var completed = await honest.CompleteTasksAsync([new TaskCompletion(new TaskLease(held.Id, held.LeaseToken!.Value), "{}")], CancellationToken.None);

        Assert.That(skewed.Capabilities.DatabaseClock, Is.True);
        Assert.That(reaped, Is.Zero, "a host with a fast clock reaped a live lease");
        Assert.That(stolen, Is.Empty, "a host with a fast clock claimed a running task");
        Assert.That(completed[0].Applied, Is.True, "the lease holder lost its task");
    }

    [Test]
    public async Task ClientUpdates_DatabaseClock_TimestampsFromDatabase()
    {
        await using var schema = await PgSchema.CreateAsync();
        var skewed = await schema.StoreAsync(new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10)));
        var client = PgSchema.Client(skewed);
        var run = (await client.CreateRunAsync(new RunSpec { Open = true, Family = "foreman" })).Run;
        var task = (await client.AddTaskAsync(Org.DefaultId, run.Id, new TaskSpec { Name = "t", Type = "email", Enqueue = false })).Task!;

        var runUpdate = await client.UpdateRunAsync(new UpdateRunParams { OrgId = Org.DefaultId, RunId = run.Id, Status = RunStatus.Running });
        var taskUpdate = await client.UpdateTaskAsync(new UpdateTaskParams { OrgId = Org.DefaultId, TaskId = task.Id, Status = TaskRunStatus.Completed });

        Assert.That(runUpdate, Is.EqualTo(RunCommandStatus.Applied));
        Assert.That(taskUpdate, Is.EqualTo(RunCommandStatus.Applied));
        var stored = await skewed.GetTaskAsync(Org.DefaultId, task.Id, CancellationToken.None);
        Assert.That(stored!.CompletedAt, Is.LessThan(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2)), "the host's clock was used");
    }

    [Test]
    public async Task ClaimTasks_DatabaseClock_LeaseExpiryFromDatabaseNotHost()
    {
        await using var schema = await PgSchema.CreateAsync();
        var skewed = await schema.StoreAsync(new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(10)));
        await PgSchema.Client(skewed).CreateRunAsync(new RunSpec { Tasks = [new TaskSpec { Name = "a", Type = "work" }] });

        var task = (await skewed.ClaimTasksAsync(PgSchema.Claim("skewed", lease: TimeSpan.FromSeconds(30)), CancellationToken.None)).Single();

        // The database clock is the real one; the host's is ten minutes ahead.
        Assert.That(task.LeaseExpiresAt, Is.LessThan(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(2)));
        Assert.That(task.LeaseExpiresAt, Is.GreaterThan(DateTimeOffset.UtcNow));
    }

    [Test]
    public async Task FailTasks_DatabaseClock_RetryDueAfterPolicyDelay()
    {
        await using var schema = await PgSchema.CreateAsync();
        var store = await schema.StoreAsync(TimeProvider.System);
        await PgSchema.Client(store).CreateRunAsync(new RunSpec
        {
            Tasks = [new TaskSpec { Name = "a", Type = "work", RetryPolicy = new RetryPolicy(3, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), 1, 0) }],
        });
        var task = (await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None)).Single();

        var result = await store.FailTasksAsync([new TaskFailure(new TaskLease(task.Id, task.LeaseToken!.Value), JsonDefaults.ErrorJson("boom"))], CancellationToken.None);
        var again = await store.ClaimTasksAsync(PgSchema.Claim("x"), CancellationToken.None);
        var stored = await store.GetTaskAsync(Org.DefaultId, task.Id, CancellationToken.None);

        Assert.That(result[0].Status, Is.EqualTo(TaskRunStatus.Retrying));
        Assert.That(again, Is.Empty, "claimed before its retry delay");
        // Measured against the failure's own database timestamp, not the test's wall clock: exact, whatever the load.
        var attempt = (await store.GetAttemptsAsync(Org.DefaultId, task.Id, CancellationToken.None)).Single();
        Assert.That(stored!.NotBefore - attempt.EndedAt, Is.EqualTo(TimeSpan.FromMinutes(1)));
    }
}
