using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Hosting;

public sealed partial class OpenApiTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task OpenApiDocument_EveryMountedEndpoint_IsDocumented()
    {
        using var anonymous = Factory.Anonymous();
        var (status, doc, _) = await anonymous.GetJsonAsync("/openapi/v1.json");
        var paths = doc!["paths"]!.AsObject();
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(op => $"{op.Key.ToUpperInvariant()} {p.Key}")).ToHashSet();

        var mounted = Factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText is { } raw && (raw.StartsWith("/api/", StringComparison.Ordinal) || raw == "/health"))
            .SelectMany(e => e.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods.Select(m => $"{m} {Constraint().Replace(e.RoutePattern.RawText!, "}")}"))
            .ToList();

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(mounted, Is.Not.Empty);
        Assert.That(mounted.Where(m => !documented.Contains(m)), Is.Empty);
    }

    [Test]
    public async Task OpenApiDocument_CreateRun_DescribesBodyAndResponses()
    {
        using var anonymous = Factory.Anonymous();
        var (_, doc, _) = await anonymous.GetJsonAsync("/openapi/v1.json");
        var post = doc!["paths"]!["/api/v1/runs"]!["post"]!;

        Assert.That(post["requestBody"]!["content"]!["application/json"], Is.Not.Null);
        Assert.That(post["responses"]!.AsObject().Select(r => r.Key), Is.SupersetOf(new[] { "201", "400", "401", "403", "429" }));
        Assert.That(((JsonObject)doc["components"]!["schemas"]!).ContainsKey("RunResponse"), Is.True);
    }

    [Test]
    public async Task OpenApiDocument_RequireAuthSetting_AsksForAnyValidKey()
    {
        await using var factory = new ApiFactory(Backend, new Dictionary<string, string?> { ["Orchestration:OpenApi:RequireAuth"] = "true" });
        using var anonymous = factory.Anonymous();
        var (_, org, _) = await factory.WithKey(ApiFactory.BootstrapKey).PostJsonAsync("/api/v1/admin/orgs", new { name = "docs" });
        var (_, key, _) = await factory.WithKey(ApiFactory.BootstrapKey).PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "reader", permissions = new[] { "runs:read" } });
        using var reader = factory.WithKey(key.Str("key"));

        var (anonymousStatus, body, _) = await anonymous.GetJsonAsync("/openapi/v1.json");
        var (readerStatus, doc, _) = await reader.GetJsonAsync("/openapi/v1.json");

        Assert.That(anonymousStatus, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(body.Str("error"), Is.EqualTo("Bearer token required but not provided"));
        Assert.That(readerStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(doc!["paths"], Is.Not.Null);
    }

    [GeneratedRegex(":[a-z]+}")]
    private static partial Regex Constraint();
}
