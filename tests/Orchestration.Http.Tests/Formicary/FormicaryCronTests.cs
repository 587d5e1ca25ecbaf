using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Engine;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary>A definition's <c>cron_trigger</c> as an engine schedule: saved, fired into a request, paused, deleted.</summary>
public sealed class FormicaryCronTests(ApiBackend backend) : FormicaryFixture(backend)
{
    private IScheduleClient Schedules => Factory.Services.GetRequiredService<IScheduleClient>();

    private static object CronJob(string jobType, string? cron) => new
    {
        job_type = jobType,
        cron_trigger = cron,
        job_variables = new { Target = "nightly" },
        tasks = new[] { new { task_type = "report", method = "PROBE", description = "for {{.Target}}" } },
    };

    [Test]
    public async Task SaveDefinition_WithCronTrigger_ScheduleFiresARequestFromTheLatestVersion()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, CronJob("nightly", "0 3 * * *"));
        await SaveAsync(client, CronJob("nightly", "*/10 * * * *"), HttpStatusCode.OK);

        var schedule = await Schedules.GetScheduleAsync(orgId, "formicary", "nightly");
        Assert.That(schedule, Is.Not.Null);
        Assert.That((schedule!.Cron, schedule.TimeZone, schedule.Paused), Is.EqualTo(("*/10 * * * *", "UTC", false)), "the new version's trigger replaced the old");
        Factory.Time.Advance(schedule.NextFireAt!.Value - Factory.Time.GetUtcNow() + TimeSpan.FromSeconds(1));

        var request = await WaitForRequestAsync(client, "nightly");
        var done = await WaitForStateAsync(client, request.Str("id"), "COMPLETED");
        Assert.That(done.Str("job_version"), Is.EqualTo("2"));
        var tasks = await Factory.Services.GetRequiredService<IOrchestrationClient>().Queries.GetRunTasksAsync(orgId, Guid.Parse(request.Str("id")), CancellationToken.None);
        Assert.That(JsonNode.Parse(tasks.Single().InputJson!)!.Str("description"), Is.EqualTo("for nightly"), "params default to the definition's variables");
    }

    [Test]
    public async Task DeleteDefinition_WithCronTrigger_DeletesTheSchedule()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, CronJob("doomed", "0 3 * * *"));

        var (status, _, _) = await client.SendAsync(HttpMethod.Delete, "/api/jobs/definitions/doomed");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await Schedules.GetScheduleAsync(orgId, "formicary", "doomed"), Is.Null);
    }

    [Test]
    public async Task SaveDefinition_TriggerRemovedInNewVersion_DeletesTheSchedule()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, CronJob("untriggered", "0 3 * * *"));

        await SaveAsync(client, CronJob("untriggered", null), HttpStatusCode.OK);

        Assert.That(await Schedules.GetScheduleAsync(orgId, "formicary", "untriggered"), Is.Null);
    }

    [Test]
    public async Task DisableAndEnableDefinition_WithCronTrigger_PauseAndResumeTheSchedule()
    {
        var (orgId, client) = await NewTenantAsync();
        await SaveAsync(client, CronJob("switchable", "0 3 * * *"));

        await client.SendAsync(HttpMethod.Post, "/api/jobs/definitions/switchable/disable");
        var disabled = await Schedules.GetScheduleAsync(orgId, "formicary", "switchable");
        await SaveAsync(client, CronJob("switchable", "0 4 * * *"), HttpStatusCode.OK);
        var savedWhileDisabled = await Schedules.GetScheduleAsync(orgId, "formicary", "switchable");
        await client.SendAsync(HttpMethod.Post, "/api/jobs/definitions/switchable/enable");
        var enabled = await Schedules.GetScheduleAsync(orgId, "formicary", "switchable");

        Assert.That(disabled!.Paused, Is.True);
        Assert.That(savedWhileDisabled!.Paused, Is.True, "a new version keeps the job type disabled, and its schedule paused");
        Assert.That(enabled!.Paused, Is.False);
    }

    [Test]
    public async Task SaveDefinition_InvalidCronTrigger_400NamingItAndNothingStored()
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/definitions", CronJob("bad-cron", "every tuesday"));
        var (read, _, _) = await client.GetJsonAsync("/api/jobs/definitions/bad-cron");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain("cron_trigger"));
        Assert.That(read, Is.EqualTo(HttpStatusCode.NotFound));
    }

    /// <summary>The first request of a job type, once the leader's firing pass created it (end-to-end: polls with a deadline).</summary>
    private static async Task<JsonNode> WaitForRequestAsync(HttpClient client, string jobType)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var (_, list, _) = await client.GetJsonAsync($"/api/jobs/requests?job_type={jobType}");
            if (list?["records"]?.AsArray() is [{ } first, ..]) return first;
            await Task.Delay(20);
        }

        throw new AssertionException($"no request of {jobType} was created");
    }
}
