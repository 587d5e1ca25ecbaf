using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Execution;
using Orchestration.Http.Jobs;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Http.Platform.RateLimiting;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// The job queue API reference's executor calls. The wire names the executor, not a lease token, so each call resolves the job's task
/// and asks the executor front for this executor's lease of it, then writes fenced by that lease: if the lease moved in
/// between (reaped, re-claimed), the store refuses the write and the executor is told so.
/// </summary>
internal static class JobExecutorEndpoints
{
    public static void Map(RouteGroupBuilder group)
    {
        group.MapPost("/jobs/claim", ClaimAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("JobsClaim")
            .Accepts<ClaimJobRequest>("application/json").Produces<JobDetail>().Produces(StatusCodes.Status204NoContent)
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
        // 204 without a body on success: executr's client treats any other success code as an error.
        group.MapPut("/jobs/{id}/heartbeat", HeartbeatAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("JobsHeartbeat")
            .Accepts<JobHeartbeatRequest>("application/json").Produces(StatusCodes.Status204NoContent).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/jobs/{id}/complete", CompleteAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("JobsComplete")
            .Accepts<JobResultRequest>("application/json").Produces(StatusCodes.Status204NoContent)
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        group.MapPut("/jobs/{id}/fail", FailAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("JobsFail")
            .Accepts<JobResultRequest>("application/json").Produces(StatusCodes.Status204NoContent)
            .Produces<JobsErrorBody>(StatusCodes.Status400BadRequest).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> ClaimAsync(HttpContext context, IOrchestrationClient client, IExecutorFront front)
    {
        var request = await JsonBody.ReadAsync<ClaimJobRequest>(context, JobsJson.Options);
        var claimed = await ExecutorCalls.ClaimAsync(context, front, new ClaimTasksParams
        {
            ExecutorId = ExecutorCalls.ExecutorId(request.ExecutorId),
            ExecutorIp = ExecutorCalls.ExecutorIp(request.ExecutorIp, context),
            Types = [JobsJson.TaskType],
            Family = JobsJson.Family,
            Max = 1,
            LeaseDuration = ExecutorCalls.DefaultLease(context),
        }, ExecutorProtocol.JobQueue);
        if (claimed.Count == 0) return Results.NoContent();

        var job = claimed[0].Task;
        var attempts = await client.Queries.GetAttemptsAsync(job.OrgId, job.Id, context.RequestAborted);
        ClaimTraceContext.AddHeaders(context.Response, (await ClaimTraceContext.ReadAsync(client, claimed, context.RequestAborted)).GetValueOrDefault(job.RunId));
        return JobsJson.Ok(JobsJson.ToDetail(job, attempts));
    }

    /// <summary>
    /// Extends the lease. A cancelled job, a job past its <c>timeout_seconds</c> (failed here, for good) and a job this
    /// executor no longer holds all answer 404, the one refusal of the job queue API reference; <c>context.status</c> says which.
    /// </summary>
    private static async Task<IResult> HeartbeatAsync(HttpContext context, string id, IOrchestrationClient client, IExecutorFront front,
        ExecutorTracker tracker, TimeProvider time)
    {
        var jobId = JobLookup.ParseId(id);
        var request = await JsonBody.ReadAsync<JobHeartbeatRequest>(context, JobsJson.Options);
        var executorId = ExecutorCalls.ExecutorId(request.ExecutorId);
        var orgId = context.GetCaller().OrgId;
        ExecutorCalls.Admit(context, orgId, executorId);
        tracker.Touch(orgId, executorId);

        var task = await JobLookup.FindAsync(client, orgId, jobId, context.RequestAborted);
        if (task is { Status: TaskRunStatus.Cancelled }) throw NotRunning(jobId, "cancelled", "Job was cancelled");
        if (task is null || front.LeaseOf(task, executorId) is not { } lease)
            throw NotRunning(jobId, task is null ? null : JobsJson.StatusOf(task.Status), "Job not found or not running for this executor");

        if (task is { Timeout: { } limit, StartedAt: { } started } && time.GetUtcNow() >= started + limit)
        {
            // A remote attempt has no in-process timer: its first heartbeat past the bound ends it, and the answer tells
            // the executor to stop. Lease loss in between is the same refusal.
            var message = $"timed out after {limit.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)} s (timeout_seconds)";
            await front.FailTimedOutAsync(lease, JsonDefaults.ErrorJson(message), context.RequestAborted);
            throw NotRunning(jobId, "failed", "Job timed out: " + message);
        }

        var result = await front.HeartbeatAsync([lease], ExecutorCalls.DefaultLease(context), context.RequestAborted);
        return result[0].Outcome switch
        {
            HeartbeatOutcome.Extended => Results.NoContent(),
            HeartbeatOutcome.Cancelled => throw NotRunning(jobId, "cancelled", "Job was cancelled"),
            _ => throw NotRunning(jobId, null, "Job not found or not running for this executor"),
        };
    }

    private static JobsException NotRunning(Guid jobId, string? status, string message)
    {
        var context = new Dictionary<string, string> { ["job_id"] = jobId.ToString() };
        if (status is not null) context["status"] = status;
        return new JobsException(StatusCodes.Status404NotFound, message, context);
    }

    private static Task<IResult> CompleteAsync(HttpContext context, string id, IOrchestrationClient client, IExecutorFront front, ExecutorTracker tracker) =>
        FinishAsync(context, id, client, front, tracker, complete: true);

    private static Task<IResult> FailAsync(HttpContext context, string id, IOrchestrationClient client, IExecutorFront front, ExecutorTracker tracker) =>
        FinishAsync(context, id, client, front, tracker, complete: false);

    private static async Task<IResult> FinishAsync(HttpContext context, string id, IOrchestrationClient client, IExecutorFront front, ExecutorTracker tracker, bool complete)
    {
        var jobId = JobLookup.ParseId(id);
        var request = await JsonBody.ReadAsync<JobResultRequest>(context, JobsJson.Options);
        if (request.ExecutorId is { Length: > ExecutorCalls.MaxExecutorIdLength })
            throw JobsException.Field("executor_id", $"must be at most {ExecutorCalls.MaxExecutorIdLength} characters");
        var orgId = context.GetCaller().OrgId;
        var found = await JobLookup.FindAsync(client, orgId, jobId, context.RequestAborted);
        // Counted against the executor named in the body, else the holder; reports naming neither share one bucket
        // per org, so probing unknown ids is limited too.
        ExecutorCalls.Admit(context, orgId, request.ExecutorId ?? found?.ExecutorId ?? "");
        var task = found ?? throw JobsException.NotFound(jobId);
        var status = JobsJson.StatusOf(task.Status);
        if (front.LeaseOf(task, executorId: null) is not { } lease)
            throw JobsException.State(jobId, status, $"Invalid state transition: job is {status}");
        // The job queue API reference's executors may omit executor_id; when given it must be the holder (a lost executor's late report).
        if (request.ExecutorId is { } executor && !string.Equals(task.ExecutorId, executor, StringComparison.Ordinal))
            throw JobsException.State(jobId, status, "Invalid state transition: the job is held by another executor");

        var output = JobsJson.OutputJson(request);
        var report = new ExecutorReport(ExecutorProtocol.JobQueue, task.StartedAt);
        var results = complete
            ? await front.CompleteAsync([new TaskCompletion(lease, output) { ExitCode = request.ExitCode }], report, context.RequestAborted)
            : await front.FailAsync([new TaskFailure(lease, JsonDefaults.ErrorJson(request.ErrorMessage ?? "job failed"), Retryable: false, output) { ExitCode = request.ExitCode }], report, context.RequestAborted);
        if (!results[0].Applied) throw JobsException.State(jobId, status, "Invalid state transition: the executor no longer holds the job");

        if (task.ExecutorId is { } holder)
        {
            if (complete) tracker.Completed(orgId, holder);
            else tracker.Touch(orgId, holder);
        }

        // executr's client accepts only 204 here.
        return Results.NoContent();
    }
}
