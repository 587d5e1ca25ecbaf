using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>Stores the job queue API is tested on: the in-memory reference and every back end the other APIs run on.</summary>
public static class JobsBackends
{
    public static IEnumerable<ApiBackend> All()
    {
        yield return ApiBackends.InMemory;
        foreach (var backend in ApiBackends.All()) yield return backend;
    }
}

/// <summary>One sample host per back end; tenants with keys made through the admin API; helpers speaking the job queue API.</summary>
[TestFixtureSource(typeof(JobsBackends), nameof(JobsBackends.All))]
public abstract class JobsFixture(ApiBackend backend)
{
    public const string Sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Admin { get; private set; } = null!;

    protected IOrchestrationStore Store => Factory.Services.GetRequiredService<IOrchestrationStore>();

    [OneTimeSetUp]
    public void StartHost()
    {
        Factory = new ApiFactory(backend);
        Admin = Factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>A new org with a key holding <paramref name="permissions"/> (default <c>*</c> and <c>admin</c>).</summary>
    protected async Task<Tenant> NewTenantAsync(params string[] permissions)
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        return new Tenant(org.Str("id"), "", await KeyForAsync(org.Str("id"), permissions.Length == 0 ? ["*", "admin"] : permissions));
    }

    protected async Task<HttpClient> KeyForAsync(string orgId, string[] permissions)
    {
        var (status, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId, name = "jobs key", permissions });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return Factory.WithKey(key.Str("key"));
    }

    protected static object Job(string type = "data-processing", string priority = "background", string[]? arguments = null) => new
    {
        type,
        binary_url = "https://example.com/binary",
        binary_sha256 = Sha,
        arguments = arguments ?? ["arg1", "arg2"],
        env_variables = new Dictionary<string, string> { ["KEY1"] = "value1" },
        priority,
    };

    protected static async Task<string> SubmitAsync(HttpClient client, string type = "data-processing", string priority = "background")
    {
        var (status, body, _) = await client.PostJsonAsync("/api/v1/jobs", Job(type, priority));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body.Str("id");
    }

    protected static async Task<JsonNode?> ClaimAsync(HttpClient client, string executor)
    {
        var (status, body, _) = await client.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = executor, executor_ip = "192.168.1.100" });
        Assert.That(status, Is.AnyOf(HttpStatusCode.OK, HttpStatusCode.NoContent), body?.ToJsonString());
        return status == HttpStatusCode.OK ? body : null;
    }

    protected static Task<(HttpStatusCode Status, JsonNode? Json, HttpResponseMessage Response)> PutAsync(HttpClient client, string url, object body) =>
        client.SendAsync(HttpMethod.Put, url, body);
}
