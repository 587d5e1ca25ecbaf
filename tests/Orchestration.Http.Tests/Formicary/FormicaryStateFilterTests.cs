using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>The <c>job_state</c> list filter and the state a read shows agree: a request is listed under a state iff <c>GET</c> shows it.</summary>
public sealed class FormicaryStateFilterTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private static readonly string[] States = ["PENDING", "STARTED", "EXECUTING", "MANUAL_APPROVAL_REQUIRED", "COMPLETED", "FAILED", "CANCELLED"];

    [Test]
    public async Task ListRequests_EachJobStateFilter_ListsExactlyTheRequestsAReadShowsInThatState()
    {
        var (_, client) = await NewTenantAsync();
        // A MANUAL first task awaits review while its run is still pending; a MANUAL task after a ran task, while running.
        await SaveAsync(client, new
        {
            job_type = "gate-first",
            tasks = new object[] { new { task_type = "gate", method = "MANUAL", on_completed = "after" }, new { task_type = "after", method = "PROBE" } },
        });
        await SaveAsync(client, new
        {
            job_type = "gate-later",
            tasks = new object[] { new { task_type = "build", method = "PROBE", on_completed = "gate" }, new { task_type = "gate", method = "MANUAL" } },
        });
        await SaveAsync(client, new { job_type = "unclaimed", tasks = new[] { new { task_type = "wait", method = "NOBODY_CLAIMS" } } });
        await SaveAsync(client, ProbeJob("done", "only"));
        var gateFirst = (await SubmitAsync(client, new { job_type = "gate-first" })).Str("id");
        var gateLater = (await SubmitAsync(client, new { job_type = "gate-later" })).Str("id");
        var unclaimed = (await SubmitAsync(client, new { job_type = "unclaimed" })).Str("id");
        var done = (await SubmitAsync(client, new { job_type = "done" })).Str("id");
        await WaitForStateAsync(client, gateFirst, "MANUAL_APPROVAL_REQUIRED");
        await WaitForStateAsync(client, gateLater, "MANUAL_APPROVAL_REQUIRED");
        await WaitForStateAsync(client, done, "COMPLETED");

        var shown = new Dictionary<string, string>();
        foreach (var id in new[] { gateFirst, gateLater, unclaimed, done })
            shown[id] = (await client.GetJsonAsync($"/api/jobs/requests/{id}")).Json.Str("job_state");
        var (_, all, _) = await client.GetJsonAsync("/api/jobs/requests?page_size=100");

        Assert.That((shown[gateFirst], shown[gateLater], shown[unclaimed], shown[done]),
            Is.EqualTo(("MANUAL_APPROVAL_REQUIRED", "MANUAL_APPROVAL_REQUIRED", "PENDING", "COMPLETED")));
        Assert.That(all!["records"]!.AsArray().ToDictionary(r => r.Str("id"), r => r.Str("job_state")), Is.EquivalentTo(shown),
            "the unfiltered list shows each request's state as a read does");
        foreach (var state in States)
        {
            var (_, list, _) = await client.GetJsonAsync($"/api/jobs/requests?job_state={state}&page_size=100");
            var listed = list!["records"]!.AsArray().Select(r => r.Str("id")).ToList();
            Assert.That(listed, Is.EquivalentTo(shown.Where(s => s.Value == state).Select(s => s.Key)), $"job_state={state}");
            Assert.That(list["total_records"]!.GetValue<int>(), Is.EqualTo(listed.Count), $"job_state={state} total");
            Assert.That(list["records"]!.AsArray().Select(r => r.Str("job_state")), Is.All.EqualTo(state), $"job_state={state} shown");
        }
    }
}
