namespace Orchestration.Http.Platform.Auth;

/// <summary>
/// Permission names an API key or token can carry. Two kinds:
/// <list type="bullet">
/// <item><description>Org-scoped permissions act only on the caller's own org: the families' permissions,
/// <see cref="OpsRead"/> (stats, executors, metrics) and <see cref="KeysManage"/> (the org's own API keys).
/// <c>*</c> grants every org-scoped permission except <see cref="KeysManage"/>; <c>family:*</c> grants every
/// permission of that family.</description></item>
/// <item><description><see cref="Admin"/> is the one cross-org <em>system</em> permission (orgs, keys of every org).
/// It is never implied by a wildcard: only the bootstrap key holds it, and keys a system key grants it to
/// explicitly.</description></item>
/// </list>
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
    /// <summary>Submit binary jobs (the job queue API).</summary>
    public const string JobsSubmit = "jobs:submit";
    /// <summary>Read binary jobs.</summary>
    public const string JobsRead = "jobs:read";
    /// <summary>Cancel pending binary jobs.</summary>
    public const string JobsCancel = "jobs:cancel";
    /// <summary>Executor calls: claim, heartbeat, complete and fail jobs, and the generic task protocol.</summary>
    public const string JobsExecute = "jobs:execute";
    /// <summary>Every jobs permission.</summary>
    public const string JobsAll = "jobs:*";
    /// <summary>Read FlowCtl workflows and their tasks (the workflows API).</summary>
    public const string WorkflowsRead = "workflows:read";
    /// <summary>Create and cancel FlowCtl workflows.</summary>
    public const string WorkflowsWrite = "workflows:write";
    /// <summary>Every workflows permission.</summary>
    public const string WorkflowsAll = "workflows:*";
    /// <summary>List Formicary job definitions (the Formicary API; Formicary's own <c>Resource:Action</c> names).</summary>
    public const string JobDefinitionQuery = "JobDefinition:Query";
    /// <summary>Create or update (save a new version of) a Formicary job definition.</summary>
    public const string JobDefinitionCreate = "JobDefinition:Create";
    /// <summary>Read one Formicary job definition.</summary>
    public const string JobDefinitionView = "JobDefinition:View";
    /// <summary>Delete a Formicary job definition (every version).</summary>
    public const string JobDefinitionDelete = "JobDefinition:Delete";
    /// <summary>Disable a Formicary job definition.</summary>
    public const string JobDefinitionDisable = "JobDefinition:Disable";
    /// <summary>Enable a Formicary job definition.</summary>
    public const string JobDefinitionEnable = "JobDefinition:Enable";
    /// <summary>Every job definition permission.</summary>
    public const string JobDefinitionAll = "JobDefinition:*";
    /// <summary>Submit a Formicary job request.</summary>
    public const string JobRequestSubmit = "JobRequest:Submit";
    /// <summary>List Formicary job requests.</summary>
    public const string JobRequestQuery = "JobRequest:Query";
    /// <summary>Read one Formicary job request and its execution.</summary>
    public const string JobRequestView = "JobRequest:View";
    /// <summary>Cancel a Formicary job request.</summary>
    public const string JobRequestCancel = "JobRequest:Cancel";
    /// <summary>Restart a Formicary job request.</summary>
    public const string JobRequestRestart = "JobRequest:Restart";
    /// <summary>Review (approve or reject) a task of a Formicary job request awaiting manual approval.</summary>
    public const string JobRequestApprove = "JobRequest:Approve";
    /// <summary>Every job request permission.</summary>
    public const string JobRequestAll = "JobRequest:*";
    /// <summary>List the org's users (Formicary's users API).</summary>
    public const string UserQuery = "User:Query";
    /// <summary>Read one user of the org and list a user's tokens.</summary>
    public const string UserView = "User:View";
    /// <summary>Create a user in the org.</summary>
    public const string UserCreate = "User:Create";
    /// <summary>Update a user's profile and create or revoke any user's tokens (never with more than caller and user both hold).</summary>
    public const string UserUpdate = "User:Update";
    /// <summary>Every user permission.</summary>
    public const string UserAll = "User:*";
    /// <summary>List the org's registered executors (Formicary's ants).</summary>
    public const string AntExecutorQuery = "AntExecutor:Query";
    /// <summary>List the org's running Formicary executions (<c>/api/executors</c>).</summary>
    public const string ContainerQuery = "Container:Query";
    /// <summary>Terminate a running Formicary execution.</summary>
    public const string ContainerDelete = "Container:Delete";
    /// <summary>Every container permission.</summary>
    public const string ContainerAll = "Container:*";
    /// <summary>Read Formicary's health object (<c>/api/health</c>).</summary>
    public const string HealthQuery = "Health:Query";
    /// <summary>List Formicary artifacts.</summary>
    public const string ArtifactQuery = "Artifact:Query";
    /// <summary>Read a Formicary artifact's metadata and download its content.</summary>
    public const string ArtifactView = "Artifact:View";
    /// <summary>Upload a Formicary artifact.</summary>
    public const string ArtifactUpload = "Artifact:Upload";
    /// <summary>Delete a Formicary artifact.</summary>
    public const string ArtifactDelete = "Artifact:Delete";
    /// <summary>Every artifact permission.</summary>
    public const string ArtifactAll = "Artifact:*";
    /// <summary>Every run permission.</summary>
    public const string RunsAll = "runs:*";
    /// <summary>Every task permission.</summary>
    public const string TasksAll = "tasks:*";
    /// <summary>Every run-data permission.</summary>
    public const string RunDataAll = "rundata:*";
    /// <summary>Operator views of the caller's own org: job stats, executors, metrics.</summary>
    public const string OpsRead = "ops:read";
    /// <summary>Every operator permission.</summary>
    public const string OpsAll = "ops:*";
    /// <summary>Register, list and delete the org's webhook endpoints and read their deliveries.</summary>
    public const string WebhooksManage = "webhooks:manage";
    /// <summary>Every webhooks permission.</summary>
    public const string WebhooksAll = "webhooks:*";
    /// <summary>Read the org's event stream (<c>/api/v1/events</c>, polled or as server-sent events).</summary>
    public const string EventsRead = "events:read";
    /// <summary>Every events permission.</summary>
    public const string EventsAll = "events:*";
    /// <summary>
    /// List, create and revoke API keys of the caller's own org, never with more than the caller holds. Only granted
    /// explicitly (not by <c>*</c>), since it lets a key mint keys.
    /// </summary>
    public const string KeysManage = "keys:manage";
    /// <summary>Every org-scoped permission except <see cref="KeysManage"/>; never <see cref="Admin"/>.</summary>
    public const string All = "*";
    /// <summary>
    /// The cross-org system permission: create orgs, and list, create and revoke API keys of every org. The name stays
    /// <c>admin</c> for compatibility with keys already stored; it is granted only explicitly and implies
    /// <see cref="KeysManage"/>.
    /// </summary>
    public const string Admin = "admin";
    /// <summary>The system permission under its descriptive name; <see cref="Admin"/> is the same permission.</summary>
    public const string System = Admin;

    /// <summary>Every name a key may be given. Families that add permissions add them here.</summary>
    public static IReadOnlySet<string> Known { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        RunsCreate, RunsRead, RunsUpdate, TasksCreate, TasksRead, TasksUpdate, RunDataRead, RunDataWrite,
        JobsSubmit, JobsRead, JobsCancel, JobsExecute, JobsAll, WorkflowsRead, WorkflowsWrite, WorkflowsAll,
        RunsAll, TasksAll, RunDataAll, OpsRead, OpsAll, KeysManage, All, Admin,
        WebhooksManage, WebhooksAll, EventsRead, EventsAll,
        JobDefinitionQuery, JobDefinitionCreate, JobDefinitionView, JobDefinitionDelete, JobDefinitionDisable, JobDefinitionEnable, JobDefinitionAll,
        JobRequestSubmit, JobRequestQuery, JobRequestView, JobRequestCancel, JobRequestRestart, JobRequestApprove, JobRequestAll,
        UserQuery, UserView, UserCreate, UserUpdate, UserAll, AntExecutorQuery, ContainerQuery, ContainerDelete, ContainerAll, HealthQuery,
        ArtifactQuery, ArtifactView, ArtifactUpload, ArtifactDelete, ArtifactAll,
    };

    /// <summary>True when <paramref name="granted"/> satisfies <paramref name="required"/>.</summary>
    public static bool Grants(IReadOnlyCollection<string> granted, string required)
    {
        if (granted.Contains(required)) return true;
        if (string.Equals(required, Admin, StringComparison.Ordinal)) return false;
        // Minting keys is never a side effect of a wildcard; the system permission manages every org's keys anyway.
        if (string.Equals(required, KeysManage, StringComparison.Ordinal)) return granted.Contains(Admin);
        if (granted.Contains(All)) return true;
        var colon = required.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && granted.Contains(string.Concat(required.AsSpan(0, colon), ":*"));
    }
}
