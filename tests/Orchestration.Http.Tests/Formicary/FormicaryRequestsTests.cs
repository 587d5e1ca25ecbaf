using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary><c>/api/jobs/requests</c>: submit, the run to COMPLETED with its execution, versions, params, refusals, list, cancel, restart.</summary>
public sealed class FormicaryRequestsTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private IOrchestrationClient Engine => Factory.Services.GetRequiredService<IOrchestrationClient>();

    /// <summary>A job whose one task no handler or executor claims here, so its request stays pending.</summary>
    private static object Unclaimed(string jobType) => new { job_type = jobType, tasks = new[] { new { task_type = "wait", method = "NOBODY_CLAIMS" } } };

    [Test]
    public async Task SubmitRequest_ChainOfTwoTasks_RunsInOrderToCompletedWithExecution()
    {
        var (_, client) = await NewTenantAsync();
        var definition = await SaveAsync(client, ProbeJob("pipeline", "build", "test"));

        var created = await SubmitAsync(client, new { job_type = "pipeline", @params = new { branch = "main" }, job_priority = 5 });
        var done = await WaitForStateAsync(client, created.Str("id"), "COMPLETED");

        Assert.That(created.Str("job_state"), Is.AnyOf("PENDING", "STARTED", "EXECUTING", "COMPLETED"));
        Assert.That(done.Str("job_type"), Is.EqualTo("pipeline"));
        Assert.That(done.Str("job_version"), Is.EqualTo("1"));
        Assert.That(done.Str("job_definition_id"), Is.EqualTo(definition.Str("id")));
        Assert.That(done["job_priority"]!.GetValue<int>(), Is.EqualTo(5));
        Assert.That(done["params"]!.Str("branch"), Is.EqualTo("main"));
        Assert.That(done["error_code"], Is.Null);
        var execution = done["execution"]!;
        Assert.That(execution.Str("job_state"), Is.EqualTo("COMPLETED"));
        var tasks = execution["tasks"]!.AsArray();
        Assert.That(tasks.Select(t => (t.Str("task_type"), t.Str("task_state"))), Is.EqualTo(new[] { ("build", "COMPLETED"), ("test", "COMPLETED") }));
        Assert.That(tasks[0].Str("ant_id"), Is.Not.Empty, "the executor that ran it");
        Assert.That(tasks[0]!["started_at"], Is.Not.Null);
        Assert.That(tasks[0]!["ended_at"], Is.Not.Null);
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "build", "test" }), "on_completed made test wait for build");
    }

    [Test]
    public async Task SubmitRequest_SampleHostDemoMethodFromYaml_RunsOnTheDemoHandlerToCompleted()
    {
        var (_, client) = await NewTenantAsync();
        const string yaml = """
            job_type: demo-report
            tasks:
              - task_type: fetch
                method: ETL
                source_url: "s3://bucket/{{.Month}}.csv"
                duration_ms: 0
                on_completed: announce
              - task_type: announce
                method: GENERIC
                command: "notify {{.Month}}"
                duration_ms: 0
            """;
        var (saved, _, text) = await PostYamlAsync(client, yaml);
        Assert.That(saved, Is.EqualTo(HttpStatusCode.Created), text);

        var created = await SubmitAsync(client, new { job_type = "demo-report", @params = new { Month = "2026-11" } });
        var done = await WaitForStateAsync(client, created.Str("id"), "COMPLETED");

        var tasks = done["execution"]!["tasks"]!.AsArray();
        Assert.That(tasks.Select(t => t.Str("method")), Is.EqualTo(new[] { "etl", "generic" }));
        Assert.That(tasks[0]!["context"]!.Str("source_url"), Is.EqualTo("s3://bucket/2026-11.csv"));
        Assert.That(tasks[1]!["context"]!.Str("command"), Is.EqualTo("notify 2026-11"));
    }

    [Test]
    public async Task SubmitRequest_PinnedJobVersion_RunsThatVersionsTasks()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("versioned"));
        await SaveAsync(client, new { job_type = "versioned", tasks = new[] { new { task_type = "v2-task", method = "NOBODY_CLAIMS" } } }, HttpStatusCode.OK);

        var pinned = await SubmitAsync(client, new { job_type = "versioned", job_version = "1" });
        var pinnedAsNumber = await SubmitAsync(client, new { job_type = "versioned", job_version = 1 });
        var latest = await SubmitAsync(client, new { job_type = "versioned" });
        var (missing, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "versioned", job_version = "3" });

        Assert.That(pinned.Str("job_version"), Is.EqualTo("1"));
        Assert.That(pinned["execution"]!["tasks"]![0].Str("task_type"), Is.EqualTo("wait"));
        Assert.That(pinnedAsNumber.Str("job_version"), Is.EqualTo("1"));
        Assert.That(latest.Str("job_version"), Is.EqualTo("2"));
        Assert.That(latest["execution"]!["tasks"]![0].Str("task_type"), Is.EqualTo("v2-task"));
        Assert.That(missing, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(error.Str("error"), Does.Contain("version 3"));
    }

    [Test]
    public async Task SubmitRequest_TemplatesInTaskFields_RenderedFromParamsThenVariables()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, new
        {
            job_type = "templated",
            job_variables = new { Region = "eu", Greeting = "overridden" },
            tasks = new[]
            {
                new { task_type = "greet", method = "NOBODY_CLAIMS", description = "{{.Greeting}}, {{ .Name }} in {{.Region}} x{{.Count}}", variables = new { Name = "from-variables" } },
            },
        });

        var created = await SubmitAsync(client, new { job_type = "templated", @params = new { Greeting = "Hello", Count = 3 } });

        var tasks = await Engine.Queries.GetRunTasksAsync(orgId, Guid.Parse(created.Str("id")), CancellationToken.None);
        var input = JsonNode.Parse(tasks.Single().InputJson!)!;
        Assert.That(input.Str("description"), Is.EqualTo("Hello, from-variables in eu x3"), "params, then task variables, then job_variables");
        Assert.That(input["params"]!["Count"]!.GetValue<int>(), Is.EqualTo(3), "params also reach the task as input");
        Assert.That(tasks.Single().Type, Is.EqualTo("nobody_claims"), "the method, lower-cased, is the type remote executors claim");
    }

    [Test]
    public async Task SubmitRequest_MissingParameter_400NamingItAndTheField()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new { job_type = "needs", tasks = new[] { new { task_type = "t", method = "PROBE", description = "for {{.Customer}}" } } });

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "needs" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Is.EqualTo("tasks[0].description: missing parameter 'Customer'"));
    }

    [Test]
    public async Task SubmitRequest_TemplateActionBeyondFieldLookup_400()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new { job_type = "logic", tasks = new[] { new { task_type = "t", method = "PROBE", description = "{{ if .X }}y{{ end }}" } } });

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "logic", @params = new { X = true } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("is not supported (only {{.Name}})"));
    }

    [Test]
    public async Task SubmitRequest_ScriptWhileExecIsNotEnabled_400NamingTheReason()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new { job_type = "shell", tasks = new[] { new { task_type = "run", method = "SHELL", script = new[] { "echo hi" } } } });

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "shell" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("tasks[0].script needs the exec task type, which this host has not enabled"));
    }

    [Test]
    public async Task SubmitRequest_ScheduledInTheFuture_PendingUntilThenThenRuns()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, ProbeJob("later", "only"));
        var at = Factory.Time.GetUtcNow().AddHours(1);

        var created = await SubmitAsync(client, new { job_type = "later", scheduled_at = at.ToString("yyyy-MM-ddTHH:mm:ssZ") });
        var (_, before, _) = await client.GetJsonAsync($"/api/jobs/requests/{created.Str("id")}");
        var startsBefore = Current.Starts.Count;
        Factory.Time.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        var done = await WaitForStateAsync(client, created.Str("id"), "COMPLETED");

        Assert.That(before.Str("job_state"), Is.EqualTo("PENDING"));
        Assert.That(before!["execution"]!["tasks"]![0].Str("task_state"), Is.EqualTo("PENDING"), "not claimable before its time");
        Assert.That(startsBefore, Is.Zero);
        Assert.That(DateTimeOffset.Parse(done.Str("scheduled_at"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond))));
        Assert.That(Current.Starts.Single().At, Is.GreaterThanOrEqualTo(at.AddTicks(-(at.Ticks % TimeSpan.TicksPerSecond))), "ran at or after the scheduled time");
    }

    [Test]
    public async Task SubmitRequest_ScheduledInThePast_RunsAtOnce()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, ProbeJob("overdue", "only"));

        var created = await SubmitAsync(client, new { job_type = "overdue", scheduled_at = Factory.Time.GetUtcNow().AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ") });
        var done = await WaitForStateAsync(client, created.Str("id"), "COMPLETED");

        Assert.That(done["scheduled_at"], Is.Not.Null);
    }

    [Test]
    public async Task SubmitRequest_ScheduledMoreThanAYearAhead_400()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("far"));

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "far", scheduled_at = Factory.Time.GetUtcNow().AddDays(400).ToString("yyyy-MM-ddTHH:mm:ssZ") });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("scheduled_at must be at most 366 days ahead"));
    }

    [TestCase("""{"params":{}}""", "job_type is required")]
    [TestCase("""{"job_type":"x","job_version":"abc"}""", "job_version must be a positive whole number")]
    [TestCase("""{"job_type":"x","params":[1]}""", "params must be an object")]
    [TestCase("""{"job_type":"x","scheduled_at":"tomorrow"}""", "scheduled_at must be an RFC 3339 time")]
    [TestCase("""{"job_type":"x","job_priority":5000}""", "job_priority must be between")]
    [TestCase("""not json""", "Malformed JSON")]
    public async Task SubmitRequest_BadBody_400NamingTheProblem(string body, string problem)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task SubmitRequest_UniqueKeyHeldByPendingRequest_200WithTheHolderOr409InConflictMode()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("once"));
        var first = await SubmitAsync(client, new { job_type = "once", unique_key = "nightly-2026-11-30" });

        var (again, holder, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "once", unique_key = "nightly-2026-11-30" });
        var (conflict, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "once", unique_key = "nightly-2026-11-30", on_duplicate = "conflict" });
        var other = await SubmitAsync(client, new { job_type = "once", unique_key = "nightly-2026-12-01" });
        var (_, list, _) = await client.GetJsonAsync("/api/jobs/requests?job_type=once");

        Assert.That(again, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(holder.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(conflict, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Is.EqualTo($"unique key 'nightly-2026-11-30' is held by run {first.Str("id")}"));
        Assert.That(other.Str("id"), Is.Not.EqualTo(first.Str("id")));
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.EqualTo(2));
    }

    [TestCase("""{"job_type":"x","unique_scope":"org"}""", "unique_key is required with the other unique fields")]
    [TestCase("""{"job_type":"x","unique_key":"k","unique_scope":"type"}""", "unique_scope must be org or job_type")]
    [TestCase("""{"job_type":"x","unique_key":"k","on_duplicate":"replace"}""", "on_duplicate must be return_existing or conflict")]
    public async Task SubmitRequest_BadUniqueFields_400NamingTheField(string body, string problem)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task SubmitRequest_UnknownJobType_404()
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "nothing-here" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(error.Str("error"), Is.EqualTo("Job definition 'nothing-here' not found"));
    }

    [Test]
    public async Task ListRequests_FiltersAndPages_FormicaryEnvelope()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("alpha"));
        await SaveAsync(client, new { job_type = "beta", platform = "mac", tasks = new[] { new { task_type = "wait", method = "NOBODY_CLAIMS" } } });
        var a1 = await SubmitAsync(client, new { job_type = "alpha" });
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var a2 = await SubmitAsync(client, new { job_type = "alpha" });
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var b = await SubmitAsync(client, new { job_type = "beta" });
        var (cancelled, _, _) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{a1.Str("id")}/cancel");
        Assert.That(cancelled, Is.EqualTo(HttpStatusCode.OK));

        var (_, alpha, _) = await client.GetJsonAsync("/api/jobs/requests?job_type=alpha&page=0&page_size=1");
        var (_, pending, _) = await client.GetJsonAsync("/api/jobs/requests?job_state=PENDING");
        var (_, mac, _) = await client.GetJsonAsync("/api/jobs/requests?platform=mac");
        var (bad, error, _) = await client.GetJsonAsync("/api/jobs/requests?job_state=DONE");

        Assert.That(alpha!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { a2.Str("id") }), "newest first");
        Assert.That((alpha["total_records"]!.GetValue<int>(), alpha["total_pages"]!.GetValue<int>()), Is.EqualTo((2, 2)));
        Assert.That(alpha["records"]![0]!["execution"], Is.Null, "lists leave the execution out");
        Assert.That(pending!["records"]!.AsArray().Select(r => r.Str("id")), Is.EquivalentTo(new[] { a2.Str("id"), b.Str("id") }));
        Assert.That(mac!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { b.Str("id") }));
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("job_state must be one of PENDING"));
    }

    [Test]
    public async Task CancelRequest_PendingRequest_200EmptyThenCancelledAnd409WhenRepeated()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("stop-me"));
        var created = await SubmitAsync(client, new { job_type = "stop-me" });

        var (status, _, response) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{created.Str("id")}/cancel");
        var (_, read, _) = await client.GetJsonAsync($"/api/jobs/requests/{created.Str("id")}");
        var (again, error, _) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{created.Str("id")}/cancel");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(read.Str("job_state"), Is.EqualTo("CANCELLED"));
        Assert.That(read.Str("error_code"), Is.EqualTo("ERR_JOB_CANCELLED"));
        Assert.That(read!["execution"]!["tasks"]![0].Str("task_state"), Is.EqualTo("CANCELLED"));
        Assert.That(again, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Is.EqualTo("Job request is already finished"));
    }

    [Test]
    public async Task RestartRequest_FailedRequest_200AndItsTaskRunsAgain()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new { job_type = "flaky", retry = 0, tasks = new[] { new { task_type = "once", method = "PROBE", fail_attempts = 100 } } });
        var created = await SubmitAsync(client, new { job_type = "flaky" });
        var failed = await WaitForStateAsync(client, created.Str("id"), "FAILED");
        Assert.That(await Current.NextStartAsync(), Is.EqualTo("once"));

        var (status, _, response) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{created.Str("id")}/restart");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(await Current.NextStartAsync(), Is.EqualTo("once"), "the restarted task ran again");
        await WaitForStateAsync(client, created.Str("id"), "FAILED");
        Assert.That(failed.Str("error_code"), Is.EqualTo("ERR_JOB_FAILED"));
        Assert.That(failed["execution"]!["tasks"]![0].Str("exit_message"), Does.Contain("probe failure on attempt 1"));
    }

    [Test]
    public async Task RestartRequest_CompletedRequest_200AndEveryTaskRunsAgainFromTheFirst()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, ProbeJob("fine", "first", "second"));
        var id = (await SubmitAsync(client, new { job_type = "fine" })).Str("id");
        await WaitForStateAsync(client, id, "COMPLETED");
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "first", "second" }));

        var (status, _, response) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{id}/restart");
        var done = await WaitForStateAsync(client, id, "COMPLETED");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "first", "second", "first", "second" }), "the whole job ran again, in order");
        Assert.That(done["execution"]!["tasks"]!.AsArray().Select(t => t.Str("task_state")), Is.All.EqualTo("COMPLETED"));
    }

    [Test]
    public async Task RestartRequest_PendingRequest_409NamingTheStatesThatRestart()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("not-yet"));
        var created = await SubmitAsync(client, new { job_type = "not-yet" });

        var (status, error, _) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{created.Str("id")}/restart");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Is.EqualTo("Only a COMPLETED, FAILED or CANCELLED job request can be restarted"));
    }

    [TestCase("GET", "")]
    [TestCase("POST", "/cancel")]
    [TestCase("POST", "/restart")]
    public async Task RequestPaths_UnknownOrMalformedId_404(string method, string suffix)
    {
        var (_, client) = await NewTenantAsync();

        var (unknown, error, _) = await client.SendAsync(new HttpMethod(method), $"/api/jobs/requests/{Guid.NewGuid()}{suffix}");
        var (malformed, _, _) = await client.SendAsync(new HttpMethod(method), $"/api/jobs/requests/not-a-uuid{suffix}");

        Assert.That((unknown, malformed), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(error.Str("error"), Is.EqualTo("Job request not found"));
    }

    [Test]
    public async Task RequestPaths_AnotherOrgsRequestOrAnotherFamilysRun_404AndNotListed()
    {
        var (_, owner) = await NewTenantAsync();
        var (_, other) = await NewTenantAsync();
        await SaveAsync(owner, Unclaimed("mine"));
        var id = (await SubmitAsync(owner, new { job_type = "mine" })).Str("id");
        var (_, workflow, _) = await owner.PostJsonAsync("/api/v1/workflows", new { name = "w", tasks = new[] { new { name = "a", type = "nobody" } } });

        var (get, _, _) = await other.GetJsonAsync($"/api/jobs/requests/{id}");
        var (cancel, _, _) = await other.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{id}/cancel");
        var (restart, _, _) = await other.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{id}/restart");
        var (_, list, _) = await other.GetJsonAsync("/api/jobs/requests");
        var (foreign, _, _) = await owner.GetJsonAsync($"/api/jobs/requests/{workflow.Str("id")}");
        var (foreignCancel, _, _) = await owner.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{workflow.Str("id")}/cancel");
        var (workflowsSeeRequest, _, _) = await owner.GetJsonAsync($"/api/v1/workflows/{id}");
        var (_, ownList, _) = await owner.GetJsonAsync("/api/jobs/requests");

        Assert.That(new[] { get, cancel, restart, foreign, foreignCancel, workflowsSeeRequest }, Is.All.EqualTo(HttpStatusCode.NotFound));
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.Zero);
        Assert.That(ownList!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { id }), "the workflow is not a job request");
        var (_, still, _) = await owner.GetJsonAsync($"/api/jobs/requests/{id}");
        Assert.That(still.Str("job_state"), Is.EqualTo("PENDING"));
    }

    [Test]
    public async Task RequestPaths_KeyWithoutThePermission_403()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, Unclaimed("guarded"));
        var id = (await SubmitAsync(client, new { job_type = "guarded" })).Str("id");
        var viewer = await KeyAsync(orgId, ["JobRequest:View", "JobRequest:Query"]);

        var (submit, error, _) = await viewer.PostJsonAsync("/api/jobs/requests", new { job_type = "guarded" });
        var (cancel, _, _) = await viewer.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{id}/cancel");
        var (restart, _, _) = await viewer.SendAsync(HttpMethod.Post, $"/api/jobs/requests/{id}/restart");
        var (get, _, _) = await viewer.GetJsonAsync($"/api/jobs/requests/{id}");
        var (list, _, _) = await viewer.GetJsonAsync("/api/jobs/requests");
        var (definitions, _, _) = await viewer.GetJsonAsync("/api/jobs/definitions");

        Assert.That(new[] { submit, cancel, restart, definitions }, Is.All.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(error.Str("error"), Is.EqualTo("Missing permission 'JobRequest:Submit'"));
        Assert.That((get, list), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
    }
}
