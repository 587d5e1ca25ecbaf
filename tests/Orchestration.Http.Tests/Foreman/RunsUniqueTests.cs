using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

public sealed class RunsUniqueTests(ApiBackend backend) : ApiFixture(backend)
{
    private static async Task<(HttpStatusCode Status, JsonNode? Json)> CreateWithHeaderAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/runs") { Content = Infrastructure.Http.Body(new { inputData = new { n = 1 } }) };
        request.Headers.Add("Idempotency-Key", key);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync()));
    }

    [Test]
    public async Task CreateRun_SameIdempotencyKeyHeader_Returns200WithTheFirstRunEvenAfterItCompleted()
    {
        var t = await NewTenantAsync();
        var (firstStatus, first) = await CreateWithHeaderAsync(t.Client, "order-42");
        await t.Client.PatchJsonAsync($"/api/v1/runs/{first.Str("id")}", new { status = "completed" });

        var (againStatus, again) = await CreateWithHeaderAsync(t.Client, "order-42");

        Assert.That(firstStatus, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(againStatus, Is.EqualTo(HttpStatusCode.OK), again?.ToJsonString());
        Assert.That(again.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(again.Str("status"), Is.EqualTo("completed"));
    }

    [Test]
    public async Task CreateRun_UniqueKeyHeldByPendingRun_Returns200WithExistingRun()
    {
        var t = await NewTenantAsync();
        var body = new { inputData = new { n = 1 }, unique = new { key = "nightly" } };
        var (s1, first, _) = await t.Client.PostJsonAsync("/api/v1/runs", body);

        var (s2, second, _) = await t.Client.PostJsonAsync("/api/v1/runs", body);

        Assert.That((s1, s2), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.OK)));
        Assert.That(second.Str("id"), Is.EqualTo(first.Str("id")));
    }

    [Test]
    public async Task CreateRun_UniqueKeyConflictMode_Returns409NamingKeyAndRun()
    {
        var t = await NewTenantAsync();
        var (_, first, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1, unique = new { key = "nightly" } });

        var (status, error, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1, unique = new { key = "nightly", onDuplicate = "conflict" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Does.Contain("nightly").And.Contain(first.Str("id")));
    }

    [Test]
    public async Task CreateRun_UniqueWindowAfterCompletion_BlocksThenAllows()
    {
        var t = await NewTenantAsync();
        var body = new { inputData = 1, unique = new { key = "digest", windowSeconds = 600 } };
        var (_, first, _) = await t.Client.PostJsonAsync("/api/v1/runs", body);
        await t.Client.PatchJsonAsync($"/api/v1/runs/{first.Str("id")}", new { status = "completed" });

        Factory.Time.Advance(TimeSpan.FromSeconds(599));
        var (within, withinRun, _) = await t.Client.PostJsonAsync("/api/v1/runs", body);
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var (after, afterRun, _) = await t.Client.PostJsonAsync("/api/v1/runs", body);

        Assert.That(within, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(withinRun.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(afterRun.Str("id"), Is.Not.EqualTo(first.Str("id")));
    }

    [Test]
    public async Task CreateRun_BadUniqueFields_Returns400NamingTheField()
    {
        var t = await NewTenantAsync();

        var (noKey, noKeyBody, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1, unique = new { windowSeconds = 5 } });
        var (badState, badStateBody, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1, unique = new { key = "k", states = new[] { "sleeping" } } });
        var (badMode, badModeBody, _) = await t.Client.PostJsonAsync("/api/v1/runs", new { inputData = 1, unique = new { key = "k", onDuplicate = "replace" } });

        Assert.That((noKey, badState, badMode), Is.EqualTo((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest, HttpStatusCode.BadRequest)));
        Assert.That(noKeyBody.Str("error"), Does.Contain("unique.key"));
        Assert.That(badStateBody.Str("error"), Does.Contain("unique.states"));
        Assert.That(badModeBody.Str("error"), Does.Contain("unique.onDuplicate"));
    }
}
