using System.Collections.Concurrent;
using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Workflows;

/// <summary>
/// One sample host per back end with the demo handlers and a <c>probe</c> task type whose behaviour the payload picks:
/// <c>fail_attempts</c> (fail the first N attempts), <c>block</c> (wait until the test opens the task's gate or the
/// attempt is cancelled). The probe records starts, ends, the most tasks running at once and cancellations.
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public abstract class WorkflowsFixture(ApiBackend backend)
{
    public const string ProbeType = "probe";

    protected ApiBackend Backend { get; } = backend;

    protected ApiFactory Factory { get; private set; } = null!;

    protected HttpClient Admin { get; private set; } = null!;

    /// <summary>The current test's probe; replaced before every test.</summary>
    protected Probe Current { get; private set; } = new();

    [OneTimeSetUp]
    public void StartHost()
    {
        Factory = new ApiFactory(Backend, services: services => services.AddSingleton(ProbeRegistration(() => Current)));
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

    protected async Task<Tenant> NewTenantAsync(params string[] permissions)
    {
        var (status, org, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "org-" + Guid.NewGuid().ToString("N")[..8] });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), org?.ToJsonString());
        var key = await KeyAsync(org.Str("id"), permissions.Length == 0 ? ["*"] : permissions);
        return new Tenant(org.Str("id"), "", key);
    }

    protected async Task<HttpClient> KeyAsync(string orgId, string[] permissions)
    {
        var (status, key, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId, name = "workflows key", permissions });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), key?.ToJsonString());
        return Factory.WithKey(key.Str("key"));
    }

    protected static async Task<JsonNode> CreateAsync(HttpClient client, object body)
    {
        var (status, workflow, _) = await client.PostJsonAsync("/api/v1/workflows", body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), workflow?.ToJsonString());
        return workflow!;
    }

    protected static object ProbeTask(string name, object? payload = null, string[]? dependencies = null, int? maxRetries = null) =>
        new { name, type = ProbeType, payload = payload ?? new { }, dependencies = dependencies ?? [], max_retries = maxRetries };

    /// <summary>
    /// Waits for a workflow to reach <paramref name="status"/>, reading it through the API. The engine runs on its own
    /// threads here, so this end-to-end wait polls with a deadline.
    /// </summary>
    protected static async Task<JsonNode> WaitForStatusAsync(HttpClient client, string id, string status, Action? eachPoll = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode? workflow = null;
        while (DateTime.UtcNow < deadline)
        {
            (_, workflow, _) = await client.GetJsonAsync($"/api/v1/workflows/{id}");
            if (workflow?["status"]?.GetValue<string>() == status) return workflow;
            eachPoll?.Invoke();
            await Task.Delay(20);
        }

        throw new AssertionException($"workflow never became {status}: {workflow?.ToJsonString()}");
    }

    protected static async Task<JsonNode> WaitForTaskAsync(HttpClient client, string id, string name, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        JsonNode? task = null;
        while (DateTime.UtcNow < deadline)
        {
            var (_, tasks, _) = await client.GetJsonAsync($"/api/v1/workflows/{id}/tasks");
            task = tasks?["tasks"]?.AsArray().FirstOrDefault(t => t!["name"]!.GetValue<string>() == name);
            if (task?["status"]?.GetValue<string>() == status) return task;
            await Task.Delay(20);
        }

        throw new AssertionException($"task {name} never became {status}: {task?.ToJsonString()}");
    }

    /// <summary>The probe as a handler registration, built through the public builder (the registration's factories are internal to Core).</summary>
    private static HandlerRegistration ProbeRegistration(Func<Probe> probe)
    {
        var scratch = new ServiceCollection();
        scratch.AddOrchestration(o => o.UseInMemory()).AddTaskHandler(ProbeType, (context, cancellationToken) => probe().RunAsync(context, cancellationToken));
        return scratch.Select(d => d.ImplementationInstance).OfType<HandlerRegistration>().Single();
    }
}

/// <summary>What the probe handler saw during one test.</summary>
public sealed class Probe
{
    private readonly object _gate = new();
    private int _running;

    public ConcurrentQueue<(string Name, int Attempt, DateTimeOffset At)> Starts { get; } = new();

    public ConcurrentQueue<string> Ends { get; } = new();

    public Channel<string> Started { get; } = Channel.CreateUnbounded<string>();

    public ConcurrentDictionary<string, TaskCompletionSource> Gates { get; } = new();

    public TaskCompletionSource<string> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int MaxRunning { get; private set; }

    public TaskCompletionSource Gate(string name) => Gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public async Task<string?> RunAsync(TaskContext context, CancellationToken cancellationToken)
    {
        var name = context.Task.Name;
        var input = JsonNode.Parse(context.Task.InputJson ?? "{}");
        lock (_gate)
        {
            _running++;
            MaxRunning = Math.Max(MaxRunning, _running);
        }

        Starts.Enqueue((name, context.Attempt, context.Services.GetRequiredService<TimeProvider>().GetUtcNow()));
        Started.Writer.TryWrite(name);
        try
        {
            if (input?["fail_attempts"]?.GetValue<int>() is { } failures && context.Attempt <= failures)
                throw new InvalidOperationException($"probe failure on attempt {context.Attempt}");
            if (input?["block"]?.GetValue<bool>() == true) await Gate(name).Task.WaitAsync(cancellationToken);
            return $$"""{"done":"{{name}}","attempt":{{context.Attempt}}}""";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Cancelled.TrySetResult(name);
            throw;
        }
        finally
        {
            lock (_gate) _running--;
            Ends.Enqueue(name);
        }
    }

    public async Task<string> NextStartAsync() =>
        await Started.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
}
