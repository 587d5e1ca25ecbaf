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
        Assert.That(operations.Where(o => o.Operation["operationId"] is null).Select(o => $"{o.Method} {o.Path}"), Is.Empty, "without an operationId");
        var ids = operations.Select(o => o.Operation["operationId"]?.GetValue<string>()).ToList();
        Assert.That(ids, Is.Unique);
    }

    [Test]
    public async Task OpenApiDocument_EveryTag_IsDescribed()
    {
        var doc = await DocumentAsync();
        var used = Operations(doc).SelectMany(o => o.Operation["tags"]!.AsArray().Select(t => t!.GetValue<string>())).ToHashSet();
        var described = doc["tags"]!.AsArray().Where(t => !string.IsNullOrWhiteSpace(t!["description"]?.GetValue<string>())).Select(t => t.Str("name")).ToHashSet();

        Assert.That(used.Where(t => !described.Contains(t)), Is.Empty);
    }

    [Test]
    public async Task OpenApiDocument_Server_IsRelativeToTheDocument()
    {
        var doc = await DocumentAsync();

        // An absolute URL would carry the address the test host answered on, and differ per host and port.
        Assert.That(doc["servers"]!.AsArray().Select(s => s.Str("url")), Is.EqualTo(new[] { "/" }));
    }

    [Test]
    public async Task OpenApiDocument_EveryOperationButForemanConfig_HasASuccessResponse()
    {
        var doc = await DocumentAsync();

        // The linter's operation-2xx-response rule is off for Foreman's config endpoints (501 by design); this keeps it for the rest.
        var without = Operations(doc).Where(o => !o.Operation["responses"]!.AsObject().Any(r => r.Key.StartsWith('2'))).Select(o => o.Path).ToList();
        Assert.That(without, Is.EquivalentTo(new[] { "/api/v1/config", "/api/v1/config/redis", "/api/v1/config/queues" }));
    }

    [Test]
    public async Task OpenApiDocument_EveryErrorResponse_ReferencesOneOfTheErrorComponents()
    {
        var doc = await DocumentAsync();
        var problems = new List<string>();
        foreach (var (path, method, operation) in Operations(doc))
        {
            foreach (var (status, response) in operation["responses"]!.AsObject().Where(r => r.Key[0] == '4'))
            {
                // The bulk submit's 400 is the seed's per-item answer (an array naming each refused job), not an error envelope.
                if (operation.Str("operationId") == "JobsBulkSubmit" && status == "400") continue;
                var schema = response!["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>();
                if (schema is not ("#/components/schemas/ErrorBody" or "#/components/schemas/JobsErrorBody"))
                    problems.Add($"{method.ToUpperInvariant()} {path} {status}: {schema ?? "no JSON schema"}");
            }
        }

        Assert.That(problems, Is.Empty);
        var error = doc["components"]!["schemas"]!["ErrorBody"]!;
        Assert.That(error["required"]!.AsArray().Select(r => r!.GetValue<string>()), Is.EqualTo(new[] { "error" }));
        Assert.That(error["properties"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "error", "details" }));
        Assert.That(error.Str("description"), Is.Not.Empty);
        var jobs = doc["components"]!["schemas"]!["JobsErrorBody"]!;
        Assert.That(jobs["properties"]!.AsObject().Select(p => p.Key), Is.EquivalentTo(new[] { "error", "context" }));
    }

    [Test]
    public async Task OpenApiDocument_PlatformErrors_ListedWhereThePlatformAnswersThem()
    {
        var doc = await DocumentAsync();
        var missing = new List<string>();
        foreach (var (path, method, operation) in Operations(doc))
        {
            var codes = operation["responses"]!.AsObject().Select(r => r.Key).ToHashSet();
            var expected = new List<string> { "414", "431" };
            if (operation["requestBody"] is not null) expected.AddRange(["400", "413"]);
            if (operation["security"]!.AsArray().Any(r => r!.AsObject().ContainsKey("bearer"))) expected.AddRange(["401", "403", "429"]);
            if (path.Contains('{', StringComparison.Ordinal) && !path.StartsWith("/api/v1/config", StringComparison.Ordinal)) expected.Add("404");
            missing.AddRange(expected.Where(c => !codes.Contains(c)).Select(c => $"{method.ToUpperInvariant()} {path} {c}"));
        }

        Assert.That(missing, Is.Empty);
    }

    [Test]
    public async Task OpenApiDocument_JobQueueErrors_UseTheJobsEnvelopeAndRefusalsTheShared()
    {
        var doc = await DocumentAsync();
        var get = doc["paths"]!["/api/v1/jobs/{id}"]!["get"]!["responses"]!;
        var submit = doc["paths"]!["/api/v1/jobs"]!["post"]!["responses"]!;

        Assert.That(Ref(get["404"]), Is.EqualTo("JobsErrorBody"));
        Assert.That(Ref(submit["400"]), Is.EqualTo("JobsErrorBody"));
        // Refused by the platform before the job queue API's error filter runs.
        Assert.That(Ref(get["401"]), Is.EqualTo("ErrorBody"));
        Assert.That(Ref(submit["413"]), Is.EqualTo("ErrorBody"));
        Assert.That(Ref(doc["paths"]!["/api/v1/runs/{id}"]!["get"]!["responses"]!["404"]), Is.EqualTo("ErrorBody"));

        static string? Ref(JsonNode? response) => response?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>().Split('/')[^1];
    }

    [Test]
    public async Task ErrorResponses_RealAnswers_HaveTheDocumentedShape()
    {
        var doc = await DocumentAsync();
        var tenant = await NewTenantAsync();
        using var anonymous = Factory.Anonymous();
        using var malformed = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");
        using var malformedJob = new StringContent("{not json", System.Text.Encoding.UTF8, "application/json");

        var answers = new (string Operation, HttpStatusCode Expected, string Schema, HttpResponseMessage Response)[]
        {
            ("GET /api/v1/runs", HttpStatusCode.Unauthorized, "ErrorBody", await anonymous.GetAsync("/api/v1/runs")),
            ("GET /api/v1/jobs/{id}", HttpStatusCode.NotFound, "JobsErrorBody", await tenant.Client.GetAsync($"/api/v1/jobs/{Guid.NewGuid()}")),
            ("POST /api/v1/runs", HttpStatusCode.BadRequest, "ErrorBody", await tenant.Client.PostAsync("/api/v1/runs", malformed)),
            ("POST /api/v1/jobs", HttpStatusCode.BadRequest, "JobsErrorBody", await tenant.Client.PostAsync("/api/v1/jobs", malformedJob)),
            ("GET /api/v1/workflows/{id}", HttpStatusCode.NotFound, "ErrorBody", await tenant.Client.GetAsync($"/api/v1/workflows/{Guid.NewGuid()}")),
        };

        foreach (var (operation, expected, schemaName, response) in answers)
        {
            using var _ = response;
            var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
            var schema = doc["components"]!["schemas"]![schemaName]!;
            var method = operation.Split(' ')[0].ToLowerInvariant();
            var documented = doc["paths"]![operation.Split(' ')[1]]![method]!["responses"]![((int)expected).ToString(System.Globalization.CultureInfo.InvariantCulture)];
            Assert.That(response.StatusCode, Is.EqualTo(expected), operation);
            Assert.That(documented?["content"]?["application/json"]?["schema"]?["$ref"]?.GetValue<string>(), Is.EqualTo("#/components/schemas/" + schemaName), operation);
            Assert.That(body.Select(p => p.Key), Is.SubsetOf(schema["properties"]!.AsObject().Select(p => p.Key)), $"{operation}: {body.ToJsonString()}");
            Assert.That(body["error"]?.GetValue<string>(), Is.Not.Empty, operation);
        }
    }
}
