using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Claims and leases: claiming in claim order under the concurrency limits, heartbeats, releases.
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    /// <inheritdoc />
    public Task<IReadOnlyList<TaskRun>> ClaimTasksAsync(ClaimTasksParams parameters, CancellationToken cancellationToken)
    {
        if (parameters.Max <= 0) return Task.FromResult<IReadOnlyList<TaskRun>>([]);
        var capacity = Math.Min(parameters.Max, 256);
        var apart = parameters.LeaseTokensApart ? new LeaseFreeClaim(capacity) : null;
        var claimed = apart ?? new List<TaskRun>(capacity);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            PromoteDueRetries(now);
            if (_ready.Count == 0) return Task.FromResult<IReadOnlyList<TaskRun>>(claimed);

            var filter = new ClaimFilter(parameters, now);
            var picked = _picked;
            picked.Clear();
            if (!PickFairly(parameters, ref filter, picked))
            {
                foreach (var ts in _ready)
                {
                    if (!TryTake(ts, parameters, ref filter)) continue;
                    picked.Add(ts);
                    if (picked.Count == parameters.Max) break;
                }
            }

            foreach (var ts in picked)
            {
                RemoveReady(ts);
                var run = _runs[ts.RunId];
                var attempt = ts.Attempt + 1;
                ts.Start(attempt, GuidGenerator.NewRandom(), now + parameters.LeaseDuration, parameters.ExecutorId, now);
                ts.BeginAttempt(attempt, parameters.ExecutorId, parameters.ExecutorIp, now);
                EnterRunning(run, ts);
                CountStart(ts, now);
                if (run.Status == RunStatus.Pending)
                {
                    run.Start(now);
                    AddEvent(run, null, EventTypes.RunStarted, null, now);
                }

                AddEvent(run, ts.Id, EventTypes.TaskStarted, AttemptData(attempt), now);
                if (apart is not null) apart.Add(ts.BuildWithoutLease(), ts.LeaseToken!.Value);
                else claimed.Add(ts.Task);
            }

            picked.Clear();
        }

        return Task.FromResult<IReadOnlyList<TaskRun>>(claimed);
    }

    // The caller's scope and the concurrency limits, with what the claim in progress has picked so far per run, type and key.
    private struct ClaimFilter(ClaimTasksParams parameters, DateTimeOffset now)
    {
        public readonly DateTimeOffset Now = now;

        public readonly ISet<string>? Types = parameters.Types.Count > 0
            ? parameters.Types as ISet<string> ?? new HashSet<string>(parameters.Types, StringComparer.Ordinal)
            : null;

        public Dictionary<Guid, int>? PerRun;
        public Dictionary<string, int>? PerType;
        public Dictionary<string, int>? PerKey;
    }

    // Whether the claim may take ts (scope and limits); when it may, counts it against the limits.
    private bool TryTake(TaskState ts, ClaimTasksParams parameters, ref ClaimFilter filter)
    {
        if (filter.Types is not null && !filter.Types.Contains(ts.Type)) return false;
        if (parameters.OrgId is not null && !string.Equals(ts.OrgId, parameters.OrgId, StringComparison.Ordinal)) return false;
        var run = _runs[ts.RunId];
        if (parameters.Family is not null && !string.Equals(run.Family, parameters.Family, StringComparison.Ordinal)) return false;
        if (run.MaxConcurrency is { } maxRun)
        {
            filter.PerRun ??= [];
            var extra = filter.PerRun.GetValueOrDefault(run.Id);
            if (run.Running + extra >= maxRun) return false;
            filter.PerRun[run.Id] = extra + 1;
        }

        if (parameters.TypeLimits is not null && parameters.TypeLimits.TryGetValue(ts.Type, out var maxType))
        {
            filter.PerType ??= new(StringComparer.Ordinal);
            var extra = filter.PerType.GetValueOrDefault(ts.Type);
            if (_runningByType.GetValueOrDefault(ts.Type) + extra >= maxType) return false;
            filter.PerType[ts.Type] = extra + 1;
        }

        return KeyHasRoom(ts, filter.Now, ref filter.PerKey);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<HeartbeatResult>> HeartbeatTasksAsync(HeartbeatTasksParams parameters, CancellationToken cancellationToken)
    {
        var results = new HeartbeatResult[parameters.Leases.Count];
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < results.Length; i++)
            {
                var lease = parameters.Leases[i];
                if (!_tasks.TryGetValue(lease.TaskId, out var ts) || ts.LeaseToken != lease.LeaseToken)
                {
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Lost, null);
                }
                else if (ts.Status == TaskRunStatus.Running)
                {
                    var expires = now + parameters.LeaseDuration;
                    ts.ExtendLease(expires, now);
                    results[i] = new HeartbeatResult(lease.TaskId, HeartbeatOutcome.Extended, expires);
                }
                else
                {
                    var outcome = ts.Status == TaskRunStatus.Cancelled ? HeartbeatOutcome.Cancelled : HeartbeatOutcome.Lost;
                    results[i] = new HeartbeatResult(lease.TaskId, outcome, null);
                }
            }
        }

        return Task.FromResult<IReadOnlyList<HeartbeatResult>>(results);
    }

    /// <inheritdoc />
    public Task<int> ReleaseTasksAsync(IReadOnlyList<TaskLease> leases, CancellationToken cancellationToken)
    {
        var released = 0;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            foreach (var lease in leases)
            {
                if (!TryGetLeased(lease, out var ts)) continue;
                EndAttempt(ts, AttemptOutcomes.Released, null, now);
                LeaveRunning(_runs[ts.RunId], ts);
                ts.Task = ts.Task with { LeaseToken = null, LeaseExpiresAt = null, UpdatedAt = now };
                MakeQueued(ts, now);
                released++;
            }
        }

        if (released > 0) WorkAvailable.Notify();
        return Task.FromResult(released);
    }

    // The task.started payload; the first few attempts (nearly all of them) share one string each.
    private static readonly string[] AttemptPayloads = [.. Enumerable.Range(0, 8).Select(n => $$"""{"attempt":{{n}}}""")];

    private static string AttemptData(int attempt) =>
        attempt < AttemptPayloads.Length ? AttemptPayloads[attempt] : $$"""{"attempt":{{attempt}}}""";
}
