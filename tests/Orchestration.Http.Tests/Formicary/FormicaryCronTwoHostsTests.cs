using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// Two hosts on one Postgres database, both running their schedule firing, both clocks moving together: a definition's
/// <c>cron_trigger</c> still creates one request per fire time.
/// </summary>
public sealed class FormicaryCronTwoHostsTests
{
    [Test]
    public async Task CronDefinition_TwoHostsOnOnePostgres_OneRequestPerFireTime()
    {
        await using var first = new ApiFactory(ApiBackends.Postgres);
        var connection = first.Services.GetRequiredService<IConfiguration>()["ConnectionStrings:Orchestration"];
        await using var second = new ApiFactory(ApiBackends.Postgres, new Dictionary<string, string?> { ["ConnectionStrings:Orchestration"] = connection });
        using var admin = first.WithKey(ApiFactory.BootstrapKey);
        var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "two-hosts" });
        var (_, key, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "cron", permissions = new[] { "*" } });
        using var onFirst = first.WithKey(key.Str("key"));
        using var onSecond = second.WithKey(key.Str("key"));

        var (saved, body, _) = await onFirst.PostJsonAsync("/api/jobs/definitions", new
        {
            job_type = "every-ten",
            cron_trigger = "*/10 * * * *",
            tasks = new[] { new { task_type = "report", method = "REMOTE" } },
        });
        Assert.That(saved, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());

        for (var fire = 1; fire <= 3; fire++)
        {
            // Both clocks reach the next fire time (every ten minutes from midnight) and a second past it.
            var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(10 * fire).AddSeconds(1);
            foreach (var host in new[] { first, second })
                host.Time.Advance(at > host.Time.GetUtcNow() ? at - host.Time.GetUtcNow() : TimeSpan.Zero);
            Assert.That(await WaitForRequestsAsync(onSecond, fire, first, second), Is.EqualTo(fire), $"fire time {fire}: one request between the two hosts");
        }

        var (_, list, _) = await onFirst.GetJsonAsync("/api/jobs/requests?job_type=every-ten");
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.EqualTo(3), "both hosts see the same three requests");
    }

    /// <summary>
    /// Waits until the hosts created <paramref name="count"/> requests (end-to-end: polls with a deadline). Each poll moves
    /// both clocks a second on: a firing pass that read its clock just before the test moved it sleeps on a fake-clock
    /// timer, and only time moving wakes it. The next fire time is ten minutes away.
    /// </summary>
    private static async Task<int> WaitForRequestsAsync(HttpClient client, int count, params ApiFactory[] hosts)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var seen = 0;
        while (DateTime.UtcNow < deadline)
        {
            var (_, list, _) = await client.GetJsonAsync("/api/jobs/requests?job_type=every-ten");
            seen = list!["total_records"]!.GetValue<int>();
            if (seen >= count) return seen;
            await Task.Delay(20);
            foreach (var host in hosts) host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return seen;
    }
}
