using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>A matching <c>on_exit_code</c> entry is followed instead of <c>on_completed</c> / <c>on_failed</c>, as in Formicary.</summary>
public sealed class FormicaryExitCodePrecedenceTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private static object Job(string jobType, int exitCode, bool fail) => new
    {
        job_type = jobType,
        tasks = new object[]
        {
            new
            {
                task_type = "check", method = "EXIT", exit_code = exitCode, fail,
                on_completed = "ship", on_failed = "report", on_exit_code = new Dictionary<string, string> { ["3"] = "triage" },
            },
            new { task_type = "ship", method = "PROBE" },
            new { task_type = "report", method = "PROBE" },
            new { task_type = "triage", method = "PROBE" },
        },
    };

    private async Task<Dictionary<string, string>> StatesAsync(int exitCode, bool fail, string expected)
    {
        var (_, client) = await NewTenantAsync();
        var jobType = $"precedence-{exitCode}-{fail}".ToLowerInvariant();
        await SaveAsync(client, Job(jobType, exitCode, fail));
        var created = await SubmitAsync(client, new { job_type = jobType });
        var done = await WaitForStateAsync(client, created.Str("id"), expected);
        return done["execution"]!["tasks"]!.AsArray().ToDictionary(t => t.Str("task_type"), t => t.Str("task_state"));
    }

    [Test]
    public async Task SubmitRequest_CompletedWithAMatchedExitCode_OnlyTheExitCodeBranchRuns()
    {
        var states = await StatesAsync(3, fail: false, "COMPLETED");

        Assert.That((states["triage"], states["ship"], states["report"]), Is.EqualTo(("COMPLETED", "SKIPPED", "SKIPPED")));
        Assert.That(Current.Starts.Select(s => s.Name), Is.EqualTo(new[] { "triage" }), "on_completed's task never started");
    }

    [Test]
    public async Task SubmitRequest_CompletedWithAnUnmatchedExitCode_OnCompletedRuns()
    {
        var states = await StatesAsync(0, fail: false, "COMPLETED");

        Assert.That((states["triage"], states["ship"], states["report"]), Is.EqualTo(("SKIPPED", "COMPLETED", "SKIPPED")));
    }

    [Test]
    public async Task SubmitRequest_FailedWithAMatchedExitCode_OnlyTheExitCodeBranchRunsAndRequestFails()
    {
        var states = await StatesAsync(3, fail: true, "FAILED");

        Assert.That((states["check"], states["triage"], states["report"], states["ship"]), Is.EqualTo(("FAILED", "COMPLETED", "SKIPPED", "SKIPPED")));
    }

    [Test]
    public async Task SubmitRequest_FailedWithAnUnmatchedExitCode_OnFailedRuns()
    {
        var states = await StatesAsync(1, fail: true, "FAILED");

        Assert.That((states["triage"], states["report"], states["ship"]), Is.EqualTo(("SKIPPED", "COMPLETED", "SKIPPED")));
    }

    [Test]
    public async Task SaveDefinition_SpecialExitCodeTarget_400NamingTheEntryAndTheValue()
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/definitions", new
        {
            job_type = "fatal",
            tasks = new object[] { new { task_type = "check", method = "EXIT", on_exit_code = new Dictionary<string, string> { ["3"] = "FATAL" } } },
        });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain("tasks[0].on_exit_code.3").And.Contain("'FATAL'").And.Contain("not supported"));
    }
}
