using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Executors;

/// <summary>Remote executors get the trace context their tasks' runs were created in, to parent their own spans.</summary>
public sealed class ClaimTraceContextTests(ApiBackend backend) : JobsFixture(backend)
{
    private const string TestSourceName = "Orchestration.Tests.ClaimTrace";
    private static readonly ActivitySource Tests = new(TestSourceName);

    private static ActivityListener Listen()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is TestSourceName or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    [Test]
    public async Task TasksClaim_RunCreatedInTrace_TaskCarriesTraceparentAndUntracedTaskNone()
    {
        using var listener = Listen();
        var t = await NewTenantAsync();
        var client = Factory.Services.GetRequiredService<IOrchestrationClient>();
        string traceId;
        using (var creator = Tests.StartActivity("enqueue")!)
        {
            creator.TraceStateString = "vendor=7";
            traceId = creator.TraceId.ToHexString();
            await client.CreateRunAsync(new RunSpec { OrgId = t.OrgId, Tasks = [new TaskSpec { Name = "traced", Type = "remote-trace", Priority = 1 }] });
        }

        await client.CreateRunAsync(new RunSpec { OrgId = t.OrgId, Tasks = [new TaskSpec { Name = "untraced", Type = "remote-trace" }] });

        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "w", types = new[] { "remote-trace" }, max = 2 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        var tasks = body!["tasks"]!.AsArray();
        var traced = tasks.Single(x => x.Str("name") == "traced")!;
        var untraced = tasks.Single(x => x.Str("name") == "untraced")!;
        Assert.That(ActivityContext.Parse(traced.Str("traceparent"), null).TraceId.ToHexString(), Is.EqualTo(traceId));
        Assert.That(traced.Str("tracestate"), Is.EqualTo("vendor=7"));
        Assert.That(untraced.AsObject().ContainsKey("traceparent"), Is.False, "a run created outside a trace has none");
    }

    [Test]
    public async Task JobsClaim_JobSubmittedWithTraceparent_ClaimAnswersInThatTrace()
    {
        using var listener = Listen();
        var t = await NewTenantAsync();
        var trace = ActivityTraceId.CreateRandom();
        using var submit = new HttpRequestMessage(HttpMethod.Post, "/api/v1/jobs") { Content = JsonContent.Create(Job()) };
        submit.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        using (var submitted = await t.Client.SendAsync(submit)) Assert.That(submitted.StatusCode, Is.EqualTo(HttpStatusCode.Created));

        var (status, _, response) = await t.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "w" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var traceparent = response.Headers.GetValues("traceparent").Single();
        Assert.That(ActivityContext.Parse(traceparent, null).TraceId, Is.EqualTo(trace));
    }
}
