using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>Formicary's edges on the engine's routes: on_failed, on_exit_code, allow_failure and always_run, end to end.</summary>
public sealed class FormicaryRoutingTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private static Dictionary<string, JsonNode> Tasks(JsonNode request) =>
        request["execution"]!["tasks"]!.AsArray().ToDictionary(t => t.Str("task_type"), t => t!);

    private static async Task<Dictionary<string, JsonNode>> RunAsync(HttpClient client, object definition, string jobType, string state)
    {
        await SaveAsync(client, definition);
        var created = await SubmitAsync(client, new { job_type = jobType });
        return Tasks(await WaitForStateAsync(client, created.Str("id"), state));
    }

    [Test]
    public async Task SubmitRequest_FirstTaskFails_OnFailedTaskRunsUntakenBranchSkippedAndRequestFailed()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "fails-first",
            tasks = new object[]
            {
                new { task_type = "build", method = "EXIT", fail = true, exit_code = 2, on_completed = "deploy", on_failed = "notify" },
                new { task_type = "deploy", method = "PROBE" },
                new { task_type = "notify", method = "PROBE" },
            },
        }, "fails-first", "FAILED");

        Assert.That(tasks["build"].Str("task_state"), Is.EqualTo("FAILED"));
        Assert.That(tasks["build"]["exit_code"]!.GetValue<int>(), Is.EqualTo(2), "the exit code the handler reported");
        Assert.That(tasks["notify"].Str("task_state"), Is.EqualTo("COMPLETED"));
        Assert.That(tasks["deploy"].Str("task_state"), Is.EqualTo("SKIPPED"), "the on_completed branch was not taken");
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "notify" }));
    }

    [Test]
    public async Task SubmitRequest_ExitCodeMatchesOneEntry_ThatBranchRunsOtherSkippedAndExitCodeShown()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "switch",
            tasks = new object[]
            {
                new { task_type = "check", method = "EXIT", exit_code = 3, on_exit_code = new Dictionary<string, string> { ["3"] = "triage", ["4"] = "escalate" } },
                new { task_type = "triage", method = "PROBE" },
                new { task_type = "escalate", method = "PROBE" },
            },
        }, "switch", "COMPLETED");

        Assert.That(tasks["check"]["exit_code"]!.GetValue<int>(), Is.EqualTo(3));
        Assert.That(tasks["triage"].Str("task_state"), Is.EqualTo("COMPLETED"));
        Assert.That(tasks["escalate"].Str("task_state"), Is.EqualTo("SKIPPED"));
    }

    [Test]
    public async Task SubmitRequest_ExitCodeStatusKeyFailed_RoutesLikeOnFailed()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "status-keys",
            tasks = new object[]
            {
                new { task_type = "check", method = "EXIT", fail = true, on_exit_code = new Dictionary<string, string> { ["COMPLETED"] = "ship", ["FAILED"] = "report" } },
                new { task_type = "ship", method = "PROBE" },
                new { task_type = "report", method = "PROBE" },
            },
        }, "status-keys", "FAILED");

        Assert.That((tasks["ship"].Str("task_state"), tasks["report"].Str("task_state")), Is.EqualTo(("SKIPPED", "COMPLETED")));
    }

    [Test]
    public async Task SubmitRequest_AllowFailureTaskFails_ContinuesOnCompletedPathToCompleted()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "tolerant",
            tasks = new object[]
            {
                new { task_type = "lint", method = "EXIT", fail = true, exit_code = 1, allow_failure = true, on_completed = "build", on_failed = "notify" },
                new { task_type = "build", method = "PROBE" },
                new { task_type = "notify", method = "PROBE" },
            },
        }, "tolerant", "COMPLETED");

        Assert.That(tasks["lint"].Str("task_state"), Is.EqualTo("FAILED"), "the failure stays visible");
        Assert.That(tasks["build"].Str("task_state"), Is.EqualTo("COMPLETED"));
        Assert.That(tasks["notify"].Str("task_state"), Is.EqualTo("SKIPPED"), "an allowed failure does not take on_failed");
    }

    [Test]
    public async Task SubmitRequest_AlwaysRunAfterFailure_RunsLastAndRequestFailed()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "cleanup",
            tasks = new object[]
            {
                new { task_type = "build", method = "EXIT", fail = true, on_completed = "deploy" },
                new { task_type = "deploy", method = "PROBE", on_completed = "teardown" },
                new { task_type = "teardown", method = "PROBE", always_run = true },
            },
        }, "cleanup", "FAILED");

        Assert.That(tasks["deploy"].Str("task_state"), Is.EqualTo("SKIPPED"));
        Assert.That(tasks["teardown"].Str("task_state"), Is.EqualTo("COMPLETED"));
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "teardown" }));
    }

    [Test]
    public async Task SubmitRequest_AlwaysRunAfterSuccess_RunsAfterTheLastTask()
    {
        var (_, client) = await NewTenantAsync();

        var tasks = await RunAsync(client, new
        {
            job_type = "cleanup-ok",
            tasks = new object[]
            {
                new { task_type = "build", method = "PROBE", on_completed = "deploy" },
                new { task_type = "deploy", method = "PROBE" },
                new { task_type = "teardown", method = "PROBE", always_run = true },
            },
        }, "cleanup-ok", "COMPLETED");

        Assert.That(tasks.Values.Select(t => t.Str("task_state")), Is.All.EqualTo("COMPLETED"));
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "build", "deploy", "teardown" }));
    }

    [Test]
    public async Task SubmitRequest_FirstTaskMarkedAlwaysRun_OtherAlwaysRunTaskStillWaitsForTheMainGraph()
    {
        var (_, client) = await NewTenantAsync();

        await RunAsync(client, new
        {
            job_type = "first-always",
            tasks = new object[]
            {
                new { task_type = "setup", method = "PROBE", always_run = true, on_completed = "work" },
                new { task_type = "work", method = "PROBE" },
                new { task_type = "teardown", method = "PROBE", always_run = true },
            },
        }, "first-always", "COMPLETED");

        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "setup", "work", "teardown" }));
    }

    [TestCase("""{"RESTART":"b"}""", "tasks[0].on_exit_code.RESTART keys must be exit codes")]
    [TestCase("""{"2":"nowhere"}""", "tasks[0].on_exit_code.2 names no task of this job: 'nowhere'")]
    [TestCase("""{"2":5}""", "tasks[0].on_exit_code.2 must name a task of this job")]
    public async Task SaveDefinition_BadOnExitCode_400NamingTheEntry(string onExitCode, string problem)
    {
        var (_, client) = await NewTenantAsync();
        var body = $$"""{"job_type":"bad-exit","tasks":[{"task_type":"a","method":"PROBE","on_exit_code":{{onExitCode}}},{"task_type":"b","method":"PROBE"}]}""";

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/definitions", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task SubmitRequest_EdgeBackToTheFirstTask_400Cycle()
    {
        var (_, client) = await NewTenantAsync();
        await SaveAsync(client, new
        {
            job_type = "loop",
            tasks = new object[] { new { task_type = "a", method = "PROBE", on_completed = "b" }, new { task_type = "b", method = "PROBE", on_failed = "a" } },
        });

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "loop" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("a cycle"));
    }
}
