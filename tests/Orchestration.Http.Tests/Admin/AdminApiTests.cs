using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Admin;

public sealed class AdminApiTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task CreateOrg_ValidName_Returns201()
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "acme" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(org.Str("name"), Is.EqualTo("acme"));
        Assert.That(org.Str("id"), Is.Not.Empty);
        Assert.That(org!["createdAt"], Is.Not.Null);
    }

    [Test]
    public async Task CreateOrg_MissingName_Returns400()
    {
        var (status, body, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("name"));
    }

    [Test]
    public async Task CreateOrg_StarKeyWithoutAdmin_Returns403()
    {
        var t = await NewTenantAsync("*");
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/admin/orgs", new { name = "sneaky" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain("admin"));
    }

    [Test]
    public async Task CreateApiKey_Valid_ReturnsKeyOnceWithPrefix()
    {
        var t = await NewTenantAsync();
        var key = await CreateKeyAsync(t.OrgId, ["runs:read"], new { limit = 5, windowSeconds = 60 });

        Assert.That(key.Str("key"), Does.StartWith("orch_" + key.Str("id") + "_"));
        Assert.That(key.Str("key").Length, Is.GreaterThanOrEqualTo(5 + 16 + 1 + 32), "at least 128 bits of secret");
        Assert.That(key.Str("orgId"), Is.EqualTo(t.OrgId));
        Assert.That(key["permissions"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EqualTo(new[] { "runs:read" }));
        Assert.That(key["rateLimit"]!["limit"]!.GetValue<int>(), Is.EqualTo(5));
    }

    [Test]
    public async Task CreateApiKey_UnknownPermissionAndMissingName_Returns400()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = t.OrgId, permissions = new[] { "runs:explode" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]!.AsArray().Select(d => d.Str("field")), Is.EquivalentTo(new[] { "name", "permissions" }));
    }

    [Test]
    public async Task CreateApiKey_ExpiryInPast_Returns400()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "old", permissions = new[] { "*" }, expiresAt = Factory.Time.GetUtcNow().AddMinutes(-1) });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task CreateApiKey_UnknownOrg_Returns404()
    {
        var (status, body, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = "no-such-org", name = "k", permissions = new[] { "*" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.EqualTo("Org not found"));
    }

    [Test]
    public async Task ListApiKeys_ByOrg_ListsWithoutSecrets()
    {
        var t = await NewTenantAsync();
        var second = await CreateKeyAsync(t.OrgId, ["tasks:*"]);
        var (status, body, response) = await Admin.GetJsonAsync($"/api/v1/admin/api-keys?orgId={t.OrgId}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["items"]!.AsArray().Select(k => k.Str("id")), Is.EquivalentTo(new[] { t.KeyId, second.Str("id") }));
        Assert.That(text, Does.Not.Contain(second.Str("key")));
        Assert.That(body["items"]![0]!["key"], Is.Null);
        Assert.That(text, Does.Not.Contain("hash").IgnoreCase);
    }

    [Test]
    public async Task RevokeApiKey_Existing_StopsWorkingAtOnce()
    {
        var t = await NewTenantAsync();
        var (before, _, _) = await t.Client.GetJsonAsync("/api/v1/runs");

        var (revoke, _, _) = await Admin.DeleteJsonAsync($"/api/v1/admin/api-keys/{t.KeyId}");
        var (after, body, _) = await t.Client.GetJsonAsync("/api/v1/runs");
        var (_, list, _) = await Admin.GetJsonAsync($"/api/v1/admin/api-keys?orgId={t.OrgId}");

        Assert.That(before, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(revoke, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body!["details"]![0].Str("message"), Does.Contain("revoked"));
        Assert.That(list!["items"]!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task RevokeApiKey_Unknown_Returns404()
    {
        var (status, _, _) = await Admin.DeleteJsonAsync("/api/v1/admin/api-keys/nope");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
