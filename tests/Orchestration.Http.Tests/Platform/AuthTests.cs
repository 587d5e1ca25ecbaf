using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

public sealed class AuthTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task Request_NoAuthorizationHeader_Returns401WithForemansMessageAndHint()
    {
        using var client = Factory.Anonymous();
        var (status, body, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body.Str("error"), Is.EqualTo("Bearer token required but not provided"));
        Assert.That(body!["details"]![0].Str("message"), Does.Contain("Authorization: Bearer"));
    }

    [TestCase("orch_deadbeefdeadbeef_0000000000000000000000000000000000000000000000000000000000000000")]
    [TestCase("not-a-key")]
    [TestCase("an-unknown-operator-key-of-sufficient-length-123")]
    public async Task Request_InvalidKey_Returns401WithForemansMessage(string key)
    {
        using var client = Factory.WithKey(key);
        var (status, body, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body.Str("error"), Is.EqualTo("Invalid Bearer token"));
        Assert.That(body!["details"]![0].Str("field"), Is.EqualTo("Authorization"));
    }

    [Test]
    public async Task Request_RightIdWrongSecret_Returns401()
    {
        var t = await NewTenantAsync();
        var key = await CreateKeyAsync(t.OrgId, ["*"]);
        var real = key.Str("key");
        using var client = Factory.WithKey(real[..^1] + (real[^1] == '0' ? '1' : '0'));
        var (status, _, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Request_BasicScheme_Returns401()
    {
        using var client = Factory.Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "dXNlcjpwYXNz");
        var (status, _, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Request_ExpiredKey_Returns401()
    {
        var t = await NewTenantAsync();
        var (_, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "short", permissions = new[] { "*" }, expiresAt = Factory.Time.GetUtcNow().AddDays(3650) });
        using var client = Factory.WithKey(key.Str("key"));
        var (before, _, _) = await client.GetJsonAsync("/api/v1/runs");

        Factory.Time.Advance(TimeSpan.FromDays(3651));
        var (after, body, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(before, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body.Str("error"), Is.EqualTo("Invalid Bearer token"));
        Assert.That(body!["details"]![0].Str("message"), Does.Contain("expired"));
    }

    [TestCase("runs:*", "/api/v1/runs", true)]
    [TestCase("runs:read", "/api/v1/runs", true)]
    [TestCase("tasks:*", "/api/v1/runs", false)]
    [TestCase("tasks:*", "/api/v1/tasks", true)]
    [TestCase("rundata:read", "/api/v1/tasks", false)]
    [TestCase("*", "/api/v1/tasks", true)]
    [TestCase("admin", "/api/v1/tasks", false)]
    [TestCase("admin", "/api/v1/admin/api-keys", true)]
    [TestCase("*", "/api/v1/admin/api-keys", false)]
    [TestCase("keys:manage", "/api/v1/admin/api-keys", true)]
    [TestCase("ops:read", "/api/v1/admin/stats", true)]
    [TestCase("ops:*", "/api/v1/metrics", true)]
    [TestCase("runs:*", "/api/v1/admin/executors", false)]
    public async Task Permission_Wildcards_GrantAsDocumented(string permission, string path, bool allowed)
    {
        var t = await NewTenantAsync(permission);
        var (status, _, _) = await t.Client.GetJsonAsync(path);

        Assert.That(status, Is.EqualTo(allowed ? HttpStatusCode.OK : HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task RunDataRead_Wildcard_GrantsReadOfRunData()
    {
        var owner = await NewTenantAsync();
        var run = await CreateRunAsync(owner.Client);
        using var reader = Factory.WithKey((await CreateKeyAsync(owner.OrgId, ["rundata:*"])).Str("key"));
        var (status, _, _) = await reader.GetJsonAsync($"/api/v1/runs/{run}/data");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
    }
}
