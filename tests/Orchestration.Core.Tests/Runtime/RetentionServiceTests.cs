using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Diagnostics;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Runtime;

public sealed class RetentionServiceTests
{
    private FakeTimeProvider _time = null!;
    private InMemoryStore _store = null!;

    [SetUp]
    public void CreateStore()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
        _store = new InMemoryStore(_time);
    }

    [TearDown]
    public void DisposeStore() => _store.Dispose();

    private sealed class FixedLeader(bool leads) : ILeaderElector
    {
        public int Asked { get; private set; }

        public ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken)
        {
            Asked++;
            return ValueTask.FromResult(leads);
        }
    }

    private RetentionService Service(RetentionOptions options, ILeaderElector leader) =>
        new(options, leader, _time, NullLogger<RetentionService>.Instance, _store);

    private async Task<Guid> CompletedRunAsync(string name)
    {
        var client = new OrchestrationClient(_store, _store, Options.Create(new EngineOptions()));
        var run = (await client.CreateRunAsync(new RunSpec { Name = name, Tasks = [new TaskSpec { Name = "t", Type = "work" }] })).Run;
        var task = (await _store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Types = [], Max = 1, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None)).Single();
        await _store.CompleteTasksAsync([new TaskCompletion(new TaskLease(task.Id, task.LeaseToken!.Value), null)], CancellationToken.None);
        return run.Id;
    }

    [Test]
    public async Task RunOnce_NotLeader_DeletesNothing()
    {
        var run = await CompletedRunAsync("gone-if-leader");
        var leader = new FixedLeader(false);
        var options = new RetentionOptions { CompletedTtl = TimeSpan.Zero };

        var result = await Service(options, leader).RunOnceAsync(CancellationToken.None);

        Assert.That(result, Is.Null);
        Assert.That(leader.Asked, Is.EqualTo(1));
        Assert.That(await _store.GetRunAsync(Org.DefaultId, run, CancellationToken.None), Is.Not.Null);
    }

    [Test]
    public async Task RunOnce_MoreDueThanOneBatch_BatchesUntilAShortOneAndCountsPerRule()
    {
        var name = "metric-" + Guid.NewGuid().ToString("N");
        for (var i = 0; i < 5; i++) await CompletedRunAsync(name);
        var options = new RetentionOptions { BatchSize = 2 };
        options.Rules.Add(new RetentionRule { Name = name, DeleteOnComplete = true });
        long counted = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OrchestrationMetrics.MeterName && instrument.Name == "orchestration.retention.runs.deleted") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
                if (tag.Key == "rule" && Equals(tag.Value, "*/" + name)) Interlocked.Add(ref counted, value);
        });
        listener.Start();

        var result = await Service(options, new FixedLeader(true)).RunOnceAsync(CancellationToken.None);

        Assert.That(result, Is.EqualTo((5, 0)));
        Assert.That(Interlocked.Read(ref counted), Is.EqualTo(5));
        Assert.That((await _store.ListRunsAsync(new RunQuery { OrgId = Org.DefaultId }, CancellationToken.None)).Total, Is.Zero);
    }

    [Test]
    public async Task ExecuteAsync_NotLeaderAtTheInterval_AsksAndDeletesNothing()
    {
        var run = await CompletedRunAsync("kept");
        var leader = new FixedLeader(false);
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var timers = new SemaphoreSlim(0);
        var clock = new TimerWatchingTimeProvider(_time.GetUtcNow(), () => timers.Release());
        var service = new RetentionService(new RetentionOptions { CompletedTtl = TimeSpan.Zero, Interval = TimeSpan.FromMinutes(1) },
            new SignallingLeader(leader, asked), clock, NullLogger<RetentionService>.Instance, _store);

        await service.StartAsync(CancellationToken.None);
        await timers.WaitAsync();
        clock.Advance(TimeSpan.FromMinutes(1));
        await asked.Task;
        // The loop armed its next wait: the pass that asked is over.
        await timers.WaitAsync();
        await service.StopAsync(CancellationToken.None);

        Assert.That(leader.Asked, Is.EqualTo(1));
        Assert.That(await _store.GetRunAsync(Org.DefaultId, run, CancellationToken.None), Is.Not.Null);
    }

    private sealed class SignallingLeader(FixedLeader inner, TaskCompletionSource asked) : ILeaderElector
    {
        public async ValueTask<bool> TryLeadAsync(CancellationToken cancellationToken)
        {
            var leads = await inner.TryLeadAsync(cancellationToken);
            asked.TrySetResult();
            return leads;
        }
    }

    [Test]
    public void ToPass_RulesOfEverySpecificity_MostSpecificFirstEachExcludingTheMoreSpecific()
    {
        var options = new RetentionOptions { CompletedTtl = TimeSpan.FromDays(7) };
        options.Rules.Add(new RetentionRule { Family = "jobs", CompletedTtl = TimeSpan.FromDays(1) });
        options.Rules.Add(new RetentionRule { Name = "nightly", FailedTtl = TimeSpan.FromDays(90) });
        options.Rules.Add(new RetentionRule { Family = "jobs", Name = "nightly", DeleteOnComplete = true });

        var pass = options.ToPass();
        var completed = pass.Targets.Where(t => t.State == RetentionState.Completed).ToList();

        Assert.That(completed.Select(t => t.Rule), Is.EqualTo(new[] { "jobs/nightly", "jobs/*", RetentionOptions.DefaultRule }));
        Assert.That(completed[0].Ttl, Is.EqualTo(TimeSpan.Zero));
        Assert.That(completed[1].Except, Is.EqualTo(new[] { new RunMatch("jobs", "nightly") }));
        Assert.That(completed[2].Except, Is.EquivalentTo(new[] { new RunMatch("jobs", "nightly"), new RunMatch("jobs", null) }),
            "the name-only rule sets no completed TTL, so its runs inherit the default");
        Assert.That(pass.Targets.Where(t => t.State == RetentionState.Failed).Select(t => t.Rule), Is.EqualTo(new[] { "*/nightly" }),
            "no failed default: only the rule that sets one deletes failures");
        Assert.That(completed[1].Applies(RunStatus.Completed, "jobs", "nightly"), Is.False);
        Assert.That(completed[1].Applies(RunStatus.Completed, "jobs", null), Is.True);
    }

    [Test]
    public void Validate_BadRules_NameTheRuleAndTheSetting()
    {
        var noMatch = new RetentionOptions();
        noMatch.Rules.Add(new RetentionRule { CompletedTtl = TimeSpan.FromDays(1) });
        var both = new RetentionOptions();
        both.Rules.Add(new RetentionRule { Name = "a", DeleteOnComplete = true, CompletedTtl = TimeSpan.FromDays(1) });
        var twice = new RetentionOptions();
        twice.Rules.Add(new RetentionRule { Name = "a", CompletedTtl = TimeSpan.FromDays(1) });
        twice.Rules.Add(new RetentionRule { Name = "a", FailedTtl = TimeSpan.FromDays(1) });

        Assert.That(noMatch.Validate(), Does.Contain("Rules:0").And.Contain("Family"));
        Assert.That(both.Validate(), Does.Contain("DeleteOnComplete").And.Contain("CompletedTtl"));
        Assert.That(twice.Validate(), Does.Contain("Rules:1"));
        Assert.That(new RetentionOptions { BatchSize = 0 }.Validate(), Does.Contain("BatchSize"));
        Assert.That(new RetentionOptions { FailedTtl = TimeSpan.FromSeconds(-1) }.Validate(), Does.Contain("FailedTtl"));
        Assert.That(new RetentionOptions().Validate(), Is.Null);
    }

    [Test]
    public void AddOrchestration_BadRetention_FailsNamingTheSetting()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new Microsoft.Extensions.DependencyInjection.ServiceCollection()
            .AddOrchestration(o => o.UseInMemory().Retention.Interval = TimeSpan.Zero));

        Assert.That(ex!.Message, Does.Contain("Retention:Interval"));
    }

    [Test]
    public void Bind_RetentionSection_ReadsDefaultsRulesAndDeliveryTtl()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orchestration:Retention:CompletedTtl"] = "7.00:00:00",
            ["Orchestration:Retention:FailedTtl"] = "30.00:00:00",
            ["Orchestration:Retention:WebhookDeliveryTtl"] = "2.00:00:00",
            ["Orchestration:Retention:Rules:0:Family"] = "jobs",
            ["Orchestration:Retention:Rules:0:Name"] = "thumbnail",
            ["Orchestration:Retention:Rules:0:DeleteOnComplete"] = "true",
            ["Orchestration:Retention:Rules:1:Name"] = "nightly-report",
            ["Orchestration:Retention:Rules:1:CompletedTtl"] = "90.00:00:00",
        }).Build();
        var options = new RetentionOptions();

        configuration.GetSection("Orchestration:Retention").Bind(options);

        Assert.That(options.CompletedTtl, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(options.FailedTtl, Is.EqualTo(TimeSpan.FromDays(30)));
        Assert.That(options.WebhookDeliveryTtl, Is.EqualTo(TimeSpan.FromDays(2)));
        Assert.That(options.Rules, Has.Count.EqualTo(2));
        Assert.That(options.Rules[0].DeleteOnComplete, Is.True);
        Assert.That(options.Rules[1].CompletedTtl, Is.EqualTo(TimeSpan.FromDays(90)));
        Assert.That(options.Validate(), Is.Null);
    }
}
