using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>A definition's <c>max_concurrency</c>, enforced through the per-key limit its requests' tasks carry.</summary>
public sealed class FormicaryMaxConcurrencyTests(ApiBackend backend) : FormicaryFixture(backend)
{
    [Test]
    public async Task SubmitRequest_MaxConcurrencyOneAndTwoRequests_SecondStartsOnlyAfterTheFirstEnds()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new
        {
            job_type = "one-at-a-time",
            max_concurrency = 1,
            tasks = new object[] { new { task_type = "build", method = "PROBE", block = true } },
        });
        var first = await SubmitAsync(client, new { job_type = "one-at-a-time" });
        Assert.That(await Current.NextStartAsync(), Is.EqualTo("build"));

        var second = await SubmitAsync(client, new { job_type = "one-at-a-time" });
        var store = Factory.Services.GetRequiredService<IOrchestrationStore>();
        var stolen = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "test", Types = [ProbeType], Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);
        var (_, waiting, _) = await client.GetJsonAsync($"/api/jobs/requests/{second.Str("id")}");

        Assert.That(stolen, Is.Empty, "the second request's task is held back while the first runs");
        Assert.That(waiting!["execution"]!["tasks"]![0].Str("task_state"), Is.EqualTo("READY"), "nothing else claimed it either");

        Current.Gate("build").SetResult();
        await WaitForStateAsync(client, first.Str("id"), "COMPLETED");
        await WaitForStateAsync(client, second.Str("id"), "COMPLETED");
        Assert.That(Current.Starts, Has.Count.EqualTo(2), "the second request ran once the first ended");
        Assert.That(Current.MaxRunning, Is.EqualTo(1));
    }

    [Test]
    public async Task SubmitRequest_NoMaxConcurrency_RequestsRunTogether()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new
        {
            job_type = "unbounded",
            tasks = new object[] { new { task_type = "build", method = "PROBE", block = true } },
        });
        var first = await SubmitAsync(client, new { job_type = "unbounded" });
        var second = await SubmitAsync(client, new { job_type = "unbounded" });

        Assert.That(await Current.NextStartAsync(), Is.EqualTo("build"));
        Assert.That(await Current.NextStartAsync(), Is.EqualTo("build"), "both started while neither had ended");

        Current.Gate("build").SetResult();
        await WaitForStateAsync(client, first.Str("id"), "COMPLETED");
        await WaitForStateAsync(client, second.Str("id"), "COMPLETED");
    }
}
