using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orchestration.Http.Webhooks;

namespace Orchestration.Http.Tests.Webhooks;

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1, a free port) that verifies every delivery's Standard Webhooks signature
/// as docs/webhooks.md tells receivers to, and answers with <see cref="Status"/>.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WebhookReceiver(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>What the next deliveries are answered with.</summary>
    public int Status { get; set; } = 200;

    /// <summary>The secret deliveries are verified with; set once the endpoint exists.</summary>
    public string Secret { get; set; } = "";

    /// <summary>The clock the timestamp tolerance is checked against (the host's fake clock).</summary>
    public Func<DateTimeOffset> Now { get; set; } = () => DateTimeOffset.UtcNow;

    /// <summary>Every request, in arrival order, with whether its signature verified.</summary>
    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>Requests answered 2xx with a valid signature.</summary>
    public IReadOnlyList<Received> Accepted => Requests.Where(r => r.Verified && r.Status is >= 200 and < 300).ToList();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hook", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var id = context.Request.Headers["webhook-id"].ToString();
            var verified = WebhookSignature.Verify(receiver.Secret, id, context.Request.Headers["webhook-timestamp"].ToString(),
                context.Request.Headers["webhook-signature"].ToString(), body, receiver.Now(), TimeSpan.FromMinutes(5));
            var status = receiver.Status;
            receiver.Requests.Enqueue(new Received(id, body, verified, status));
            return Results.StatusCode(verified ? status : 400);
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.Url = address.TrimEnd('/') + "/hook";
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    internal sealed record Received(string Id, string Body, bool Verified, int Status);
}
