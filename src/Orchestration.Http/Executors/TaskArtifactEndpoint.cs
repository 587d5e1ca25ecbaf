using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.Features;
using Orchestration.Artifacts;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Http.Formicary;
using Orchestration.Http.Jobs;
using Orchestration.Http.Jobs.Contracts;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.RateLimiting;
using Orchestration.Storage;

namespace Orchestration.Http.Executors;

/// <summary>
/// <c>POST /api/v1/tasks/{id}/artifacts?lease_token=…&amp;name=…</c>: a remote executor stores an artifact of the task it
/// holds (raw body, streamed). Only the lease holder may: the lease is checked (and extended, as a heartbeat would) before
/// the first byte is read and again after the last, and an upload whose lease was lost meanwhile is deleted and answered 409.
/// </summary>
internal static class TaskArtifactEndpoint
{
    public static void Map(RouteGroupBuilder group) =>
        group.MapPost("/tasks/{id:guid}/artifacts", UploadAsync).RequirePermission(Permissions.JobsExecute).IsExecutorCall().WithName("TasksUploadArtifact")
            .Produces<TaskArtifactResponse>(StatusCodes.Status201Created).Produces<JobsErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<JobsErrorBody>(StatusCodes.Status404NotFound).Produces<JobsErrorBody>(StatusCodes.Status409Conflict)
            .Produces<JobsErrorBody>(StatusCodes.Status413PayloadTooLarge);

    private static async Task<IResult> UploadAsync(HttpContext context, Guid id, string? lease_token, string? name, string? kind,
        IOrchestrationClient client, IExecutorFront front)
    {
        var artifacts = ArtifactEndpoints.Client(context);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = artifacts.MaxArtifactBytes;
        if (context.Request.ContentLength > artifacts.MaxArtifactBytes) throw ArtifactEndpoints.TooLarge(artifacts.MaxArtifactBytes);
        var orgId = context.GetCaller().OrgId;
        var task = await client.Queries.GetTaskAsync(orgId, id, context.RequestAborted);
        ExecutorCalls.Admit(context, orgId, task?.ExecutorId ?? "");
        if (task is null) throw new JobsException(StatusCodes.Status404NotFound, "Task not found", new Dictionary<string, string> { ["task_id"] = id.ToString() });
        if (!Guid.TryParse(lease_token, out var token)) throw JobsException.Field("lease_token", "is required: the lease token of the claim");
        var lease = new TaskLease(id, token);
        if (!await HoldsAsync(context, front, lease)) throw LeaseLost(id);

        Artifact stored;
        try
        {
            stored = await artifacts.UploadAsync(new ArtifactUpload
            {
                OrgId = orgId,
                Name = name ?? throw JobsException.Field("name", "is required"),
                Kind = kind,
                RunId = task.RunId,
                TaskId = task.Id,
                TaskType = task.Name ?? task.Type,
                ContentType = context.Request.ContentType,
            }, context.Request.Body, context.RequestAborted);
        }
        catch (ArtifactValidationException e)
        {
            throw JobsException.Field(e.Field, e.Message[Math.Min(e.Message.Length, e.Field.Length + 1)..]);
        }
        catch (Exception e) when (e is ArtifactTooLargeException || e is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge })
        {
            throw new JobsException(StatusCodes.Status413PayloadTooLarge, $"Artifact exceeds the limit of {artifacts.MaxArtifactBytes} bytes", null);
        }

        if (!await HoldsAsync(context, front, lease))
        {
            await artifacts.DeleteAsync(orgId, stored.Id, CancellationToken.None);
            throw LeaseLost(id);
        }

        return JobsJson.Ok(new TaskArtifactResponse(stored.Id, stored.Name, stored.Sha256, stored.ContentLength), StatusCodes.Status201Created);
    }

    private static async Task<bool> HoldsAsync(HttpContext context, IExecutorFront front, TaskLease lease)
    {
        var result = (await front.HeartbeatAsync([lease], ExecutorCalls.DefaultLease(context), context.RequestAborted))[0];
        return result.Outcome == HeartbeatOutcome.Extended;
    }

    private static JobsException LeaseLost(Guid id) =>
        new(StatusCodes.Status409Conflict, "Lease lost: the task is no longer running under this lease token", new Dictionary<string, string> { ["task_id"] = id.ToString() });
}

/// <summary>The stored artifact, as the task protocol answers an upload.</summary>
internal sealed record TaskArtifactResponse(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("content_length")] long ContentLength);
