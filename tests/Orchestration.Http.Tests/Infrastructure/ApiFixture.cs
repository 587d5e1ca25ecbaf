using System.Net;
using System.Text.Json.Nodes;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>
/// Base of the API fixtures: one host per fixture and back end, an admin client, and tenants created through the admin
/// API exactly as an operator would.
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public abstract class ApiFixture(ApiBackend backend)
{
    protected ApiBackend Backend { get; } = backend;

    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Admin { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string?>? Settings => null;

    [OneTimeSetUp]
    public void StartHost()
    {
        Factory = new ApiFactory(Backend, Settings);
        Admin = Factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>A new org and a key for it with <paramref name="permissions"/> (default <c>*</c>).</summary>
    protected async Task<Tenant> NewTenantAsync(params string[] permissions)
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        var key = await CreateKeyAsync(org.Str("id"), permissions.Length == 0 ? ["*"] : permissions);
        return new Tenant(org.Str("id"), key.Str("id"), Factory.WithKey(key.Str("key")));
    }

    protected async Task<JsonNode> CreateKeyAsync(string orgId, string[] permissions, object? rateLimit = null)
    {
        var (status, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId, name = "test key", permissions, rateLimit });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return key!;
    }

    protected static async Task<string> CreateRunAsync(HttpClient client, object? input = null)
    {
        var (status, run, _) = await client.PostJsonAsync("/api/v1/runs", new { inputData = input ?? new { orderId = "order-123" } });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), run?.ToJsonString());
        return run.Str("id");
    }

    protected static async Task<string> CreateTaskAsync(HttpClient client, string runId, string type = "process-order")
    {
        var (status, task, _) = await client.PostJsonAsync("/api/v1/tasks", new { runId, type, inputData = new { action = "validate" } });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), task?.ToJsonString());
        return task.Str("id");
    }
}

/// <summary>An org and a client acting for it.</summary>
public sealed record Tenant(string OrgId, string KeyId, HttpClient Client);
