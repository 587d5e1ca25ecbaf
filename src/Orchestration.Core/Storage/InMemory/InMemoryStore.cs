using Orchestration.Domain;

namespace Orchestration.Storage.InMemory;

/// <summary>
/// The reference back end: every operation runs under one lock, so each is trivially atomic. Its behaviour is the
/// specification the SQL back ends are held to by the conformance suite. Nothing survives the process.
/// </summary>
public sealed partial class InMemoryStore : IOrchestrationStore, IOrchestrationQueries, IIdentityStore, IDisposable
{
    // Events are for streaming and webhooks; an embedded in-memory host keeps only the most recent ones.
    private const int MaxRetainedEvents = 100_000;

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<Guid, RunState> _runs = [];
    private readonly Dictionary<Guid, TaskState> _tasks = [];
    private readonly Dictionary<(string Org, string Key), Guid> _idempotency = [];
    private readonly SortedSet<TaskState> _ready = new(ReadyOrder.Instance);
    private readonly SortedSet<TaskState> _delayed = new(DueOrder.Instance);
    private readonly HashSet<TaskState> _running = [];
    private readonly Dictionary<string, int> _runningByType = new(StringComparer.Ordinal);
    private readonly HashSet<RunState> _withDeadline = [];
    private readonly EventLog _events = new(MaxRetainedEvents);
    private readonly Dictionary<string, Org> _orgs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly DelayedWake _retryWake;
    // Scratch list of the claim in progress, reused under the lock so a claim allocates only what it returns.
    private readonly List<TaskState> _picked = [];
    // Finished runs in the order they finished, oldest first, for eviction beyond _maxFinishedRuns. An entry whose
    // sequence no longer matches its run's (the run was restarted since) is stale and skipped.
    private readonly Queue<(RunState Run, long Sequence)> _finished = new();
    private readonly int _maxFinishedRuns;
    private int _finishedCount;
    private long _finishSequence;
    private long _taskSequence;

    /// <summary>Creates an empty store that reads time from <paramref name="timeProvider"/>, with the default options.</summary>
    public InMemoryStore(TimeProvider timeProvider)
        : this(timeProvider, new InMemoryStoreOptions())
    {
    }

    /// <summary>Creates an empty store that reads time from <paramref name="timeProvider"/>.</summary>
    public InMemoryStore(TimeProvider timeProvider, InMemoryStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem) throw new ArgumentException(problem, nameof(options));
        _time = timeProvider;
        _maxFinishedRuns = options.MaxFinishedRuns;
        _retryWake = new DelayedWake(WorkAvailable, timeProvider);
    }

    /// <inheritdoc />
    public StoreCapabilities Capabilities { get; } = new(SharedAcrossProcesses: false, DatabaseClock: false, Durable: false);

    /// <inheritdoc />
    public WorkSignal WorkAvailable { get; } = new();

    /// <inheritdoc />
    public WorkSignal TasksCancelled { get; } = new();

    /// <inheritdoc />
    public void Dispose() => _retryWake.Dispose();
}
