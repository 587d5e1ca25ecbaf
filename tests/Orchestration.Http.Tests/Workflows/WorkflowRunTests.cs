using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>Workflows run by the host's engine: order, concurrency, retries, timeout, cancellation and the seed's example.</summary>
public sealed class WorkflowRunTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    [TearDown]
    public void OpenGates()
    {
        // A blocked probe left behind would hold the host's shutdown.
        foreach (var gate in Current.Gates.Values) gate.TrySetResult();
    }

    [Test]
    public async Task RunWorkflow_DiamondGraph_StartsEveryTaskAfterItsDependenciesCompleted()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "diamond",
            tasks = new[] { ProbeTask("a"), ProbeTask("b", dependencies: ["a"]), ProbeTask("c", dependencies: ["a"]), ProbeTask("d", dependencies: ["b", "c"]) },
        });
        var done = await WaitForStatusAsync(t.Client, workflow.Str("id"), "completed");

        var starts = Current.Starts.Select(s => s.Name).ToList();
        var ends = Current.Ends.ToList();
        Assert.That(starts, Has.Count.EqualTo(4));
        Assert.That(starts[0], Is.EqualTo("a"));
        Assert.That(starts[3], Is.EqualTo("d"));
        Assert.That(ends.IndexOf("a"), Is.LessThan(ends.IndexOf("b")).And.LessThan(ends.IndexOf("c")));
        Assert.That(done["tasks"]!.AsArray().Select(x => x.Str("status")), Is.All.EqualTo("completed"));
        Assert.That(done["tasks"]!.AsArray().Single(x => x.Str("name") == "d")!["result"]!.ToJsonString(), Is.EqualTo("""{"done":"d","attempt":1}"""));
        Assert.That(done.Str("started_at"), Is.Not.Empty);
        Assert.That(done.Str("completed_at"), Is.Not.Empty);
    }

    [Test]
    public async Task RunWorkflow_MaxConcurrencyTwo_NeverRunsMoreThanTwoTasksAtOnce()
    {
        var t = await NewTenantAsync();
        var names = Enumerable.Range(1, 6).Select(i => $"t{i}").ToArray();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "bounded",
            config = new { max_concurrency = 2 },
            tasks = names.Select(n => ProbeTask(n, new { block = true })).ToArray(),
        });
        // Release the tasks one by one as they start: at each moment every unstarted task is ready to run. A slot freed
        // by the cap (a completion that promotes nothing) wakes the worker through the store's signal, so the clock
        // never has to reach the safety poll (see docs/api/workflows.md, "Concurrency slots").
        for (var i = 0; i < names.Length; i++)
        {
            await Current.NextStartAsync();
            if (i >= 1) Current.Gate(Current.Starts.ElementAt(i - 1).Name).TrySetResult();
        }

        Current.Gate(Current.Starts.Last().Name).TrySetResult();
        await WaitForStatusAsync(t.Client, workflow.Str("id"), "completed");

        Assert.That(Current.Starts.Select(s => s.Name), Is.EquivalentTo(names));
        Assert.That(Current.MaxRunning, Is.EqualTo(2));
    }

    [Test]
    public async Task RunWorkflow_FailingTask_RetriesAfterThePolicysBackoffOnTheClock()
    {
        var t = await NewTenantAsync();
        var client = Factory.Services.GetRequiredService<IOrchestrationClient>();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "flaky",
            config = new { retry_policy = new { initial_delay = "10s", max_delay = "1m", backoff_factor = 2.0 } },
            tasks = new[] { ProbeTask("flaky", new { fail_attempts = 2 }, maxRetries: 2) },
        });
        var taskId = Guid.Parse(workflow["tasks"]![0].Str("id"));

        await Current.NextStartAsync();
        await WaitForTaskAsync(t.Client, workflow.Str("id"), "flaky", "retrying");
        var firstFailure = Factory.Time.GetUtcNow();
        var first = await client.Queries.GetTaskAsync(t.OrgId, taskId, CancellationToken.None);
        Assert.That(first!.NotBefore, Is.EqualTo(firstFailure + TimeSpan.FromSeconds(10)), "first retry after initial_delay");

        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        await Current.NextStartAsync();
        await WaitForTaskAsync(t.Client, workflow.Str("id"), "flaky", "retrying");
        var second = await client.Queries.GetTaskAsync(t.OrgId, taskId, CancellationToken.None);
        Assert.That(second!.NotBefore, Is.EqualTo(firstFailure + TimeSpan.FromSeconds(10 + 20)), "second retry after initial_delay x backoff_factor");

        Factory.Time.Advance(TimeSpan.FromSeconds(20));
        await Current.NextStartAsync();
        var done = await WaitForStatusAsync(t.Client, workflow.Str("id"), "completed");

        Assert.That(Current.Starts.Select(s => s.At - firstFailure), Is.EqualTo(new[] { TimeSpan.Zero, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(30) }));
        var task = done["tasks"]![0]!;
        Assert.That((task["retry_count"]!.GetValue<int>(), task["max_retries"]!.GetValue<int>()), Is.EqualTo((2, 2)));
    }

    [Test]
    public async Task RunWorkflow_RetriesExhausted_WorkflowFailsWithTheTasksError()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "doomed",
            tasks = new[] { ProbeTask("bad", new { fail_attempts = 99 }, maxRetries: 0), ProbeTask("after", dependencies: ["bad"]) },
        });
        var failed = await WaitForStatusAsync(t.Client, workflow.Str("id"), "failed");

        var tasks = failed["tasks"]!.AsArray();
        Assert.That(tasks[0].Str("status"), Is.EqualTo("failed"));
        Assert.That(tasks[0].Str("error"), Does.Contain("probe failure on attempt 1"));
        Assert.That(tasks[1].Str("status"), Is.EqualTo("cancelled"), "a task skipped after an upstream failure reads as cancelled");
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "bad" }));
    }

    [Test]
    public async Task RunWorkflow_PastItsTimeout_Fails()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, new { name = "slow", config = new { timeout = "30s" }, tasks = new[] { ProbeTask("slow", new { block = true }) } });
        await Current.NextStartAsync();
        Factory.Time.Advance(TimeSpan.FromSeconds(31));

        // The maintenance loop fails timed-out runs on its own (fake) clock; nudging it along stands for its interval.
        var failed = await WaitForStatusAsync(t.Client, workflow.Str("id"), "failed", () => Factory.Time.Advance(TimeSpan.FromSeconds(1)));

        Assert.That(failed["tasks"]![0].Str("status"), Is.EqualTo("cancelled"), "the running task is stopped with its workflow");
    }

    [Test]
    public async Task CancelWorkflow_Running_HandlerSeesCancellationAndPendingTasksBecomeCancelled()
    {
        var t = await NewTenantAsync();
        var workflow = await CreateAsync(t.Client, new
        {
            name = "cancel me",
            tasks = new[] { ProbeTask("long", new { block = true }), ProbeTask("next", dependencies: ["long"]) },
        });
        Assert.That(await Current.NextStartAsync(), Is.EqualTo("long"));
        await WaitForStatusAsync(t.Client, workflow.Str("id"), "running");

        var (status, body, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{workflow.Str("id")}/cancel");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        // In-process the token fires at once; a heartbeat (on the fake clock) is the slow path that must also reach it.
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!Current.Cancelled.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            await Task.WhenAny(Current.Cancelled.Task, Task.Delay(200));
            if (!Current.Cancelled.Task.IsCompleted) Factory.Time.Advance(TimeSpan.FromSeconds(10));
        }

        Assert.That(await Current.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(1)), Is.EqualTo("long"));
        var (_, after, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{workflow.Str("id")}");
        Assert.That(after.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(after!["tasks"]!.AsArray().Select(x => (x.Str("name"), x.Str("status"))),
            Is.EqualTo(new[] { ("long", "cancelled"), ("next", "cancelled") }));
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "long" }), "a task of a cancelled workflow started");
    }

    [Test]
    public async Task RunWorkflow_SeedExampleOnDemoHandlers_CompletesWithSimulatedResults()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "Data Processing",
            description = "Process daily data files",
            tasks = new object[]
            {
                new { name = "extract_data", type = "etl", payload = new { source_url = "s3://bucket/data.csv", target_url = "postgres://db/staging" }, priority = 1 },
                new { name = "validate_data", type = "generic", dependencies = new[] { "extract_data" }, payload = new { command = "validate_schema" }, priority = 2 },
            },
        });
        // The demo handlers simulate their work on the host's clock.
        var done = await WaitForStatusAsync(t.Client, workflow.Str("id"), "completed", () => Factory.Time.Advance(TimeSpan.FromMilliseconds(250)));

        var tasks = done["tasks"]!.AsArray();
        Assert.That(tasks[0]!["result"]!["simulated"]!.GetValue<bool>(), Is.True);
        Assert.That(tasks[0]!["result"]!["source_url"]!.GetValue<string>(), Is.EqualTo("s3://bucket/data.csv"));
        Assert.That(tasks[1]!["result"]!["command"]!.GetValue<string>(), Is.EqualTo("validate_schema"));
        Assert.That(DateTime.Parse(tasks[1].Str("started_at"), null, System.Globalization.DateTimeStyles.RoundtripKind),
            Is.GreaterThanOrEqualTo(DateTime.Parse(tasks[0].Str("completed_at"), null, System.Globalization.DateTimeStyles.RoundtripKind)));
    }
}
