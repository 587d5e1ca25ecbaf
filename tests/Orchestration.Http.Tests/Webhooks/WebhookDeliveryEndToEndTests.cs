using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Testing;

namespace Orchestration.Http.Tests.Webhooks;

/// <summary>
/// Whole hosts delivering to a real receiver on 127.0.0.1 (so private targets are allowed here). The hosts run on fake
/// clocks; a pump moves them in small steps while the test waits, with a deadline, for the receiver to see the events.
/// </summary>
public sealed class WebhookDeliveryEndToEndTests
{
    private const string Secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private static Dictionary<string, string?> Settings(string? connectionString = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Orchestration:WebhookDelivery:AllowPrivateTargets"] = "true",
            ["Orchestration:WebhookDelivery:PollMilliseconds"] = "50",
        };
        if (connectionString is not null) settings["ConnectionStrings:Orchestration"] = connectionString;
        return settings;
    }

    [Test]
    public async Task Deliveries_ReceiverDownThenUpAcrossHostRestart_AllEventsDeliveredSigned()
    {
        var database = "webhooks-restart-" + Guid.NewGuid().ToString("N");
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Secret = Secret;
        receiver.Status = 503;
        string key, webhookId;
        try
        {
            await using (var first = new ApiFactory(ApiBackends.Sqlite, Settings(), databaseName: database))
            {
                receiver.Now = first.Time.GetUtcNow;
                using var admin = first.WithKey(ApiFactory.BootstrapKey);
                var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "webhook-org" });
                var (_, created, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "k", permissions = new[] { "*", "webhooks:manage" } });
                key = created.Str("key");
                using var client = first.WithKey(key);
                var (status, webhook, _) = await client.PostJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" }, secret = Secret });
                Assert.That(status, Is.EqualTo(HttpStatusCode.Created), webhook?.ToJsonString());
                webhookId = webhook.Str("id");
                for (var i = 0; i < 3; i++) await client.PostJsonAsync("/api/v1/runs", new { inputData = new { i } });

                await PumpUntilAsync([first], () => !receiver.Requests.IsEmpty);
            }

            receiver.Status = 200;
            await using var second = new ApiFactory(ApiBackends.Sqlite, Settings(), databaseName: database);
            receiver.Now = second.Time.GetUtcNow;
            using var again = second.WithKey(key);
            var (_, events, _) = await again.GetJsonAsync("/api/v1/events?after=0");
            var expected = events!["events"]!.AsArray().Count;

            await PumpUntilAsync([second], () => receiver.Accepted.Select(r => r.Id).Distinct().Count() >= expected, step: TimeSpan.FromSeconds(5));

            var (_, deliveries, _) = await again.GetJsonAsync($"/api/v1/webhooks/{webhookId}/deliveries");
            var rows = deliveries!["deliveries"]!.AsArray();
            Assert.That(rows, Has.Count.EqualTo(expected), "one delivery per event, none lost across the restart");
            Assert.That(rows.Select(r => r!["status"]!.GetValue<string>()), Is.All.EqualTo("delivered"));
            Assert.That(receiver.Requests.All(r => r.Verified), Is.True, "every request carried a valid signature");
            Assert.That(receiver.Accepted.Select(r => JsonNode.Parse(r.Body)!["event"]!.GetValue<string>()).Count(e => e == "run.created"), Is.EqualTo(3));
        }
        finally
        {
            ApiBackends.Sqlite.Cleanup!(database);
        }
    }

    [Test]
    public async Task Deliveries_TwoPostgresHosts_EachEventDeliveredOnce()
    {
        var connectionString = await (await PostgresServer.Shared).CreateDatabaseAsync();
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Secret = Secret;
        await using var a = new ApiFactory(ApiBackends.Postgres, Settings(connectionString));
        await using var b = new ApiFactory(ApiBackends.Postgres, Settings(connectionString));
        receiver.Now = a.Time.GetUtcNow;
        using var admin = a.WithKey(ApiFactory.BootstrapKey);
        var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "webhook-org" });
        var (_, created, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "k", permissions = new[] { "*", "webhooks:manage" } });
        using var onA = a.WithKey(created.Str("key"));
        using var onB = b.WithKey(created.Str("key"));
        await onA.PostJsonAsync("/api/v1/webhooks", new { url = receiver.Url, events = new[] { "*" }, secret = Secret });
        for (var i = 0; i < 10; i++) await (i % 2 == 0 ? onA : onB).PostJsonAsync("/api/v1/runs", new { inputData = new { i } });
        var (_, events, _) = await onA.GetJsonAsync("/api/v1/events?after=0");
        var expected = events!["events"]!.AsArray().Count;

        await PumpUntilAsync([a, b], () => receiver.Accepted.Count >= expected);

        Assert.That(receiver.Requests.Select(r => r.Id), Is.Unique, "no delivery sent twice");
        Assert.That(receiver.Accepted, Has.Count.EqualTo(expected));
        Assert.That(receiver.Requests.All(r => r.Verified), Is.True);
    }

    /// <summary>Moves the hosts' clocks together in small steps (so one host's claim holds never look expired to the other) until done.</summary>
    private static async Task PumpUntilAsync(ApiFactory[] hosts, Func<bool> done, TimeSpan? step = null)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        while (!done())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("the receiver did not get the expected deliveries in time");
            foreach (var host in hosts) host.Time.Advance(step ?? TimeSpan.FromMilliseconds(20));
            await Task.Delay(10);
        }
    }
}
