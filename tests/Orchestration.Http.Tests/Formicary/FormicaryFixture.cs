using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Http.Tests.Workflows;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// One sample host per back end with the workflows tests' <c>probe</c> handler (see <see cref="Probe"/>): Formicary tasks
/// whose <c>method</c> is <c>PROBE</c> run on it.
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public abstract class FormicaryFixture(ApiBackend backend)
{
    public const string ProbeType = "probe";

    /// <summary>A handler that ends with the input's <c>exit_code</c>, failing when the input says <c>fail: true</c>.</summary>
    public const string ExitType = "exit";

    protected ApiBackend Backend { get; } = backend;

    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Admin { get; private set; } = null!;

    protected Probe Current { get; private set; } = new();

    [OneTimeSetUp]
    public void StartHost()
    {
        Factory = new ApiFactory(Backend, services: services => services.AddSingleton(ProbeRegistration(() => Current)).AddSingleton(ExitRegistration()));
        Admin = Factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        Admin.Dispose();
        await Factory.DisposeAsync();
    }

    [SetUp]
    public void NewProbe() => Current = new Probe();

    protected async Task<(string OrgId, HttpClient Client)> NewTenantAsync(params string[] permissions)
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        return (org.Str("id"), await KeyAsync(org.Str("id"), permissions.Length == 0 ? ["*"] : permissions));
    }

    protected async Task<HttpClient> KeyAsync(string orgId, string[] permissions)
    {
        var (status, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId, name = "formicary key", permissions });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return Factory.WithKey(key.Str("key"));
    }

    /// <summary>A definition whose tasks run on the probe, chained by on_completed in the order given.</summary>
    protected static object ProbeJob(string jobType, params string[] taskTypes) => new
    {
        job_type = jobType,
        description = "probe job",
        tasks = taskTypes.Select((t, i) => (object)new
        {
            task_type = t,
            method = "PROBE",
            on_completed = i + 1 < taskTypes.Length ? taskTypes[i + 1] : null,
        }).ToArray(),
    };

    protected static async Task<JsonNode> SaveAsync(HttpClient client, object definition, HttpStatusCode expected = HttpStatusCode.Created)
    {
        var (status, saved, _) = await client.PostJsonAsync("/api/jobs/definitions", definition);
        Assert.That(status, Is.EqualTo(expected), saved?.ToJsonString());
        return saved!;
    }

    protected static async Task<(HttpStatusCode Status, JsonNode? Json, string Text)> PostYamlAsync(HttpClient client, string yaml)
    {
        using var content = new StringContent(yaml, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/yaml");
        var response = await client.PostAsync("/api/jobs/definitions", content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length > 0 && response.Content.Headers.ContentType?.MediaType == "application/json" ? JsonNode.Parse(text) : null, text);
    }

    protected static async Task<JsonNode> SubmitAsync(HttpClient client, object request)
    {
        var (status, created, _) = await client.PostJsonAsync("/api/jobs/requests", request);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        return created!;
    }

    /// <summary>Waits for a request to reach <paramref name="state"/> through the API (end-to-end: polls with a deadline).</summary>
    protected static async Task<JsonNode> WaitForStateAsync(HttpClient client, string id, string state)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode? request = null;
        while (DateTime.UtcNow < deadline)
        {
            (_, request, _) = await client.GetJsonAsync($"/api/jobs/requests/{id}");
            if (request?["job_state"]?.GetValue<string>() == state) return request;
            await Task.Delay(20);
        }

        throw new AssertionException($"request never became {state}: {request?.ToJsonString()}");
    }

    private static HandlerRegistration ExitRegistration()
    {
        var scratch = new ServiceCollection();
        scratch.AddOrchestration(o => o.UseInMemory()).AddTaskHandler(ExitType, (context, _) =>
        {
            var input = JsonNode.Parse(context.Task.InputJson ?? "{}");
            var code = input?["exit_code"]?.GetValue<int>();
            if (input?["fail"]?.GetValue<bool>() == true) throw new TaskFailedException($"exit {code}", retryable: false) { ExitCode = code };
            context.ExitCode = code;
            return Task.FromResult<string?>($$"""{"done":"{{context.Task.Name}}"}""");
        });
        return scratch.Select(d => d.ImplementationInstance).OfType<HandlerRegistration>().Single();
    }

    private static HandlerRegistration ProbeRegistration(Func<Probe> probe)
    {
        var scratch = new ServiceCollection();
        scratch.AddOrchestration(o => o.UseInMemory()).AddTaskHandler(ProbeType, (context, cancellationToken) => probe().RunAsync(context, cancellationToken));
        return scratch.Select(d => d.ImplementationInstance).OfType<HandlerRegistration>().Single();
    }
}
