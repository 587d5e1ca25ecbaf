using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Auth;
using Orchestration.Http.Errors;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Jobs;

/// <summary>
/// Seed 003's executor calls. The wire names the executor, not a lease token, so each call resolves the job's task,
/// checks that this executor holds it, and then writes fenced by the lease token it just read: if the lease moved in
/// between (reaped, re-claimed), the store refuses the write and the executor is told so.
/// </summary>
internal static class JobExecutorEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/jobs/claim", ClaimAsync).RequirePermission(Permissions.JobsExecute).WithName("JobsClaim")
            .Accepts<ClaimJobRequest>("application/json").Produces<JobDetail>().Produces(StatusCodes.Status204NoContent)
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
        group.MapPut("/jobs/{id}/heartbeat", HeartbeatAsync).RequirePermission(Permissions.JobsExecute).WithName("JobsHeartbeat")
            .Accepts<JobHeartbeatRequest>("application/json").Produces<JobAckResponse>().Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/jobs/{id}/complete", CompleteAsync).RequirePermission(Permissions.JobsExecute).WithName("JobsComplete")
            .Accepts<JobResultRequest>("application/json").Produces<JobAckResponse>()
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/jobs/{id}/fail", FailAsync).RequirePermission(Permissions.JobsExecute).WithName("JobsFail")
            .Accepts<JobResultRequest>("application/json").Produces<JobAckResponse>()
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ClaimAsync(HttpContext context, IOrchestrationClient client, IOrchestrationStore store,
        ExecutorTracker tracker, IOptions<OrchestrationHttpOptions> options)
    {
        var request = await JsonBody.ReadAsync<ClaimJobRequest>(context, JobsJson.Options);
        if (string.IsNullOrWhiteSpace(request.ExecutorId)) throw JobsException.Field("executor_id", "is required");
        var orgId = context.GetCaller().OrgId;
        tracker.Touch(orgId, request.ExecutorId, [JobsJson.TaskType], 1);

        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams
        {
            ExecutorId = request.ExecutorId,
            ExecutorIp = request.ExecutorIp ?? context.Connection.RemoteIpAddress?.ToString(),
            Types = [JobsJson.TaskType],
            OrgId = orgId,
            Family = JobsJson.Family,
            Max = 1,
            LeaseDuration = options.Value.Executors.HeartbeatTimeout,
        }, context.RequestAborted);
        if (claimed.Count == 0) return Results.NoContent();
        Orchestration.Diagnostics.OrchestrationMetrics.JobsClaimed.Add(1);

        var attempts = await client.Queries.GetAttemptsAsync(orgId, claimed[0].Id, context.RequestAborted);
        return JobsJson.Ok(JobsJson.ToDetail(claimed[0], attempts));
    }

    private static async Task<IResult> HeartbeatAsync(HttpContext context, string id, IOrchestrationClient client, IOrchestrationStore store,
        ExecutorTracker tracker, IOptions<OrchestrationHttpOptions> options)
    {
        var jobId = JobLookup.ParseId(id);
        var request = await JsonBody.ReadAsync<JobHeartbeatRequest>(context, JobsJson.Options);
        if (string.IsNullOrWhiteSpace(request.ExecutorId)) throw JobsException.Field("executor_id", "is required");
        var orgId = context.GetCaller().OrgId;
        tracker.Touch(orgId, request.ExecutorId);

        var task = await JobLookup.FindAsync(client, orgId, jobId, context.RequestAborted);
        if (task is not { Status: TaskRunStatus.Running, LeaseToken: { } token } || !string.Equals(task.ExecutorId, request.ExecutorId, StringComparison.Ordinal))
            throw new JobsException(StatusCodes.Status404NotFound, "Job not found or not running for this executor", new Dictionary<string, string> { ["job_id"] = id });

        var result = await store.HeartbeatTasksAsync(new HeartbeatTasksParams([new TaskLease(task.Id, token)], options.Value.Executors.HeartbeatTimeout), context.RequestAborted);
        return result[0].Outcome switch
        {
            HeartbeatOutcome.Extended => JobsJson.Ok(new JobAckResponse(jobId, "running")),
            HeartbeatOutcome.Cancelled => JobsJson.Ok(new JobAckResponse(jobId, "cancelled")),
            _ => throw new JobsException(StatusCodes.Status404NotFound, "Job not found or not running for this executor", new Dictionary<string, string> { ["job_id"] = id }),
        };
    }

    private static Task<IResult> CompleteAsync(HttpContext context, string id, IOrchestrationClient client, IOrchestrationStore store, ExecutorTracker tracker) =>
        FinishAsync(context, id, client, store, tracker, complete: true);

    private static Task<IResult> FailAsync(HttpContext context, string id, IOrchestrationClient client, IOrchestrationStore store, ExecutorTracker tracker) =>
        FinishAsync(context, id, client, store, tracker, complete: false);

    private static async Task<IResult> FinishAsync(HttpContext context, string id, IOrchestrationClient client, IOrchestrationStore store, ExecutorTracker tracker, bool complete)
    {
        var jobId = JobLookup.ParseId(id);
        var request = await JsonBody.ReadAsync<JobResultRequest>(context, JobsJson.Options);
        var orgId = context.GetCaller().OrgId;
        var task = await JobLookup.GetAsync(client, orgId, jobId, context.RequestAborted);
        var status = JobsJson.StatusOf(task.Status);
        if (task is not { Status: TaskRunStatus.Running, LeaseToken: { } token })
            throw JobsException.State(jobId, status, $"Invalid state transition: job is {status}");
        // Seed 003's executors may omit executor_id; when given it must be the holder (a lost executor's late report).
        if (request.ExecutorId is { } executor && !string.Equals(task.ExecutorId, executor, StringComparison.Ordinal))
            throw JobsException.State(jobId, status, "Invalid state transition: the job is held by another executor");

        var lease = new TaskLease(task.Id, token);
        var output = JobsJson.OutputJson(request);
        var results = complete
            ? await store.CompleteTasksAsync([new TaskCompletion(lease, output)], context.RequestAborted)
            : await store.FailTasksAsync([new TaskFailure(lease, JsonDefaults.ErrorJson(request.ErrorMessage ?? "job failed"), Retryable: false, output)], context.RequestAborted);
        if (!results[0].Applied) throw JobsException.State(jobId, status, "Invalid state transition: the executor no longer holds the job");
        (complete ? Orchestration.Diagnostics.OrchestrationMetrics.JobsCompleted : Orchestration.Diagnostics.OrchestrationMetrics.JobsFailed).Add(1);
        if (task.StartedAt is { } started) Orchestration.Diagnostics.OrchestrationMetrics.JobDuration.Record(Math.Max(0, (DateTimeOffset.UtcNow - started).TotalSeconds));

        if (task.ExecutorId is { } holder)
        {
            if (complete) tracker.Completed(orgId, holder);
            else tracker.Touch(orgId, holder);
        }

        return JobsJson.Ok(new JobAckResponse(jobId, complete ? "completed" : "failed"));
    }
}
