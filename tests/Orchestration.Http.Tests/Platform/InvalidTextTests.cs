using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Platform;

/// <summary>Text that is not valid UTF-8 is refused before anything is written, and a bad stored row never breaks a read.</summary>
public sealed class InvalidTextTests(ApiBackend backend) : ApiFixture(backend)
{
    // A JSON escape of a lone high surrogate, as a client would send it: valid JSON syntax, invalid text.
    private const string LoneSurrogate = "\"\\ud800\"";

    private static async Task<(HttpStatusCode Status, string Body)> PostRawAsync(HttpClient client, string url, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var response = await client.PostAsync(url, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    // 0xFF never occurs in UTF-8.
    private static byte[] WithInvalidByte(string jsonBefore, string jsonAfter) =>
        [.. Encoding.UTF8.GetBytes(jsonBefore), 0xFF, .. Encoding.UTF8.GetBytes(jsonAfter)];

    private async Task<int> RunCountAsync(Tenant t)
    {
        var (status, list, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=100");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), list?.ToJsonString());
        return list!["total"]!.GetValue<int>();
    }

    [Test]
    public async Task CreateRun_LoneSurrogateEscapeInInputData_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var (status, body) = await PostRawAsync(t.Client, "/api/v1/runs", Encoding.UTF8.GetBytes("{\"inputData\":{\"name\":" + LoneSurrogate + "}}"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("lone surrogate"));
        Assert.That(await RunCountAsync(t), Is.Zero);
    }

    [Test]
    public async Task CreateRun_InvalidUtf8ByteInInputData_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var (status, body) = await PostRawAsync(t.Client, "/api/v1/runs", WithInvalidByte("""{"inputData":{"name":"a""", "\"}}"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("not valid UTF-8"));
        Assert.That(await RunCountAsync(t), Is.Zero);
    }

    [Test]
    public async Task CreateRun_LoneSurrogateEscapeInPropertyName_Returns400()
    {
        var t = await NewTenantAsync();
        var (status, body) = await PostRawAsync(t.Client, "/api/v1/runs", Encoding.UTF8.GetBytes("{\"inputData\":{" + LoneSurrogate + ":1}}"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(await RunCountAsync(t), Is.Zero);
    }

    [Test]
    public async Task CreateRun_ValidSurrogatePairEscape_Returns201()
    {
        var t = await NewTenantAsync();
        var (status, body) = await PostRawAsync(t.Client, "/api/v1/runs", Encoding.UTF8.GetBytes("""{"inputData":"\ud83d\ude00"}"""));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body);
    }

    [Test]
    public async Task CreateRunData_LoneSurrogateEscapeInValue_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (status, body) = await PostRawAsync(t.Client, $"/api/v1/runs/{run}/data", Encoding.UTF8.GetBytes($$"""{"key":"k","value":{{LoneSurrogate}}}"""));
        var (invalidByte, _) = await PostRawAsync(t.Client, $"/api/v1/runs/{run}/data", WithInvalidByte("""{"key":"k","value":"a""", "\"}"));
        var (listStatus, list, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?includeAll=true");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(invalidByte, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list!["total"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task CreateTask_LoneSurrogateEscapeInInputData_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (status, body) = await PostRawAsync(t.Client, "/api/v1/tasks", Encoding.UTF8.GetBytes($$"""{"runId":"{{run}}","type":"t","inputData":{{LoneSurrogate}}}"""));
        var (invalidByte, _) = await PostRawAsync(t.Client, "/api/v1/tasks", WithInvalidByte($$"""{"runId":"{{run}}","type":"t","inputData":"a""", "\"}"));
        var (listStatus, list, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(invalidByte, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list!["total"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task SubmitJob_LoneSurrogateEscapeOrInvalidByteInArguments_Returns400AndStoresNothing()
    {
        var t = await NewTenantAsync();
        const string sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        var prefix = $$"""{"type":"convert","binary_url":"https://example.com/bin","binary_sha256":"{{sha}}","priority":"background","arguments":[""";
        var (escaped, body) = await PostRawAsync(t.Client, "/api/v1/jobs", Encoding.UTF8.GetBytes(prefix + LoneSurrogate + "]}"));
        var (invalidByte, _) = await PostRawAsync(t.Client, "/api/v1/jobs", WithInvalidByte(prefix + "\"a", "\"]}"));
        var (bulk, _) = await PostRawAsync(t.Client, "/api/v1/jobs/bulk", Encoding.UTF8.GetBytes("[" + prefix + LoneSurrogate + "]}]"));
        var (listStatus, list, _) = await t.Client.GetJsonAsync("/api/v1/jobs");

        Assert.That(escaped, Is.EqualTo(HttpStatusCode.BadRequest), body);
        Assert.That(body, Does.Contain("\"error\""));
        Assert.That(invalidByte, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(bulk, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(list!.AsArray(), Is.Empty);
    }

    [Test]
    public async Task ListRuns_StoredRowWithInvalidText_ReturnsEveryRowWithTheBadFieldMarked()
    {
        var t = await NewTenantAsync();
        var good = await CreateRunAsync(t.Client, new { ok = true });
        var store = Factory.Services.GetRequiredService<IOrchestrationStore>();
        var escaped = Guid.CreateVersion7();
        var notJson = Guid.CreateVersion7();
        // Written straight into the store, as rows stored before bodies were checked would be.
        await store.CreateRunsAsync(
        [
            new CreateRunParams { RunId = escaped, OrgId = t.OrgId, Kind = RunKind.Open, Family = "foreman", InputJson = "{\"name\":" + LoneSurrogate + "}", MetadataJson = "{\"m\":1}" },
            new CreateRunParams { RunId = notJson, OrgId = t.OrgId, Kind = RunKind.Open, Family = "foreman", InputJson = "not json {" },
        ], CancellationToken.None);

        var (status, list, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=100");
        var (oneStatus, one, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{escaped}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), list?.ToJsonString());
        var items = list!["items"]!.AsArray();
        Assert.That(items.Select(i => i.Str("id")), Is.EquivalentTo(new[] { good, escaped.ToString(), notJson.ToString() }));
        var bad = items.Single(i => i.Str("id") == escaped.ToString())!;
        Assert.That(bad["inputData"]!["invalid"]!.GetValue<bool>(), Is.True);
        Assert.That(bad["inputData"].Str("error"), Does.Contain("not valid"));
        Assert.That(bad["metadata"]!["m"]!.GetValue<int>(), Is.EqualTo(1), "the row's other fields are still shown");
        Assert.That(items.Single(i => i.Str("id") == notJson.ToString())!["inputData"]!["invalid"]!.GetValue<bool>(), Is.True);
        Assert.That(items.Single(i => i.Str("id") == good)!["inputData"]!["ok"]!.GetValue<bool>(), Is.True);
        Assert.That(oneStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(one!["inputData"]!["invalid"]!.GetValue<bool>(), Is.True);
    }
}
