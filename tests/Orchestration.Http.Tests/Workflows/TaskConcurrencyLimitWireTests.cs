using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>The task-carried concurrency limit on the workflows API (<c>concurrency_limit</c>) and the Foreman API (<c>concurrencyLimit</c>).</summary>
public sealed class TaskConcurrencyLimitWireTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    [Test]
    public async Task CreateWorkflow_TasksWithConcurrencyLimitOne_RunOneAtATime()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new
        {
            name = "sync",
            tasks = new object[]
            {
                new { name = "a", type = ProbeType, payload = new { block = true }, concurrency_key = "crm:{org}", concurrency_limit = 1 },
                new { name = "b", type = ProbeType, payload = new { block = true }, concurrency_key = "crm:{org}", concurrency_limit = 1 },
            },
        });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        var first = await Current.NextStartAsync();

        var store = Factory.Services.GetRequiredService<IOrchestrationStore>();
        var stolen = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "test", Types = [ProbeType], Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);
        Assert.That(stolen, Is.Empty, "the other task is held back while the first runs");
        Current.Gate(first).SetResult();
        var second = await Current.NextStartAsync();
        Current.Gate(second).SetResult();

        Assert.That(new[] { first, second }, Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(Current.MaxRunning, Is.EqualTo(1));
    }

    [Test]
    public async Task CreateWorkflow_ConcurrencyLimitWithoutKey_Returns422NamingTheField()
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new
        {
            name = "sync",
            tasks = new object[] { new { name = "a", type = ProbeType, concurrency_limit = 1 } },
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), body?.ToJsonString());
        Assert.That(body!.ToJsonString(), Does.Contain("concurrency_limit").And.Contain("needs concurrency_key"));
    }

    [Test]
    public async Task CreateTask_ForemanConcurrencyLimitOutOfRange_Returns400NamingTheField()
    {
        var t = await NewTenantAsync();
        var (_, run, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = new { x = 1 } });

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run.Str("id"), type = "render", concurrencyKey = "customer:1", concurrencyLimit = 0 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        Assert.That(body!.ToJsonString(), Does.Contain("concurrencyLimit").And.Contain("between 1 and 10000"));
    }
}
