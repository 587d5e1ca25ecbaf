using System.Net;
using System.Net.Http;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Events;

public sealed class EventsApiTests(ApiBackend backend) : ApiFixture(backend)
{
    [Test]
    public async Task GetEvents_Polled_OnlyCallersOrgAndResumesAfterNextAfter()
    {
        var tenant = await NewTenantAsync();
        var other = await NewTenantAsync();
        var runId = await CreateRunAsync(tenant.Client);
        await CreateRunAsync(other.Client);

        var (status, first, _) = await tenant.Client.GetJsonAsync("/api/v1/events?after=0");
        var next = first!["next_after"]!.GetValue<long>();
        await CreateRunAsync(tenant.Client);
        var (_, second, _) = await tenant.Client.GetJsonAsync($"/api/v1/events?after={next}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var events = first["events"]!.AsArray();
        Assert.That(events.Select(e => e!["run_id"]!.GetValue<string>()), Is.All.EqualTo(runId));
        Assert.That(events.Select(e => e!["type"]!.GetValue<string>()), Does.Contain("run.created"));
        Assert.That(second!["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()), Is.All.GreaterThan(next));
        Assert.That(second["events"]!.AsArray(), Is.Not.Empty);
    }

    [TestCase("limit=0", "limit must be an integer from 1 to 1000")]
    [TestCase("limit=1001", "limit must be an integer from 1 to 1000")]
    [TestCase("after=-1", "after must be an integer of at least 0")]
    [TestCase("after=abc", "after must be an integer of at least 0")]
    public async Task GetEvents_BadQuery_400NamingIt(string query, string problem)
    {
        var tenant = await NewTenantAsync();

        var (status, error, _) = await tenant.Client.GetJsonAsync("/api/v1/events?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task GetEvents_KeyWithoutEventsPermission_403()
    {
        var tenant = await NewTenantAsync("runs:*");

        var (status, _, _) = await tenant.Client.GetJsonAsync("/api/v1/events");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task GetEvents_EventStream_ReceivesLiveAndResumesWithLastEventIdWithoutGaps()
    {
        var tenant = await NewTenantAsync();
        var other = await NewTenantAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var pumping = new CancellationTokenSource();
        // The stream polls on the host's fake clock; moving it lets each poll happen without the test sleeping on it.
        var pump = Task.Run(async () =>
        {
            while (!pumping.IsCancellationRequested)
            {
                Factory.Time.Advance(TimeSpan.FromMilliseconds(500));
                await Task.Delay(10, CancellationToken.None);
            }
        }, CancellationToken.None);

        try
        {
            List<(long Id, string Type)> live;
            using (var stream = await OpenStreamAsync(tenant.Client, null, deadline.Token))
            {
                await CreateRunAsync(other.Client);
                await CreateRunAsync(tenant.Client);
                live = await ReadEventsAsync(stream, 1, deadline.Token);
                await CreateRunAsync(tenant.Client);
                live.AddRange(await ReadEventsAsync(stream, 1, deadline.Token));
            }

            // While disconnected, more happens; the client resumes after the first event it saw.
            var during = await CreateRunAsync(tenant.Client);
            using var resumed = await OpenStreamAsync(tenant.Client, live[0].Id, deadline.Token);
            var (_, all, _) = await tenant.Client.GetJsonAsync("/api/v1/events?after=0");
            var expected = all!["events"]!.AsArray().Select(e => e!["sequence"]!.GetValue<long>()).Where(s => s > live[0].Id).ToList();
            var replayed = await ReadEventsAsync(resumed, expected.Count, deadline.Token);

            Assert.That(live.Select(e => e.Type), Is.EqualTo(new[] { "run.created", "run.created" }), "each event arrives while the stream is open");
            Assert.That(replayed.Select(e => e.Id), Is.EqualTo(expected), "every later event of the org, in order, none skipped or repeated");
            Assert.That(expected, Has.Count.GreaterThanOrEqualTo(2), "the resumed stream includes the events written while disconnected");
            Assert.That(during, Is.Not.Empty);
        }
        finally
        {
            await pumping.CancelAsync();
            await pump;
        }
    }

    private static async Task<StreamReader> OpenStreamAsync(HttpClient client, long? lastEventId, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is { } id) request.Headers.Add("Last-Event-ID", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/event-stream"));
        return new StreamReader(await response.Content.ReadAsStreamAsync(ct));
    }

    private static async Task<List<(long Id, string Type)>> ReadEventsAsync(StreamReader reader, int count, CancellationToken ct)
    {
        var events = new List<(long, string)>();
        long? id = null;
        string? type = null;
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new AssertionException("the stream ended");
            if (line.StartsWith("id: ", StringComparison.Ordinal)) id = long.Parse(line[4..], System.Globalization.CultureInfo.InvariantCulture);
            else if (line.StartsWith("event: ", StringComparison.Ordinal)) type = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                var data = JsonNode.Parse(line[6..])!;
                Assert.That(data["sequence"]!.GetValue<long>(), Is.EqualTo(id));
                events.Add((id!.Value, type!));
            }
        }

        return events;
    }
}
