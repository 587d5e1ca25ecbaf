using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Exec;

namespace Orchestration.Executor;

/// <summary>Claim, run, heartbeat, report; one job at a time, as the job queue API reference's executor.</summary>
internal sealed partial class JobExecutorService(ExecutorSettings settings, IServiceProvider services, ILogger<JobExecutorService> logger) : BackgroundService
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri(settings.Server!) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", settings.ApiKey);
        var exec = services.GetServices<HandlerRegistration>().Single(h => h.Type == "exec");
        LogStarted(logger, settings.Id, settings.Server!);

        while (!stoppingToken.IsCancellationRequested)
        {
            ClaimedJob? job;
            try
            {
                using var response = await http.PostAsJsonAsync("/api/v1/jobs/claim", new { executor_id = settings.Id, executor_ip = settings.Ip }, stoppingToken);
                job = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<ClaimedJob>(Json, stoppingToken) : null;
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NoContent)) LogClaimRefused(logger, (int)response.StatusCode);
            }
            catch (HttpRequestException e)
            {
                LogServerUnreachable(logger, e.Message);
                job = null;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }

            if (job is null)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(settings.PollSeconds), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            await RunAsync(http, exec, job, stoppingToken);
        }

        LogStopped(logger, settings.Id);
    }

    private async Task RunAsync(HttpClient http, HandlerRegistration exec, ClaimedJob job, CancellationToken stoppingToken)
    {
        LogRunning(logger, job.Id, job.Type);
        using var work = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var heartbeatStop = new CancellationTokenSource();
        var heartbeats = HeartbeatAsync(http, job.Id, work, heartbeatStop.Token);

        object report;
        string verb;
        try
        {
            var input = new ExecInput
            {
                BinaryUrl = job.BinaryUrl, BinarySha256 = job.BinarySha256, Arguments = job.Arguments, EnvVariables = job.EnvVariables, TimeoutSeconds = job.TimeoutSeconds,
            };
            var task = new TaskRun
            {
                Id = job.Id, OrgId = "remote", RunId = job.Id, Name = job.Type, Type = "exec", Status = TaskRunStatus.Running,
                InputJson = JsonSerializer.Serialize(input), RetryPolicy = RetryPolicy.Default, Attempt = 1,
                CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
            };
            await using var scope = services.CreateAsyncScope();
            var context = new TaskContext(task, scope.ServiceProvider.GetRequiredService<IOrchestrationClient>(), logger, scope.ServiceProvider);
            var output = Output(await exec.Invoke(scope.ServiceProvider, context, work.Token));
            (verb, report) = ("complete", new { executor_id = settings.Id, stdout = output?.Stdout ?? "", stderr = output?.Stderr ?? "", exit_code = output?.ExitCode ?? 0 });
        }
        catch (OperationCanceledException) when (work.IsCancellationRequested)
        {
            // Lost the job (heartbeat refused) or shutting down: the server's lease expiry hands it to another executor.
            LogAbandoned(logger, job.Id);
            await heartbeatStop.CancelAsync();
            await heartbeats;
            return;
        }
        catch (TaskFailedException e)
        {
            var output = Output(e.OutputJson);
            (verb, report) = ("fail", new { executor_id = settings.Id, stdout = output?.Stdout ?? "", stderr = output?.Stderr ?? "", exit_code = output?.ExitCode, error_message = e.Message });
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            (verb, report) = ("fail", new { executor_id = settings.Id, stdout = "", stderr = "", exit_code = (int?)null, error_message = e.Message });
        }

        await heartbeatStop.CancelAsync();
        await heartbeats;
        try
        {
            using var response = await http.PutAsJsonAsync($"/api/v1/jobs/{job.Id}/{verb}", report, CancellationToken.None);
            // 204 is the only success; 400/404 mean the job was cancelled, timed out or taken over meanwhile.
            if (response.StatusCode == HttpStatusCode.NoContent) LogReported(logger, job.Id, verb);
            else LogReportRefused(logger, job.Id, verb, (int)response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None));
        }
        catch (HttpRequestException e)
        {
            LogServerUnreachable(logger, e.Message);
        }
    }

    private async Task HeartbeatAsync(HttpClient http, Guid jobId, CancellationTokenSource work, CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(settings.HeartbeatSeconds), stop);
                try
                {
                    using var response = await http.PutAsJsonAsync($"/api/v1/jobs/{jobId}/heartbeat", new { executor_id = settings.Id }, stop);
                    // 204 keeps the lease. 404 means cancelled, timed out or lost to another executor: stop the binary
                    // (the exec handler kills its process tree). Anything else (429, 5xx) is transient: keep beating.
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        LogHeartbeatRefused(logger, jobId, await response.Content.ReadAsStringAsync(stop));
                        await work.CancelAsync();
                        return;
                    }

                    if (response.StatusCode != HttpStatusCode.NoContent) LogHeartbeatFailed(logger, jobId, (int)response.StatusCode);
                }
                catch (HttpRequestException e)
                {
                    LogServerUnreachable(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The job finished.
        }
    }

    private static ExecOutput? Output(string? json) => json is null ? null : JsonSerializer.Deserialize<ExecOutput>(json);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executor {ExecutorId} polling {Server}")]
    private static partial void LogStarted(ILogger logger, string executorId, string server);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executor {ExecutorId} stopped")]
    private static partial void LogStopped(ILogger logger, string executorId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Running job {JobId} ({JobType})")]
    private static partial void LogRunning(ILogger logger, Guid jobId, string jobType);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId}: {Verb} accepted")]
    private static partial void LogReported(ILogger logger, Guid jobId, string verb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: {Verb} refused with {Status}: {Body}")]
    private static partial void LogReportRefused(ILogger logger, Guid jobId, string verb, int status, string body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: heartbeat refused, stopping the job: {Body}")]
    private static partial void LogHeartbeatRefused(ILogger logger, Guid jobId, string body);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId}: heartbeat answered {Status}; retrying at the next interval")]
    private static partial void LogHeartbeatFailed(ILogger logger, Guid jobId, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} abandoned (lost, cancelled or shutting down)")]
    private static partial void LogAbandoned(ILogger logger, Guid jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Claim refused with {Status}")]
    private static partial void LogClaimRefused(ILogger logger, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Server unreachable: {Message}")]
    private static partial void LogServerUnreachable(ILogger logger, string message);

    private sealed record ClaimedJob(
        [property: JsonPropertyName("id")] Guid Id,
        [property: JsonPropertyName("type")] string Type,
        [property: JsonPropertyName("binary_url")] string? BinaryUrl,
        [property: JsonPropertyName("binary_sha256")] string? BinarySha256,
        [property: JsonPropertyName("arguments")] IReadOnlyList<string>? Arguments,
        [property: JsonPropertyName("env_variables")] IReadOnlyDictionary<string, string>? EnvVariables,
        [property: JsonPropertyName("timeout_seconds")] int? TimeoutSeconds);
}
