using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// <c>/api/artifacts</c> on one host per back end, with artifacts in a temporary directory and a 1 MiB size limit; the
/// <c>uploader</c> handler stores an artifact from inside a task through <c>TaskContext</c>.
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public sealed class FormicaryArtifactsTests(ApiBackend backend)
{
    private const long MaxBytes = 1024 * 1024;

    private string _root = null!;
    private ApiFactory _factory = null!;
    private HttpClient _admin = null!;

    [OneTimeSetUp]
    public void StartHost()
    {
        _root = Path.Combine(Path.GetTempPath(), "orchestration-artifacts-" + Guid.NewGuid().ToString("N"));
        _factory = new ApiFactory(backend, new Dictionary<string, string?>
        {
            ["Orchestration:Artifacts:RootPath"] = _root,
            ["Orchestration:Artifacts:MaxArtifactBytes"] = MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, services => services.AddSingleton(UploaderRegistration()));
        _admin = _factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _admin.Dispose();
        await _factory.DisposeAsync();
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private async Task<HttpClient> TenantAsync(params string[] permissions) => (await TenantWithOrgAsync(permissions)).Client;

    private async Task<(string OrgId, HttpClient Client)> TenantWithOrgAsync(params string[] permissions)
    {
        var (status, org, _) = await _admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        var (keyStatus, key, _) = await _admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = org.Str("id"), name = "artifacts", permissions = permissions.Length == 0 ? new[] { "*" } : permissions });
        Assert.That(keyStatus, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return (org.Str("id"), _factory.WithKey(key.Str("key")));
    }

    private static async Task<(HttpStatusCode Status, JsonNode? Json)> UploadAsync(HttpClient client, string query, byte[] body, string? contentType = "text/plain",
        IReadOnlyDictionary<string, string>? headers = null)
    {
        using var content = new ByteArrayContent(body);
        if (contentType is not null) content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/artifacts" + query) { Content = content };
        foreach (var (k, v) in headers ?? new Dictionary<string, string>()) request.Headers.Add(k, v);
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A job request of one task, <c>package</c>, run by <paramref name="method"/> (a method nobody serves stays queued).</summary>
    private static async Task<string> RequestAsync(HttpClient client, string method = "UPLOADER")
    {
        var jobType = "job-" + Guid.NewGuid().ToString("N")[..8];
        var (saved, _, _) = await client.PostJsonAsync("/api/jobs/definitions", new
        {
            job_type = jobType,
            tasks = new object[] { new { task_type = "package", method } },
        });
        Assert.That(saved, Is.EqualTo(HttpStatusCode.Created));
        var (status, created, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = jobType });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        return created.Str("id");
    }

    [Test]
    public async Task Upload_RawBodyWithQueryMetadata_CreatedWithFormicaryFieldsAndSha256()
    {
        var client = await TenantAsync();
        var body = Encoding.UTF8.GetBytes("hello artifacts");

        var (status, json) = await UploadAsync(client, "?name=report.txt&kind=log&task_type=build&tags=env=prod,nightly&branch=main", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), json?.ToJsonString());
        Assert.That(json.Str("name"), Is.EqualTo("report.txt"));
        Assert.That(json.Str("kind"), Is.EqualTo("log"));
        Assert.That(json.Str("task_type"), Is.EqualTo("build"));
        Assert.That(json.Str("sha256"), Is.EqualTo(Sha(body)));
        Assert.That(json!["content_length"]!.GetValue<long>(), Is.EqualTo(body.Length));
        Assert.That(json.Str("content_type"), Is.EqualTo("text/plain"));
        Assert.That(json["metadata"]!.ToJsonString(), Is.EqualTo("""{"branch":"main"}"""), "unknown query parameters are metadata");
        Assert.That(json["tags"]!.ToJsonString(), Is.EqualTo("""{"env":"prod","nightly":""}"""));
        Assert.That(json.Str("url"), Is.EqualTo($"/api/artifacts/{json.Str("id")}/download"));
        Assert.That(json["created_at"], Is.Not.Null);
    }

    [Test]
    public async Task Upload_MetadataInHeaders_TakenFromXArtifactHeaders()
    {
        var client = await TenantAsync();

        var (status, json) = await UploadAsync(client, "", [1, 2, 3], "application/octet-stream",
            new Dictionary<string, string> { ["X-Artifact-Name"] = "blob.bin", ["X-Artifact-Kind"] = "binary" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), json?.ToJsonString());
        Assert.That((json.Str("name"), json.Str("kind")), Is.EqualTo(("blob.bin", "binary")));
    }

    [TestCase("../../etc/passwd")]
    [TestCase("..")]
    [TestCase("dir/file.txt")]
    [TestCase("dir\\file.txt")]
    [TestCase("C:evil")]
    public async Task Upload_PathLikeName_400NamingNameAndNothingStored(string name)
    {
        var client = await TenantAsync();

        var (status, json) = await UploadAsync(client, "?name=" + Uri.EscapeDataString(name), [1, 2, 3]);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), json?.ToJsonString());
        Assert.That(json!.ToJsonString(), Does.Contain("name"));
        Assert.That(json["error"], Is.Not.Null);
        var (_, list, _) = await client.GetJsonAsync("/api/artifacts");
        Assert.That(list!["total_records"]!.GetValue<long>(), Is.Zero);
    }

    [Test]
    public async Task Upload_MissingName_400()
    {
        var client = await TenantAsync();

        var (status, json) = await UploadAsync(client, "", [1]);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json!.ToJsonString(), Does.Contain("name"));
    }

    [Test]
    public async Task Upload_OverSizeLimit_413AndNoFileLeft()
    {
        var client = await TenantAsync();

        var (status, json) = await UploadAsync(client, "?name=big.bin", new byte[MaxBytes + 1]);

        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), json?.ToJsonString());
        Assert.That(json.Str("error"), Does.Contain(MaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var (_, list, _) = await client.GetJsonAsync("/api/artifacts");
        Assert.That(list!["total_records"]!.GetValue<long>(), Is.Zero);
    }

    [Test]
    public async Task Upload_UnknownJobRequest_404()
    {
        var client = await TenantAsync();

        var (status, json) = await UploadAsync(client, $"?name=a.txt&job_request_id={Guid.NewGuid()}", [1]);

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound), json?.ToJsonString());
    }

    [Test]
    public async Task List_Filters_FormicaryPaginatedEnvelopeNewestFirst()
    {
        var client = await TenantAsync();
        var request = await RequestAsync(client, method: "REMOTE_ONLY");
        var (s1, a) = await UploadAsync(client, $"?name=a.txt&kind=log&task_type=build&job_request_id={request}", [1]);
        _factory.Time.Advance(TimeSpan.FromSeconds(1));
        var (s2, b) = await UploadAsync(client, $"?name=b.txt&kind=log&task_type=test&job_request_id={request}", [2]);
        _factory.Time.Advance(TimeSpan.FromSeconds(1));
        var (s3, _) = await UploadAsync(client, "?name=c.txt&kind=bin", [3]);
        Assert.That((s1, s2, s3), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.Created)));

        var (status, byRequest, _) = await client.GetJsonAsync($"/api/artifacts?job_request_id={request}&page_size=1");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(byRequest!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { b.Str("id") }));
        Assert.That((byRequest["total_records"]!.GetValue<long>(), byRequest["page"]!.GetValue<int>(), byRequest["page_size"]!.GetValue<int>(), byRequest["total_pages"]!.GetValue<long>()),
            Is.EqualTo((2L, 0, 1, 2L)));
        var (_, byType, _) = await client.GetJsonAsync($"/api/artifacts?job_request_id={request}&task_type=build");
        Assert.That(byType!["records"]!.AsArray().Select(r => r.Str("id")), Is.EqualTo(new[] { a.Str("id") }));
        var (_, byKind, _) = await client.GetJsonAsync("/api/artifacts?kind=bin");
        Assert.That(byKind!["records"]!.AsArray().Select(r => r.Str("name")), Is.EqualTo(new[] { "c.txt" }));
        var (_, byName, _) = await client.GetJsonAsync("/api/artifacts?name=a.txt");
        Assert.That(byName!["records"]!.AsArray().Select(r => r.Str("job_request_id")), Is.EqualTo(new[] { request }));
        var (bad, _, _) = await client.GetJsonAsync("/api/artifacts?job_request_id=nope");
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Get_ByIdAndBySha256_SameArtifactAndOtherOrgsGet404()
    {
        var client = await TenantAsync();
        var other = await TenantAsync();
        var body = Encoding.UTF8.GetBytes("by digest");
        var (_, created) = await UploadAsync(client, "?name=d.txt", body);

        var (byId, json, _) = await client.GetJsonAsync($"/api/artifacts/{created.Str("id")}");
        var (bySha, shaJson, _) = await client.GetJsonAsync($"/api/artifacts/{Sha(body)}");
        var (otherOrg, otherJson, _) = await other.GetJsonAsync($"/api/artifacts/{created.Str("id")}");
        var (otherSha, _, _) = await other.GetJsonAsync($"/api/artifacts/{Sha(body)}/download");

        Assert.That((byId, bySha), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
        Assert.That((json.Str("id"), shaJson.Str("id")), Is.EqualTo((created.Str("id"), created.Str("id"))));
        Assert.That((otherOrg, otherSha), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(otherJson.Str("error"), Does.Contain("not found"));
    }

    [Test]
    public async Task Download_WholeContent_AttachmentWithEtagSha256()
    {
        var client = await TenantAsync();
        var body = RandomNumberGenerator.GetBytes(200_000);
        var (_, created) = await UploadAsync(client, "?name=" + Uri.EscapeDataString("data file.bin"), body, "application/x-test");

        using var response = await client.GetAsync($"/api/artifacts/{created.Str("id")}/download");
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(Sha(bytes), Is.EqualTo(Sha(body)));
        Assert.That(response.Headers.ETag?.Tag, Is.EqualTo($"\"{Sha(body)}\""));
        Assert.That(response.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("attachment"));
        Assert.That(response.Content.Headers.ContentDisposition?.FileNameStar, Is.EqualTo("data file.bin"));
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/x-test"));
        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
    }

    [Test]
    public async Task Download_RangeRequest_206WithJustTheRange()
    {
        var client = await TenantAsync();
        var body = Encoding.ASCII.GetBytes("0123456789abcdef");
        var (_, created) = await UploadAsync(client, "?name=r.txt", body);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/artifacts/{created.Str("id")}/download");
        request.Headers.Range = new RangeHeaderValue(4, 9);

        using var response = await client.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.PartialContent));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("456789"));
        Assert.That(response.Content.Headers.ContentRange?.ToString(), Is.EqualTo("bytes 4-9/16"));
    }

    [Test]
    public async Task DownloadRaw_BySha256_InlineWithSandbox()
    {
        var client = await TenantAsync();
        var body = Encoding.UTF8.GetBytes("<script>alert(1)</script>");
        await UploadAsync(client, "?name=page.html", body, "text/html");

        using var response = await client.GetAsync($"/api/artifacts/{Sha(body)}/download/raw");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("<script>alert(1)</script>"));
        Assert.That(response.Content.Headers.ContentDisposition?.DispositionType, Is.EqualTo("inline"));
        Assert.That(string.Join(";", response.Headers.GetValues("Content-Security-Policy")), Does.Contain("sandbox"), "uploaded HTML never runs as a page of the API's origin");
    }

    [Test]
    public async Task Delete_Existing_200ThenGoneAndOtherOrg404()
    {
        var client = await TenantAsync();
        var other = await TenantAsync();
        var (_, created) = await UploadAsync(client, "?name=gone.txt", [1, 2]);
        var id = created.Str("id");

        var filesBefore = ContentFiles();
        var (otherStatus, _, _) = await other.DeleteJsonAsync($"/api/artifacts/{id}");
        var (status, _, _) = await client.DeleteJsonAsync($"/api/artifacts/{id}");
        var (after, _, _) = await client.GetJsonAsync($"/api/artifacts/{id}");
        var (again, _, _) = await client.DeleteJsonAsync($"/api/artifacts/{id}");

        Assert.That(otherStatus, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((after, again), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(ContentFiles(), Is.EqualTo(filesBefore - 1), "the content goes with the metadata");
    }

    private int ContentFiles() => Directory.EnumerateFiles(_root, "*", SearchOption.AllDirectories).Count(f => !f.Contains(".tmp", StringComparison.Ordinal));

    [Test]
    public async Task Permissions_QueryOnlyKey_ListsButCannotUploadDownloadOrDelete()
    {
        var writer = await TenantAsync();
        var (_, created) = await UploadAsync(writer, "?name=p.txt", [1]);
        var reader = await TenantAsync(Permissions.ArtifactQuery);

        var (list, _, _) = await reader.GetJsonAsync("/api/artifacts");
        var (upload, _) = await UploadAsync(reader, "?name=q.txt", [1]);

        Assert.That(list, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(upload, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(created, Is.Not.Null);
    }

    [Test]
    public async Task TaskContextUpload_TaskOfAJobRequest_ListedUnderTheRequestWithItsTaskType()
    {
        var client = await TenantAsync();
        var request = await RequestAsync(client);

        JsonNode? list = null;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            (_, list, _) = await client.GetJsonAsync($"/api/artifacts?job_request_id={request}");
            if (list?["total_records"]?.GetValue<long>() > 0) break;
            await Task.Delay(20);
        }

        var record = list!["records"]!.AsArray().Single();
        Assert.That((record.Str("name"), record.Str("task_type"), record.Str("sha256")),
            Is.EqualTo(("package.tar", "package", Sha(Encoding.UTF8.GetBytes("packaged by the task")))));
        Assert.That(record.Str("task_execution_id"), Is.Not.Empty);
    }

    [Test]
    public async Task TaskProtocolUpload_LeaseHolder_201AndAnyOtherToken409()
    {
        var (orgId, client) = await TenantWithOrgAsync();
        var engine = _factory.Services.GetRequiredService<Orchestration.Engine.IOrchestrationClient>();
        await engine.CreateRunAsync(new Orchestration.Engine.RunSpec { OrgId = orgId, Tasks = [new Orchestration.Engine.TaskSpec { Type = "remote-pack" }] });
        var (claimed, claim, _) = await client.PostJsonAsync("/api/v1/tasks/claim", new { executor_id = "remote-1", types = new[] { "remote-pack" } });
        Assert.That(claimed, Is.EqualTo(HttpStatusCode.OK), claim?.ToJsonString());
        var task = claim!["tasks"]![0]!;
        var body = Encoding.UTF8.GetBytes("from a remote executor");

        async Task<(HttpStatusCode, JsonNode?)> Upload(string token)
        {
            using var content = new ByteArrayContent(body);
            using var response = await client.PostAsync($"/api/v1/tasks/{task.Str("id")}/artifacts?lease_token={token}&name=out.txt", content);
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, text.Length > 0 ? JsonNode.Parse(text) : null);
        }

        var (held, stored) = await Upload(task.Str("lease_token"));
        var (other, refused) = await Upload(Guid.NewGuid().ToString());

        Assert.That(held, Is.EqualTo(HttpStatusCode.Created), stored?.ToJsonString());
        Assert.That(stored.Str("sha256"), Is.EqualTo(Sha(body)));
        Assert.That(other, Is.EqualTo(HttpStatusCode.Conflict), refused?.ToJsonString());
        var (_, list, _) = await client.GetJsonAsync("/api/artifacts");
        var record = list!["records"]!.AsArray().Single();
        Assert.That((record.Str("task_execution_id"), record.Str("task_type")), Is.EqualTo((task.Str("id"), "remote-pack")));
    }

    private static HandlerRegistration UploaderRegistration()
    {
        var scratch = new ServiceCollection();
        scratch.AddOrchestration(o => o.UseInMemory()).AddTaskHandler("uploader", async (context, cancellationToken) =>
        {
            using var content = new MemoryStream(Encoding.UTF8.GetBytes("packaged by the task"));
            var artifact = await context.UploadArtifactAsync("package.tar", content, "application/x-tar", cancellationToken: cancellationToken);
            return $$"""{"artifact":"{{artifact.Id}}"}""";
        });
        return scratch.Select(d => d.ImplementationInstance).OfType<HandlerRegistration>().Single();
    }
}
