using System.Net;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>Start-up checks of the auth settings, and what a failed credential costs the host.</summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public sealed class AuthHardeningTests(ApiBackend backend)
{
    [Test]
    public void Start_JwtSchemeWithoutHandler_FailsNamingSetting()
    {
        using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:JwtScheme"] = "Bearer" });

        var error = Assert.Catch(() => factory.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("Orchestration:Auth:JwtScheme"));
    }

    [Test]
    public async Task Jwt_InvalidTokens_Answer401ThenAreRateLimitedPerIp()
    {
        await using var factory = new ApiFactory(backend,
            new Dictionary<string, string?> { ["Orchestration:Auth:JwtScheme"] = JwtBearerDefaults.AuthenticationScheme, ["Orchestration:RateLimits:PerIp:Limit"] = "2" },
            services => services.AddAuthentication().AddJwtBearer(o => o.TokenValidationParameters = new TokenValidationParameters
            {
                IssuerSigningKey = new SymmetricSecurityKey(new byte[32]),
                ValidateIssuer = false,
                ValidateAudience = false,
            }));

        var statuses = new List<HttpStatusCode>();
        foreach (var token in new[] { "a.b.c", "eyJhbGciOiJIUzI1NiJ9.e30.x", "a.b.c" })
        {
            using var client = factory.WithKey(token);
            statuses.Add((await client.GetJsonAsync("/api/v1/runs")).Status);
        }

        using var another = factory.WithKey("x.y.z");
        var (_, body, _) = await another.GetJsonAsync("/api/v1/runs");

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.That(body.Str("error"), Does.Contain("Rate limit"));
    }

    [TestCase("orch_abcdefghijklmnopqrstuvwxyz_b")]
    [TestCase("orch_x_0123456789abcdef0123456789")]
    [TestCase("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    public void Start_WeakBootstrapKey_FailsNamingSetting(string key)
    {
        using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:BootstrapApiKey"] = key });

        var error = Assert.Catch(() => factory.CreateClient());
        Assert.That(error!.ToString(), Does.Contain("Orchestration:Auth:BootstrapApiKey"));
    }

    [Test]
    public async Task Start_StrongOrchFormBootstrapKey_Works()
    {
        const string key = "orch_ops_7f3a9c1e5b2d8f4a6c0e9b1d3f5a7c9e2b4d6f8a";
        await using var factory = new ApiFactory(backend, new Dictionary<string, string?> { ["Orchestration:Auth:BootstrapApiKey"] = key });
        using var admin = factory.WithKey(key);

        var (status, _, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "ok" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task Authenticate_UnknownIdAndWrongSecret_BothHashThePresentedSecret()
    {
        var verifier = new CountingVerifier();
        await using var factory = new ApiFactory(backend, services: s => s.Decorate<IApiKeyVerifier>(inner => verifier.Wrap(inner)));
        using var admin = factory.WithKey(ApiFactory.BootstrapKey);
        var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "t" });
        var (_, key, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "k", permissions = new[] { "*" } });
        var real = key.Str("key");
        var wrongSecret = real[..^1] + (real[^1] == '0' ? '1' : '0');
        var unknownId = "orch_0000000000000000_" + real[(real.LastIndexOf('_') + 1)..];

        var before = verifier.Count;
        var (s1, _, _) = await factory.WithKey(wrongSecret).GetJsonAsync("/api/v1/runs");
        var afterWrongSecret = verifier.Count;
        var (s2, _, _) = await factory.WithKey(unknownId).GetJsonAsync("/api/v1/runs");
        var afterUnknownId = verifier.Count;

        Assert.That((s1, s2), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(afterWrongSecret - before, Is.EqualTo(1));
        Assert.That(afterUnknownId - afterWrongSecret, Is.EqualTo(1), "an unknown id is hashed like a known one");
    }

    private sealed class CountingVerifier
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public IApiKeyVerifier Wrap(IApiKeyVerifier inner) => new Counting(this, inner);

        private sealed class Counting(CountingVerifier owner, IApiKeyVerifier inner) : IApiKeyVerifier
        {
            public bool Verify(string id, string secret, string storedHash)
            {
                Interlocked.Increment(ref owner._count);
                return inner.Verify(id, secret, storedHash);
            }
        }
    }
}
