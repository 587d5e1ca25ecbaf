using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Diagnostics;
using Orchestration.Http.Platform.Metrics;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Jobs;

/// <summary>The cached queue depth per family and status: on <c>/api/v1/metrics</c> and as a gauge on the meter.</summary>
public sealed partial class QueueDepthMetricsTests(ApiBackend backend) : JobsFixture(backend)
{
    [Test]
    public async Task Metrics_QueueDepth_CountsUnfinishedTasksPerFamilyAndRecountsOnlyAfter15Seconds()
    {
        var t = await NewTenantAsync();
        await SubmitAsync(t.Client, "depth-a");
        await SubmitAsync(t.Client, "depth-b");
        // Every org is counted in one read: another test's count, younger than 15 s, would answer this scrape.
        Factory.Time.Advance(QueueDepthGauge.CacheFor);

        var first = await ScrapeAsync(t.Client);
        await SubmitAsync(t.Client, "depth-c");
        var cached = await ScrapeAsync(t.Client);
        Factory.Time.Advance(TimeSpan.FromSeconds(15));
        var recounted = await ScrapeAsync(t.Client);

        Assert.That(Depth(first, "jobs"), Is.EqualTo(2), first);
        Assert.That(Depth(first, "workflows"), Is.Zero, first);
        Assert.That(first, Does.Contain("# TYPE orchestration_queue_depth gauge"));
        // Within the cache period a scrape reads no count: the job submitted meanwhile is not in it yet.
        Assert.That(Depth(cached, "jobs"), Is.EqualTo(2), cached);
        Assert.That(Depth(recounted, "jobs"), Is.EqualTo(3), recounted);
    }

    [Test]
    public async Task QueueDepthGauge_AfterAScrape_ObservedOnTheMeterByOrgFamilyAndStatus()
    {
        var t = await NewTenantAsync();
        await SubmitAsync(t.Client, "depth-meter");
        Factory.Time.Advance(QueueDepthGauge.CacheFor);
        await ScrapeAsync(t.Client);
        var observed = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OrchestrationMetrics.MeterName && instrument.Name == "orchestration.queue.depth") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            lock (observed) observed.Add((value, map));
        });
        listener.Start();

        listener.RecordObservableInstruments();

        var mine = observed.Where(o => Equals(o.Tags["orchestration.org"], t.OrgId)).ToList();
        Assert.That(mine.Where(o => Equals(o.Tags["orchestration.family"], "jobs")).Sum(o => o.Value), Is.EqualTo(1));
        Assert.That(mine.Select(o => o.Tags["orchestration.task.status"]).Distinct(), Is.EquivalentTo(new[] { "pending", "queued", "retrying", "running" }));
        Assert.That(mine.Select(o => o.Tags["orchestration.family"]).Distinct(), Is.EquivalentTo(new[] { "embedded", "foreman", "jobs", "workflows", "formicary" }));
    }

    [Test]
    public async Task QueueDepthGauge_CollectedWithoutAnyScrape_CountsEveryOrgInTheBackground()
    {
        var t = await NewTenantAsync();
        var other = await NewTenantAsync();
        await SubmitAsync(t.Client, "depth-otel");
        await SubmitAsync(other.Client, "depth-otel");
        var gauge = Factory.Services.GetRequiredService<QueueDepthGauge>();
        // Another test's scrape may have left a count: let it age so this collection must count anew.
        Factory.Time.Advance(QueueDepthGauge.CacheFor);
        var observed = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == OrchestrationMetrics.MeterName && instrument.Name == "orchestration.queue.depth") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var map = new Dictionary<string, object?>();
            foreach (var tag in tags) map[tag.Key] = tag.Value;
            lock (observed) observed.Add((value, map));
        });
        listener.Start();

        // The callback never waits on the store: the first collection starts a count and answers with what it had.
        listener.RecordObservableInstruments();
        await gauge.Refreshing;
        observed.Clear();
        listener.RecordObservableInstruments();

        long Jobs(string org) => observed.Where(o => Equals(o.Tags["orchestration.org"], org) && Equals(o.Tags["orchestration.family"], "jobs")).Sum(o => o.Value);
        Assert.That(Jobs(t.OrgId), Is.EqualTo(1));
        Assert.That(Jobs(other.OrgId), Is.EqualTo(1));
    }

    private static async Task<string> ScrapeAsync(HttpClient client)
    {
        using var response = await client.GetAsync(new Uri("/api/v1/metrics", UriKind.Relative));
        Assert.That(response.IsSuccessStatusCode, Is.True);
        return await response.Content.ReadAsStringAsync();
    }

    // The family's depth over every status, so the test does not depend on which unfinished status a new job starts in.
    private static long Depth(string text, string family) =>
        DepthLine().Matches(text).Where(m => m.Groups["family"].Value == family).Sum(m => long.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex("^orchestration_queue_depth\\{family=\"(?<family>[a-z]+)\",status=\"[a-z_]+\"\\} (?<value>\\d+)$", RegexOptions.Multiline)]
    private static partial Regex DepthLine();
}
