using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>MANUAL tasks: MANUAL_APPROVAL_REQUIRED while one waits, and <c>POST /api/jobs/requests/{id}/review</c>.</summary>
public sealed class FormicaryReviewTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private static object GatedJob(string jobType) => new
    {
        job_type = jobType,
        tasks = new object[]
        {
            new { task_type = "build", method = "PROBE", on_completed = "gate" },
            new { task_type = "gate", method = "MANUAL", on_completed = "deploy", on_failed = "notify" },
            new { task_type = "deploy", method = "PROBE" },
            new { task_type = "notify", method = "PROBE" },
        },
    };

    private static Dictionary<string, JsonNode> Tasks(JsonNode request) =>
        request["execution"]!["tasks"]!.AsArray().ToDictionary(t => t.Str("task_type"), t => t!);

    /// <summary>A request of <see cref="GatedJob"/> whose gate awaits review.</summary>
    private static async Task<(string Id, JsonNode Waiting)> AwaitingAsync(HttpClient client, string jobType)
    {
        await SaveAsync(client, GatedJob(jobType));
        var id = (await SubmitAsync(client, new { job_type = jobType })).Str("id");
        return (id, await WaitForStateAsync(client, id, "MANUAL_APPROVAL_REQUIRED"));
    }

    [Test]
    public async Task ReviewRequest_Approved_200EmptyRequestCompletesAndReviewShownOnTask()
    {
        var (_, client) = await NewTenantAsync();
        var (id, waiting) = await AwaitingAsync(client, "gated-ok");

        var (status, _, response) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review",
            new { execution_id = id, task_type = "gate", status = "APPROVED", comments = "ship it" });
        var done = await WaitForStateAsync(client, id, "COMPLETED");

        Assert.That(Tasks(waiting)["gate"].Str("task_state"), Is.EqualTo("MANUAL_APPROVAL_REQUIRED"));
        Assert.That(Tasks(waiting)["gate"].Str("method"), Is.EqualTo("approval"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        var tasks = Tasks(done);
        Assert.That((tasks["gate"].Str("task_state"), tasks["deploy"].Str("task_state"), tasks["notify"].Str("task_state")),
            Is.EqualTo(("COMPLETED", "COMPLETED", "SKIPPED")));
        var review = tasks["gate"]["review"]!;
        Assert.That(review.Str("status"), Is.EqualTo("APPROVED"));
        Assert.That(review["approved"]!.GetValue<bool>(), Is.True);
        Assert.That(review.Str("comments"), Is.EqualTo("ship it"));
        Assert.That(review.Str("reviewed_by"), Does.StartWith("key:"), "the caller's key, not a name from the body");
        Assert.That(review["reviewed_at"], Is.Not.Null);
    }

    [Test]
    public async Task ReviewRequest_Rejected_OnFailedPathRunsAndRequestFailed()
    {
        var (_, client) = await NewTenantAsync();
        var (id, _) = await AwaitingAsync(client, "gated-no");

        var (status, _, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "REJECTED", comments = "not on a Friday" });
        var done = await WaitForStateAsync(client, id, "FAILED");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var tasks = Tasks(done);
        Assert.That((tasks["gate"].Str("task_state"), tasks["deploy"].Str("task_state"), tasks["notify"].Str("task_state")),
            Is.EqualTo(("FAILED", "SKIPPED", "COMPLETED")));
        Assert.That(tasks["gate"]["review"]!.Str("status"), Is.EqualTo("REJECTED"));
        Assert.That(tasks["gate"].Str("exit_message"), Does.Contain("not on a Friday"));
    }

    [Test]
    public async Task ReviewRequest_RejectedWithoutComments_400NamingComments()
    {
        var (_, client) = await NewTenantAsync();
        var (id, _) = await AwaitingAsync(client, "gated-silent");

        var (status, error, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "REJECTED" });
        var (_, still, _) = await client.GetJsonAsync($"/api/jobs/requests/{id}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain("comments are required to reject"));
        Assert.That(still.Str("job_state"), Is.EqualTo("MANUAL_APPROVAL_REQUIRED"));
    }

    [TestCase("""{"task_type":"gate","status":"MAYBE"}""", "status must be APPROVED or REJECTED")]
    [TestCase("""{"status":"APPROVED"}""", "task_type is required")]
    [TestCase("""not json""", "Malformed JSON")]
    public async Task ReviewRequest_BadBody_400NamingTheProblem(string body, string problem)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync($"/api/jobs/requests/{Guid.NewGuid()}/review", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task ReviewRequest_SecondReview_409AndFirstDecisionKept()
    {
        var (_, client) = await NewTenantAsync();
        var (id, _) = await AwaitingAsync(client, "gated-twice");
        var (first, _, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "APPROVED" });

        var (second, error, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "REJECTED", comments = "changed my mind" });
        var done = await WaitForStateAsync(client, id, "COMPLETED");

        Assert.That((first, second), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.Conflict)));
        Assert.That(error.Str("error"), Is.EqualTo("Task 'gate' is not awaiting manual approval"));
        Assert.That(Tasks(done)["gate"]["review"]!.Str("status"), Is.EqualTo("APPROVED"));
    }

    [Test]
    public async Task ReviewRequest_UnknownTaskOrExecution_404()
    {
        var (_, client) = await NewTenantAsync();
        var (id, _) = await AwaitingAsync(client, "gated-unknown");

        var (task, taskError, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "nope", status = "APPROVED" });
        var (execution, _, _) = await client.PostJsonAsync($"/api/jobs/requests/{id}/review", new { execution_id = Guid.NewGuid(), task_type = "gate", status = "APPROVED" });
        var (request, requestError, _) = await client.PostJsonAsync($"/api/jobs/requests/{Guid.NewGuid()}/review", new { task_type = "gate", status = "APPROVED" });

        Assert.That(new[] { task, execution, request }, Is.All.EqualTo(HttpStatusCode.NotFound));
        Assert.That(taskError.Str("error"), Is.EqualTo("Task 'nope' of this job request not found"));
        Assert.That(requestError.Str("error"), Is.EqualTo("Job request not found"));
    }

    [Test]
    public async Task ReviewRequest_KeyWithoutApprovePermission_403AndOtherOrg_404()
    {
        var (orgId, client) = await NewTenantAsync();
        var (_, other) = await NewTenantAsync();
        var (id, _) = await AwaitingAsync(client, "gated-guarded");
        var viewer = await KeyAsync(orgId, ["JobRequest:View", "JobRequest:Submit"]);
        var approver = await KeyAsync(orgId, ["JobRequest:Approve"]);

        var (forbidden, error, _) = await viewer.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "APPROVED" });
        var (foreign, _, _) = await other.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "APPROVED" });
        var (_, still, _) = await client.GetJsonAsync($"/api/jobs/requests/{id}");
        var (allowed, _, _) = await approver.PostJsonAsync($"/api/jobs/requests/{id}/review", new { task_type = "gate", status = "APPROVED" });

        Assert.That(forbidden, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(error.Str("error"), Is.EqualTo("Missing permission 'JobRequest:Approve'"));
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(still.Str("job_state"), Is.EqualTo("MANUAL_APPROVAL_REQUIRED"), "neither review applied");
        Assert.That(allowed, Is.EqualTo(HttpStatusCode.OK));
        await WaitForStateAsync(client, id, "COMPLETED");
    }
}
