using System.Net;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// Host-issued JWTs: <c>POST /api/auth/token</c> exchanges a user token for a short-lived JWT, which authenticates until
/// it expires or its token is revoked; a wrong signature, <c>alg: none</c>, a foreign issuer or audience is refused.
/// </summary>
public sealed class FormicaryJwtTests(ApiBackend backend) : FormicaryUsersFixture(backend)
{
    private async Task<(string Jwt, string TokenId, string UserId, string OrgId, HttpClient Admin)> JwtForNewUserAsync()
    {
        var (orgId, admin) = await NewTenantAsync("*", "keys:manage");
        var user = await CreateUserAsync(admin, "jwt-user", "JobRequest:Query");
        var (token, tokenClient) = await CreateTokenAsync(admin, user.Str("id"));
        var (status, issued, _) = await tokenClient.PostJsonAsync("/api/auth/token", new { });
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), issued?.ToJsonString());
        return (issued.Str("access_token"), token.Str("id"), user.Str("id"), orgId, admin);
    }

    /// <summary>A token signed like this host's but with what the test chooses.</summary>
    private string Forge(string tokenId, string orgId, string issuer = Issuer, string audience = Audience, string key = SigningKey, string algorithm = SecurityAlgorithms.HmacSha256)
    {
        var now = Factory.Time.GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now.AddMinutes(5),
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), algorithm),
            Claims = new Dictionary<string, object> { ["sub"] = "x", ["jti"] = tokenId, ["org_id"] = orgId, ["permissions"] = "*" },
        });
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    [Test]
    public async Task ExchangeToken_UserToken_JwtAuthenticatesWithTheTokensPermissions()
    {
        var (jwt, _, userId, _, _) = await JwtForNewUserAsync();
        using var client = WithBearer(jwt);

        var (query, _, _) = await client.GetJsonAsync("/api/jobs/requests");
        var (submit, _, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "x" });
        var (ownTokens, _, _) = await client.GetJsonAsync($"/api/users/{userId}/tokens");
        var parsed = new JsonWebToken(jwt);

        Assert.That(query, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(submit, Is.EqualTo(HttpStatusCode.Forbidden), "the JWT holds its token's permissions, no more");
        Assert.That(ownTokens, Is.EqualTo(HttpStatusCode.OK), "a JWT of a user's token acts as that user");
        Assert.That((parsed.Alg, parsed.Issuer, parsed.Audiences.Single()), Is.EqualTo(("HS256", Issuer, Audience)));
        Assert.That(parsed.ValidTo - parsed.ValidFrom, Is.EqualTo(TimeSpan.FromSeconds(300)));
    }

    [Test]
    public async Task ExchangeToken_WithAJwt_400()
    {
        var (jwt, _, _, _, _) = await JwtForNewUserAsync();
        using var client = WithBearer(jwt);

        var (status, body, _) = await client.PostJsonAsync("/api/auth/token", new { });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain("a JWT cannot be exchanged"));
    }

    [Test]
    public async Task Jwt_WrongSignature_401()
    {
        var (_, tokenId, _, orgId, _) = await JwtForNewUserAsync();
        using var client = WithBearer(Forge(tokenId, orgId, key: "another-signing-key-0123456789-abcdefghijklmnop"));

        var (status, body, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That((status, body.Str("error")), Is.EqualTo((HttpStatusCode.Unauthorized, "Invalid Bearer token")));
    }

    [Test]
    public async Task Jwt_AlgNone_401()
    {
        var (jwt, _, _, _, _) = await JwtForNewUserAsync();
        var payload = jwt.Split('.')[1];
        using var client = WithBearer(Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + payload + ".");

        var (status, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Jwt_OtherAlgorithmSameKey_401()
    {
        var (_, tokenId, _, orgId, _) = await JwtForNewUserAsync();
        using var client = WithBearer(Forge(tokenId, orgId, algorithm: SecurityAlgorithms.HmacSha512,
            key: SigningKey + SigningKey));

        var (status, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized), "the algorithm is pinned to HS256");
    }

    [Test]
    public async Task Jwt_Expired_401AfterLifetimeAndSkew()
    {
        var (jwt, _, _, _, _) = await JwtForNewUserAsync();
        using var client = WithBearer(jwt);

        Factory.Time.Advance(TimeSpan.FromSeconds(305));
        var (withinSkew, _, _) = await client.GetJsonAsync("/api/jobs/requests");
        Factory.Time.Advance(TimeSpan.FromSeconds(10));
        var (expired, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That(withinSkew, Is.EqualTo(HttpStatusCode.OK), "10 s of clock skew are tolerated");
        Assert.That(expired, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Jwt_ForeignIssuerOrAudience_401()
    {
        var (_, tokenId, _, orgId, _) = await JwtForNewUserAsync();
        using var foreignIssuer = WithBearer(Forge(tokenId, orgId, issuer: "https://someone-else.example"));
        using var foreignAudience = WithBearer(Forge(tokenId, orgId, audience: "another-api"));
        using var genuine = WithBearer(Forge(tokenId, orgId));

        var (issuerStatus, _, _) = await foreignIssuer.GetJsonAsync("/api/jobs/requests");
        var (audienceStatus, _, _) = await foreignAudience.GetJsonAsync("/api/jobs/requests");
        var (genuineStatus, _, _) = await genuine.GetJsonAsync("/api/jobs/requests");
        var (genuineSubmit, _, _) = await genuine.PostJsonAsync("/api/jobs/requests", new { job_type = "x" });

        Assert.That((issuerStatus, audienceStatus), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(genuineStatus, Is.EqualTo(HttpStatusCode.OK), "the same token with this host's issuer and audience is accepted");
        Assert.That(genuineSubmit, Is.EqualTo(HttpStatusCode.Forbidden), "permissions come from the stored token, never from the JWT's claims");
    }

    [Test]
    public async Task Jwt_TokenRevoked_401AtOnce()
    {
        var (jwt, tokenId, userId, _, admin) = await JwtForNewUserAsync();
        using var client = WithBearer(jwt);
        var (before, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        var (revoke, _, _) = await admin.DeleteJsonAsync($"/api/users/{userId}/tokens/{tokenId}");
        var (after, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That((before, revoke), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Jwt_UserLocked_401()
    {
        var (jwt, _, userId, _, admin) = await JwtForNewUserAsync();
        using var client = WithBearer(jwt);

        var (locked, _, _) = await admin.SendAsync(HttpMethod.Put, $"/api/users/{userId}", new { locked = true });
        var (after, _, _) = await client.GetJsonAsync("/api/jobs/requests");

        Assert.That(locked, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Unauthorized));
    }
}
