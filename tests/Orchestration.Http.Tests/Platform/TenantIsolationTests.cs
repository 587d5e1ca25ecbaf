using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>
/// Every API route, read from the endpoint data source, is called by one org with the ids of another org's objects.
/// A route missing from <see cref="Probes"/> fails the test, so a new route cannot escape the check.
/// </summary>
public sealed partial class TenantIsolationTests(ApiBackend backend) : ApiFixture(backend)
{
    private enum Expect
    {
        /// <summary>Another org's object answers exactly as a missing one.</summary>
        NotFound,
        /// <summary>Admin routes: an org key without <c>admin</c> or <c>keys:manage</c> is refused.</summary>
        Forbidden,
        /// <summary>Lists and creates: succeed, and the body holds nothing of the other org.</summary>
        OwnRowsOnly,
        /// <summary>Health: public, carries no tenant data.</summary>
        Public,
        /// <summary>Foreman's Redis-config endpoints: 501 for everyone, no tenant data.</summary>
        NotImplemented,
    }

    private sealed record Probe(string Url, object? Body, Expect Expect);

    private static Dictionary<string, Probe> Probes(Owned a) => new()
    {
        ["GET /health"] = new("/health", null, Expect.Public),
        ["GET /api/v1/health"] = new("/api/v1/health", null, Expect.Public),
        ["POST /api/v1/admin/orgs"] = new("/api/v1/admin/orgs", new { name = "x" }, Expect.Forbidden),
        ["POST /api/v1/admin/api-keys"] = new("/api/v1/admin/api-keys", new { orgId = a.OrgId, name = "x", permissions = new[] { "*" } }, Expect.Forbidden),
        ["GET /api/v1/admin/api-keys"] = new($"/api/v1/admin/api-keys?orgId={a.OrgId}", null, Expect.Forbidden),
        ["DELETE /api/v1/admin/api-keys/{id}"] = new($"/api/v1/admin/api-keys/{a.KeyId}", null, Expect.Forbidden),
        ["POST /api/v1/runs"] = new("/api/v1/runs", new { inputData = 1 }, Expect.OwnRowsOnly),
        ["GET /api/v1/runs"] = new("/api/v1/runs?limit=100", null, Expect.OwnRowsOnly),
        ["GET /api/v1/runs/{id}"] = new($"/api/v1/runs/{a.RunId}", null, Expect.NotFound),
        ["PATCH /api/v1/runs/{id}"] = new($"/api/v1/runs/{a.RunId}", new { status = "cancelled", outputData = 1 }, Expect.NotFound),
        ["POST /api/v1/tasks"] = new("/api/v1/tasks", new { runId = a.RunId, type = "x" }, Expect.NotFound),
        ["GET /api/v1/tasks"] = new($"/api/v1/tasks?runId={a.RunId}", null, Expect.OwnRowsOnly),
        ["GET /api/v1/tasks/{id}"] = new($"/api/v1/tasks/{a.TaskId}", null, Expect.NotFound),
        ["PATCH /api/v1/tasks/{id}"] = new($"/api/v1/tasks/{a.TaskId}", new { status = "failed" }, Expect.NotFound),
        ["POST /api/v1/runs/{runId}/data"] = new($"/api/v1/runs/{a.RunId}/data", new { key = "k", value = 1 }, Expect.NotFound),
        ["GET /api/v1/runs/{runId}/data"] = new($"/api/v1/runs/{a.RunId}/data", null, Expect.NotFound),
        ["GET /api/v1/runs/{runId}/data/{key}"] = new($"/api/v1/runs/{a.RunId}/data/{a.DataKey}", null, Expect.NotFound),
        ["PATCH /api/v1/runs/{runId}/data/{id}/tags"] = new($"/api/v1/runs/{a.RunId}/data/{a.DataId}/tags", new { remove = new[] { "secret" } }, Expect.NotFound),
        ["DELETE /api/v1/runs/{runId}/data"] = new($"/api/v1/runs/{a.RunId}/data?key={a.DataKey}", null, Expect.NotFound),
        ["POST /api/v1/jobs"] = new("/api/v1/jobs", new { type = "t", binary_url = "https://example.com/b", binary_sha256 = new string('a', 64), priority = "background" }, Expect.OwnRowsOnly),
        ["GET /api/v1/jobs"] = new("/api/v1/jobs?limit=1000", null, Expect.OwnRowsOnly),
        ["GET /api/v1/jobs/{id}"] = new($"/api/v1/jobs/{a.PendingJobId}", null, Expect.NotFound),
        ["DELETE /api/v1/jobs/{id}"] = new($"/api/v1/jobs/{a.PendingJobId}", null, Expect.NotFound),
        ["POST /api/v1/jobs/bulk"] = new("/api/v1/jobs/bulk", new[] { new { type = "t", binary_url = "https://example.com/b", binary_sha256 = new string('a', 64), priority = "background" } }, Expect.OwnRowsOnly),
        ["POST /api/v1/jobs/bulk/cancel"] = new("/api/v1/jobs/bulk/cancel", new { job_ids = new[] { a.PendingJobId } }, Expect.OwnRowsOnly),
        ["POST /api/v1/jobs/claim"] = new("/api/v1/jobs/claim", new { executor_id = "intruder" }, Expect.OwnRowsOnly),
        ["PUT /api/v1/jobs/{id}/heartbeat"] = new($"/api/v1/jobs/{a.RunningJobId}/heartbeat", new { executor_id = "owner-worker" }, Expect.NotFound),
        ["PUT /api/v1/jobs/{id}/complete"] = new($"/api/v1/jobs/{a.RunningJobId}/complete", new { executor_id = "owner-worker", exit_code = 0 }, Expect.NotFound),
        ["PUT /api/v1/jobs/{id}/fail"] = new($"/api/v1/jobs/{a.RunningJobId}/fail", new { executor_id = "owner-worker", exit_code = 1 }, Expect.NotFound),
        ["POST /api/v1/tasks/claim"] = new("/api/v1/tasks/claim", new { executor_id = "intruder", types = new[] { "exec", "process-order" }, max = 100 }, Expect.OwnRowsOnly),
        ["PUT /api/v1/tasks/{id}/heartbeat"] = new($"/api/v1/tasks/{a.TaskId}/heartbeat", new { lease_token = Guid.NewGuid() }, Expect.NotFound),
        ["PUT /api/v1/tasks/{id}/complete"] = new($"/api/v1/tasks/{a.TaskId}/complete", new { lease_token = Guid.NewGuid() }, Expect.NotFound),
        ["PUT /api/v1/tasks/{id}/fail"] = new($"/api/v1/tasks/{a.TaskId}/fail", new { lease_token = Guid.NewGuid(), retryable = false }, Expect.NotFound),
        ["POST /api/v1/workflows"] = new("/api/v1/workflows", new { name = "w", tasks = new[] { new { name = "a", type = "report" } } }, Expect.OwnRowsOnly),
        ["GET /api/v1/workflows"] = new("/api/v1/workflows?limit=100", null, Expect.OwnRowsOnly),
        ["GET /api/v1/workflows/{id}"] = new($"/api/v1/workflows/{a.WorkflowId}", null, Expect.NotFound),
        ["GET /api/v1/workflows/{id}/tasks"] = new($"/api/v1/workflows/{a.WorkflowId}/tasks", null, Expect.NotFound),
        ["PUT /api/v1/workflows/{id}/cancel"] = new($"/api/v1/workflows/{a.WorkflowId}/cancel", null, Expect.NotFound),
        ["GET /api/v1/metrics"] = new("/api/v1/metrics", null, Expect.OwnRowsOnly),
        ["GET /api/v1/admin/stats"] = new("/api/v1/admin/stats", null, Expect.OwnRowsOnly),
        ["GET /api/v1/admin/executors"] = new("/api/v1/admin/executors", null, Expect.OwnRowsOnly),
        ["POST /api/v1/webhooks"] = new("/api/v1/webhooks", new { url = "https://example.com/intruder", events = new[] { "*" } }, Expect.OwnRowsOnly),
        ["GET /api/v1/webhooks"] = new("/api/v1/webhooks", null, Expect.OwnRowsOnly),
        ["DELETE /api/v1/webhooks/{id}"] = new($"/api/v1/webhooks/{a.WebhookId}", null, Expect.NotFound),
        ["GET /api/v1/webhooks/{id}/deliveries"] = new($"/api/v1/webhooks/{a.WebhookId}/deliveries", null, Expect.NotFound),
        ["GET /api/v1/events"] = new("/api/v1/events?after=0&limit=1000", null, Expect.OwnRowsOnly),
        ["POST /api/jobs/definitions"] = new("/api/jobs/definitions", new { job_type = "intruder-def", tasks = new[] { new { task_type = "t" } } }, Expect.OwnRowsOnly),
        ["GET /api/jobs/definitions"] = new("/api/jobs/definitions?page_size=100", null, Expect.OwnRowsOnly),
        ["GET /api/jobs/definitions/{id}"] = new($"/api/jobs/definitions/{a.DefinitionId}", null, Expect.NotFound),
        ["DELETE /api/jobs/definitions/{id}"] = new($"/api/jobs/definitions/{a.DefinitionId}", null, Expect.NotFound),
        ["POST /api/jobs/definitions/{id}/disable"] = new($"/api/jobs/definitions/{a.DefinitionId}/disable", null, Expect.NotFound),
        ["POST /api/jobs/definitions/{id}/enable"] = new($"/api/jobs/definitions/{a.DefinitionId}/enable", null, Expect.NotFound),
        ["POST /api/jobs/requests"] = new("/api/jobs/requests", new { job_type = a.DefinitionId }, Expect.NotFound),
        ["GET /api/jobs/requests"] = new("/api/jobs/requests?page_size=100", null, Expect.OwnRowsOnly),
        ["GET /api/jobs/requests/{id}"] = new($"/api/jobs/requests/{a.RequestId}", null, Expect.NotFound),
        ["POST /api/jobs/requests/{id}/cancel"] = new($"/api/jobs/requests/{a.RequestId}/cancel", null, Expect.NotFound),
        ["POST /api/jobs/requests/{id}/restart"] = new($"/api/jobs/requests/{a.RequestId}/restart", null, Expect.NotFound),
        ["POST /api/jobs/requests/{id}/review"] = new($"/api/jobs/requests/{a.RequestId}/review", new { task_type = "t", status = "APPROVED" }, Expect.NotFound),
        ["GET /api/users"] = new("/api/users?page_size=100", null, Expect.OwnRowsOnly),
        ["POST /api/users"] = new("/api/users", new { username = "intruder" }, Expect.OwnRowsOnly),
        ["GET /api/users/{id}"] = new($"/api/users/{a.UserId}", null, Expect.NotFound),
        ["PUT /api/users/{id}"] = new($"/api/users/{a.UserId}", new { locked = true }, Expect.NotFound),
        ["GET /api/users/{userId}/tokens"] = new($"/api/users/{a.UserId}/tokens", null, Expect.NotFound),
        // Minting a token for another user needs keys:manage, which the intruder's "*" does not grant: refused before any lookup.
        ["POST /api/users/{userId}/tokens"] = new($"/api/users/{a.UserId}/tokens", new { token = "stolen" }, Expect.Forbidden),
        ["DELETE /api/users/{userId}/tokens/{id}"] = new($"/api/users/{a.UserId}/tokens/{a.TokenId}", null, Expect.NotFound),
        ["POST /api/users/{userId}/tokens/{id}/delete"] = new($"/api/users/{a.UserId}/tokens/{a.TokenId}/delete", null, Expect.NotFound),
        // No signing key configured here: JWT issuing answers 404.
        ["POST /api/auth/token"] = new("/api/auth/token", null, Expect.NotFound),
        ["GET /api/ants"] = new("/api/ants", null, Expect.OwnRowsOnly),
        ["GET /api/executors"] = new("/api/executors?page_size=100", null, Expect.OwnRowsOnly),
        ["DELETE /api/executors/{id}"] = new($"/api/executors/{a.TaskId}", null, Expect.NotFound),
        ["GET /api/health"] = new("/api/health", null, Expect.OwnRowsOnly),
        ["GET /api/metrics"] = new("/api/metrics", null, Expect.OwnRowsOnly),
        ["POST /api/artifacts"] = new($"/api/artifacts?name=planted.txt&job_request_id={a.RequestId}", new { planted = true }, Expect.NotFound),
        ["GET /api/artifacts"] = new("/api/artifacts?page_size=100", null, Expect.OwnRowsOnly),
        ["GET /api/artifacts/{id}"] = new($"/api/artifacts/{a.ArtifactSha256}", null, Expect.NotFound),
        ["GET /api/artifacts/{id}/download"] = new($"/api/artifacts/{a.ArtifactId}/download", null, Expect.NotFound),
        ["GET /api/artifacts/{id}/download/raw"] = new($"/api/artifacts/{a.ArtifactSha256}/download/raw", null, Expect.NotFound),
        ["DELETE /api/artifacts/{id}"] = new($"/api/artifacts/{a.ArtifactId}", null, Expect.NotFound),
        ["POST /api/v1/tasks/{id}/artifacts"] = new($"/api/v1/tasks/{a.TaskId}/artifacts?lease_token={Guid.NewGuid()}&name=planted.txt", new { planted = true }, Expect.NotFound),
        ["GET /api/v1/config"] = new("/api/v1/config", null, Expect.NotImplemented),
        ["GET /api/v1/config/redis"] = new("/api/v1/config/redis", null, Expect.NotImplemented),
        ["GET /api/v1/config/queues"] = new("/api/v1/config/queues", null, Expect.NotImplemented),
    };

    private sealed record Owned(string OrgId, string KeyId, string RunId, string TaskId, string DataKey, string DataId, string PendingJobId, string RunningJobId, string WorkflowId, string WebhookId, string DefinitionId, string RequestId,
        string UserId = "", string TokenId = "", string ArtifactId = "", string ArtifactSha256 = "");

    [Test]
    public async Task EveryApiRoute_CalledWithAnotherOrgsIds_RevealsAndChangesNothing()
    {
        var owner = await NewTenantAsync();
        var run = await CreateRunAsync(owner.Client, new { secret = "a" });
        var task = await CreateTaskAsync(owner.Client, run);
        var (_, entry, _) = await owner.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "secret-key", value = 1, tags = new[] { "secret" }, taskId = task });
        var job = new { type = "secret-job", binary_url = "https://example.com/b", binary_sha256 = new string('a', 64), priority = "foreground" };
        var (_, runningJob, _) = await owner.Client.PostJsonAsync("/api/v1/jobs", job);
        var (_, claimed, _) = await owner.Client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "owner-worker" });
        Assert.That(claimed.Str("id"), Is.EqualTo(runningJob.Str("id")));
        var (_, pendingJob, _) = await owner.Client.PostJsonAsync("/api/v1/jobs", job with { priority = "background" });
        var (_, workflow, _) = await owner.Client.PostJsonAsync("/api/v1/workflows", new { name = "secret-workflow", tasks = new[] { new { name = "a", type = "report" } } });
        var (_, webhook, _) = await owner.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/owner", events = new[] { "*" } });
        var (_, definition, _) = await owner.Client.PostJsonAsync("/api/jobs/definitions", new { job_type = "secret-job-type", tasks = new[] { new { task_type = "t", method = "NOBODY_CLAIMS" } } });
        var (_, request, _) = await owner.Client.PostJsonAsync("/api/jobs/requests", new { job_type = "secret-job-type" });
        var a = new Owned(owner.OrgId, owner.KeyId, run, task, "secret-key", entry.Str("id"), pendingJob.Str("id"), runningJob.Str("id"), workflow.Str("id"), webhook.Str("id"),
            definition.Str("id"), request.Str("id"));
        var userAdmin = Factory.WithKey((await CreateKeyAsync(owner.OrgId, ["*", "keys:manage"])).Str("key"));
        var (_, user, _) = await userAdmin.PostJsonAsync("/api/users", new { username = "secret-user", permissions = new[] { "JobRequest:Query" } });
        var (_, token, _) = await userAdmin.PostJsonAsync($"/api/users/{user.Str("id")}/tokens", new { token = "secret-token" });
        using var content = new ByteArrayContent("secret artifact"u8.ToArray());
        using var uploaded = await owner.Client.PostAsync(new Uri($"/api/artifacts?name=secret.txt&job_request_id={a.RequestId}", UriKind.Relative), content);
        var artifact = System.Text.Json.Nodes.JsonNode.Parse(await uploaded.Content.ReadAsStringAsync());
        Assert.That(uploaded.StatusCode, Is.EqualTo(HttpStatusCode.Created), artifact?.ToJsonString());
        a = a with { UserId = user.Str("id"), TokenId = token.Str("id"), ArtifactId = artifact.Str("id"), ArtifactSha256 = artifact.Str("sha256") };
        var intruder = await NewTenantAsync("*");
        var probes = Probes(a);

        var routes = ApiRoutes();
        Assert.That(routes.Where(r => !probes.ContainsKey(r)), Is.Empty, "routes without a tenant probe: add them to Probes");
        Assert.That(probes.Keys.Where(k => !routes.Contains(k)), Is.Empty, "probes for routes that no longer exist");

        foreach (var route in routes)
        {
            var probe = probes[route];
            var method = new HttpMethod(route[..route.IndexOf(' ', StringComparison.Ordinal)]);
            var (status, body, _) = await intruder.Client.SendAsync(method, probe.Url, probe.Body);
            var text = body?.ToJsonString() ?? "";
            switch (probe.Expect)
            {
                case Expect.NotFound:
                    Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), route);
                    break;
                case Expect.Forbidden:
                    Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden), route);
                    break;
                case Expect.OwnRowsOnly:
                    Assert.That((int)status, Is.InRange(200, 299), route);
                    Assert.That(text, Does.Not.Contain(a.OrgId).And.Not.Contain(a.RunId).And.Not.Contain(a.TaskId).And.Not.Contain(a.RunningJobId).And.Not.Contain("secret-job")
                        .And.Not.Contain(a.WorkflowId).And.Not.Contain("secret-workflow").And.Not.Contain(a.DefinitionId).And.Not.Contain(a.RequestId)
                        .And.Not.Contain(a.ArtifactId).And.Not.Contain(a.ArtifactSha256), route);
                    break;
                case Expect.Public:
                    Assert.That(status, Is.EqualTo(HttpStatusCode.OK), route);
                    Assert.That(text, Does.Not.Contain(a.OrgId), route);
                    break;
                case Expect.NotImplemented:
                    Assert.That(status, Is.EqualTo(HttpStatusCode.NotImplemented), route);
                    Assert.That(text, Does.Not.Contain(a.OrgId), route);
                    break;
            }
        }

        var (_, runAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/runs/{run}");
        var (_, taskAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/tasks/{task}");
        var (_, dataAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/runs/{run}/data?includeAll=true");
        var (ownerKeyStatus, _, _) = await owner.Client.GetJsonAsync("/api/v1/runs");
        Assert.That(runAfter.Str("status"), Is.EqualTo("pending"));
        Assert.That(runAfter!["outputData"], Is.Null);
        Assert.That(runAfter["totalTasks"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(taskAfter.Str("status"), Is.EqualTo("pending"));
        Assert.That(dataAfter!["items"]!.AsArray().Select(e => e.Str("id")), Is.EqualTo(new[] { a.DataId }));
        Assert.That(dataAfter["items"]![0]!["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "secret" }));
        Assert.That(ownerKeyStatus, Is.EqualTo(HttpStatusCode.OK), "the owner's key was not revoked by the intruder");
        var (_, pendingAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/jobs/{a.PendingJobId}");
        var (_, runningAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/jobs/{a.RunningJobId}");
        Assert.That(pendingAfter.Str("status"), Is.EqualTo("pending"));
        Assert.That(runningAfter.Str("status"), Is.EqualTo("running"));
        Assert.That(runningAfter.Str("executor_id"), Is.EqualTo("owner-worker"));
        var (_, workflowAfter, _) = await owner.Client.GetJsonAsync($"/api/v1/workflows/{a.WorkflowId}");
        Assert.That(workflowAfter.Str("status"), Is.EqualTo("pending"), "the intruder's cancel reached the workflow");
        var (_, definitionAfter, _) = await owner.Client.GetJsonAsync($"/api/jobs/definitions/{a.DefinitionId}");
        var (_, requestAfter, _) = await owner.Client.GetJsonAsync($"/api/jobs/requests/{a.RequestId}");
        Assert.That(definitionAfter!["disabled"]!.GetValue<bool>(), Is.False, "the intruder's disable reached the definition");
        Assert.That(requestAfter.Str("job_state"), Is.EqualTo("PENDING"), "the intruder's cancel reached the job request");
        var (_, userAfter, _) = await userAdmin.GetJsonAsync($"/api/users/{a.UserId}");
        var (_, tokensAfter, _) = await userAdmin.GetJsonAsync($"/api/users/{a.UserId}/tokens");
        Assert.That(userAfter!["locked"]!.GetValue<bool>(), Is.False, "the intruder's update reached the user");
        Assert.That(tokensAfter!.AsArray().Select(t => t.Str("id")), Is.EqualTo(new[] { a.TokenId }), "the intruder revoked the user's token");
        var (_, artifactsAfter, _) = await owner.Client.GetJsonAsync($"/api/artifacts?job_request_id={a.RequestId}");
        Assert.That(artifactsAfter!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { a.ArtifactId }), "the intruder deleted or planted an artifact");
    }

    [Test]
    public async Task ListRuns_TwoOrgs_EachSeesOnlyItsOwn()
    {
        var a = await NewTenantAsync();
        var b = await NewTenantAsync();
        var runA = await CreateRunAsync(a.Client);
        var runB = await CreateRunAsync(b.Client);

        var (_, listA, _) = await a.Client.GetJsonAsync("/api/v1/runs");
        var (_, listB, _) = await b.Client.GetJsonAsync("/api/v1/runs");
        var (_, tasksB, _) = await b.Client.GetJsonAsync("/api/v1/tasks");

        Assert.That(listA!["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { runA }));
        Assert.That(listB!["items"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { runB }));
        Assert.That(listA["total"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(tasksB!["total"]!.GetValue<int>(), Is.Zero);
    }

    /// <summary>"METHOD /pattern" of every endpoint under /api and /health, route constraints removed.</summary>
    private List<string> ApiRoutes()
    {
        var source = Factory.Services.GetRequiredService<EndpointDataSource>();
        return source.Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/", StringComparison.Ordinal) || raw == "/health"))
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["ANY"])
                .Select(m => $"{m} {Constraint().Replace(e.RoutePattern.RawText!, "}")}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex Constraint();
}
