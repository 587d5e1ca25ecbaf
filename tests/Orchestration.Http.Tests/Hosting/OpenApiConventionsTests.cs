using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Hosting;

/// <summary>The served OpenAPI document as a client generator needs it: auth declared and applied, every operation described.</summary>
public sealed class OpenApiConventionsTests(ApiBackend backend) : ApiFixture(backend)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    private async Task<JsonNode> DocumentAsync()
    {
        using var anonymous = Factory.Anonymous();
        var (status, doc, _) = await anonymous.GetJsonAsync("/openapi/v1.json");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        return doc!;
    }

    private static IEnumerable<(string Path, string Method, JsonNode Operation)> Operations(JsonNode doc) =>
        doc["paths"]!.AsObject().SelectMany(p => p.Value!.AsObject().Where(o => Methods.Contains(o.Key)).Select(o => (p.Key, o.Key, o.Value!)));

    [Test]
    public async Task OpenApiDocument_BearerScheme_DeclaredAndRequiredByEveryOperationButHealth()
    {
        var doc = await DocumentAsync();

        var scheme = doc["components"]!["securitySchemes"]!["bearer"]!;
        Assert.That(scheme.Str("type"), Is.EqualTo("http"));
        Assert.That(scheme.Str("scheme"), Is.EqualTo("bearer"));
        var operations = Operations(doc).ToList();
        Assert.That(operations, Has.Count.GreaterThan(30));
        foreach (var (path, method, operation) in operations)
        {
            var secured = operation["security"]?.AsArray().Any(r => r!.AsObject().ContainsKey("bearer")) == true;
            var health = path is "/health" or "/api/v1/health";
            Assert.That(secured, Is.EqualTo(!health), $"{method.ToUpperInvariant()} {path}");
        }
    }

    [Test]
    public async Task OpenApiDocument_EveryOperation_HasSummaryTagAndUniqueOperationId()
    {
        var doc = await DocumentAsync();
        var operations = Operations(doc).ToList();

        Assert.That(operations.Where(o => string.IsNullOrWhiteSpace(o.Operation["summary"]?.GetValue<string>())).Select(o => $"{o.Method} {o.Path}"), Is.Empty, "without a summary");
        Assert.That(operations.Where(o => o.Operation["tags"]?.AsArray().Count is null or 0).Select(o => $"{o.Method} {o.Path}"), Is.Empty, "without a tag");
        var ids = operations.Select(o => o.Operation["operationId"]?.GetValue<string>()).Where(id => id is not null).ToList();
        Assert.That(ids, Is.Unique);
    }
}
