using Orchestration.Domain;
using Orchestration.Http.Dashboard;
using Orchestration.Storage;

namespace Orchestration.Dashboard.Tests.Unit;

public sealed class EventHeadTests
{
    [Test]
    public async Task CurrentAsync_ThousandsOfEvents_FindsTheNewestSequenceInFewReads()
    {
        var queries = new CountingQueries(Enumerable.Range(1, 5000).Select(i => (long)i * 3).ToList());
        var head = new EventHead();

        var found = await head.CurrentAsync(queries, CancellationToken.None);
        var firstReads = queries.Reads;
        queries.Add(15_003);
        var next = await head.CurrentAsync(queries, CancellationToken.None);

        Assert.That(found, Is.EqualTo(15_000));
        Assert.That(firstReads, Is.LessThan(40), "galloping and bisecting, not reading the log");
        Assert.That(next, Is.EqualTo(15_003));
    }

    [Test]
    public async Task CurrentAsync_NoEvents_Zero()
    {
        Assert.That(await new EventHead().CurrentAsync(new CountingQueries([]), CancellationToken.None), Is.Zero);
    }

    /// <summary>Only the read the head uses: events after a sequence, in order.</summary>
    private sealed class CountingQueries(List<long> sequences) : IOrchestrationQueries
    {
        public int Reads { get; private set; }

        public void Add(long sequence) => sequences.Add(sequence);

        public Task<IReadOnlyList<EngineEvent>> ReadEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken)
        {
            Reads++;
            IReadOnlyList<EngineEvent> events = sequences.Where(s => s > afterSequence).Take(limit)
                .Select(s => new EngineEvent { Sequence = s, OrgId = "o", RunId = Guid.Empty, Type = EventTypes.RunCreated, CreatedAt = DateTimeOffset.UnixEpoch }).ToList();
            return Task.FromResult(events);
        }

        public Task<Run?> GetRunAsync(string orgId, Guid runId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Run?> GetRunByIdempotencyKeyAsync(string orgId, string idempotencyKey, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Page<Run>> ListRunsAsync(RunQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<TaskRun?> GetTaskAsync(string orgId, Guid taskId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Page<TaskRun>> ListTasksAsync(TaskQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<TaskRun>> GetRunTasksAsync(string orgId, Guid runId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<TaskAttempt>> GetAttemptsAsync(string orgId, Guid taskId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<RunDataEntry?> GetLatestRunDataAsync(string orgId, Guid runId, string key, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<Page<RunDataEntry>> QueryRunDataAsync(RunDataQuery query, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<EventBatch> ReadCommittedEventsAsync(long afterSequence, int limit, string? orgId, CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<bool> PingAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
        public Task<IReadOnlyList<UnfinishedTaskCount>> CountUnfinishedTasksAsync(CancellationToken cancellationToken) => throw new NotSupportedException();
    }
}
