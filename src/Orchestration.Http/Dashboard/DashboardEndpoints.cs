using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;

namespace Orchestration.Http.Dashboard;

/// <summary>The dashboard's routes under its prefix.</summary>
internal static class DashboardEndpoints
{
    public static void Map(RouteGroupBuilder group, DashboardMount mount, DashboardSessions sessions, EventHead head)
    {
        group.MapGet("/sign-in", (HttpContext c, IOptions<OrchestrationHttpOptions> o) => SignIn.Form(c, mount, o)).WithMetadata(new DashboardPublicMetadata());
        group.MapPost("/sign-in", (HttpContext c, CallerAuthenticator a, Platform.RateLimiting.ApiRateLimiter l, IOptions<OrchestrationHttpOptions> o) =>
            SignIn.PostAsync(c, mount, sessions, a, l, o)).WithMetadata(new DashboardPublicMetadata()).DisableAntiforgery();
        group.MapGet("/assets/{name}", Asset).WithMetadata(new DashboardPublicMetadata());

        group.MapPost("/sign-out", (HttpContext c) => SignIn.SignOut(c, mount, sessions)).DisableAntiforgery();
        group.MapGet("/", (HttpContext c, IOrchestrationClient client, Storage.IExecutorRegistry registry, TimeProvider time, IOptions<OrchestrationHttpOptions> o) =>
            OverviewPage.RenderAsync(View(c, mount, o), client, registry, time, Fragment(c)));
        group.MapGet("/runs", (HttpContext c, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) => RunsPage.RenderAsync(View(c, mount, o), client, Fragment(c)));
        group.MapGet("/runs/{id:guid}", (HttpContext c, Guid id, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            RunPage.RenderAsync(View(c, mount, o), client, id, Fragment(c)));
        group.MapPost("/runs/bulk", (HttpContext c, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            DashboardBulk.ApplyAsync(View(c, mount, o), client)).DisableAntiforgery();
        group.MapPost("/runs/{id:guid}/cancel", (HttpContext c, Guid id, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            DashboardActions.CancelAsync(View(c, mount, o), client, id)).DisableAntiforgery();
        group.MapPost("/runs/{id:guid}/restart", (HttpContext c, Guid id, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            DashboardActions.RestartAsync(View(c, mount, o), client, id)).DisableAntiforgery();
        group.MapPost("/runs/{id:guid}/tasks/{taskId:guid}/review", (HttpContext c, Guid id, Guid taskId, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            DashboardActions.ReviewAsync(View(c, mount, o), client, id, taskId)).DisableAntiforgery();
        group.MapPost("/runs/{id:guid}/tasks/{taskId:guid}/retry", (HttpContext c, Guid id, Guid taskId, IOrchestrationClient client, IOptions<OrchestrationHttpOptions> o) =>
            DashboardActions.RetryTaskAsync(View(c, mount, o), client, id, taskId)).DisableAntiforgery();
        group.MapGet("/executors", (HttpContext c, IOrchestrationClient client, Storage.IExecutorRegistry registry, TimeProvider time, IOptions<OrchestrationHttpOptions> o) =>
            OperationsPages.ExecutorsAsync(View(c, mount, o), client, registry, time));
        group.MapGet("/definitions", (HttpContext c, Storage.IDefinitionStore definitions, Storage.IScheduleStore schedules, IOptions<OrchestrationHttpOptions> o) =>
            OperationsPages.DefinitionsAsync(View(c, mount, o), definitions, schedules));
        group.MapPost("/definitions/{name}/disable", (HttpContext c, string name, Storage.IDefinitionStore d, IScheduleClient s, IOptions<OrchestrationHttpOptions> o) =>
            OperationsPages.SetDefinitionDisabledAsync(View(c, mount, o), d, s, name, true)).DisableAntiforgery();
        group.MapPost("/definitions/{name}/enable", (HttpContext c, string name, Storage.IDefinitionStore d, IScheduleClient s, IOptions<OrchestrationHttpOptions> o) =>
            OperationsPages.SetDefinitionDisabledAsync(View(c, mount, o), d, s, name, false)).DisableAntiforgery();
        group.MapPost("/schedules/{family}/{name}/pause", (HttpContext c, string family, string name, IScheduleClient s, IOptions<OrchestrationHttpOptions> o) =>
            DashboardSchedules.SetPausedAsync(View(c, mount, o), s, family, name, true)).DisableAntiforgery();
        group.MapPost("/schedules/{family}/{name}/resume", (HttpContext c, string family, string name, IScheduleClient s, IOptions<OrchestrationHttpOptions> o) =>
            DashboardSchedules.SetPausedAsync(View(c, mount, o), s, family, name, false)).DisableAntiforgery();
        group.MapGet("/webhooks", (HttpContext c, Storage.IWebhookStore webhooks, IOptions<OrchestrationHttpOptions> o) =>
            OperationsPages.WebhooksAsync(View(c, mount, o), webhooks));
        group.MapGet("/live", (HttpContext c, Guid? run, IOrchestrationClient client, TimeProvider time, IOptions<OrchestrationHttpOptions> o) =>
            DashboardLive.StreamAsync(View(c, mount, o), client, head, time, o, run));
    }

    private static DashboardView View(HttpContext context, DashboardMount mount, IOptions<OrchestrationHttpOptions> options) =>
        new(context, context.GetCaller(), DashboardFilter.SessionOf(context), mount, options.Value.Auth.Enabled);

    private static bool Fragment(HttpContext context) => context.Request.Query.ContainsKey("fragment");

    private static readonly Assembly Self = typeof(DashboardEndpoints).Assembly;

    private static IResult Asset(HttpContext context, string name)
    {
        var type = name switch
        {
            "dashboard.css" => "text/css; charset=utf-8",
            "dashboard.js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        var stream = type is null ? null : Self.GetManifestResourceStream("Orchestration.Http.Dashboard.Assets." + name);
        if (stream is null) return Platform.Errors.ErrorWriter.Result(StatusCodes.Status404NotFound, "No such dashboard asset");
        context.Response.Headers.CacheControl = "public, max-age=300";
        return Results.Stream(stream, type);
    }
}
