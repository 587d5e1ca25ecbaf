using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestration.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Http.Webhooks;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Webhooks;

/// <summary>The dispatcher over the in-memory store, a fake clock and a real receiver on 127.0.0.1; one pass at a time.</summary>
public sealed class WebhookDispatcherTests
{
    private const string Secret = "webhook_secret";
    private FakeTimeProvider _time = null!;
    private ServiceProvider _provider = null!;
    private IWebhookStore _store = null!;
    private IOrchestrationClient _client = null!;
    private WebhookReceiver _receiver = null!;
    private WebhookDispatcher _dispatcher = null!;

    [SetUp]
    public async Task SetUp()
    {
        _time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time);
        services.AddOrchestration(o => o.UseInMemory());
        _provider = services.BuildServiceProvider();
        _store = _provider.GetRequiredService<IWebhookStore>();
        _client = _provider.GetRequiredService<IOrchestrationClient>();
        _receiver = await WebhookReceiver.StartAsync();
        _receiver.Secret = Secret;
        _receiver.Now = _time.GetUtcNow;
        var options = new OrchestrationHttpOptions();
        options.WebhookDelivery.AllowPrivateTargets = true;
        _dispatcher = new WebhookDispatcher(_store, _provider.GetRequiredService<IOrchestrationQueries>(), Options.Create(options), new WebhookTargetGuard(true), _time, NullLogger<WebhookDispatcher>.Instance);
    }

    [TearDown]
    public async Task TearDown()
    {
        _dispatcher.Dispose();
        await _receiver.DisposeAsync();
        await _provider.DisposeAsync();
    }

    private async Task EndpointAsync(params string[] events) =>
        await _store.CreateWebhookAsync(new WebhookEndpoint { Id = "wh_1", OrgId = Org.DefaultId, Url = _receiver.Url, Events = events, Secret = Secret, CreatedAt = _time.GetUtcNow() }, 10, CancellationToken.None);

    private async Task<IReadOnlyList<WebhookDelivery>> DeliveriesAsync() =>
        (await _store.ListWebhookDeliveriesAsync(Org.DefaultId, "wh_1", 100, CancellationToken.None)).OrderBy(d => d.EventSequence).ToList();

    [Test]
    public async Task RunOnce_NoEndpointAtAll_ReadsNoEventsClaimsNothingAndWaitsTheIdleCheck()
    {
        var counting = new CountingWebhookStore(_store);
        var options = new OrchestrationHttpOptions();
        options.WebhookDelivery.AllowPrivateTargets = true;
        options.WebhookDelivery.IdleCheckSeconds = 45;
        using var dispatcher = new WebhookDispatcher(counting, _provider.GetRequiredService<IOrchestrationQueries>(), Options.Create(options), new WebhookTargetGuard(true), _time, NullLogger<WebhookDispatcher>.Instance);
        await _client.CreateRunAsync(new RunSpec { Family = "workflows", Name = "unwatched", Tasks = [new TaskSpec { Name = "a", Type = "etl" }] });

        var busy = await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.That(busy, Is.False);
        Assert.That(counting.Calls, Is.EqualTo(new[] { nameof(IWebhookStore.ListWebhooksAsync) }), "one endpoint lookup, no cursor read, no claim");
        Assert.That(dispatcher.IdleWait, Is.EqualTo(TimeSpan.FromSeconds(45)));

        // Registered later: the next pass finds it, polls at the normal interval, and the events since its creation reach it.
        _time.Advance(TimeSpan.FromSeconds(1));
        await EndpointAsync("*");
        await _client.CreateRunAsync(new RunSpec { Family = "workflows", Name = "watched", Tasks = [new TaskSpec { Name = "a", Type = "etl" }] });
        await dispatcher.RunOnceAsync(CancellationToken.None);
        await dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.That(dispatcher.IdleWait, Is.EqualTo(TimeSpan.FromMilliseconds(options.WebhookDelivery.PollMilliseconds)));
        Assert.That(counting.Calls, Does.Contain(nameof(IWebhookStore.ClaimWebhookDeliveriesAsync)));
        var delivered = await DeliveriesAsync();
        Assert.That(delivered.Select(d => d.EventType), Does.Contain("workflow.created"));
        Assert.That(delivered.Select(d => d.PayloadJson), Has.None.Contain("unwatched"), "events from before the endpoint existed are not sent to it");
    }

    /// <summary>Records the store calls a dispatcher makes.</summary>
    private sealed class CountingWebhookStore(IWebhookStore inner) : IWebhookStore
    {
        public List<string> Calls { get; } = [];

        public Task<bool> CreateWebhookAsync(WebhookEndpoint endpoint, int maxPerOrg, CancellationToken cancellationToken) => inner.CreateWebhookAsync(endpoint, maxPerOrg, cancellationToken);

        public Task<IReadOnlyList<WebhookEndpoint>> ListWebhooksAsync(string? orgId, CancellationToken cancellationToken)
        {
            Calls.Add(nameof(ListWebhooksAsync));
            return inner.ListWebhooksAsync(orgId, cancellationToken);
        }

        public Task<bool> DeleteWebhookAsync(string orgId, string id, CancellationToken cancellationToken) => inner.DeleteWebhookAsync(orgId, id, cancellationToken);

        public Task<bool> DisableWebhookAsync(string id, string reason, CancellationToken cancellationToken) => inner.DisableWebhookAsync(id, reason, cancellationToken);

        public Task<long> GetWebhookCursorAsync(CancellationToken cancellationToken)
        {
            Calls.Add(nameof(GetWebhookCursorAsync));
            return inner.GetWebhookCursorAsync(cancellationToken);
        }

        public Task<bool> EnqueueWebhookDeliveriesAsync(long fromCursor, long toCursor, IReadOnlyList<NewWebhookDelivery> deliveries, CancellationToken cancellationToken) =>
            inner.EnqueueWebhookDeliveriesAsync(fromCursor, toCursor, deliveries, cancellationToken);

        public Task<IReadOnlyList<WebhookDelivery>> ClaimWebhookDeliveriesAsync(DateTimeOffset now, int max, TimeSpan hold, CancellationToken cancellationToken)
        {
            Calls.Add(nameof(ClaimWebhookDeliveriesAsync));
            return inner.ClaimWebhookDeliveriesAsync(now, max, hold, cancellationToken);
        }

        public Task RecordWebhookAttemptsAsync(IReadOnlyList<WebhookAttemptOutcome> outcomes, CancellationToken cancellationToken) => inner.RecordWebhookAttemptsAsync(outcomes, cancellationToken);

        public Task<IReadOnlyList<WebhookDelivery>> ListWebhookDeliveriesAsync(string? orgId, string endpointId, int limit, CancellationToken cancellationToken) =>
            inner.ListWebhookDeliveriesAsync(orgId, endpointId, limit, cancellationToken);
    }

    [Test]
    public async Task RunOnce_WorkflowRunEvents_SignedSeedPayloadsWithWorkflowNames()
    {
        await EndpointAsync("workflow.created", "task.failed");
        var run = await _client.CreateRunAsync(new RunSpec { Family = "workflows", Name = "nightly-etl", Tasks = [new TaskSpec { Name = "extract", Type = "etl" }] });

        await _dispatcher.RunOnceAsync(CancellationToken.None);

        var received = _receiver.Accepted.Single();
        var body = JsonNode.Parse(received.Body)!;
        Assert.That(body["event"]!.GetValue<string>(), Is.EqualTo("workflow.created"));
        Assert.That(body["timestamp"]!.GetValue<string>(), Is.EqualTo("2026-01-01T00:00:00.000Z"));
        Assert.That(body["data"]!["workflow_id"]!.GetValue<string>(), Is.EqualTo(run.Run.Id.ToString()));
        Assert.That(body["data"]!["workflow_name"]!.GetValue<string>(), Is.EqualTo("nightly-etl"));
        Assert.That(body["data"]!["status"]!.GetValue<string>(), Is.EqualTo("pending"));
        Assert.That(received.Id, Does.StartWith("msg_"));
        Assert.That((await DeliveriesAsync()).Single().Status, Is.EqualTo(WebhookDeliveryStatus.Delivered));
    }

    [Test]
    public async Task RunOnce_ReceiverFails_RetriedWithGrowingJitteredBackoffAndSameWebhookId()
    {
        await EndpointAsync("*");
        _receiver.Status = 500;
        await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });

        await _dispatcher.RunOnceAsync(CancellationToken.None);
        var first = (await DeliveriesAsync()).Single();
        await _dispatcher.RunOnceAsync(CancellationToken.None);
        var notYetDue = _receiver.Requests.Count;
        _time.Advance(first.NextAttemptAt!.Value - _time.GetUtcNow());
        await _dispatcher.RunOnceAsync(CancellationToken.None);
        var second = (await DeliveriesAsync()).Single();
        _receiver.Status = 200;
        _time.Advance(second.NextAttemptAt!.Value - _time.GetUtcNow());
        await _dispatcher.RunOnceAsync(CancellationToken.None);

        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.That(first.Attempts, Is.EqualTo(1));
        Assert.That(first.LastStatusCode, Is.EqualTo(500));
        Assert.That(first.NextAttemptAt!.Value - start, Is.InRange(TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(5)), "first delay: 5 s, half of it jitter");
        Assert.That(notYetDue, Is.EqualTo(1), "no attempt before the delay");
        Assert.That(second.NextAttemptAt!.Value - first.NextAttemptAt!.Value, Is.InRange(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(10)), "second delay doubles");
        Assert.That(_receiver.Requests.Select(r => r.Id).Distinct().Count(), Is.EqualTo(1), "a redelivery keeps its webhook-id");
        Assert.That((await DeliveriesAsync()).Single().Status, Is.EqualTo(WebhookDeliveryStatus.Delivered));
        Assert.That((await DeliveriesAsync()).Single().Attempts, Is.EqualTo(3));
    }

    [Test]
    public async Task RunOnce_ReceiverDownForMoreThanTheRetryPeriod_GivenUpOnlyAfterADay()
    {
        await EndpointAsync("*");
        _receiver.Status = 503;
        await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });
        await _dispatcher.RunOnceAsync(CancellationToken.None);

        var pendingAfter = new List<string>();
        while (_time.GetUtcNow() < new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero))
        {
            var d = (await DeliveriesAsync()).Single();
            pendingAfter.Add(d.Status);
            _time.Advance(d.NextAttemptAt!.Value - _time.GetUtcNow());
            await _dispatcher.RunOnceAsync(CancellationToken.None);
        }

        Assert.That(pendingAfter, Is.All.EqualTo(WebhookDeliveryStatus.Pending), "still retried throughout the first 24 hours");
        for (var i = 0; i < 10 && (await DeliveriesAsync()).Single().Status == WebhookDeliveryStatus.Pending; i++)
        {
            _time.Advance(TimeSpan.FromHours(1));
            await _dispatcher.RunOnceAsync(CancellationToken.None);
        }

        var final = (await DeliveriesAsync()).Single();
        Assert.That(final.Status, Is.EqualTo(WebhookDeliveryStatus.Failed));
        Assert.That(final.LastError, Does.Contain("retries exhausted"));
        Assert.That(final.FinishedAt!.Value - final.CreatedAt, Is.GreaterThanOrEqualTo(TimeSpan.FromHours(24)));
    }

    [Test]
    public async Task RunOnce_FailingDelivery_HoldsBackLaterEventsOfTheSameRunOnly()
    {
        await EndpointAsync("*");
        _receiver.Status = 500;
        var first = await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });
        await _dispatcher.RunOnceAsync(CancellationToken.None);
        await _client.CancelRunAsync(Org.DefaultId, first.Run.Id, CancellationToken.None);
        _receiver.Status = 200;
        var second = await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });

        await _dispatcher.RunOnceAsync(CancellationToken.None);
        var whileFirstFails = _receiver.Accepted.Select(r => JsonNode.Parse(r.Body)!["data"]!["run_id"]!.GetValue<string>()).ToList();
        _time.Advance(TimeSpan.FromSeconds(5));
        await _dispatcher.RunOnceAsync(CancellationToken.None);
        await _dispatcher.RunOnceAsync(CancellationToken.None);
        var events = _receiver.Accepted.Select(r => JsonNode.Parse(r.Body)!).Where(b => b["data"]!["run_id"]!.GetValue<string>() == first.Run.Id.ToString())
            .Select(b => b["event"]!.GetValue<string>()).ToList();

        Assert.That(whileFirstFails, Is.EqualTo(new[] { second.Run.Id.ToString() }), "the other run is not held back");
        Assert.That(events, Is.EqualTo(new[] { "run.created", "run.cancelled" }), "in order once the first one got through");
    }

    [Test]
    public async Task RunOnce_Receiver410_EndpointDisabledAndRestGivenUp()
    {
        await EndpointAsync("*");
        _receiver.Status = 410;
        await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });
        await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });

        await _dispatcher.RunOnceAsync(CancellationToken.None);
        await _dispatcher.RunOnceAsync(CancellationToken.None);

        var endpoint = (await _store.ListWebhooksAsync(Org.DefaultId, CancellationToken.None)).Single();
        Assert.That(endpoint.Enabled, Is.False);
        Assert.That((await DeliveriesAsync()).Select(d => d.Status), Is.All.EqualTo(WebhookDeliveryStatus.Failed));
        Assert.That(_receiver.Requests, Has.Count.LessThanOrEqualTo(2));
    }

    [Test]
    public async Task RunOnce_EventsFromBeforeTheEndpointExisted_NotDelivered()
    {
        await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });
        _time.Advance(TimeSpan.FromSeconds(1));
        await EndpointAsync("*");
        var later = await _client.CreateRunAsync(new RunSpec { Family = "foreman", Open = true });

        await _dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.That(_receiver.Accepted.Select(r => JsonNode.Parse(r.Body)!["data"]!["run_id"]!.GetValue<string>()), Is.EqualTo(new[] { later.Run.Id.ToString() }));
    }

    [Test]
    public async Task RunOnce_EndpointNotSubscribed_NoDelivery()
    {
        await EndpointAsync("workflow.completed");
        await _client.CreateRunAsync(new RunSpec { Family = "workflows", Tasks = [new TaskSpec { Name = "a", Type = "etl" }] });

        await _dispatcher.RunOnceAsync(CancellationToken.None);

        Assert.That(await DeliveriesAsync(), Is.Empty);
        Assert.That(await _store.GetWebhookCursorAsync(CancellationToken.None), Is.GreaterThan(0), "the cursor moves past events nobody wants");
    }
}
