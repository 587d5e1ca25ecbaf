using System.Net;
using System.Text;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orchestration.Hosting;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Hosting;

/// <summary>Start-up wiring: bootstrap key, auth switched off, JWT bearer, and the checks for missing registrations.</summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public sealed class HostingTests(ApiBackend backend)
{
    private static readonly byte[] JwtSigningKey = Encoding.UTF8.GetBytes("a-test-signing-key-that-is-long-enough-for-hs256");

    [Test]
    public async Task Bootstrap_ConfiguredKey_IsAdminOfDefaultOrg()
    {
        await using var factory = new ApiFactory(backend);
        using var admin = factory.WithKey(ApiFactory.BootstrapKey);
        var (status, body, _) = await admin.GetJsonAsync("/api/v1/admin/api-keys?orgId=default");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var key = body!["items"]!.AsArray().Single();
        Assert.That(key!["permissions"]!.AsArray().Select(p => p!.GetValue<string>()), Is.EquivalentTo(new[] { "admin", "*" }));
        Assert.That(factory.Logs.Messages, Has.None.Contains(ApiFactory.BootstrapKey), "a configured key is never echoed");
    }

    [Test]
    public async Task Bootstrap_NoKeyConfiguredEmptyDatabase_GeneratesAdminKeyAndPrintsItOnce()
    {
        await using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:BootstrapApiKey"] = "" });
        using var anonymous = factory.Anonymous();
        var (before, _, _) = await anonymous.GetJsonAsync("/health");

        var printed = factory.Logs.Messages.Where(m => m.Contains("orch_", StringComparison.Ordinal)).ToList();
        Assert.That(before, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(printed, Has.Count.EqualTo(1));
        var key = printed[0][printed[0].IndexOf("orch_", StringComparison.Ordinal)..].Trim();
        using var admin = factory.WithKey(key);
        var (status, _, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "first" });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public void Bootstrap_ConfiguredKeyTooShort_FailsStartupNamingSetting()
    {
        using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:BootstrapApiKey"] = "short" });

        var error = Assert.Catch(() => factory.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("Orchestration:Auth:BootstrapApiKey"));
    }

    [Test]
    public async Task AuthDisabled_NoHeader_ActsForDefaultOrg()
    {
        await using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:Enabled"] = "false" });
        using var client = factory.Anonymous();
        var (status, run, _) = await client.PostJsonAsync("/api/v1/runs", new { inputData = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(run.Str("orgId"), Is.EqualTo("default"));
    }

    [Test]
    public async Task Jwt_ValidToken_MapsOrgAndPermissionClaims()
    {
        await using var factory = JwtFactory();
        using var client = factory.WithKey(Token(new Dictionary<string, object> { ["org_id"] = "jwt-org", ["permissions"] = new[] { "runs:create", "runs:read" }, ["sub"] = "svc-1" }));

        var (created, run, _) = await client.PostJsonAsync("/api/v1/runs", new { inputData = 1 });
        var (forbidden, _, _) = await client.GetJsonAsync("/api/v1/tasks");

        Assert.That(created, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(run.Str("orgId"), Is.EqualTo("jwt-org"));
        Assert.That(forbidden, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task Jwt_SpaceSeparatedPermissions_AreSplit()
    {
        await using var factory = JwtFactory();
        using var client = factory.WithKey(Token(new Dictionary<string, object> { ["org_id"] = "jwt-org", ["permissions"] = "tasks:read runs:read" }));

        var (status, _, _) = await client.GetJsonAsync("/api/v1/tasks");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task Jwt_BadSignatureOrMissingOrg_Returns401()
    {
        await using var factory = JwtFactory();
        using var forged = factory.WithKey(Token(new Dictionary<string, object> { ["org_id"] = "jwt-org", ["permissions"] = "*" }, Encoding.UTF8.GetBytes("some-other-key-that-is-long-enough-for-hs256!!")));
        using var orgless = factory.WithKey(Token(new Dictionary<string, object> { ["permissions"] = "*" }));

        var (s1, _, _) = await forged.GetJsonAsync("/api/v1/runs");
        var (s2, body, _) = await orgless.GetJsonAsync("/api/v1/runs");

        Assert.That(s1, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(s2, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body!["details"]![0].Str("message"), Does.Contain("org_id"));
    }

    [Test]
    public void MapOrchestrationApi_WithoutAddOrchestration_ThrowsNamingIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddOrchestrationHttp();
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapOrchestrationApi());
        Assert.That(error!.Message, Does.Contain("AddOrchestration("));
    }

    [Test]
    public void MapOrchestrationApi_WithoutAddOrchestrationHttp_ThrowsNamingIt()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddOrchestration(o => o.UseInMemory());
        using var app = builder.Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapForemanApi());
        Assert.That(error!.Message, Does.Contain("AddOrchestrationHttp("));
    }

    private ApiFactory JwtFactory() => new(backend,
        new Dictionary<string, string?> { ["Orchestration:Auth:JwtScheme"] = JwtBearerDefaults.AuthenticationScheme },
        services => services.AddAuthentication().AddJwtBearer(o =>
        {
            o.MapInboundClaims = false;
            o.TokenValidationParameters = new TokenValidationParameters
            {
                IssuerSigningKey = new SymmetricSecurityKey(JwtSigningKey),
                ValidateIssuer = false,
                ValidateAudience = false,
                // The host runs on a fake clock; lifetime checks are the JWT library's business, not this test's.
                ValidateLifetime = false,
            };
        }));

    private static string Token(Dictionary<string, object> claims, byte[]? key = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? JwtSigningKey), SecurityAlgorithms.HmacSha256),
        });
}
