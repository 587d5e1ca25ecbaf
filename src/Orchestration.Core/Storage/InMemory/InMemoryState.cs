using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

// Mutable bookkeeping behind the immutable records the store hands out. All access happens under the store's lock.
// The hot transitions (claim, completion, run start and finish) change fields in place and mark the record stale;
// the record is rebuilt only when a caller reads it, so a task that is claimed and completed costs no copy per change.
internal sealed class RunState
{
    private Run _record;
    private bool _stale;
    private RunStatus _status;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _completedAt;
    private DateTimeOffset _updatedAt;

    /// <summary>The creator's trace context (<see cref="CreateRunParams.TraceParent"/>), or null.</summary>
    public RunTraceContext? Trace { get; init; }

    public RunState(Run run, int taskCapacity)
    {
        _record = run;
        Load(run);
        Tasks = new List<TaskState>(taskCapacity);
    }

    // The current record, without the task counts (Snapshot adds them). Cold paths still replace it whole.
    public Run Run
    {
        get
        {
            if (_stale)
            {
                _record = _record with { Status = _status, StartedAt = _startedAt, CompletedAt = _completedAt, UpdatedAt = _updatedAt };
                _stale = false;
            }

            return _record;
        }
        set
        {
            _record = value;
            Load(value);
        }
    }

    // Fields that never change after creation, read without building a record.
    public Guid Id => _record.Id;
    public string OrgId => _record.OrgId;
    public string Family => _record.Family;
    public RunKind Kind => _record.Kind;
    public int? MaxConcurrency => _record.MaxConcurrency;
    public DateTimeOffset? DeadlineAt => _record.DeadlineAt;
    public string? IdempotencyKey => _record.IdempotencyKey;
    public RunStatus Status => _status;
    public DateTimeOffset? CompletedAt => _completedAt;

    public List<TaskState> Tasks { get; }

    // Runs of a few tasks, nearly all of them, find a task by name by scanning; larger ones get an index.
    private const int ScanUpTo = 8;
    private Dictionary<string, TaskState>? _byName;

    public void AddTask(TaskState task)
    {
        if (_byName is null && Tasks.Count == ScanUpTo)
        {
            _byName = new Dictionary<string, TaskState>(2 * ScanUpTo, StringComparer.Ordinal);
            foreach (var t in Tasks) _byName.Add(t.Name, t);
        }

        _byName?.Add(task.Name, task);
        Tasks.Add(task);
    }

    public bool TryGetTask(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TaskState? task)
    {
        if (_byName is not null) return _byName.TryGetValue(name, out task);
        foreach (var t in Tasks)
        {
            if (!string.Equals(t.Name, name, StringComparison.Ordinal)) continue;
            task = t;
            return true;
        }

        task = null;
        return false;
    }

    public bool HasTask(string name) => TryGetTask(name, out _);

    public TaskState GetTask(string name) => TryGetTask(name, out var task) ? task : throw new KeyNotFoundException($"no task '{name}' in run {Id}");
    public int Running { get; set; }
    public int Unfinished { get; set; }

    // Some task of the run has routes: every task that becomes terminal makes the store re-decide the pending ones.
    public bool Routed { get; set; }

    // Bumped each time the run reaches a terminal state, so a stale entry in the retention queue (the run was
    // restarted and finished again since) is told apart from the current one.
    public long FinishedSequence { get; set; }

    // Most runs never have dependents or run data; both collections are created on first use so that a store
    // holding many finished single-task runs does not hold two empty collections for each.
    private Dictionary<string, List<TaskState>>? _dependents;
    private List<RunDataEntry>? _data;

    public List<RunDataEntry> Data => _data ??= [];

    public void Start(DateTimeOffset now)
    {
        _status = RunStatus.Running;
        _startedAt ??= now;
        _updatedAt = now;
        _stale = true;
    }

    public void Complete(DateTimeOffset now)
    {
        _status = RunStatus.Completed;
        _completedAt = now;
        _startedAt ??= now;
        _updatedAt = now;
        _stale = true;
    }

    public void AddDependent(string dependency, TaskState dependent)
    {
        _dependents ??= new(StringComparer.Ordinal);
        if (!_dependents.TryGetValue(dependency, out var list)) _dependents[dependency] = list = [];
        list.Add(dependent);
    }

    public bool TryGetDependents(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out List<TaskState>? dependents)
    {
        dependents = null;
        return _dependents is not null && _dependents.TryGetValue(name, out dependents);
    }

    private void Load(Run run)
    {
        _status = run.Status;
        _startedAt = run.StartedAt;
        _completedAt = run.CompletedAt;
        _updatedAt = run.UpdatedAt;
        _stale = false;
    }
}

internal sealed class TaskState
{
    // Null until the record is first read: a new task keeps the engine's NewTask (which the caller allocated anyway)
    // instead of a second, larger record of the same fields, so a bulk enqueue allocates and retains one object less
    // per task. The first read builds the record from it and drops it.
    private TaskRun? _record;
    private NewTask? _source;
    private bool _stale;
    private TaskRunStatus _status;
    private int _attempt;
    private Guid? _leaseToken;
    private DateTimeOffset? _leaseExpiresAt;
    private string? _executorId;
    private string? _outputJson;
    private string? _errorJson;
    private DateTimeOffset? _notBefore;
    private DateTimeOffset _updatedAt;
    private DateTimeOffset? _queuedAt;
    private DateTimeOffset? _startedAt;
    private DateTimeOffset? _completedAt;
    private int? _exitCode;

    public TaskState(TaskRun task, long sequence, bool enqueue)
    {
        _record = task;
        Load(task);
        (Id, RunId, OrgId, Name, Type, Priority, _createdAt) = (task.Id, task.RunId, task.OrgId, task.Name, task.Type, task.Priority, task.CreatedAt);
        Sequence = sequence;
        Enqueue = enqueue;
    }

    // A new task of a run, as NewRun.Task would build it, without building the record yet.
    public TaskState(Guid runId, string orgId, NewTask task, TaskRunStatus status, DateTimeOffset now, DateTimeOffset? queuedAt, DateTimeOffset? notBefore, long sequence)
    {
        _source = task;
        _stale = true;
        _status = status;
        _queuedAt = queuedAt;
        _notBefore = notBefore;
        _updatedAt = now;
        (Id, RunId, OrgId, Name, Type, Priority, _createdAt) = (task.Id, runId, orgId, task.Name, task.Type, task.Priority, now);
        Sequence = sequence;
        Enqueue = task.Enqueue;
    }

    // The current record. Cold paths replace it whole (`ts.Task = ts.Task with { ... }`); the hot ones use the
    // transition methods below.
    public TaskRun Task
    {
        get
        {
            if (_stale)
            {
                _record = Build();
                _source = null;
                _stale = false;
            }

            return _record!;
        }
        set
        {
            _record = value;
            _source = null;
            Load(value);
        }
    }

    public long Sequence { get; }
    public bool Enqueue { get; }

    // The concurrency key and its limits, fixed at enqueue (NewTask.LimitKey); null limits limit nothing.
    public string? LimitKey { get; init; }
    public int? LimitMaxRunning { get; init; }
    public int? LimitMaxStarts { get; init; }
    public TimeSpan? LimitWindow { get; init; }
    public int RemainingDependencies { get; set; }

    // The latest attempt is held as fields and built into a record only when read; earlier ones (retries, releases)
    // are kept as records. Most tasks run once, so most never allocate an attempt record or a list.
    private List<TaskAttempt>? _earlierAttempts;
    private bool _hasAttempt;
    private int _attemptNumber;
    private string? _attemptExecutorId;
    private string? _attemptExecutorIp;
    private DateTimeOffset _attemptStartedAt;
    private DateTimeOffset? _attemptEndedAt;
    private string? _attemptOutcome;
    private string? _attemptError;

    // Fields that never change after creation, read without building a record.
    public Guid Id { get; }
    public Guid RunId { get; }
    public string OrgId { get; }
    public string Name { get; }
    public string Type { get; }
    public int Priority { get; }
    private readonly DateTimeOffset _createdAt;

    public TaskRunStatus Status => _status;
    public int Attempt => _attempt;
    public Guid? LeaseToken => _leaseToken;
    public DateTimeOffset? LeaseExpiresAt => _leaseExpiresAt;
    public DateTimeOffset? NotBefore => _notBefore;

    public IReadOnlyList<TaskAttempt> Attempts
    {
        get
        {
            if (!_hasAttempt) return [];
            var list = new List<TaskAttempt>((_earlierAttempts?.Count ?? 0) + 1);
            if (_earlierAttempts is not null) list.AddRange(_earlierAttempts);
            list.Add(BuildAttempt());
            return list;
        }
    }

    public void BeginAttempt(int number, string executorId, string? executorIp, DateTimeOffset now)
    {
        if (_hasAttempt) (_earlierAttempts ??= []).Add(BuildAttempt());
        _hasAttempt = true;
        _attemptNumber = number;
        _attemptExecutorId = executorId;
        _attemptExecutorIp = executorIp;
        _attemptStartedAt = now;
        _attemptEndedAt = null;
        _attemptOutcome = null;
        _attemptError = null;
    }

    // Ends the latest attempt unless it has ended already.
    public void EndAttempt(string outcome, string? error, DateTimeOffset now)
    {
        if (!_hasAttempt || _attemptEndedAt is not null) return;
        _attemptEndedAt = now;
        _attemptOutcome = outcome;
        _attemptError = error;
    }

    // Ended attempts (what the SQL stores keep as rows), and when the first of them started; for storage growth.
    public int EndedAttempts => !_hasAttempt ? 0 : (_earlierAttempts?.Count ?? 0) + (_attemptEndedAt is null ? 0 : 1);

    public DateTimeOffset? FirstAttemptStartedAt => EndedAttempts == 0 ? null : _earlierAttempts is { Count: > 0 } earlier ? earlier[0].StartedAt : _attemptStartedAt;

    private TaskAttempt BuildAttempt() => new()
    {
        TaskId = Id,
        Number = _attemptNumber,
        ExecutorId = _attemptExecutorId!,
        ExecutorIp = _attemptExecutorIp,
        StartedAt = _attemptStartedAt,
        EndedAt = _attemptEndedAt,
        Outcome = _attemptOutcome,
        Error = _attemptError,
    };

    public void Start(int attempt, Guid leaseToken, DateTimeOffset leaseExpiresAt, string executorId, DateTimeOffset now)
    {
        _status = TaskRunStatus.Running;
        _attempt = attempt;
        _leaseToken = leaseToken;
        _leaseExpiresAt = leaseExpiresAt;
        _executorId = executorId;
        _startedAt = now;
        _notBefore = null;
        _updatedAt = now;
        _stale = true;
    }

    public void ExtendLease(DateTimeOffset expires, DateTimeOffset now)
    {
        _leaseExpiresAt = expires;
        _updatedAt = now;
        _stale = true;
    }

    public void Complete(string? outputJson, int? exitCode, DateTimeOffset now)
    {
        _status = TaskRunStatus.Completed;
        _outputJson = outputJson;
        _exitCode = exitCode;
        _errorJson = null;
        _completedAt = now;
        _leaseExpiresAt = null;
        _updatedAt = now;
        _stale = true;
    }

    public void Queue(DateTimeOffset now)
    {
        _status = TaskRunStatus.Queued;
        _queuedAt = now;
        _notBefore = null;
        _updatedAt = now;
        _stale = true;
    }

    // The current record without its lease token, for a claim that keeps the token apart (LeaseFreeClaim). Not kept:
    // the stored record stays stale and is rebuilt, token and all, when read.
    public TaskRun BuildWithoutLease() => Build(null);

    private TaskRun Build() => Build(_leaseToken);

    private TaskRun Build(Guid? leaseToken) => _record is null ? BuildFromSource(leaseToken) : _record with
    {
        Status = _status,
        Attempt = _attempt,
        LeaseToken = leaseToken,
        LeaseExpiresAt = _leaseExpiresAt,
        ExecutorId = _executorId,
        OutputJson = _outputJson,
        ErrorJson = _errorJson,
        NotBefore = _notBefore,
        UpdatedAt = _updatedAt,
        QueuedAt = _queuedAt,
        StartedAt = _startedAt,
        CompletedAt = _completedAt,
        ExitCode = _exitCode,
    };

    private TaskRun BuildFromSource(Guid? leaseToken)
    {
        var source = _source!;
        return new TaskRun
        {
            Id = Id,
            OrgId = OrgId,
            RunId = RunId,
            Name = Name,
            Type = Type,
            Priority = Priority,
            InputJson = source.InputJson,
            MetadataJson = source.MetadataJson,
            Dependencies = source.Dependencies,
            Routes = source.Routes,
            AllowFailure = source.AllowFailure,
            ParentTaskId = source.ParentTaskId,
            RetryPolicy = source.RetryPolicy,
            Timeout = source.Timeout,
            CreatedAt = _createdAt,
            Status = _status,
            Attempt = _attempt,
            LeaseToken = leaseToken,
            LeaseExpiresAt = _leaseExpiresAt,
            ExecutorId = _executorId,
            OutputJson = _outputJson,
            ErrorJson = _errorJson,
            NotBefore = _notBefore,
            UpdatedAt = _updatedAt,
            QueuedAt = _queuedAt,
            StartedAt = _startedAt,
            CompletedAt = _completedAt,
            ExitCode = _exitCode,
        };
    }

    private void Load(TaskRun task)
    {
        _status = task.Status;
        _attempt = task.Attempt;
        _leaseToken = task.LeaseToken;
        _leaseExpiresAt = task.LeaseExpiresAt;
        _executorId = task.ExecutorId;
        _outputJson = task.OutputJson;
        _errorJson = task.ErrorJson;
        _notBefore = task.NotBefore;
        _updatedAt = task.UpdatedAt;
        _queuedAt = task.QueuedAt;
        _startedAt = task.StartedAt;
        _completedAt = task.CompletedAt;
        _exitCode = task.ExitCode;
        _stale = false;
    }
}

// Claim order: priority descending, then age (insertion sequence) ascending.
internal sealed class ReadyOrder : IComparer<TaskState>
{
    public static ReadyOrder Instance { get; } = new();

    public int Compare(TaskState? x, TaskState? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        var c = y!.Priority.CompareTo(x!.Priority);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }
}

// Retry order: due time ascending, then sequence.
internal sealed class DueOrder : IComparer<TaskState>
{
    public static DueOrder Instance { get; } = new();

    public int Compare(TaskState? x, TaskState? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        var c = (x!.NotBefore ?? DateTimeOffset.MinValue).CompareTo(y!.NotBefore ?? DateTimeOffset.MinValue);
        return c != 0 ? c : x.Sequence.CompareTo(y.Sequence);
    }
}
