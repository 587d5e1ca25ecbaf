using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>One sample host per back end that issues its own JWTs (HS256), for the users, tokens and JWT tests.</summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public abstract class FormicaryUsersFixture(ApiBackend backend)
{
    public const string SigningKey = "users-fixture-signing-key-0123456789-abcdefghij";
    public const string Issuer = "orchestration-tests";
    public const string Audience = "orchestration-tests-api";

    protected ApiBackend Backend { get; } = backend;

    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Admin { get; private set; } = null!;

    [OneTimeSetUp]
    public void StartHost()
    {
        Factory = new ApiFactory(Backend, settings: new Dictionary<string, string?>
        {
            ["Orchestration:Jwt:SigningKey"] = SigningKey,
            ["Orchestration:Jwt:Issuer"] = Issuer,
            ["Orchestration:Jwt:Audience"] = Audience,
            ["Orchestration:Jwt:LifetimeSeconds"] = "300",
            ["Orchestration:Jwt:ClockSkewSeconds"] = "10",
        });
        Admin = Factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }

    /// <summary>A new org and a key of it holding <paramref name="permissions"/>.</summary>
    protected async Task<(string OrgId, HttpClient Client)> NewTenantAsync(params string[] permissions)
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        return (org.Str("id"), await KeyAsync(org.Str("id"), permissions));
    }

    protected async Task<HttpClient> KeyAsync(string orgId, string[] permissions)
    {
        var (status, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId, name = "users key", permissions });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return Factory.WithKey(key.Str("key"));
    }

    protected static async Task<JsonNode> CreateUserAsync(HttpClient client, string username, params string[] permissions)
    {
        var (status, user, _) = await client.PostJsonAsync("/api/users", new { username, name = "User " + username, permissions });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), user?.ToJsonString());
        return user!;
    }

    /// <summary>Creates a token the way Formicary's dashboard does: a form post with the field <c>token</c>.</summary>
    protected static async Task<(HttpStatusCode Status, JsonNode? Json)> PostTokenFormAsync(HttpClient client, string userId, params (string Name, string Value)[] fields)
    {
        using var content = new FormUrlEncodedContent(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        var response = await client.PostAsync($"/api/users/{userId}/tokens", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    protected async Task<(JsonNode Token, HttpClient Client)> CreateTokenAsync(HttpClient client, string userId, params (string Name, string Value)[] fields)
    {
        var (status, token) = await PostTokenFormAsync(client, userId, fields.Length == 0 ? [("token", "ci token")] : fields);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), token?.ToJsonString());
        return (token!, Factory.WithKey(token.Str("api_token")));
    }

    protected HttpClient WithBearer(string token)
    {
        var client = Factory.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
