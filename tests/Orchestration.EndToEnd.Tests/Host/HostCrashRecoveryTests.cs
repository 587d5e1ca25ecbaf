using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Sqlite;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Host;

public sealed class HostCrashRecoveryTests
{
    [Test]
    public async Task SampleHost_KilledWhileTaskRuns_RunCompletesAfterRestartWithOneCompletion()
    {
        using var dir = new TempDirectory();
        var connectionString = $"Data Source={Path.Combine(dir.Path, "crash.db")}";
        var settings = new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = connectionString,
            ["Orchestration:Auth:Enabled"] = "false",
            // A lease ten heartbeats long: a live host on a loaded machine keeps its lease, and the restarted host still
            // reclaims the killed attempt within seconds.
            ["Orchestration:Worker:LeaseDuration"] = "00:00:10",
            ["Orchestration:Worker:HeartbeatInterval"] = "00:00:01",
            ["Orchestration:Worker:PollInterval"] = "00:00:00.500",
            ["Orchestration:Maintenance:Interval"] = "00:00:00.500",
        };

        // The test writes the run straight into the host's database, as a second process on the same file.
        using var store = new SqliteStore(connectionString, TimeProvider.System);
        var client = new OrchestrationClient(store, store, Options.Create(new EngineOptions
        {
            DefaultRetryPolicy = new RetryPolicy(3, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1), 2, 0),
        }));
        TaskSpec Step(string name, int ms, params string[] deps) =>
            new() { Name = name, Type = "generic", InputJson = $$"""{"duration_ms":{{ms}},"steps":2}""", DependsOn = deps };

        using (var first = HostProcess.Start(settings, dir.Path))
        {
            await first.WaitHealthyAsync(TimeSpan.FromSeconds(60));
            var run = (await client.CreateRunAsync(new RunSpec { Tasks = [Step("extract", 100), Step("transform", 6000, "extract"), Step("load", 100, "transform")] })).Run;
            RunId = run.Id;

            await WaitForAsync(async () => (await TaskAsync(client, "transform")).Status == TaskRunStatus.Running, TimeSpan.FromSeconds(60), first);
            first.Kill();
        }

        using var second = HostProcess.Start(settings, dir.Path);
        await second.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        await WaitForAsync(async () => (await client.Queries.GetRunAsync(Org.DefaultId, RunId, CancellationToken.None))!.Status.IsTerminal(), TimeSpan.FromSeconds(90), second);

        var finished = await client.Queries.GetRunAsync(Org.DefaultId, RunId, CancellationToken.None);
        Assert.That(finished!.Status, Is.EqualTo(RunStatus.Completed), second.Output);
        var transform = await TaskAsync(client, "transform");
        var attempts = await client.Queries.GetAttemptsAsync(Org.DefaultId, transform.Id, CancellationToken.None);
        // What the scenario guarantees: the killed attempt's lease expired, and then exactly one attempt completed, the
        // last one. (A lease that also expired under load before the kill would add a LeaseExpired attempt; that is
        // allowed, a second completion is not.)
        Assert.That(attempts, Has.Count.InRange(2, 3), string.Join(", ", attempts.Select(a => a.Outcome)));
        Assert.That(attempts[0].Outcome, Is.EqualTo(AttemptOutcomes.LeaseExpired));
        Assert.That(attempts[^1].Outcome, Is.EqualTo(AttemptOutcomes.Completed));
        Assert.That(attempts.SkipLast(1).Select(a => a.Outcome), Is.All.EqualTo(AttemptOutcomes.LeaseExpired));
        var events = await client.Queries.ReadEventsAsync(0, 10_000, Org.DefaultId, CancellationToken.None);
        Assert.That(events.Count(e => e.TaskId == transform.Id && e.Type == EventTypes.TaskCompleted), Is.EqualTo(1), "exactly one completion");
        Assert.That(events.Count(e => e.RunId == RunId && e.Type == EventTypes.RunCompleted), Is.EqualTo(1));
    }

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private Guid RunId { get; set; }

    private async Task<TaskRun> TaskAsync(IOrchestrationClient client, string name) =>
        (await client.Queries.GetRunTasksAsync(Org.DefaultId, RunId, CancellationToken.None)).Single(t => t.Name == name);

    // End-to-end across processes: polling with a deadline is the only way to observe another process.
    private static async Task WaitForAsync(Func<Task<bool>> condition, TimeSpan timeout, HostProcess host)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (host.HasExited) Assert.Fail($"the host exited:\n{host.Output}");
            if (DateTime.UtcNow > deadline) Assert.Fail($"condition not met within {timeout}:\n{host.Output}");
            await Task.Delay(PollInterval);
        }
    }
}
