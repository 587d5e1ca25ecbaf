namespace Orchestration.Http.Auth;

/// <summary>
/// Permission names an API key or token can carry. <c>*</c> grants every API permission but not <see cref="Admin"/>;
/// <c>family:*</c> grants every permission of that family.
/// </summary>
public static class Permissions
{
    /// <summary>Create runs.</summary>
    public const string RunsCreate = "runs:create";
    /// <summary>Read runs.</summary>
    public const string RunsRead = "runs:read";
    /// <summary>Update runs.</summary>
    public const string RunsUpdate = "runs:update";
    /// <summary>Create tasks.</summary>
    public const string TasksCreate = "tasks:create";
    /// <summary>Read tasks.</summary>
    public const string TasksRead = "tasks:read";
    /// <summary>Update tasks.</summary>
    public const string TasksUpdate = "tasks:update";
    /// <summary>Read run data.</summary>
    public const string RunDataRead = "rundata:read";
    /// <summary>Write run data.</summary>
    public const string RunDataWrite = "rundata:write";
    /// <summary>Submit binary jobs (seed 003).</summary>
    public const string JobsSubmit = "jobs:submit";
    /// <summary>Read binary jobs.</summary>
    public const string JobsRead = "jobs:read";
    /// <summary>Cancel pending binary jobs.</summary>
    public const string JobsCancel = "jobs:cancel";
    /// <summary>Executor calls: claim, heartbeat, complete and fail jobs, and the generic task protocol.</summary>
    public const string JobsExecute = "jobs:execute";
    /// <summary>Every jobs permission.</summary>
    public const string JobsAll = "jobs:*";
    /// <summary>Every run permission.</summary>
    public const string RunsAll = "runs:*";
    /// <summary>Every task permission.</summary>
    public const string TasksAll = "tasks:*";
    /// <summary>Every run-data permission.</summary>
    public const string RunDataAll = "rundata:*";
    /// <summary>Every API permission except <see cref="Admin"/>.</summary>
    public const string All = "*";
    /// <summary>Manage orgs and API keys of every org. Only granted explicitly.</summary>
    public const string Admin = "admin";

    /// <summary>Every name a key may be given. Families that add permissions add them here.</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        RunsCreate, RunsRead, RunsUpdate, TasksCreate, TasksRead, TasksUpdate, RunDataRead, RunDataWrite,
        JobsSubmit, JobsRead, JobsCancel, JobsExecute, JobsAll,
        RunsAll, TasksAll, RunDataAll, All, Admin,
    };

    /// <summary>True when <paramref name="granted"/> satisfies <paramref name="required"/>.</summary>
    public static bool Grants(IReadOnlyCollection<string> granted, string required)
    {
        if (granted.Contains(required)) return true;
        if (string.Equals(required, Admin, StringComparison.Ordinal)) return false;
        if (granted.Contains(All)) return true;
        var colon = required.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && granted.Contains(string.Concat(required.AsSpan(0, colon), ":*"));
    }
}
