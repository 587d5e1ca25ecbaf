using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;
using Snapshooter.NUnit;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>FlowCtl's workflows endpoints: status codes, bodies, defaults, validation and paging.</summary>
public sealed class WorkflowsApiTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    // A type no handler is registered for: its tasks stay queued, so the workflow stays pending while the test reads it.
    private const string Unhandled = "report";

    private static object Seed(string type = Unhandled) => new
    {
        name = "Data Processing",
        description = "Process daily data files",
        tasks = new object[]
        {
            new { name = "extract_data", type, payload = new { source_url = "s3://bucket/data.csv", target_url = "postgres://db/staging" }, priority = 1 },
            new { name = "validate_data", type, dependencies = new[] { "extract_data" }, payload = new { command = "validate_schema" }, priority = 2 },
        },
    };

    [Test]
    public async Task CreateWorkflow_SeedExample_Returns201WithSeedDefaultsVisible()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, Seed());

        Assert.That(workflow.Str("status"), Is.EqualTo("pending"));
        Assert.That(workflow.Str("description"), Is.EqualTo("Process daily data files"));
        Assert.That(workflow["config"]!.ToJsonString(), Is.EqualTo("""{"max_concurrency":10,"timeout":"1h","retry_policy":{"max_attempts":3,"initial_delay":"1s","max_delay":"5m","backoff_factor":2}}"""));
        var tasks = workflow["tasks"]!.AsArray();
        Assert.That(tasks.Select(x => x.Str("name")), Is.EqualTo(new[] { "extract_data", "validate_data" }));
        Assert.That(tasks.Select(x => x!["max_retries"]!.GetValue<int>()), Is.EqualTo(new[] { 3, 3 }));
        Assert.That(tasks.Select(x => x!["priority"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(tasks.Select(x => x.Str("workflow_id")), Is.All.EqualTo(workflow.Str("id")));
        Assert.That(tasks[1]!["dependencies"]!.ToJsonString(), Is.EqualTo("""["extract_data"]"""));
        Assert.That(tasks[1]!["payload"]!.ToJsonString(), Is.EqualTo("""{"command":"validate_schema"}"""));
    }

    [Test]
    public async Task CreateWorkflow_SeedExample_MatchesSnapshot()
    {
        var t = await NewTenantAsync();
        Snapshot.Match(SnapshotJson.Normalise(await CreateAsync(t.Client, Seed())));
    }

    [Test]
    public async Task CreateWorkflow_ExplicitConfig_AppliedAndDurationsFormattedBack()
    {
        var t = await NewTenantAsync();

        var workflow = await CreateAsync(t.Client, new
        {
            name = "tuned",
            config = new { max_concurrency = 3, timeout = "1h30m", retry_policy = new { max_attempts = 5, initial_delay = "10ms", max_delay = "2m30s", backoff_factor = 1.5 } },
            tasks = new object[] { new { name = "a", type = Unhandled }, new { name = "b", type = Unhandled, max_retries = 0, priority = 7 } },
        });

        Assert.That(workflow["config"]!.ToJsonString(), Is.EqualTo("""{"max_concurrency":3,"timeout":"1h30m","retry_policy":{"max_attempts":5,"initial_delay":"10ms","max_delay":"2m30s","backoff_factor":1.5}}"""));
        var tasks = workflow["tasks"]!.AsArray();
        Assert.That(tasks[0]!["max_retries"]!.GetValue<int>(), Is.EqualTo(5), "the policy's attempts apply to a task without max_retries");
        Assert.That(tasks[1]!["max_retries"]!.GetValue<int>(), Is.EqualTo(0), "a task's max_retries overrides the policy");
        Assert.That(tasks[1]!["priority"]!.GetValue<int>(), Is.EqualTo(7));
    }

    [TestCase("""{"tasks":[]}""", "name is required")]
    [TestCase("""{"name":"w","tasks":[{"name":"a"}]}""", "tasks[0].type is required")]
    [TestCase("""{"name":"w","tasks":[{"type":"etl"}]}""", "tasks[0].name is required")]
    [TestCase("""{"name":"w","tasks":[{"name":"a","type":"etl","dependencies":["ghost"]}]}""", "depends on unknown task 'ghost'")]
    [TestCase("""{"name":"w","tasks":[{"name":"a","type":"etl","dependencies":["b"]},{"name":"b","type":"etl","dependencies":["a"]}]}""", "dependency cycle")]
    [TestCase("""{"name":"w","tasks":[{"name":"a","type":"etl"},{"name":"a","type":"etl"}]}""", "duplicate task name 'a'")]
    [TestCase("""{"name":"w","config":{"timeout":"5x"}}""", "config.timeout must be a duration")]
    [TestCase("""{"name":"w","config":{"timeout":"1.5h"}}""", "config.timeout must be a duration")]
    [TestCase("""{"name":"w","config":{"timeout":"-1s"}}""", "config.timeout must be a duration")]
    [TestCase("""{"name":"w","config":{"timeout":"0s"}}""", "config.timeout must be positive")]
    [TestCase("""{"name":"w","config":{"timeout":"9999h"}}""", "config.timeout must be at most 720h")]
    [TestCase("""{"name":"w","config":{"timeout":"5m1h"}}""", "config.timeout must be a duration")]
    [TestCase("""{"name":"w","config":{"retry_policy":{"initial_delay":"1m","max_delay":"1s"}}}""", "config.retry_policy.max_delay must be at least initial_delay")]
    [TestCase("""{"name":"w","config":{"retry_policy":{"backoff_factor":0.5}}}""", "config.retry_policy.backoff_factor must be between 1 and 100")]
    [TestCase("""{"name":"w","config":{"retry_policy":{"max_attempts":-1}}}""", "config.retry_policy.max_attempts must be between 0 and 100")]
    [TestCase("""{"name":"w","config":{"max_concurrency":0}}""", "config.max_concurrency must be between 1 and 1000")]
    [TestCase("""{"name":"w","tasks":[{"name":"a","type":"etl","max_retries":101}]}""", "tasks[0].max_retries must be between 0 and 100")]
    [TestCase("""{"name":"w","tasks":[{"name":"a","type":"etl","priority":1001}]}""", "tasks[0].priority must be between -1000 and 1000")]
    [TestCase("""{"name":"w","tasks":[null]}""", "tasks[0] must be an object")]
    public async Task CreateWorkflow_InvalidWorkflow_Returns422NamingTheProblem(string body, string expected)
    {
        var t = await NewTenantAsync();

        var (status, error, _) = await t.Client.PostJsonAsync("/api/v1/workflows", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(expected));
        var (_, list, _) = await t.Client.GetJsonAsync("/api/v1/workflows");
        Assert.That(list!["total"]!.GetValue<int>(), Is.Zero, "a refused workflow was created");
    }

    [Test]
    public async Task CreateWorkflow_OverTheLimits_Returns422NamingTheLimit()
    {
        var t = await NewTenantAsync();
        var tooMany = Enumerable.Range(0, 1001).Select(i => new { name = $"t{i}", type = "etl" }).ToArray();

        var (manyStatus, many, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new { name = "w", tasks = tooMany });
        var (longStatus, longName, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new { name = new string('n', 256) });
        var (descStatus, desc, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new { name = "w", description = new string('d', 4097) });

        Assert.That((manyStatus, longStatus, descStatus), Is.EqualTo((HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity)));
        Assert.That(many.Str("error"), Does.Contain("tasks must list at most 1000 tasks"));
        Assert.That(longName.Str("error"), Does.Contain("name must be at most 255 characters"));
        Assert.That(desc.Str("error"), Does.Contain("description must be at most 4096 characters"));
    }

    [TestCase("{\"name\": ")]
    [TestCase("not json")]
    [TestCase("""{"name":"w","config":{"max_concurrency":"ten"}}""")]
    public async Task CreateWorkflow_MalformedJson_Returns400(string body)
    {
        var t = await NewTenantAsync();

        var (status, error, _) = await t.Client.PostJsonAsync("/api/v1/workflows", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Is.Not.Empty);
    }

    [Test]
    public async Task GetWorkflow_Created_ReturnsItWithTasks()
    {
        var t = await NewTenantAsync();
        var created = await CreateAsync(t.Client, Seed());

        var (status, workflow, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{created.Str("id")}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(workflow.Str("name"), Is.EqualTo("Data Processing"));
        Assert.That(workflow!["tasks"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(workflow["config"]!.ToJsonString(), Is.EqualTo(created["config"]!.ToJsonString()));
    }

    [TestCase("not-a-uuid")]
    [TestCase("0190a8a8-0000-7000-8000-000000000000")]
    public async Task WorkflowPaths_UnknownId_Return404WithError(string id)
    {
        var t = await NewTenantAsync();

        var (get, getBody, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{id}");
        var (tasks, _, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{id}/tasks");
        var (cancel, _, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{id}/cancel");

        Assert.That((get, tasks, cancel), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(getBody.Str("error"), Is.EqualTo("Workflow not found"));
    }

    [Test]
    public async Task ListWorkflows_Pages_ReturnsEnvelopeWithTotalPages()
    {
        var t = await NewTenantAsync();
        for (var i = 0; i < 3; i++) await CreateAsync(t.Client, new { name = $"w{i}", tasks = new[] { new { name = "a", type = Unhandled } } });

        var (_, first, _) = await t.Client.GetJsonAsync("/api/v1/workflows");
        var (_, second, _) = await t.Client.GetJsonAsync("/api/v1/workflows?page=2&limit=2");
        var (_, clamped, _) = await t.Client.GetJsonAsync("/api/v1/workflows?limit=1000");

        Assert.That(first!["limit"]!.GetValue<int>(), Is.EqualTo(10));
        Assert.That(first["page"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(first["total"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(first["total_pages"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(first["workflows"]!.AsArray().Select(w => w.Str("name")), Is.EqualTo(new[] { "w2", "w1", "w0" }), "newest first");
        Assert.That(first["workflows"]![0]!["tasks"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(second!["workflows"]!.AsArray().Select(w => w.Str("name")), Is.EqualTo(new[] { "w0" }));
        Assert.That((second["page"]!.GetValue<int>(), second["limit"]!.GetValue<int>(), second["total_pages"]!.GetValue<int>()), Is.EqualTo((2, 2, 2)));
        Assert.That(clamped!["limit"]!.GetValue<int>(), Is.EqualTo(100));
    }

    [Test]
    public async Task ListWorkflows_StatusFilter_ReturnsOnlyThatStatus()
    {
        var t = await NewTenantAsync();
        var pending = await CreateAsync(t.Client, new { name = "pending", tasks = new[] { new { name = "a", type = Unhandled } } });
        var cancelled = await CreateAsync(t.Client, new { name = "cancelled", tasks = new[] { new { name = "a", type = Unhandled } } });
        await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{cancelled.Str("id")}/cancel");

        var (_, onlyPending, _) = await t.Client.GetJsonAsync("/api/v1/workflows?status=pending");
        var (_, onlyCancelled, _) = await t.Client.GetJsonAsync("/api/v1/workflows?status=cancelled");

        Assert.That(onlyPending!["workflows"]!.AsArray().Select(w => w.Str("id")), Is.EqualTo(new[] { pending.Str("id") }));
        Assert.That(onlyCancelled!["workflows"]!.AsArray().Select(w => w.Str("id")), Is.EqualTo(new[] { cancelled.Str("id") }));
    }

    [Test]
    public async Task ListWorkflows_PayloadsOverThePageBudget_ListEveryTaskWithMarkersOncePastIt()
    {
        await using var factory = new ApiFactory(Backend, new Dictionary<string, string?>
        {
            ["Orchestration:Limits:MaxListResponseBytes"] = "2048",
            ["Orchestration:Limits:MaxListPayloadBytes"] = "1024",
        });
        using var client = factory.WithKey(ApiFactory.BootstrapKey);
        var big = new string('x', 900);
        foreach (var name in new[] { "older", "newer" })
            await CreateAsync(client, new { name, tasks = new[] { new { name = "a", type = Unhandled, payload = new { big } }, new { name = "b", type = Unhandled, payload = new { big } } } });

        var (status, list, _) = await client.GetJsonAsync("/api/v1/workflows");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var workflows = list!["workflows"]!.AsArray();
        Assert.That(workflows.Select(w => w!["tasks"]!.AsArray().Count), Is.EqualTo(new[] { 2, 2 }), "no task is dropped from a listed workflow");
        Assert.That(workflows[0]!["tasks"]!.AsArray().Select(x => x!["payload"]!["big"]?.GetValue<string>()), Is.All.EqualTo(big));
        Assert.That(workflows[1]!["tasks"]!.AsArray().Select(x => x!["payload"]!["omitted"]?.GetValue<bool>()), Is.All.True, "past the page budget payloads are markers");
        var (_, full, _) = await client.GetJsonAsync($"/api/v1/workflows/{workflows[1].Str("id")}");
        Assert.That(full!["tasks"]![0]!["payload"]!["big"]!.GetValue<string>(), Is.EqualTo(big));
    }

    [TestCase("status=paused", "status")]
    [TestCase("page=0", "page")]
    [TestCase("page=abc", "page")]
    [TestCase("limit=-1", "limit")]
    public async Task ListWorkflows_BadQuery_Returns400NamingTheParameter(string query, string field)
    {
        var t = await NewTenantAsync();

        var (status, error, _) = await t.Client.GetJsonAsync("/api/v1/workflows?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain(field));
    }

    [Test]
    public async Task WorkflowTasks_Created_ReturnsTasksEnvelope()
    {
        var t = await NewTenantAsync();
        var created = await CreateAsync(t.Client, Seed());

        var (status, body, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{created.Str("id")}/tasks");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "tasks" }));
        Assert.That(body["tasks"]!.AsArray().Select(x => x.Str("status")), Is.All.EqualTo("pending"));
        Assert.That(body["tasks"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(created["tasks"]!.AsArray().Select(x => x.Str("id"))));
    }

    [Test]
    public async Task CancelWorkflow_Pending_ReturnsMessageAndCancelsEveryTask()
    {
        var t = await NewTenantAsync();
        var created = await CreateAsync(t.Client, Seed());

        var (status, body, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{created.Str("id")}/cancel");
        var (again, againBody, _) = await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{created.Str("id")}/cancel");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!.ToJsonString(), Is.EqualTo("""{"message":"Workflow cancelled"}"""));
        var (_, workflow, _) = await t.Client.GetJsonAsync($"/api/v1/workflows/{created.Str("id")}");
        Assert.That(workflow.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(workflow!["tasks"]!.AsArray().Select(x => x.Str("status")), Is.All.EqualTo("cancelled"));
        Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict), "terminal is final");
        Assert.That(againBody.Str("error"), Is.EqualTo("Workflow is already finished"));
    }

    [Test]
    public async Task WorkflowsEndpoints_Permissions_ReadKeyReadsWriteKeyWritesOthersGet403()
    {
        var t = await NewTenantAsync();
        var reader = await KeyAsync(t.OrgId, ["workflows:read"]);
        var writer = await KeyAsync(t.OrgId, ["workflows:write"]);
        var foremanOnly = await KeyAsync(t.OrgId, ["runs:*", "tasks:*"]);
        var created = await CreateAsync(writer, Seed());
        var id = created.Str("id");

        var (readerCreate, readerCreateBody, _) = await reader.PostJsonAsync("/api/v1/workflows", Seed());
        var (readerGet, _, _) = await reader.GetJsonAsync($"/api/v1/workflows/{id}");
        var (readerCancel, _, _) = await reader.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{id}/cancel");
        var (writerList, _, _) = await writer.GetJsonAsync("/api/v1/workflows");
        var (foremanList, _, _) = await foremanOnly.GetJsonAsync("/api/v1/workflows");

        Assert.That(readerCreate, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(readerCreateBody.Str("error"), Is.EqualTo("Missing permission 'workflows:write'"));
        Assert.That(readerGet, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(readerCancel, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(writerList, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(foremanList, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task CreateApiKey_WorkflowsWildcard_GrantsEveryWorkflowsEndpoint()
    {
        var t = await NewTenantAsync();
        var all = await KeyAsync(t.OrgId, ["workflows:*"]);

        var created = await CreateAsync(all, Seed());
        var (get, _, _) = await all.GetJsonAsync($"/api/v1/workflows/{created.Str("id")}");
        var (cancel, _, _) = await all.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{created.Str("id")}/cancel");

        Assert.That((get, cancel), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
    }

    [Test]
    public async Task EveryFamily_Responses_CarryRateLimitHeaders()
    {
        var t = await NewTenantAsync();

        foreach (var path in new[] { "/api/v1/workflows", "/api/v1/runs", "/api/v1/jobs", "/api/v1/metrics" })
        {
            var (status, _, response) = await t.Client.GetJsonAsync(path);
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), path);
            foreach (var header in new[] { "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset" })
                Assert.That(response.Headers.Contains(header), Is.True, $"{path} lacks {header}");
        }

        var (_, _, created) = await t.Client.PostJsonAsync("/api/v1/workflows", Seed());
        var (_, _, refused) = await t.Client.PostJsonAsync("/api/v1/workflows", new { tasks = Array.Empty<object>() });
        Assert.That(created.Headers.Contains("X-RateLimit-Remaining") && refused.Headers.Contains("X-RateLimit-Remaining"), Is.True);
    }
}
