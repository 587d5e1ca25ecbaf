using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>The error answers of the executor protocols, the job queue's bulk calls and the Foreman writes: each refusal is a 4xx naming what was wrong, and nothing changes.</summary>
public sealed class ErrorPathTests(ApiBackend backend) : ApiFixture(backend)
{
    private static readonly string Sha = new('a', 64);

    private static object Job(string type = "error-paths") => new { type, binary_url = "https://example.com/b", binary_sha256 = Sha };

    [Test]
    public async Task TasksFail_StaleLeaseToken_Returns409AndTaskKeepsRunning()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var type = "stale-" + Guid.NewGuid().ToString("N")[..8];
        var task = await CreateTaskAsync(t.Client, run, type);
        await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { status = "queued" });
        var (claimStatus, claimed, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w1", types = new[] { type } });
        Assert.That(claimStatus, Is.EqualTo(HttpStatusCode.OK), claimed?.ToJsonString());

        var (status, body, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/tasks/{task}/fail", new { lease_token = Guid.NewGuid(), error = "late", retryable = false });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), body?.ToJsonString());
        Assert.That(body.Str("error"), Is.Not.Empty);
        var (_, after, _) = await t.Client.GetJsonAsync($"/api/v1/tasks/{task}");
        Assert.That(after.Str("status"), Is.EqualTo("running"));
    }

    [Test]
    public async Task JobsBulk_EmptyList_Returns400NamingJobs()
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk", Array.Empty<object>());

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("jobs"));
    }

    [Test]
    public async Task JobsBulk_OverTheCap_Returns400AndCreatesNothing()
    {
        var t = await NewTenantAsync();
        var type = "bulk-cap-" + Guid.NewGuid().ToString("N")[..8];

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk", Enumerable.Range(0, 1001).Select(_ => Job(type)).ToArray());

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("at most 1000"));
        var (_, list, _) = await t.Client.GetJsonAsync($"/api/v1/jobs?type={type}");
        Assert.That(list!.ToJsonString(), Does.Not.Contain(type), "part of an over-cap batch was created");
    }

    [Test]
    public async Task JobsBulk_EveryItemRejected_Returns400WithEachItemInItsPlace()
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk", new object[]
        {
            new { type = "x", binary_url = "https://example.com/b" },
            new { binary_url = "https://example.com/b", binary_sha256 = Sha },
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        var items = body!.AsArray();
        Assert.That(items, Has.Count.EqualTo(2));
        Assert.That(items.Select(i => i.Str("status")), Is.All.EqualTo("rejected"));
        Assert.That(items[0]!.ToJsonString(), Does.Contain("binary_sha256"));
        Assert.That(items[1]!.ToJsonString(), Does.Contain("type"));
    }

    [TestCase("/api/v1/jobs/claim")]
    [TestCase("/api/v1/tasks/claim")]
    public async Task Claim_MissingExecutorId_Returns400NamingIt(string path)
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync(path, new { types = new[] { "x" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("executor_id"));
    }

    [Test]
    public async Task JobsHeartbeat_MissingExecutorId_Returns400AndLeaseUntouched()
    {
        var t = await NewTenantAsync();
        var (_, submitted, _) = await t.Client.PostJsonAsync("/api/v1/jobs", Job());
        var (_, claimed, _) = await t.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "hb-1" });
        Assert.That(claimed.Str("id"), Is.EqualTo(submitted.Str("id")));

        var (status, body, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/jobs/{submitted.Str("id")}/heartbeat", new { });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("executor_id"));
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{submitted.Str("id")}");
        Assert.That(job.Str("status"), Is.EqualTo("running"));
        Assert.That(job.Str("executor_id"), Is.EqualTo("hb-1"));
    }

    [TestCase(0)]
    [TestCase(101)]
    public async Task TasksClaim_MaxOutOfRange_Returns400NamingMax(int max)
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = new[] { "x" }, max });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("max"));
    }

    [TestCase(0)]
    [TestCase(3601)]
    public async Task TasksClaim_LeaseSecondsOutOfRange_Returns400NamingLeaseSeconds(int seconds)
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = new[] { "x" }, lease_seconds = seconds });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("lease_seconds"));
    }

    [Test]
    public async Task ChangeTags_AddIsNotAList_Returns400AndTagsKept()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        var (_, entry, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { taskId = task, key = "k", value = 1, tags = new[] { "keep" } });

        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}/data/{entry.Str("id")}/tags", new { add = "not-a-list" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        var (_, list, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?key=k");
        Assert.That(list!["items"]![0]!["tags"]!.AsArray().Select(x => x!.GetValue<string>()), Is.EqualTo(new[] { "keep" }));
    }

    [Test]
    public async Task PatchRun_UnknownStatus_Returns400NamingStatus()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);

        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "exploded" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!.ToJsonString(), Does.Contain("status"));
    }

    [Test]
    public async Task PatchRun_CompletedBackToRunning_Returns409AndStaysCompleted()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (done, _, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "completed" });
        Assert.That(done, Is.EqualTo(HttpStatusCode.OK));

        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}", new { status = "running" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict), body?.ToJsonString());
        var (_, after, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}");
        Assert.That(after.Str("status"), Is.EqualTo("completed"));
    }
}
