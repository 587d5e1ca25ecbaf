namespace Orchestration.Storage.Tests.Conformance;

[TestFixtureSource(typeof(Backends), nameof(Backends.All))]
public sealed class WebhookStoreConformanceTests(Backend backend) : ConformanceTest(backend)
{
    private WebhookEndpoint Endpoint(string id, string org = Org) => new()
    {
        Id = id, OrgId = org, Url = "https://example.com/" + id, Events = ["workflow.completed", "task.failed"], Secret = "s3cret", CreatedAt = Time.GetUtcNow(),
    };

    private NewWebhookDelivery Delivery(string endpointId, Guid runId, long seq) => new()
    {
        Id = $"msg_{endpointId}_{seq}", EndpointId = endpointId, OrgId = Org, RunId = runId, EventSequence = seq, EventType = "workflow.completed",
        PayloadJson = "{\"event\":\"workflow.completed\"}", CreatedAt = Time.GetUtcNow(),
    };

    [Test]
    public async Task CreateWebhook_OrgAtItsCap_RefusedAndOtherOrgsUnaffected()
    {
        var ct = CancellationToken.None;
        Assert.That(await Webhooks.CreateWebhookAsync(Endpoint("wh_1"), 2, ct), Is.True);
        Assert.That(await Webhooks.CreateWebhookAsync(Endpoint("wh_2"), 2, ct), Is.True);

        Assert.That(await Webhooks.CreateWebhookAsync(Endpoint("wh_3"), 2, ct), Is.False);
        Assert.That(await Webhooks.CreateWebhookAsync(Endpoint("wh_4", OtherOrg), 2, ct), Is.True);
        var mine = await Webhooks.ListWebhooksAsync(Org, ct);
        Assert.That(mine.Select(w => w.Id), Is.EqualTo(new[] { "wh_1", "wh_2" }));
        Assert.That(mine[0].Events, Is.EqualTo(new[] { "workflow.completed", "task.failed" }));
        Assert.That(mine[0].Secret, Is.EqualTo("s3cret"));
        Assert.That(mine[0].Enabled, Is.True);
        Assert.That(await Webhooks.ListWebhooksAsync(null, ct), Has.Count.EqualTo(3));
    }

    [Test]
    public async Task DeleteWebhook_OtherOrgsEndpoint_NotFoundAndKept()
    {
        var ct = CancellationToken.None;
        await Webhooks.CreateWebhookAsync(Endpoint("wh_1"), 10, ct);

        Assert.That(await Webhooks.DeleteWebhookAsync(OtherOrg, "wh_1", ct), Is.False);
        Assert.That(await Webhooks.ListWebhooksAsync(Org, ct), Has.Count.EqualTo(1));
        Assert.That(await Webhooks.DeleteWebhookAsync(Org, "wh_1", ct), Is.True);
        Assert.That(await Webhooks.ListWebhooksAsync(Org, ct), Is.Empty);
    }

    [Test]
    public async Task EnqueueWebhookDeliveries_CursorAlreadyMoved_WritesNothing()
    {
        var ct = CancellationToken.None;
        var run = Guid.NewGuid();
        Assert.That(await Webhooks.GetWebhookCursorAsync(ct), Is.Zero);
        Assert.That(await Webhooks.EnqueueWebhookDeliveriesAsync(0, 5, [Delivery("wh_1", run, 3)], ct), Is.True);

        Assert.That(await Webhooks.EnqueueWebhookDeliveriesAsync(0, 7, [Delivery("wh_1", run, 6)], ct), Is.False, "a second host starting from the old cursor");
        Assert.That(await Webhooks.GetWebhookCursorAsync(ct), Is.EqualTo(5));
        Assert.That(await Webhooks.EnqueueWebhookDeliveriesAsync(5, 8, [Delivery("wh_1", run, 3) with { Id = "msg_again" }], ct), Is.True);
        var all = await Webhooks.ListWebhookDeliveriesAsync(Org, "wh_1", 100, ct);
        Assert.That(all.Select(d => d.Id), Is.EqualTo(new[] { "msg_wh_1_3" }), "one delivery per endpoint and event");
        Assert.That(all[0].RunId, Is.EqualTo(run));
        Assert.That(all[0].Status, Is.EqualTo(WebhookDeliveryStatus.Pending));
    }

    [Test]
    public async Task ClaimWebhookDeliveries_EarlierPendingOfSameEndpointAndRun_HoldsBackLaterOnes()
    {
        var ct = CancellationToken.None;
        var (runA, runB) = (Guid.NewGuid(), Guid.NewGuid());
        await Webhooks.EnqueueWebhookDeliveriesAsync(0, 10, [Delivery("wh_1", runA, 1), Delivery("wh_1", runA, 2), Delivery("wh_1", runB, 3), Delivery("wh_2", runA, 1)], ct);
        var now = Time.GetUtcNow();

        var first = await Webhooks.ClaimWebhookDeliveriesAsync(now, 10, TimeSpan.FromMinutes(1), ct);
        var whileHeld = await Webhooks.ClaimWebhookDeliveriesAsync(now, 10, TimeSpan.FromMinutes(1), ct);
        await Webhooks.RecordWebhookAttemptsAsync([new WebhookAttemptOutcome("msg_wh_1_1", WebhookDeliveryStatus.Pending, now + TimeSpan.FromSeconds(30), 500, "HTTP 500", now)], ct);
        var afterFailure = await Webhooks.ClaimWebhookDeliveriesAsync(now + TimeSpan.FromSeconds(10), 10, TimeSpan.FromMinutes(1), ct);
        await Webhooks.RecordWebhookAttemptsAsync([new WebhookAttemptOutcome("msg_wh_1_1", WebhookDeliveryStatus.Delivered, null, 200, null, now)], ct);
        var afterDelivery = await Webhooks.ClaimWebhookDeliveriesAsync(now + TimeSpan.FromSeconds(10), 10, TimeSpan.FromMinutes(1), ct);

        Assert.That(first.Select(d => d.Id), Is.EquivalentTo(new[] { "msg_wh_1_1", "msg_wh_1_3", "msg_wh_2_1" }));
        Assert.That(whileHeld, Is.Empty, "claimed deliveries are held");
        Assert.That(afterFailure, Is.Empty, "the failed first delivery is not due yet and holds back the second");
        Assert.That(afterDelivery.Select(d => d.Id), Is.EqualTo(new[] { "msg_wh_1_2" }));
        var delivered = (await Webhooks.ListWebhookDeliveriesAsync(Org, "wh_1", 10, ct)).Single(d => d.Id == "msg_wh_1_1");
        Assert.That(delivered.Status, Is.EqualTo(WebhookDeliveryStatus.Delivered));
        Assert.That(delivered.Attempts, Is.EqualTo(2));
        Assert.That(delivered.LastStatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task ClaimWebhookDeliveries_HoldExpired_ClaimedAgain()
    {
        var ct = CancellationToken.None;
        await Webhooks.EnqueueWebhookDeliveriesAsync(0, 1, [Delivery("wh_1", Guid.NewGuid(), 1)], ct);
        var now = Time.GetUtcNow();
        await Webhooks.ClaimWebhookDeliveriesAsync(now, 10, TimeSpan.FromSeconds(30), ct);

        var again = await Webhooks.ClaimWebhookDeliveriesAsync(now + TimeSpan.FromSeconds(31), 10, TimeSpan.FromSeconds(30), ct);

        Assert.That(again.Select(d => d.Id), Is.EqualTo(new[] { "msg_wh_1_1" }), "a host that died while sending does not lose the delivery");
    }

    [Test]
    public async Task DisableWebhook_PendingDeliveries_GivenUpAndEndpointMarked()
    {
        var ct = CancellationToken.None;
        await Webhooks.CreateWebhookAsync(Endpoint("wh_1"), 10, ct);
        await Webhooks.EnqueueWebhookDeliveriesAsync(0, 2, [Delivery("wh_1", Guid.NewGuid(), 1), Delivery("wh_1", Guid.NewGuid(), 2)], ct);

        Assert.That(await Webhooks.DisableWebhookAsync("wh_1", "receiver answered 410 Gone", ct), Is.True);

        var endpoint = (await Webhooks.ListWebhooksAsync(Org, ct)).Single();
        Assert.That(endpoint.Enabled, Is.False);
        Assert.That(endpoint.DisabledReason, Is.EqualTo("receiver answered 410 Gone"));
        Assert.That((await Webhooks.ListWebhookDeliveriesAsync(Org, "wh_1", 10, ct)).Select(d => d.Status), Is.All.EqualTo(WebhookDeliveryStatus.Failed));
        Assert.That(await Webhooks.ClaimWebhookDeliveriesAsync(Time.GetUtcNow(), 10, TimeSpan.FromSeconds(30), ct), Is.Empty);
    }
}
