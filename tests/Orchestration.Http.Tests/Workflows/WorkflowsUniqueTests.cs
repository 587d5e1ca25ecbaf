using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Workflows;

public sealed class WorkflowsUniqueTests(ApiBackend backend) : WorkflowsFixture(backend)
{
    [Test]
    public async Task Create_UniqueKeyHeldByRunningWorkflow_Returns200WithItThen409InConflictMode()
    {
        var t = await NewTenantAsync();
        var body = new { name = "etl", unique_key = "nightly", tasks = new[] { ProbeTask("a", new { block = true }) } };
        var first = await CreateAsync(t.Client, body);

        var (again, same, _) = await t.Client.PostJsonAsync("/api/v1/workflows", body);
        var (conflict, error, _) = await t.Client.PostJsonAsync("/api/v1/workflows",
            new { name = "etl", unique_key = "nightly", on_duplicate = "conflict", tasks = new[] { ProbeTask("a") } });
        await t.Client.SendAsync(HttpMethod.Put, $"/api/v1/workflows/{first.Str("id")}/cancel");

        Assert.That(again, Is.EqualTo(HttpStatusCode.OK), same?.ToJsonString());
        Assert.That(same.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(conflict, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Does.Contain("nightly").And.Contain(first.Str("id")));
    }

    [Test]
    public async Task Create_UniqueWindowAfterCompletion_BlocksThenAllows()
    {
        var t = await NewTenantAsync();
        // Without tasks a workflow completes as it is created, which starts the window at once.
        var body = new { name = "digest", unique_key = "daily", unique_scope = "name", unique_window = "10m" };
        var first = await CreateAsync(t.Client, body);
        Assert.That(first.Str("status"), Is.EqualTo("completed"));

        Factory.Time.Advance(TimeSpan.FromMinutes(9));
        var (within, withinBody, _) = await t.Client.PostJsonAsync("/api/v1/workflows", body);
        Factory.Time.Advance(TimeSpan.FromMinutes(1));
        var (after, afterBody, _) = await t.Client.PostJsonAsync("/api/v1/workflows", body);

        Assert.That(within, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(withinBody.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(afterBody.Str("id"), Is.Not.EqualTo(first.Str("id")));
    }

    [Test]
    public async Task Create_BadUniqueWindow_Returns422NamingTheField()
    {
        var t = await NewTenantAsync();

        var (status, error, _) = await t.Client.PostJsonAsync("/api/v1/workflows", new { name = "w", unique_key = "k", unique_window = "ten minutes" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(error.Str("error"), Does.Contain("unique_window"));
    }
}
