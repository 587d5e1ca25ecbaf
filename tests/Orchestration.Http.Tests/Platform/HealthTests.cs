using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Domain;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Platform;

public sealed class HealthTests(ApiBackend backend) : ApiFixture(backend)
{
    [TestCase("/health")]
    [TestCase("/api/v1/health")]
    public async Task Health_StoreReachable_Returns200WithoutAuth(string path)
    {
        using var client = Factory.Anonymous();
        var (status, body, response) = await client.GetJsonAsync(path);

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.Str("status"), Is.EqualTo("healthy"));
        Assert.That(body.Str("database"), Is.EqualTo("connected"));
        Assert.That(DateTimeOffset.Parse(body.Str("timestamp"), System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(Factory.Time.GetUtcNow()));
        Assert.That(response.Headers.Contains("X-RateLimit-Limit"), Is.False, "health is not rate limited");
    }

    [TestCase("/health")]
    [TestCase("/api/v1/health")]
    public async Task Health_ForemanFields_EnvironmentAndServicesCarried(string path)
    {
        using var client = Factory.Anonymous();
        var (_, body, _) = await client.GetJsonAsync(path);

        Assert.That(body!.AsObject().Select(p => p.Key), Is.EqualTo(new[] { "status", "database", "timestamp", "environment", "services" }));
        Assert.That(body.Str("environment"), Is.EqualTo("testing"), "the host environment's name, lower case as Foreman's NODE_ENV");
        Assert.That(body["services"]!.ToJsonString(), Is.EqualTo("""{"database":"connected"}"""));
    }

    [TestCase("/health")]
    [TestCase("/api/v1/health")]
    public async Task Health_StoreUnreachable_Returns503(string path)
    {
        await using var factory = new ApiFactory(Backend, services: s => s.Decorate<IOrchestrationQueries>(inner => new UnreachableQueries(inner)));
        using var client = factory.Anonymous();
        var (status, body, _) = await client.GetJsonAsync(path);

        Assert.That(status, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(body.Str("status"), Is.EqualTo("unhealthy"));
        Assert.That(body.Str("database"), Is.EqualTo("disconnected"));
        Assert.That(body!["services"]!["database"]!.GetValue<string>(), Is.EqualTo("disconnected"));
    }

    /// <summary>A store whose database has gone away: ping throws, as a broken connection would.</summary>
    private sealed class UnreachableQueries(IOrchestrationQueries inner) : IOrchestrationQueries
    {
        public Task<bool> PingAsync(CancellationToken cancellationToken) => throw new InvalidOperationException("connection refused");
        public Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => inner.GetRunAsync(orgId, runId, cancellationToken);
        public Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken) => inner.GetRunByIdempotencyKeyAsync(orgId, idempotencyKey, cancellationToken);
        public Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken) => inner.ListRunsAsync(query, cancellationToken);
        public Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken) => inner.GetTaskAsync(orgId, taskId, cancellationToken);
        public Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) => inner.ListTasksAsync(query, cancellationToken);
        public Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken) => inner.GetRunTasksAsync(orgId, runId, cancellationToken);
        public Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken) => inner.GetAttemptsAsync(orgId, taskId, cancellationToken);
        public Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken) => inner.GetLatestRunDataAsync(orgId, runId, key, cancellationToken);
        public Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken) => inner.QueryRunDataAsync(query, cancellationToken);
        public Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) => inner.ReadEventsAsync(afterSequence, limit, orgId, cancellationToken);
        public Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) => inner.ReadCommittedEventsAsync(afterSequence, limit, orgId, cancellationToken);
        public Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken) => inner.CountUnfinishedTasksAsync(cancellationToken);
    }
}
