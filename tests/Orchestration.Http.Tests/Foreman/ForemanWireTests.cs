using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

/// <summary>
/// The Foreman API as the real <c>foreman-client</c> (codespin-ai/foreman) speaks it, next to its API reference's wire: both list
/// envelopes in one body, the real server's run-data parameters, unknown parameters refused, capped lists and the
/// Redis-config endpoints this host answers with 501.
/// </summary>
public sealed class ForemanWireTests(ApiBackend backend) : ApiFixture(backend)
{
    /// <summary>What the real client's fetch sends: Content-Type application/json on every call, no body on GET and DELETE.</summary>
    private static async Task<(HttpStatusCode Status, JsonNode? Json)> RealClientAsync(HttpClient client, HttpMethod method, string url, object? body = null)
    {
        using var request = new HttpRequestMessage(method, url)
        {
            Content = new StringContent(body is null ? "" : System.Text.Json.JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    private static string[] Names(JsonNode? node) => node!.AsObject().Select(p => p.Key).ToArray();

    private async Task<(Tenant Tenant, string Run, string Task)> RunWithTaskAsync()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        return (t, run, await CreateTaskAsync(t.Client, run));
    }

    private async Task PutAsync(Tenant t, string run, string task, string key, params string[] tags)
    {
        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Post, $"/api/v1/runs/{run}/data", new { taskId = task, key, value = new { key }, tags });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        Factory.Time.Advance(TimeSpan.FromMilliseconds(10));
    }

    [TestCase("runs")]
    [TestCase("tasks")]
    [TestCase("data")]
    public async Task List_AnyFamilyList_CarriesReferenceAndForemanClientEnvelopes(string list)
    {
        var (t, run, task) = await RunWithTaskAsync();
        await PutAsync(t, run, task, "k");
        var url = list switch { "runs" => "/api/v1/runs?limit=5", "tasks" => $"/api/v1/tasks?runId={run}&limit=5", _ => $"/api/v1/runs/{run}/data?limit=5" };

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, url);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Names(body), Is.EqualTo(new[] { "items", "total", "limit", "offset", "data", "pagination" }));
        Assert.That(Names(body!["pagination"]), Is.EqualTo(new[] { "total", "limit", "offset" }));
        Assert.That(body["data"]!.ToJsonString(), Is.EqualTo(body["items"]!.ToJsonString()));
        Assert.That(body["data"]!.AsArray(), Has.Count.EqualTo(1));
        foreach (var field in new[] { "total", "limit", "offset" })
            Assert.That(body["pagination"]![field]!.GetValue<int>(), Is.EqualTo(body[field]!.GetValue<int>()), field);
        Assert.That(body["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(5));
    }

    [Test]
    public async Task ListRunData_RealServerParameters_FilterAndSortInTheStore()
    {
        var (t, run, task) = await RunWithTaskAsync();
        await PutAsync(t, run, task, "user.name", "profile", "v:1");
        await PutAsync(t, run, task, "user.mail", "profile");
        await PutAsync(t, run, task, "order.1", "v:2");
        await PutAsync(t, run, task, "order.22", "shipping");
        await PutAsync(t, run, task, "total");

        async Task<string[]> Keys(string query)
        {
            var (status, page) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run}/data?{query}");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), page?.ToJsonString());
            return page!["data"]!.AsArray().Select(x => x.Str("key")).ToArray();
        }

        Assert.That(await Keys("keys=total,user.mail&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { "total", "user.mail" }));
        Assert.That(await Keys("keyPattern=order.%3F&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { "order.1" }), "? is one character");
        Assert.That(await Keys("keyPattern=*.*&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { "order.1", "order.22", "user.mail", "user.name" }));
        Assert.That(await Keys("tagStartsWith=v:&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { "order.1", "user.name" }));
        Assert.That(await Keys("tagStartsWith=v:,prof&tagMode=all"), Is.EqualTo(new[] { "user.name" }));
        Assert.That(await Keys("key=total&keyStartsWith=order.&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { "order.1", "order.22", "total" }), "key filters combine with OR");

        // Changing tags moves an entry to the front of updated_at order, not of created_at order.
        var (_, first, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data/user.name");
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var (tagged, _) = await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/runs/{run}/data/{first.Str("id")}/tags", new { add = new[] { "seen" } });
        Assert.That(tagged, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await Keys("sortBy=updated_at&sortOrder=desc&limit=1"))[0], Is.EqualTo("user.name"));
        Assert.That((await Keys("sortBy=created_at&sortOrder=desc&limit=1"))[0], Is.EqualTo("total"));
    }

    [TestCase("/api/v1/runs?sortby=created_at&statuss=running", "statuss")]
    [TestCase("/api/v1/runs?search=x", "search")]
    [TestCase("/api/v1/tasks?sortBy=created_at&order=asc", "order")]
    [TestCase("/api/v1/tasks?type=x", "type")]
    [TestCase("/api/v1/runs/{run}/data?prefix=a", "prefix")]
    [TestCase("/api/v1/runs/{run}/data?tagsStartWith=a", "tagsStartWith")]
    public async Task List_UnknownQueryParameter_Returns400NamingIt(string url, string name)
    {
        var (t, run, _) = await RunWithTaskAsync();

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, url.Replace("{run}", run, StringComparison.Ordinal));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.EqualTo($"Validation failed: {name} is not a query parameter of this endpoint"));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo(name));
    }

    [TestCase("keys", 101)]
    [TestCase("keyStartsWith", 101)]
    [TestCase("keyStartsWith", 999)]
    [TestCase("tags", 101)]
    [TestCase("tagStartsWith", 101)]
    public async Task ListRunData_ListOverCap_Returns400NamingIt(string parameter, int count)
    {
        var (t, run, _) = await RunWithTaskAsync();
        // Short values, so that 999 of them stay under the URL length cap (past it the answer is a 414).
        var values = string.Join(",", Enumerable.Range(0, count).Select(i => "p" + (i % 10)));

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run}/data?{parameter}={values}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.EqualTo($"Validation failed: {parameter} must hold at most 100 values (Orchestration:Limits:MaxQueryListValues)"));
    }

    [TestCase("keys")]
    [TestCase("keyStartsWith")]
    [TestCase("tags")]
    [TestCase("tagStartsWith")]
    public async Task ListRunData_ListAtCap_Returns200(string parameter)
    {
        var (t, run, task) = await RunWithTaskAsync();
        await PutAsync(t, run, task, "p99", "p99");
        var values = string.Join(",", Enumerable.Range(0, 100).Select(i => "p" + i));

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run}/data?{parameter}={values}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        Assert.That(body!["data"]!.AsArray().Select(x => x.Str("key")), Is.EqualTo(new[] { "p99" }));
    }

    [TestCase("key")]
    [TestCase("keyPattern")]
    [TestCase("keys")]
    [TestCase("tagStartsWith")]
    public async Task ListRunData_ValueOver255Characters_Returns400NamingIt(string parameter)
    {
        var (t, run, _) = await RunWithTaskAsync();

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run}/data?{parameter}={new string('k', 256)}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo(parameter));
    }

    [Test]
    public async Task ListRuns_SortByStartedAt_StartedFirstInOrderUnstartedLast()
    {
        var t = await NewTenantAsync();
        var never = await CreateRunAsync(t.Client);
        var first = await CreateRunAsync(t.Client);
        var second = await CreateRunAsync(t.Client);
        foreach (var id in new[] { first, second })
        {
            Factory.Time.Advance(TimeSpan.FromSeconds(1));
            var (patched, _) = await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/runs/{id}", new { status = "running" });
            Assert.That(patched, Is.EqualTo(HttpStatusCode.OK));
        }

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, "/api/v1/runs?sortBy=started_at&sortOrder=asc");
        var (completedStatus, _) = await RealClientAsync(t.Client, HttpMethod.Get, "/api/v1/runs?sortBy=completed_at");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["data"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { first, second, never }));
        Assert.That(completedStatus, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task ListTasks_SortByAndSortOrder_OrderAsAskedOldestFirstByDefault()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var a = await CreateTaskAsync(t.Client, run);
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var b = await CreateTaskAsync(t.Client, run);
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/tasks/{b}", new { status = "running" });

        async Task<string[]> Ids(string query)
        {
            var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/tasks?runId={run}&{query}");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
            return body!["data"]!.AsArray().Select(x => x.Str("id")).ToArray();
        }

        Assert.That(await Ids(""), Is.EqualTo(new[] { a, b }));
        Assert.That(await Ids("sortBy=created_at&sortOrder=desc"), Is.EqualTo(new[] { b, a }));
        Assert.That(await Ids("sortBy=started_at&sortOrder=asc"), Is.EqualTo(new[] { b, a }), "never started comes last");
        var (bad, error) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/tasks?sortBy=priority");
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("sortBy"));
    }

    [Test]
    public async Task GetRun_Finished_CarriesDurationMs()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/runs/{run}", new { status = "running" });
        Factory.Time.Advance(TimeSpan.FromMilliseconds(1500));
        await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/runs/{run}", new { status = "completed" });

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["durationMs"]!.GetValue<long>(), Is.EqualTo(1500));
    }

    [TestCase("/api/v1/config")]
    [TestCase("/api/v1/config/redis")]
    [TestCase("/api/v1/config/queues")]
    public async Task Config_RedisQueueSetup_Returns501SayingTheExecutorProtocolReplacesIt(string path)
    {
        var t = await NewTenantAsync("runs:*", "tasks:*", "rundata:*");
        using var anonymous = Factory.Anonymous();

        var (status, body) = await RealClientAsync(t.Client, HttpMethod.Get, path);
        var (unauthenticated, _) = await RealClientAsync(anonymous, HttpMethod.Get, path);

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotImplemented));
        Assert.That(Names(body), Is.EqualTo(new[] { "error" }));
        Assert.That(body.Str("error"), Does.StartWith("This host has no external queue (Redis/BullMQ) to configure."));
        Assert.That(body.Str("error"), Does.Contain("POST /api/v1/tasks/claim"));
        Assert.That(unauthenticated, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task WorkerWithoutRedis_QueuedForemanTask_ClaimedAndCompletedOverTheExecutorProtocol()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run, type: "resize");
        var (queued, _) = await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/tasks/{task}", new { status = "queued" });

        var (claimStatus, claim, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "worker-1", types = new[] { "resize" }, max = 10, lease_seconds = 60 });
        var claimed = claim!["tasks"]!.AsArray();
        var (running, whileRunning) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/tasks/{task}");
        var (completeStatus, _, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/tasks/{task}/complete", new { lease_token = claimed[0].Str("lease_token"), output = new { width = 640 } });
        var (_, done) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/tasks/{task}");

        Assert.That(queued, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(claimStatus, Is.EqualTo(HttpStatusCode.OK), claim?.ToJsonString());
        Assert.That(claimed.Select(x => x.Str("id")), Is.EqualTo(new[] { task }));
        Assert.That(running, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(whileRunning.Str("status"), Is.EqualTo("running"));
        Assert.That(completeStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(done.Str("status"), Is.EqualTo("completed"));
        Assert.That(done!["outputData"]!["width"]!.GetValue<int>(), Is.EqualTo(640));
    }

    [Test]
    public async Task RealClientFlow_CreateUpdateStoreQueryDelete_EveryCallAnswersAsTheClientExpects()
    {
        var t = await NewTenantAsync("runs:*", "tasks:*", "rundata:*");

        var (created, run) = await RealClientAsync(t.Client, HttpMethod.Post, "/api/v1/runs", new { inputData = new { orderId = "o-1" }, metadata = new { source = "client" } });
        var (taskCreated, task) = await RealClientAsync(t.Client, HttpMethod.Post, "/api/v1/tasks", new { runId = run.Str("id"), type = "process-order", inputData = new { step = 1 }, maxRetries = 2 });
        var (running, _) = await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/tasks/{task.Str("id")}", new { status = "running", queueJobId = "job-1" });
        var (stored, entry) = await RealClientAsync(t.Client, HttpMethod.Post, $"/api/v1/runs/{run.Str("id")}/data", new { taskId = task.Str("id"), key = "result", value = new { ok = true }, tags = new[] { "final" } });
        var (completed, done) = await RealClientAsync(t.Client, HttpMethod.Patch, $"/api/v1/tasks/{task.Str("id")}", new { status = "completed", outputData = new { ok = true } });
        var (got, fetched) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/tasks/{task.Str("id")}");
        var (queried, page) = await RealClientAsync(t.Client, HttpMethod.Get, $"/api/v1/runs/{run.Str("id")}/data?keys=result&tags=final&includeAll=true&limit=10&offset=0&sortBy=created_at&sortOrder=desc");
        var (listed, runs) = await RealClientAsync(t.Client, HttpMethod.Get, "/api/v1/runs?limit=20&offset=0&status=pending&sortBy=created_at&sortOrder=desc");
        var (deleted, removed) = await RealClientAsync(t.Client, HttpMethod.Delete, $"/api/v1/runs/{run.Str("id")}/data?key=result");

        Assert.That((created, taskCreated, running, stored, completed, got, queried, listed, deleted),
            Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.Created, HttpStatusCode.OK,
                HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That(done.Str("status"), Is.EqualTo("completed"));
        Assert.That(fetched.Str("queueJobId"), Is.EqualTo("job-1"));
        Assert.That(fetched!["maxRetries"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page!["data"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { entry.Str("id") }));
        Assert.That(page["pagination"]!["total"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(runs!["data"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { run.Str("id") }));
        Assert.That(removed!["deleted"]!.GetValue<int>(), Is.EqualTo(1));
    }
}
