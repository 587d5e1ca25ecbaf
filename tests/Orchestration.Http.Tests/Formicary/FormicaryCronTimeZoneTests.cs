using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>
/// A <c>cron_trigger</c> with a zone prefix (<c>CRON_TZ=Europe/Berlin ...</c>) is read in that zone, through the DST
/// change: a host of its own whose fake clock starts the day before Berlin springs forward (29 March 2026).
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public sealed class FormicaryCronTimeZoneTests(ApiBackend backend)
{
    private ApiFactory _host = null!;
    private HttpClient _client = null!;
    private string _orgId = null!;

    [OneTimeSetUp]
    public async Task StartHost()
    {
        _host = new ApiFactory(backend);
        _host.Time.Advance(new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero) - _host.Time.GetUtcNow());
        using var admin = _host.WithKey(ApiFactory.BootstrapKey);
        var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "zoned" });
        _orgId = org.Str("id");
        var (_, key, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = _orgId, name = "zoned", permissions = new[] { "*" } });
        _client = _host.WithKey(key.Str("key"));
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _client.Dispose();
        await _host.DisposeAsync();
    }

    private static object Job(string jobType, string cron) => new
    {
        job_type = jobType,
        cron_trigger = cron,
        tasks = new[] { new { task_type = "report", method = "REMOTE" } },
    };

    private async Task<int> RequestCountAsync(string jobType)
    {
        var (_, list, _) = await _client.GetJsonAsync($"/api/jobs/requests?job_type={jobType}");
        return list!["total_records"]!.GetValue<int>();
    }

    /// <summary>
    /// Waits for the leader's firing pass to have created <paramref name="count"/> requests (end-to-end: polls with a
    /// deadline). Each poll moves the clock a second on: a pass that read the clock just before the test moved it sleeps
    /// on a fake-clock timer, and only time moving wakes it. A second is far from the next fire time (a day).
    /// </summary>
    private async Task<int> WaitForRequestsAsync(string jobType, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var seen = 0;
        while (DateTime.UtcNow < deadline && (seen = await RequestCountAsync(jobType)) < count)
        {
            await Task.Delay(20);
            _host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        return seen;
    }

    [Test]
    public async Task SaveDefinition_CronTzPrefixAcrossSpringForward_OneRequestADayAtTheJumpOnTheMissingTime()
    {
        await SaveDefinitionAsync(Job("berlin", "CRON_TZ=Europe/Berlin 30 2 * * *"));
        var schedules = _host.Services.GetRequiredService<IScheduleClient>();
        var schedule = await schedules.GetScheduleAsync(_orgId, "formicary", "berlin");
        Assert.That((schedule!.Cron, schedule.TimeZone), Is.EqualTo(("30 2 * * *", "Europe/Berlin")));

        // 02:30 in Berlin: 01:30Z in winter; on the 29th 02:30 does not exist and the fire is at the jump (03:00 CEST = 01:00Z);
        // then 00:30Z in summer.
        DateTimeOffset[] expected =
        [
            new(2026, 3, 28, 1, 30, 0, TimeSpan.Zero),
            new(2026, 3, 29, 1, 0, 0, TimeSpan.Zero),
            new(2026, 3, 30, 0, 30, 0, TimeSpan.Zero),
        ];
        var fired = new List<DateTimeOffset>();
        for (var i = 0; i < expected.Length; i++)
        {
            schedule = await schedules.GetScheduleAsync(_orgId, "formicary", "berlin");
            fired.Add(schedule!.NextFireAt!.Value);
            _host.Time.Advance(schedule.NextFireAt.Value - _host.Time.GetUtcNow() + TimeSpan.FromSeconds(1));
            Assert.That(await WaitForRequestsAsync("berlin", i + 1), Is.EqualTo(i + 1), $"one request for the fire time {i + 1}, no second one");
        }

        Assert.That(fired, Is.EqualTo(expected), "no day skipped, none fired twice");
    }

    [Test]
    public async Task SaveDefinition_TzPrefix_ScheduleInThatZone()
    {
        await SaveDefinitionAsync(Job("tokyo", "TZ=Asia/Tokyo 0 9 * * *"));

        var schedule = await _host.Services.GetRequiredService<IScheduleClient>().GetScheduleAsync(_orgId, "formicary", "tokyo");
        Assert.That((schedule!.Cron, schedule.TimeZone), Is.EqualTo(("0 9 * * *", "Asia/Tokyo")));
    }

    [TestCase("CRON_TZ=Mars/Olympus 0 9 * * *", "time zone 'Mars/Olympus' is not a known IANA time zone")]
    [TestCase("CRON_TZ=Europe/Berlin", "must be followed by a space and the cron expression")]
    public async Task SaveDefinition_BadZonePrefix_400NamingCronTriggerAndTheZoneNothingStored(string cron, string problem)
    {
        var jobType = "bad-zone-" + Guid.NewGuid().ToString("N")[..6];

        var (status, error, _) = await _client.PostJsonAsync("/api/jobs/definitions", Job(jobType, cron));
        var (read, _, _) = await _client.GetJsonAsync($"/api/jobs/definitions/{jobType}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain("cron_trigger").And.Contain(problem));
        Assert.That(read, Is.EqualTo(HttpStatusCode.NotFound));
    }

    private async Task SaveDefinitionAsync(object definition)
    {
        var (status, saved, _) = await _client.PostJsonAsync("/api/jobs/definitions", definition);
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), saved?.ToJsonString());
    }
}
