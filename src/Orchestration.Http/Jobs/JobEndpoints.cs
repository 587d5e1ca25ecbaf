using System.Globalization;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Exec;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Http.Platform;
using Orchestration.Storage;

namespace Orchestration.Http.Jobs;

/// <summary><c>/api/v1/jobs</c>: submit, list, read and cancel. A job is a run of family <c>jobs</c> with one <c>exec</c> task.</summary>
internal static class JobEndpoints
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 1000;
    public const int MaxBulk = 1000;

    /// <summary>The job list as the job queue API reference pages it: 100 by default, at most 1,000.</summary>
    public static readonly PagingWire Pages = new(DefaultLimit, MaxLimit, JobsException.Field);

    /// <summary>Largest <c>timeout_seconds</c>: a week, far above any binary job and far below a TimeSpan overflow.</summary>
    public const int MaxTimeoutSeconds = 7 * 24 * 3600;

    /// <summary>executr's own submit tool sends <c>background</c> when no priority is chosen; a submit without one gets it too.</summary>
    public const string DefaultPriority = "background";

    /// <summary>
    /// Lease losses retry at once on another executor, at most this many attempts in all; an executor's own fail is
    /// final (the job queue API reference has no retries).
    /// </summary>
    private static readonly RetryPolicy JobRetryPolicy = new(5, TimeSpan.Zero, TimeSpan.Zero, 1, 0);

    public static void Map(RouteGroupBuilder jobs)
    {
        jobs.MapPost("/jobs", SubmitAsync).RequirePermission(Permissions.JobsSubmit).WithName("JobsSubmit")
            .Accepts<SubmitJobRequest>("application/json").Produces<SubmitJobResponse>(StatusCodes.Status201Created).Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
        jobs.MapGet("/jobs", ListAsync).RequirePermission(Permissions.JobsRead).WithName("JobsList")
            .Produces<IReadOnlyList<JobSummary>>().Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
        jobs.MapGet("/jobs/{id}", GetAsync).RequirePermission(Permissions.JobsRead).WithName("JobsGet")
            .Produces<JobDetail>().Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        jobs.MapDelete("/jobs/{id}", CancelAsync).RequirePermission(Permissions.JobsCancel).WithName("JobsCancel")
            .Produces(StatusCodes.Status204NoContent).Produces<JobsErrorBody>(StatusCodes.Status400BadRequest).Produces<JobsErrorBody>(StatusCodes.Status404NotFound);
        jobs.MapPost("/jobs/bulk", BulkSubmitAsync).RequirePermission(Permissions.JobsSubmit).WithName("JobsBulkSubmit")
            .Accepts<List<SubmitJobRequest>>("application/json").Produces<IReadOnlyList<BulkSubmitItem>>(StatusCodes.Status201Created)
            .Produces<IReadOnlyList<BulkSubmitItem>>(StatusCodes.Status400BadRequest);
        jobs.MapPost("/jobs/bulk/cancel", BulkCancelAsync).RequirePermission(Permissions.JobsCancel).WithName("JobsBulkCancel")
            .Accepts<BulkCancelRequest>("application/json").Produces<BulkCancelResponse>().Produces<JobsErrorBody>(StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<SubmitJobRequest>(context, JobsJson.Options);
        var spec = ToSpec(context.GetCaller().OrgId, request, context.Limits());
        var created = await client.CreateRunAsync(spec, context.RequestAborted);
        if (!created.Created)
        {
            // A duplicate by unique key: the job that holds the key, as it is now; 200 says nothing new was made.
            return JobsJson.Ok(new SubmitJobResponse(created.Run.Id, created.Run.Name ?? request.Type!, created.Run.Status.ToWire(), created.Run.CreatedAt.UtcDateTime));
        }

        Platform.Metrics.JobQueueMetrics.JobsSubmitted.Add(1);
        return JobsJson.Ok(new SubmitJobResponse(created.Run.Id, request.Type!, "pending", created.Run.CreatedAt.UtcDateTime), StatusCodes.Status201Created);
    }

    private static async Task<IResult> BulkSubmitAsync(HttpContext context, IOrchestrationClient client)
    {
        var requests = await JsonBody.ReadAsync<List<SubmitJobRequest?>>(context, JobsJson.Options);
        if (requests.Count == 0) throw JobsException.Field("jobs", "must list at least one job");
        if (requests.Count > MaxBulk) throw JobsException.Field("jobs", $"must list at most {MaxBulk} jobs");

        // Each item is validated alone: a bad item is answered in its place and the valid ones are still created.
        var orgId = context.GetCaller().OrgId;
        var limits = context.Limits();
        var answers = new BulkSubmitItem?[requests.Count];
        var specs = new List<(int Index, RunSpec Spec)>();
        for (var i = 0; i < requests.Count; i++)
        {
            try
            {
                specs.Add((i, ToSpec(orgId, requests[i] ?? throw JobsException.Field("job", "must be an object"), limits)));
            }
            catch (JobsException e)
            {
                answers[i] = new BulkSubmitItem(null, "rejected", e.Message, new Dictionary<string, string>(e.Context ?? new Dictionary<string, string>())
                {
                    ["index"] = i.ToString(CultureInfo.InvariantCulture),
                });
            }
        }

        if (specs.Count > 0)
        {
            var created = await client.CreateRunsAsync(specs.Select(s => s.Spec).ToList(), context.RequestAborted);
            for (var j = 0; j < specs.Count; j++) answers[specs[j].Index] = BulkAnswer(specs[j].Index, specs[j].Spec, created[j]);
            Platform.Metrics.JobQueueMetrics.JobsSubmitted.Add(created.Count(c => c.Created));
        }

        return JobsJson.Ok(answers.Select(a => a!).ToList(), specs.Count > 0 ? StatusCodes.Status201Created : StatusCodes.Status400BadRequest);
    }

    // A duplicate by unique key is answered in its place: the holder's id and status, or, in conflict mode, a refusal
    // naming the key and the holder.
    private static BulkSubmitItem BulkAnswer(int index, RunSpec spec, CreateRunResult created)
    {
        if (created.Created) return new BulkSubmitItem(created.Run.Id, "pending");
        if (spec.Unique is { OnDuplicate: OnDuplicate.Conflict } rule)
        {
            return new BulkSubmitItem(null, "rejected", $"unique key '{rule.Key}' is held by run {created.Run.Id}", new Dictionary<string, string>
            {
                ["index"] = index.ToString(CultureInfo.InvariantCulture),
                ["unique_key"] = rule.Key,
                ["job_id"] = created.Run.Id.ToString(),
            });
        }

        return new BulkSubmitItem(created.Run.Id, created.Run.Status.ToWire());
    }

    private static readonly UniqueFieldNames JobUniqueFields = new("unique_key", "unique_scope", "unique_states", "unique_window_seconds", "on_duplicate");

    private static async Task<IResult> ListAsync(HttpContext context, IOrchestrationClient client, string? status, string? type, string? priority, string? limit, string? offset)
    {
        if (context.Limits().QueryListProblem(context.Request.Query) is { } tooMany) throw JobsException.Field(tooMany.Field, tooMany.Message);
        IReadOnlyCollection<TaskRunStatus>? statuses = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!JobsJson.StatusNames.Contains(status)) throw JobsException.Field("status", "must be one of pending, running, completed, failed, cancelled");
            statuses = JobsJson.TaskStatusesOf(status);
        }

        if (context.Limits().IdentifierProblem(type) is { } typeProblem) throw JobsException.Field("type", typeProblem);

        int? priorityValue = null;
        if (!string.IsNullOrEmpty(priority))
        {
            if (!JobsJson.TryParsePriority(priority, out var p)) throw JobsException.Field("priority", "must be one of foreground, background, best_effort");
            priorityValue = p;
        }

        var query = new TaskQuery
        {
            OrgId = context.GetCaller().OrgId,
            Family = JobsJson.Family,
            Type = JobsJson.TaskType,
            Statuses = statuses,
            Name = string.IsNullOrEmpty(type) ? null : type,
            Priority = priorityValue,
            Limit = Pages.Limit(limit),
            Offset = Pages.Offset(offset),
            // A job summary shows no payload; loading 1,000 of them would cost whatever they hold.
            MaxPayloadChars = 0,
        };
        var page = await client.Queries.ListTasksAsync(query, context.RequestAborted);
        return JobsJson.Ok(page.Items.Select(JobsJson.ToSummary).ToList());
    }

    private static async Task<IResult> GetAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var orgId = context.GetCaller().OrgId;
        var task = await JobLookup.GetAsync(client, orgId, JobLookup.ParseId(id), context.RequestAborted);
        var attempts = await client.Queries.GetAttemptsAsync(orgId, task.Id, context.RequestAborted);
        return JobsJson.Ok(JobsJson.ToDetail(task, attempts));
    }

    private static async Task<IResult> CancelAsync(HttpContext context, IOrchestrationClient client, string id)
    {
        var jobId = JobLookup.ParseId(id);
        var error = await CancelOneAsync(client, context.GetCaller().OrgId, jobId, context.RequestAborted);
        if (error is not null) throw error;
        // executr's client accepts only 204 here.
        return Results.NoContent();
    }

    private static async Task<IResult> BulkCancelAsync(HttpContext context, IOrchestrationClient client)
    {
        var request = await JsonBody.ReadAsync<BulkCancelRequest>(context, JobsJson.Options);
        if (request.JobIds is null) throw JobsException.Field("job_ids", "is required");
        if (request.JobIds.Count > MaxBulk) throw JobsException.Field("job_ids", $"must list at most {MaxBulk} ids");

        var orgId = context.GetCaller().OrgId;
        var cancelled = 0;
        var errors = new List<BulkCancelError>();
        foreach (var raw in request.JobIds)
        {
            JobsException? error;
            if (!Guid.TryParse(raw, out var jobId)) error = new JobsException(StatusCodes.Status404NotFound, "Job not found");
            else error = await CancelOneAsync(client, orgId, jobId, context.RequestAborted);
            if (error is null) cancelled++;
            else errors.Add(new BulkCancelError(raw ?? "", error.Message));
        }

        return JobsJson.Ok(new BulkCancelResponse(cancelled, errors.Count, errors));
    }

    /// <summary>
    /// Cancels a pending or running job. Cancelling the run cancels its task in the same write: the in-process worker's
    /// token fires (the exec handler kills the process tree), and a remote executor is refused on its next heartbeat or
    /// report. Finished jobs stay as they are (terminal is final).
    /// </summary>
    private static async Task<JobsException?> CancelOneAsync(IOrchestrationClient client, string orgId, Guid jobId, CancellationToken cancellationToken)
    {
        var task = await JobLookup.FindAsync(client, orgId, jobId, cancellationToken);
        if (task is null) return JobsException.NotFound(jobId);
        var status = JobsJson.StatusOf(task.Status);
        if (status is not ("pending" or "running")) return JobsException.State(jobId, status, $"Job is already finished (status {status})");
        return await client.CancelRunAsync(orgId, jobId, cancellationToken) switch
        {
            RunCommandStatus.Applied => null,
            RunCommandStatus.NotFound => JobsException.NotFound(jobId),
            // Finished between the read and the cancel.
            _ => JobsException.State(jobId, "finished", "Job is already finished"),
        };
    }

    private static RunSpec ToSpec(string orgId, SubmitJobRequest request, LimitOptions limits)
    {
        if (string.IsNullOrEmpty(request.Type)) throw JobsException.Field("type", "is required");
        if (request.Type.Any(char.IsWhiteSpace)) throw JobsException.Field("type", "must not contain spaces");
        if (limits.IdentifierProblem(request.Type) is { } typeProblem) throw JobsException.Field("type", typeProblem);
        if (request.ConcurrencyKey is not null && limits.IdentifierProblem(request.ConcurrencyKey) is { } keyProblem) throw JobsException.Field("concurrency_key", keyProblem);
        if (ConcurrencyLimitWire.Problem(request.ConcurrencyLimit, request.ConcurrencyKey, "concurrency_key") is { } limitProblem) throw JobsException.Field("concurrency_limit", limitProblem);
        if (string.IsNullOrEmpty(request.BinaryUrl)) throw JobsException.Field("binary_url", "is required");
        if (!Uri.TryCreate(request.BinaryUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw JobsException.Field("binary_url", "must be an absolute http or https URL");
        if (string.IsNullOrEmpty(request.BinarySha256)) throw JobsException.Field("binary_sha256", "is required");
        if (request.BinarySha256.Length != 64 || !request.BinarySha256.All(char.IsAsciiHexDigit))
            throw JobsException.Field("binary_sha256", "must be 64 hexadecimal digits");
        if (!JobsJson.TryParsePriority(string.IsNullOrEmpty(request.Priority) ? DefaultPriority : request.Priority, out var priority))
            throw JobsException.Field("priority", "must be one of foreground, background, best_effort");
        if (request.TimeoutSeconds is { } timeout && (timeout < 1 || timeout > MaxTimeoutSeconds))
            throw JobsException.Field("timeout_seconds", $"must be between 1 and {MaxTimeoutSeconds}");
        var arguments = request.Arguments ?? [];
        for (var i = 0; i < arguments.Count; i++)
        {
            if (arguments[i] is null) throw JobsException.Field($"arguments[{i}]", "must be a string");
            if (arguments[i].Contains('\0')) throw JobsException.Field($"arguments[{i}]", "must not contain NUL");
        }

        foreach (var (name, value) in request.EnvVariables ?? new Dictionary<string, string>())
        {
            if (string.IsNullOrEmpty(name) || name.Contains('=') || name.Contains('\0')) throw JobsException.Field("env_variables", $"name '{name}' is not a valid variable name");
            if (value is null || value.Contains('\0')) throw JobsException.Field($"env_variables.{name}", "must be a string without NUL");
        }

        var input = new ExecInput
        {
            BinaryUrl = request.BinaryUrl,
            BinarySha256 = request.BinarySha256.ToLowerInvariant(),
            Arguments = arguments,
            EnvVariables = request.EnvVariables ?? new Dictionary<string, string>(),
            // The exec handler (in the host or in a remote executor built on it) kills the process tree at this bound.
            TimeoutSeconds = request.TimeoutSeconds,
        };
        var unique = UniqueWire.Rule(request.UniqueKey, request.UniqueScope, request.UniqueStates,
            request.UniqueWindowSeconds is { } window ? TimeSpan.FromSeconds(window) : null, request.OnDuplicate, JobUniqueFields, "type", limits, JobsException.Field);
        return new RunSpec
        {
            OrgId = orgId,
            Family = JobsJson.Family,
            Name = request.Type,
            Unique = unique,
            Tasks =
            [
                new TaskSpec
                {
                    Type = JobsJson.TaskType,
                    Name = request.Type,
                    InputJson = System.Text.Json.JsonSerializer.Serialize(input, JobsJson.Options),
                    Priority = priority,
                    RetryPolicy = JobRetryPolicy,
                    Timeout = request.TimeoutSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
                    ConcurrencyKey = request.ConcurrencyKey,
                    ConcurrencyLimit = request.ConcurrencyLimit,
                },
            ],
        };
    }
}
