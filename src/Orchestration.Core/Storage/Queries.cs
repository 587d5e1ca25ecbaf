using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>A page of results with the total count of matching rows.</summary>
/// <typeparam name="T">Item type.</typeparam>
/// <param name="Items">The page.</param>
/// <param name="Total">How many rows match, ignoring limit and offset.</param>
public sealed record Page<T>(IReadOnlyList<T> Items, int Total);

/// <summary>Filter and order for <see cref="IOrchestrationQueries.ListRunsAsync"/>.</summary>
public sealed record RunQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Only runs of this family.</summary>
    public string? Family { get; init; }
    /// <summary>Only runs in this status.</summary>
    public RunStatus? Status { get; init; }
    /// <summary>Only runs whose name is one of these (none match when empty); every name when null.</summary>
    public IReadOnlyList<string>? Names { get; init; }
    /// <summary>Only runs with at least one task in this status (a state shown from the tasks, as Formicary's MANUAL_APPROVAL_REQUIRED).</summary>
    public TaskRunStatus? WithTaskIn { get; init; }
    /// <summary>Only runs with no task in any of these statuses; null for no filter.</summary>
    public IReadOnlyCollection<TaskRunStatus>? WithoutTaskIn { get; init; }
    /// <summary>Only runs created at or after this instant; null for no lower bound.</summary>
    public DateTimeOffset? CreatedFrom { get; init; }
    /// <summary>Only runs created before this instant; null for no upper bound.</summary>
    public DateTimeOffset? CreatedBefore { get; init; }
    /// <summary>Longest searchable input field name, in characters: longer fields are not indexed.</summary>
    public const int MaxInputFieldChars = 100;
    /// <summary>Longest searchable input string value, in characters: longer values are not indexed.</summary>
    public const int MaxInputValueChars = 200;
    /// <summary>Only runs with a run data entry that carries this tag now; null for no filter.</summary>
    public string? Tag { get; init; }
    /// <summary>Only runs with a run data entry under this key; null for no filter.</summary>
    public string? DataKey { get; init; }
    /// <summary>
    /// With <see cref="InputValue"/>: only runs whose input, or one of whose tasks' input, is a JSON object with this
    /// top-level field equal to <see cref="InputValue"/> (see <see cref="RunSearch"/> for what is searchable).
    /// </summary>
    public string? InputField { get; init; }
    /// <summary>The value <see cref="InputField"/> must have: a string's text, an integer's digits, <c>true</c> or <c>false</c>.</summary>
    public string? InputValue { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 20;
    /// <summary>Rows to skip.</summary>
    public int Offset { get; init; }
    /// <summary>Order field.</summary>
    public RunSortField SortBy { get; init; } = RunSortField.CreatedAt;
    /// <summary>Newest first when true.</summary>
    public bool Descending { get; init; } = true;
    /// <summary>
    /// Payloads (input, output, error, metadata) longer than this many characters come back as
    /// <see cref="StoredPayload.Omitted"/> text instead of their value, so an oversized row costs nothing to list; null
    /// returns them whole.
    /// </summary>
    public int? MaxPayloadChars { get; init; }
    /// <summary>
    /// The page stops before the row whose payloads would take its total past this many characters (the first row is
    /// always returned), so a page's memory is bounded whatever was stored. A page cut short holds fewer than
    /// <see cref="Limit"/> items while more rows match. Null for no budget.
    /// </summary>
    public long? PayloadBudgetChars { get; init; }
}

/// <summary>Fields runs can be ordered by.</summary>
public enum RunSortField
{
    /// <summary>Creation time (ties broken by id).</summary>
    CreatedAt,
    /// <summary>Last change.</summary>
    UpdatedAt,
    /// <summary>Status name.</summary>
    Status,
    /// <summary>When the run started; runs that never started come last in either direction.</summary>
    StartedAt,
    /// <summary>When the run finished; unfinished runs come last in either direction.</summary>
    CompletedAt,
}

/// <summary>Filter and order for <see cref="IOrchestrationQueries.ListTasksAsync"/>; by default creation order, oldest first.</summary>
public sealed record TaskQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>Only tasks of this run.</summary>
    public Guid? RunId { get; init; }
    /// <summary>Only tasks in this status.</summary>
    public TaskRunStatus? Status { get; init; }
    /// <summary>Only tasks in any of these statuses (combined with <see cref="Status"/> when both are set); null for no filter.</summary>
    public IReadOnlyCollection<TaskRunStatus>? Statuses { get; init; }
    /// <summary>Only tasks of this type.</summary>
    public string? Type { get; init; }
    /// <summary>Only tasks of this name (the jobs family keeps a job's type here).</summary>
    public string? Name { get; init; }
    /// <summary>Only tasks of this priority.</summary>
    public int? Priority { get; init; }
    /// <summary>Only tasks of runs of this family.</summary>
    public string? Family { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 20;
    /// <summary>Rows to skip.</summary>
    public int Offset { get; init; }
    /// <summary>
    /// Payloads (input, output, error, metadata) longer than this many characters come back as
    /// <see cref="StoredPayload.Omitted"/> text instead of their value, so an oversized row costs nothing to list; null
    /// returns them whole.
    /// </summary>
    public int? MaxPayloadChars { get; init; }
    /// <summary>
    /// The page stops before the row whose payloads would take its total past this many characters (the first row is
    /// always returned), so a page's memory is bounded whatever was stored. A page cut short holds fewer than
    /// <see cref="Limit"/> items while more rows match. Null for no budget.
    /// </summary>
    public long? PayloadBudgetChars { get; init; }
    /// <summary>Order field; ties broken by creation order in the same direction.</summary>
    public TaskSortField SortBy { get; init; } = TaskSortField.CreatedAt;
    /// <summary>Newest first when true; the default is oldest first.</summary>
    public bool Descending { get; init; }
}

/// <summary>Fields tasks can be ordered by.</summary>
public enum TaskSortField
{
    /// <summary>Creation (insertion) order.</summary>
    CreatedAt,
    /// <summary>When the task (last) started; tasks that never started come last in either direction.</summary>
    StartedAt,
    /// <summary>When the task finished; unfinished tasks come last in either direction.</summary>
    CompletedAt,
}

/// <summary>How tag filters combine.</summary>
public enum TagMatch
{
    /// <summary>An entry matches when it has at least one of the tags.</summary>
    Any,
    /// <summary>An entry matches when it has every tag.</summary>
    All,
}

/// <summary>
/// Filter for <see cref="IOrchestrationQueries.QueryRunDataAsync"/>. The key filters (<see cref="Key"/>, <see cref="Keys"/>,
/// <see cref="KeyPrefixes"/>, <see cref="KeyPattern"/>) combine with OR, as Foreman's server combines them: an entry
/// matches when its key matches any one given. The tag filters (<see cref="Tags"/>, <see cref="TagPrefixes"/>) each
/// follow <see cref="TagMatch"/> and combine with AND. Stores filter, pick the latest entry per key, order and page in
/// one query, and take lists of any length without a per-item parameter.
/// </summary>
public sealed record RunDataQuery
{
    /// <summary>The caller's org.</summary>
    public required string OrgId { get; init; }
    /// <summary>The run.</summary>
    public required Guid RunId { get; init; }
    /// <summary>Exact key.</summary>
    public string? Key { get; init; }
    /// <summary>Any of these exact keys.</summary>
    public IReadOnlyList<string> Keys { get; init; } = [];
    /// <summary>Entries whose key starts with any of these (ordinal).</summary>
    public IReadOnlyList<string> KeyPrefixes { get; init; } = [];
    /// <summary>A glob over the whole key: <c>*</c> any run of characters, <c>?</c> one character, everything else literal (ordinal).</summary>
    public string? KeyPattern { get; init; }
    /// <summary>Tag filter; empty for none.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Tag prefix filter; empty for none. With <see cref="TagMatch.All"/> every prefix must be matched by some tag.</summary>
    public IReadOnlyList<string> TagPrefixes { get; init; } = [];
    /// <summary>How <see cref="Tags"/> and <see cref="TagPrefixes"/> combine.</summary>
    public TagMatch TagMatch { get; init; } = TagMatch.Any;
    /// <summary>False: only the latest entry of each key (after filtering). True: every entry.</summary>
    public bool IncludeAll { get; init; }
    /// <summary>Page size.</summary>
    public int Limit { get; init; } = 100;
    /// <summary>Rows to skip.</summary>
    public int Offset { get; init; }
    /// <summary>Order field.</summary>
    public RunDataSortField SortBy { get; init; } = RunDataSortField.CreatedAt;
    /// <summary>Newest (or Z) first when true.</summary>
    public bool Descending { get; init; } = true;
}

/// <summary>Fields run data can be ordered by (ties broken by insertion order, in the same direction).</summary>
public enum RunDataSortField
{
    /// <summary>Creation time (insertion order).</summary>
    CreatedAt,
    /// <summary>Key (ordinal).</summary>
    Key,
    /// <summary>Last change (tags).</summary>
    UpdatedAt,
}

/// <summary>Unfinished tasks of one org, run family and status (<see cref="IOrchestrationQueries.CountUnfinishedTasksAsync"/>).</summary>
/// <param name="OrgId">The org.</param>
/// <param name="Family">The family of the tasks' runs.</param>
/// <param name="Status">Pending, queued, retrying or running.</param>
/// <param name="Count">How many tasks, at least 1.</param>
public sealed record UnfinishedTaskCount(string OrgId, string Family, TaskRunStatus Status, long Count);
