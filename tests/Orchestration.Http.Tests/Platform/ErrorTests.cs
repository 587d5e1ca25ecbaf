using System.Net;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Storage;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

public sealed class ErrorTests(ApiBackend backend) : ApiFixture(backend)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Orchestration:Http:MaxRequestBodyBytes"] = "4096",
    };

    [TestCase("{\"inputData\": ")]
    [TestCase("{bad json}")]
    [TestCase("[1,2,3]")]
    [TestCase("null")]
    public async Task Post_MalformedJson_Returns400WithError(string body)
    {
        var (status, json, response) = await Admin.PostJsonAsync("/api/v1/runs", body);
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.Str("error"), Is.Not.Empty);
        Assert.That(text, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace on the wire");
    }

    [Test]
    public async Task Post_WrongValueType_Returns400NamingPathWithoutTypeNames()
    {
        var run = await CreateRunAsync(Admin);
        var (status, json, _) = await Admin.PostJsonAsync("/api/v1/tasks", $$"""{"runId": "{{run}}", "type": "x", "maxRetries": "three"}""");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.Str("error"), Is.EqualTo("Invalid value at $.maxRetries"));
    }

    [Test]
    public async Task Post_EmptyBody_Returns400()
    {
        var (status, json, _) = await Admin.PostJsonAsync("/api/v1/runs", "");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(json.Str("error"), Is.EqualTo("Request body is required"));
    }

    [Test]
    public async Task Post_BodyOverLimit_Returns413()
    {
        var big = "{\"inputData\": \"" + new string('x', 5000) + "\"}";
        var (status, json, _) = await Admin.PostJsonAsync("/api/v1/runs", big);

        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(json.Str("error"), Does.Contain("4096"));
    }

    [Test]
    public async Task Post_ChunkedBodyOverLimit_Returns413()
    {
        var big = Encoding.UTF8.GetBytes("{\"inputData\": \"" + new string('x', 5000) + "\"}");
        using var content = new StreamContent(new MemoryStream(big));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/runs") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var response = await Admin.SendAsync(request);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"error\""));
    }

    [TestCase("/api/v1/nothing-here")]
    [TestCase("/api/v1/runs/not-a-uuid")]
    [TestCase("/api/v2/runs")]
    public async Task Get_UnknownApiPath_Returns404WithError(string path)
    {
        var (status, json, response) = await Admin.GetJsonAsync(path);

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(json.Str("error"), Is.EqualTo("Not found"));
        Assert.That(response.Headers.Contains("X-RateLimit-Remaining"), Is.True, "unknown paths count against the limit");
    }

    [Test]
    public async Task Get_UnknownNonApiPathOnSampleHost_Returns404WithError()
    {
        var (status, json, _) = await Admin.GetJsonAsync("/no-such-page");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(json.Str("error"), Is.EqualTo("Not found"));
    }

    [Test]
    public async Task Get_UnknownNonApiPathWithAllPathsOff_LeftToTheHost()
    {
        await using var factory = new ApiFactory(Backend, new Dictionary<string, string?> { ["Orchestration:Http:JsonErrorsOnAllPaths"] = "false" });
        using var client = factory.WithKey(ApiFactory.BootstrapKey);
        using var response = await client.GetAsync(new Uri("/no-such-page", UriKind.Relative));
        var (apiStatus, apiJson, _) = await client.GetJsonAsync("/api/v1/no-such-page");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty, "an embedding host's own paths keep its own error handling");
        Assert.That(apiStatus, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(apiJson.Str("error"), Is.EqualTo("Not found"));
    }

    [Test]
    public async Task Get_UrlOverLimit_Returns414WithError()
    {
        var (status, json, _) = await Admin.GetJsonAsync("/api/v1/runs?x=" + new string('a', 5000));

        Assert.That((int)status, Is.EqualTo(414));
        Assert.That(json.Str("error"), Does.Contain("4096"));
    }

    [Test]
    public async Task Get_HeadersOverLimit_Returns431WithError()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/runs");
        request.Headers.Add("X-Padding", new string('b', 20_000));
        using var response = await Admin.SendAsync(request);

        Assert.That((int)response.StatusCode, Is.EqualTo(431));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"error\":\"Request headers exceed 16384 bytes\""));
    }

    [TestCase("PUT", "/api/v1/runs")]
    [TestCase("DELETE", "/api/v1/tasks")]
    [TestCase("POST", "/health")]
    public async Task Request_WrongMethod_Returns405WithError(string method, string path)
    {
        var (status, json, _) = await Admin.SendAsync(new HttpMethod(method), path);

        Assert.That(status, Is.EqualTo(HttpStatusCode.MethodNotAllowed));
        Assert.That(json.Str("error"), Is.EqualTo("Method not allowed"));
    }

    [Test]
    public async Task Post_WrongContentType_Returns415WithError()
    {
        using var content = new StringContent("inputData=1", Encoding.UTF8, "application/x-www-form-urlencoded");
        using var response = await Admin.PostAsync("/api/v1/runs", content);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("\"error\""));
    }

    [Test]
    public async Task Get_ServerFailure_Returns500WithoutStackTrace()
    {
        await using var factory = new ApiFactory(Backend, environment: "Development",
            services: s => s.Decorate<IOrchestrationQueries>(q => FaultingProxy<IOrchestrationQueries>.Wrap(q, nameof(IOrchestrationQueries.GetRunAsync))));
        using var client = factory.WithKey(ApiFactory.BootstrapKey);
        var (status, body, response) = await client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(status, Is.EqualTo(HttpStatusCode.InternalServerError));
        Assert.That(body.Str("error"), Is.EqualTo("Internal server error"));
        Assert.That(text, Does.Not.Contain("secret internal detail").And.Not.Contain("   at "));
    }
}
