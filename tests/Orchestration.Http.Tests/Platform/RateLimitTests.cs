using System.Globalization;
using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

public sealed class RateLimitTests(ApiBackend backend) : ApiFixture(backend)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Orchestration:RateLimits:PerKey:Limit"] = "3",
        ["Orchestration:RateLimits:PerKey:WindowSeconds"] = "60",
        ["Orchestration:RateLimits:PerIp:Limit"] = "2",
        ["Orchestration:RateLimits:PerIp:WindowSeconds"] = "30",
    };

    // The admin key is limited too; a fresh window per test keeps tenant setup within budget.
    [SetUp]
    public void StartFreshWindows() => Factory.Time.Advance(TimeSpan.FromHours(1));

    [Test]
    public async Task PerKey_OverLimit_Returns429WithHeadersUntilWindowResets()
    {
        var t = await NewTenantAsync();
        var responses = new List<HttpResponseMessage>();
        for (var i = 0; i < 4; i++) responses.Add((await t.Client.GetJsonAsync("/api/v1/runs")).Response);
        var (_, body, _) = await t.Client.GetJsonAsync("/api/v1/runs");

        Assert.That(responses.Select(r => r.StatusCode), Is.EqualTo(new[] { HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests }));
        Assert.That(responses.Select(r => Header(r, "X-RateLimit-Remaining")), Is.EqualTo(new[] { "2", "1", "0", "0" }));
        Assert.That(Header(responses[0], "X-RateLimit-Limit"), Is.EqualTo("3"));
        var reset = long.Parse(Header(responses[0], "X-RateLimit-Reset"), CultureInfo.InvariantCulture);
        Assert.That(reset, Is.EqualTo(Factory.Time.GetUtcNow().AddSeconds(60).ToUnixTimeSeconds()));
        Assert.That(Header(responses[3], "Retry-After"), Is.EqualTo("60"));
        Assert.That(body.Str("error"), Is.EqualTo("Rate limit exceeded. Try again later."));

        Factory.Time.Advance(TimeSpan.FromSeconds(60));
        var (after, _, _) = await t.Client.GetJsonAsync("/api/v1/runs");
        Assert.That(after, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task PerKey_SeparateKeys_HaveSeparateBudgets()
    {
        var a = await NewTenantAsync();
        Factory.Time.Advance(TimeSpan.FromHours(1));
        var b = await NewTenantAsync();
        for (var i = 0; i < 3; i++) await a.Client.GetJsonAsync("/api/v1/runs");

        var (statusA, _, _) = await a.Client.GetJsonAsync("/api/v1/runs");
        var (statusB, _, _) = await b.Client.GetJsonAsync("/api/v1/runs");

        Assert.That(statusA, Is.EqualTo(HttpStatusCode.TooManyRequests));
        Assert.That(statusB, Is.EqualTo(HttpStatusCode.OK));
    }

    [Test]
    public async Task PerKey_KeyOverride_UsesKeysOwnLimit()
    {
        var t = await NewTenantAsync();
        var key = await CreateKeyAsync(t.OrgId, ["*"], new { limit = 1, windowSeconds = 10 });
        using var client = Factory.WithKey(key.Str("key"));

        var (first, _, r1) = await client.GetJsonAsync("/api/v1/runs");
        var (second, _, _) = await client.GetJsonAsync("/api/v1/runs");

        Assert.That(first, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Header(r1, "X-RateLimit-Limit"), Is.EqualTo("1"));
        Assert.That(second, Is.EqualTo(HttpStatusCode.TooManyRequests));
    }

    [Test]
    public async Task PerIp_Unauthenticated_LimitedSeparatelyFromKeys()
    {
        using var anonymous = Factory.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++) statuses.Add((await anonymous.GetJsonAsync("/api/v1/runs")).Status);
        var (_, _, last) = await anonymous.GetJsonAsync("/api/v1/runs");

        Assert.That(statuses, Is.EqualTo(new[] { HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests }));
        Assert.That(Header(last, "X-RateLimit-Limit"), Is.EqualTo("2"));
        Assert.That(last.Headers.Contains("Retry-After"), Is.True);
    }

    [Test]
    public async Task Health_ManyRequests_NeverLimited()
    {
        using var anonymous = Factory.Anonymous();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10; i++) statuses.Add((await anonymous.GetJsonAsync("/health")).Status);

        Assert.That(statuses, Is.All.EqualTo(HttpStatusCode.OK));
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : throw new AssertionException($"no {name} header");
}
