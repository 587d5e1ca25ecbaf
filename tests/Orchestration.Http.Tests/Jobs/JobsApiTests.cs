using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Jobs;

/// <summary>The job queue API's job endpoints: submit, list, read, cancel, bulk.</summary>
public sealed class JobsApiTests(ApiBackend backend) : JobsFixture(backend)
{
    [Test]
    public async Task Submit_ValidJob_Returns201Pending()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs", Job());

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(Guid.TryParse(body.Str("id"), out _), Is.True);
        Assert.That(body.Str("type"), Is.EqualTo("data-processing"));
        Assert.That(body.Str("status"), Is.EqualTo("pending"));
        Assert.That(body.Str("created_at"), Does.EndWith("Z"));
    }

    [TestCase("type", "has space", "binary_url", "https://example.com/b", "priority", "background")]
    [TestCase("type", "", "binary_url", "https://example.com/b", "priority", "background")]
    [TestCase("binary_url", "ftp://example.com/b", "type", "t", "priority", "background")]
    [TestCase("binary_url", "file:///etc/passwd", "type", "t", "priority", "background")]
    [TestCase("binary_sha256", "abc", "type", "t", "priority", "background")]
    [TestCase("priority", "urgent", "type", "t", "binary_url", "https://example.com/b")]
    public async Task Submit_InvalidField_Returns400NamingField(string field, string value, string otherField, string otherValue, string thirdField, string thirdValue)
    {
        var t = await NewTenantAsync();
        var job = new Dictionary<string, object>
        {
            ["type"] = "t", ["binary_url"] = "https://example.com/b", ["binary_sha256"] = Sha, ["priority"] = "background",
            [otherField] = otherValue, [thirdField] = thirdValue,
        };
        job[field] = value;
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs", job);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain(field));
        Assert.That(body!["context"]!["field"]!.GetValue<string>(), Is.EqualTo(field));
    }

    [TestCase("type")]
    [TestCase("binary_url")]
    [TestCase("binary_sha256")]
    public async Task Submit_MissingRequiredField_Returns400NamingField(string field)
    {
        var t = await NewTenantAsync();
        var job = new Dictionary<string, object> { ["type"] = "t", ["binary_url"] = "https://example.com/b", ["binary_sha256"] = Sha, ["priority"] = "background" };
        job.Remove(field);
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs", job);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["context"]!["field"]!.GetValue<string>(), Is.EqualTo(field));
    }

    [Test]
    public async Task Submit_WithoutPriority_CreatedAsBackground()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs", new { type = "t", binary_url = "https://example.com/b", binary_sha256 = Sha });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{body.Str("id")}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        Assert.That(job.Str("priority"), Is.EqualTo("background"));
    }

    [TestCase(0)]
    [TestCase(-5)]
    [TestCase(7 * 24 * 3600 + 1)]
    public async Task Submit_TimeoutSecondsOutOfRange_Returns400NamingField(int timeout)
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs",
            new { type = "t", binary_url = "https://example.com/b", binary_sha256 = Sha, timeout_seconds = timeout });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["context"]!["field"]!.GetValue<string>(), Is.EqualTo("timeout_seconds"));
    }

    [Test]
    public async Task Submit_TimeoutSeconds_ShownOnTheJob()
    {
        var t = await NewTenantAsync();
        var (_, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs",
            new { type = "t", binary_url = "https://example.com/b", binary_sha256 = Sha, timeout_seconds = 30 });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{body.Str("id")}");

        Assert.That(job!["timeout_seconds"]!.GetValue<int>(), Is.EqualTo(30));
    }

    [Test]
    public async Task Get_SubmittedJob_ReturnsReferenceFields()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        var (status, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(job.Str("binary_url"), Is.EqualTo("https://example.com/binary"));
        Assert.That(job.Str("binary_sha256"), Is.EqualTo(Sha));
        Assert.That(job!["arguments"]!.AsArray().Select(a => a!.GetValue<string>()), Is.EqualTo(new[] { "arg1", "arg2" }));
        Assert.That(job["env_variables"]!["KEY1"]!.GetValue<string>(), Is.EqualTo("value1"));
        Assert.That(job.Str("priority"), Is.EqualTo("background"));
        Assert.That(job.Str("status"), Is.EqualTo("pending"));
        Assert.That(job["attempts"]!.AsArray(), Is.Empty);
        foreach (var field in new[] { "executor_id", "stdout", "stderr", "exit_code", "started_at", "completed_at" })
            Assert.That(job.AsObject().ContainsKey(field), Is.True, field);
    }

    [Test]
    public async Task Get_UnknownOrOtherOrgsJob_Returns404()
    {
        var owner = await NewTenantAsync();
        var other = await NewTenantAsync();
        var id = await SubmitAsync(owner.Client);

        var (foreign, body, _) = await other.Client.GetJsonAsync($"/api/v1/jobs/{id}");
        var (unknown, _, _) = await owner.Client.GetJsonAsync($"/api/v1/jobs/{Guid.NewGuid()}");

        Assert.That(foreign, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.Not.Empty);
        Assert.That(unknown, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task List_Filters_ReturnMatchingJobsOnly()
    {
        var t = await NewTenantAsync();
        var a = await SubmitAsync(t.Client, "resize", "foreground");
        var b = await SubmitAsync(t.Client, "resize", "background");
        var c = await SubmitAsync(t.Client, "encode", "background");
        var claimed = await ClaimAsync(t.Client, "worker-1");
        Assert.That(claimed.Str("id"), Is.EqualTo(a));

        var (_, byType, _) = await t.Client.GetJsonAsync("/api/v1/jobs?type=resize");
        var (_, byPriority, _) = await t.Client.GetJsonAsync("/api/v1/jobs?priority=background");
        var (_, pending, _) = await t.Client.GetJsonAsync("/api/v1/jobs?status=pending");
        var (_, running, _) = await t.Client.GetJsonAsync("/api/v1/jobs?status=running");
        var (_, page, _) = await t.Client.GetJsonAsync("/api/v1/jobs?limit=1&offset=1");

        static string[] Ids(System.Text.Json.Nodes.JsonNode? n) => n!.AsArray().Select(x => x.Str("id")).ToArray();
        Assert.That(Ids(byType), Is.EquivalentTo(new[] { a, b }));
        Assert.That(Ids(byPriority), Is.EquivalentTo(new[] { b, c }));
        Assert.That(Ids(pending), Is.EquivalentTo(new[] { b, c }));
        Assert.That(Ids(running), Is.EqualTo(new[] { a }));
        Assert.That(running![0].Str("executor_id"), Is.EqualTo("worker-1"));
        Assert.That(running[0]!["started_at"], Is.Not.Null);
        Assert.That(Ids(page), Has.Length.EqualTo(1));
    }

    [TestCase("status=done", "status")]
    [TestCase("priority=urgent", "priority")]
    [TestCase("limit=0", "limit")]
    [TestCase("offset=-1", "offset")]
    public async Task List_BadQuery_Returns400NamingParameter(string query, string field)
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.GetJsonAsync("/api/v1/jobs?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["context"]!["field"]!.GetValue<string>(), Is.EqualTo(field));
    }

    [Test]
    public async Task Cancel_PendingJob_Returns204AndJobIsCancelled()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);

        var (status, _, response) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{id}");
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(await response.Content.ReadAsByteArrayAsync(), Is.Empty);
        Assert.That(job.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(await ClaimAsync(t.Client, "worker-1"), Is.Null);
    }

    [Test]
    public async Task Cancel_RunningJob_Returns204_HolderHeartbeatAndCompleteRefused()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");

        var (status, _, _) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{id}");
        var (beat, beatBody, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/heartbeat", new { executor_id = "worker-1" });
        var (complete, _, _) = await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", exit_code = 0 });
        var (_, job, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(beat, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(beatBody!["context"]!["status"]!.GetValue<string>(), Is.EqualTo("cancelled"));
        Assert.That(complete, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(job.Str("status"), Is.EqualTo("cancelled"));
    }

    [Test]
    public async Task Cancel_FinishedJob_Returns400NamingStatus()
    {
        var t = await NewTenantAsync();
        var id = await SubmitAsync(t.Client);
        await ClaimAsync(t.Client, "worker-1");
        await PutAsync(t.Client, $"/api/v1/jobs/{id}/complete", new { executor_id = "worker-1", exit_code = 0 });

        var (status, body, _) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["context"]!["job_id"]!.GetValue<string>(), Is.EqualTo(id));
        Assert.That(body["context"]!["status"]!.GetValue<string>(), Is.EqualTo("completed"));
    }

    [Test]
    public async Task Cancel_UnknownJob_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{Guid.NewGuid()}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task BulkSubmit_OneInvalidItem_OthersCreatedAndItemReported()
    {
        var t = await NewTenantAsync();
        var bad = new { type = "bad type", binary_url = "https://example.com/b", binary_sha256 = Sha, priority = "background" };
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk", new[] { Job("job-1"), bad, Job("job-2", "foreground") });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        var items = body!.AsArray();
        Assert.That(items, Has.Count.EqualTo(3));
        Assert.That(items[0].Str("status"), Is.EqualTo("pending"));
        Assert.That(items[1].Str("status"), Is.EqualTo("rejected"));
        Assert.That(items[1]!["id"], Is.Null);
        Assert.That(items[1]!["context"]!["field"]!.GetValue<string>(), Is.EqualTo("type"));
        Assert.That(items[1]!["context"]!["index"]!.GetValue<string>(), Is.EqualTo("1"));
        var (found, _, _) = await t.Client.GetJsonAsync($"/api/v1/jobs/{items[2].Str("id")}");
        Assert.That(found, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task BulkCancel_MixedIds_CancelsPendingAndRunning_CountsFinishedAndMissingAsFailed()
    {
        var t = await NewTenantAsync();
        var finished = await SubmitAsync(t.Client, priority: "foreground");
        await ClaimAsync(t.Client, "worker-1");
        await PutAsync(t.Client, $"/api/v1/jobs/{finished}/complete", new { executor_id = "worker-1", exit_code = 0 });
        var running = await SubmitAsync(t.Client, priority: "foreground");
        await ClaimAsync(t.Client, "worker-1");
        var a = await SubmitAsync(t.Client);
        var missing = Guid.NewGuid().ToString();

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk/cancel", new { job_ids = new[] { a, running, finished, missing } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["cancelled"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(body["failed"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(body["errors"]!.AsArray().Select(e => e.Str("job_id")), Is.EquivalentTo(new[] { finished, missing }));
    }

    [TestCase("jobs:read", "POST", "/api/v1/jobs")]
    [TestCase("jobs:submit", "GET", "/api/v1/jobs")]
    [TestCase("jobs:read", "POST", "/api/v1/jobs/claim")]
    [TestCase("jobs:*", "GET", "/api/v1/admin/stats")]
    public async Task Endpoint_KeyWithoutItsPermission_Returns403(string permission, string method, string path)
    {
        var t = await NewTenantAsync();
        var client = await KeyForAsync(t.OrgId, [permission]);
        var (status, _, _) = await client.SendAsync(new HttpMethod(method), path, method == "GET" ? null : Job());

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
