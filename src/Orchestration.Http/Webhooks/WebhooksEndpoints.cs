using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Webhooks.Contracts;
using Orchestration.Storage;

namespace Orchestration.Http.Webhooks;

/// <summary>
/// The webhooks API: an org registers endpoints (<c>url</c>, <c>events</c>, <c>secret</c>), lists and deletes them, and
/// reads their deliveries. Needs <c>webhooks:manage</c>. The secret is returned once, in the answer to the creation.
/// </summary>
internal static class WebhooksEndpoints
{
    public const int DefaultDeliveryLimit = 50;
    public const int MaxDeliveryLimit = 200;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static void Map(RouteGroupBuilder group)
    {
        group.WithTags("Webhooks");
        group.MapPost("/webhooks", CreateAsync).RequirePermission(Permissions.WebhooksManage).WithName("WebhooksCreate")
            .Accepts<CreateWebhookRequest>("application/json").Produces<WebhookResponse>(StatusCodes.Status201Created).Produces<ErrorBody>(StatusCodes.Status400BadRequest)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapGet("/webhooks", ListAsync).RequirePermission(Permissions.WebhooksManage).WithName("WebhooksList").Produces<WebhookListResponse>();
        group.MapDelete("/webhooks/{id}", DeleteAsync).RequirePermission(Permissions.WebhooksManage).WithName("WebhooksDelete")
            .Produces(StatusCodes.Status204NoContent).Produces<ErrorBody>(StatusCodes.Status404NotFound);
        group.MapGet("/webhooks/{id}/deliveries", DeliveriesAsync).RequirePermission(Permissions.WebhooksManage).WithName("WebhooksDeliveries")
            .Produces<DeliveryListResponse>().Produces<ErrorBody>(StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CreateAsync(HttpContext context, IWebhookStore store, WebhookTargetGuard guard, TimeProvider time, IOptions<OrchestrationHttpOptions> options)
    {
        var caller = context.GetCaller();
        var limits = options.Value.WebhookDelivery;
        var request = await JsonBody.ReadAsync<CreateWebhookRequest>(context, Json);
        var errors = new List<FieldError>();
        if (guard.UrlProblem(request.Url, limits.MaxUrlLength) is { } urlProblem) errors.Add(new FieldError("url", urlProblem));
        if (request.Events is not { Count: > 0 }) errors.Add(new FieldError("events", "must list at least one event"));
        else if (request.Events.Count > limits.MaxEventsPerEndpoint) errors.Add(new FieldError("events", $"must list at most {limits.MaxEventsPerEndpoint} events"));
        else if (request.Events.FirstOrDefault(e => !WebhookEvents.Known.Contains(e)) is { } unknown)
            errors.Add(new FieldError("events", $"unknown event '{unknown}'"));
        if (request.Secret is not null)
        {
            if (request.Secret.Length > limits.MaxSecretLength) errors.Add(new FieldError("secret", $"must be at most {limits.MaxSecretLength} characters"));
            else if (WebhookSignature.SecretProblem(request.Secret) is { } secretProblem) errors.Add(new FieldError("secret", secretProblem));
        }

        if (errors.Count > 0) throw ApiException.Validation(errors);

        // Without a secret the endpoint gets a Standard Webhooks one: 24 random bytes, shown once in this answer.
        var secret = request.Secret ?? WebhookSignature.SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var endpoint = new WebhookEndpoint
        {
            Id = "wh_" + Guid.CreateVersion7().ToString("N"),
            OrgId = caller.OrgId,
            Url = request.Url!,
            Events = request.Events!.Distinct(StringComparer.Ordinal).ToList(),
            Secret = secret,
            CreatedAt = time.GetUtcNow(),
        };
        if (!await store.CreateWebhookAsync(endpoint, limits.MaxEndpointsPerOrg, context.RequestAborted))
            throw ApiException.Conflict($"The org already has {limits.MaxEndpointsPerOrg} webhook endpoints (Orchestration:WebhookDelivery:MaxEndpointsPerOrg); delete one first");
        return Results.Json(ToResponse(endpoint) with { Secret = secret }, Json, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(HttpContext context, IWebhookStore store)
    {
        var endpoints = await store.ListWebhooksAsync(context.GetCaller().OrgId, context.RequestAborted);
        return Results.Json(new WebhookListResponse(endpoints.Select(ToResponse).ToList()), Json);
    }

    private static async Task<IResult> DeleteAsync(HttpContext context, string id, IWebhookStore store) =>
        await store.DeleteWebhookAsync(context.GetCaller().OrgId, id, context.RequestAborted)
            ? Results.NoContent()
            : throw ApiException.NotFound("Webhook");

    private static async Task<IResult> DeliveriesAsync(HttpContext context, string id, IWebhookStore store)
    {
        var orgId = context.GetCaller().OrgId;
        var limit = DefaultDeliveryLimit;
        if (context.Request.Query["limit"] is { Count: > 0 } raw
            && (!int.TryParse(raw.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > MaxDeliveryLimit))
            throw ApiException.Validation("limit", $"must be an integer from 1 to {MaxDeliveryLimit}");
        // Another org's endpoint answers 404 exactly as a missing one does.
        if (!(await store.ListWebhooksAsync(orgId, context.RequestAborted)).Any(w => w.Id == id)) throw ApiException.NotFound("Webhook");
        var deliveries = await store.ListWebhookDeliveriesAsync(orgId, id, limit, context.RequestAborted);
        return Results.Json(new DeliveryListResponse(deliveries.Select(d => new DeliveryResponse(d.Id, d.EventType, d.EventSequence, d.RunId, d.Status, d.Attempts,
            d.NextAttemptAt?.UtcDateTime, d.LastStatusCode, d.LastError, d.CreatedAt.UtcDateTime, d.FinishedAt?.UtcDateTime)).ToList()), Json);
    }

    private static WebhookResponse ToResponse(WebhookEndpoint w) =>
        new(w.Id, w.Url, w.Events, w.Enabled, w.DisabledReason, w.CreatedAt.UtcDateTime);
}
