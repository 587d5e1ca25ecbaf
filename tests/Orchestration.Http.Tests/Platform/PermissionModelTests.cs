using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>
/// The permission model: <c>admin</c> is the cross-org system permission, <c>ops:read</c> the org operator's view,
/// <c>keys:manage</c> manages the own org's keys, and no key mints a key stronger than itself.
/// </summary>
public sealed class PermissionModelTests(ApiBackend backend) : ApiFixture(backend)
{
    private static readonly object Job = new { type = "t", binary_url = "https://example.com/b", binary_sha256 = new string('a', 64), priority = "background" };

    [Test]
    public async Task CreateApiKey_KeyManagerForAnotherOrg_Returns403AndCreatesNothing()
    {
        var victim = await NewTenantAsync();
        var manager = await NewTenantAsync("keys:manage", "*");

        var (status, body, _) = await manager.Client.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = victim.OrgId, name = "x", permissions = new[] { "*" } });
        var (_, list, _) = await Admin.GetJsonAsync($"/api/v1/admin/api-keys?orgId={victim.OrgId}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain("own org"));
        Assert.That(list!["items"]!.AsArray().Select(k => k.Str("id")), Is.EqualTo(new[] { victim.KeyId }));
    }

    [TestCase("*")]
    [TestCase("admin")]
    [TestCase("runs:*")]
    [TestCase("tasks:read")]
    public async Task CreateApiKey_PermissionTheCallerDoesNotHold_Returns403(string permission)
    {
        var manager = await NewTenantAsync("keys:manage", "runs:read");

        var (status, body, _) = await manager.Client.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { permission } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain($"'{permission}'"));
    }

    [Test]
    public async Task CreateApiKey_StarKeyCannotGrantSystem_Returns403()
    {
        var manager = await NewTenantAsync("keys:manage", "*");

        var (status, _, _) = await manager.Client.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { "*", "admin" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task CreateApiKey_OwnOrgWithHeldPermissions_Returns201InCallersOrg()
    {
        var manager = await NewTenantAsync("keys:manage", "runs:*");

        var (status, key, _) = await manager.Client.PostJsonAsync("/api/v1/admin/api-keys", new { name = "reader", permissions = new[] { "runs:read" } });
        using var reader = Factory.WithKey(key.Str("key"));
        var (readStatus, _, _) = await reader.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        Assert.That(key.Str("orgId"), Is.EqualTo(manager.OrgId));
        Assert.That(readStatus, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task CreateApiKey_LaterExpiryThanCaller_Returns403AndNoneInheritsCallersExpiry()
    {
        var t = await NewTenantAsync();
        var callerExpiry = Factory.Time.GetUtcNow().AddDays(30);
        var (_, managerKey, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "m", permissions = new[] { "keys:manage", "*" }, expiresAt = callerExpiry });
        using var manager = Factory.WithKey(managerKey.Str("key"));

        var (later, _, _) = await manager.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { "*" }, expiresAt = callerExpiry.AddDays(1) });
        var (unset, key, _) = await manager.PostJsonAsync("/api/v1/admin/api-keys", new { name = "y", permissions = new[] { "*" } });

        Assert.That(later, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(unset, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(DateTimeOffset.Parse(key.Str("expiresAt"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(callerExpiry));
    }

    [TestCase(11, 60)]
    [TestCase(5, 10)]
    public async Task CreateApiKey_HigherRateLimitThanCaller_Returns403(int limit, int windowSeconds)
    {
        var t = await NewTenantAsync();
        var managerKey = await CreateKeyAsync(t.OrgId, ["keys:manage", "*"], new { limit = 10, windowSeconds = 60 });
        using var manager = Factory.WithKey(managerKey.Str("key"));

        var (status, body, _) = await manager.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { "*" }, rateLimit = new { limit, windowSeconds } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(body.Str("error"), Does.Contain("rateLimit"));
    }

    [Test]
    public async Task CreateApiKey_NoRateLimitGiven_InheritsCallersOwn()
    {
        var t = await NewTenantAsync();
        var managerKey = await CreateKeyAsync(t.OrgId, ["keys:manage", "*"], new { limit = 10, windowSeconds = 60 });
        using var manager = Factory.WithKey(managerKey.Str("key"));

        var (status, key, _) = await manager.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { "*" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(key!["rateLimit"]!["limit"]!.GetValue<int>(), Is.EqualTo(10));
        Assert.That(key["rateLimit"]!["windowSeconds"]!.GetValue<int>(), Is.EqualTo(60));
    }

    [TestCase(10, 86_401)]
    [TestCase(1_000_001, 60)]
    public async Task CreateApiKey_RateLimitBeyondCaps_Returns400(int limit, int windowSeconds)
    {
        var t = await NewTenantAsync();

        var (status, body, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = t.OrgId, name = "x", permissions = new[] { "*" }, rateLimit = new { limit, windowSeconds } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0].Str("field"), Is.EqualTo("rateLimit"));
    }

    [Test]
    public async Task ListApiKeys_KeyManager_SeesOnlyOwnOrgAndIsRefusedAnother()
    {
        var other = await NewTenantAsync();
        var manager = await NewTenantAsync("keys:manage");

        var (own, body, _) = await manager.Client.GetJsonAsync("/api/v1/admin/api-keys");
        var (foreign, _, _) = await manager.Client.GetJsonAsync($"/api/v1/admin/api-keys?orgId={other.OrgId}");

        Assert.That(own, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["items"]!.AsArray().Select(k => k.Str("orgId")).Distinct(), Is.EqualTo(new[] { manager.OrgId }));
        Assert.That(foreign, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task RevokeApiKey_KeyManagerOnAnotherOrgsKey_Returns404AndKeyKeepsWorking()
    {
        var victim = await NewTenantAsync();
        var manager = await NewTenantAsync("keys:manage");

        var (status, _, _) = await manager.Client.DeleteJsonAsync($"/api/v1/admin/api-keys/{victim.KeyId}");
        var (victimStatus, _, _) = await victim.Client.GetJsonAsync("/api/v1/runs");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(victimStatus, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task RevokeApiKey_KeyManagerOnOwnOrgsKey_Returns204()
    {
        var manager = await NewTenantAsync("keys:manage", "runs:read");
        var (_, key, _) = await manager.Client.PostJsonAsync("/api/v1/admin/api-keys", new { name = "x", permissions = new[] { "runs:read" } });

        var (status, _, _) = await manager.Client.DeleteJsonAsync($"/api/v1/admin/api-keys/{key.Str("id")}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task RevokeApiKey_DefaultOrgKeyManagerOnBootstrapKey_Returns403()
    {
        var manager = Factory.WithKey((await CreateKeyAsync("default", ["keys:manage"])).Str("key"));
        var (_, list, _) = await manager.GetJsonAsync("/api/v1/admin/api-keys");
        var bootstrap = list!["items"]!.AsArray().First(k => k!["permissions"]!.AsArray().Any(p => p!.GetValue<string>() == "admin"));

        var (status, _, _) = await manager.DeleteJsonAsync($"/api/v1/admin/api-keys/{bootstrap.Str("id")}");
        var (adminStatus, _, _) = await Admin.GetJsonAsync("/api/v1/admin/api-keys");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(adminStatus, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("ops:read", true)]
    [TestCase("*", true)]
    [TestCase("jobs:*", false)]
    [TestCase("admin", false)]
    public async Task OperatorViews_NeedOpsRead(string permission, bool allowed)
    {
        var t = await NewTenantAsync(permission);

        foreach (var path in new[] { "/api/v1/admin/stats", "/api/v1/admin/executors", "/api/v1/metrics" })
        {
            var (status, _, _) = await t.Client.GetJsonAsync(path);
            Assert.That(status, Is.EqualTo(allowed ? HttpStatusCode.OK : HttpStatusCode.Forbidden), path);
        }
    }

    [Test]
    public async Task Stats_OperatorKey_CountsOnlyOwnOrg()
    {
        var other = await NewTenantAsync();
        await other.Client.PostJsonAsync("/api/v1/jobs", Job);
        var operatorKey = await NewTenantAsync("ops:read");

        var (status, stats, _) = await operatorKey.Client.GetJsonAsync("/api/v1/admin/stats");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(stats!["jobs_by_status"]!["pending"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task Metrics_OrgOperator_GetsOwnGaugesButNoProcessWideCounters()
    {
        var other = await NewTenantAsync();
        await other.Client.PostJsonAsync("/api/v1/jobs", Job);
        var operatorKey = await NewTenantAsync("ops:read");

        var orgText = await operatorKey.Client.GetStringAsync(new Uri("/api/v1/metrics", UriKind.Relative));
        var systemText = await Admin.GetStringAsync(new Uri("/api/v1/metrics", UriKind.Relative));

        Assert.That(orgText, Does.Contain("orchestration_jobs_queue_depth{priority=\"background\"} 0"));
        Assert.That(orgText, Does.Not.Contain("_total"));
        Assert.That(systemText, Does.Contain("orchestration_jobs_submitted_total"));
    }

    [Test]
    public async Task SystemKeyGrantedByBootstrap_ManagesAnotherOrgsKeys()
    {
        var t = await NewTenantAsync();
        var system = Factory.WithKey((await CreateKeyAsync("default", ["admin"])).Str("key"));

        var (status, body, _) = await system.GetJsonAsync($"/api/v1/admin/api-keys?orgId={t.OrgId}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["items"]!.AsArray().Select(k => k.Str("id")), Is.EqualTo(new[] { t.KeyId }));
    }
}
