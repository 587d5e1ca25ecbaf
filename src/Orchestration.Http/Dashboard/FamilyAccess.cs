using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Dashboard;

/// <summary>
/// Which permission each dashboard action needs on a run of each family: the same one the family's own API asks for, so
/// a key can do in the dashboard exactly what it can do over HTTP. A null action permission means the family's API has
/// no such action, and the dashboard does not offer it either.
/// </summary>
internal sealed record FamilyAccess(string Family, string Label, string Read, string? Cancel, string? Restart, string? Review)
{
    public static IReadOnlyList<FamilyAccess> Known { get; } =
    [
        new(Workflows.WorkflowsJson.Family, "Workflows", Permissions.WorkflowsRead, Permissions.WorkflowsWrite, null, null),
        new(Formicary.FormicaryJson.Family, "Formicary", Permissions.JobRequestView, Permissions.JobRequestCancel, Permissions.JobRequestRestart, Permissions.JobRequestApprove),
        new(Jobs.JobsJson.Family, "Job queue", Permissions.JobsRead, Permissions.JobsCancel, null, null),
        new(Foreman.ForemanJson.Family, "Foreman", Permissions.RunsRead, Permissions.RunsUpdate, null, null),
        // Runs a host creates in-process belong to no API family; only a key holding every org permission sees them.
        new("embedded", "Embedded", Permissions.All, Permissions.All, Permissions.All, Permissions.All),
    ];

    /// <summary>The rules for a family; a family unknown to the dashboard gets the embedded rules (everything needs <c>*</c>).</summary>
    public static FamilyAccess For(string family) =>
        Known.FirstOrDefault(f => string.Equals(f.Family, family, StringComparison.Ordinal)) ?? Known[^1] with { Family = family, Label = family };

    public static IReadOnlyList<FamilyAccess> Readable(Caller caller) => Known.Where(f => caller.Has(f.Read)).ToList();

    public bool CanRead(Caller caller) => caller.Has(Read);

    public bool Can(Caller caller, string? permission) => permission is not null && caller.Has(permission);
}
