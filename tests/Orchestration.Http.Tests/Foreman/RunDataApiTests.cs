using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

public sealed class RunDataApiTests(ApiBackend backend) : ApiFixture(backend)
{
    private async Task<(Tenant Tenant, string Run, string Task)> RunWithTaskAsync()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var task = await CreateTaskAsync(t.Client, run);
        return (t, run, task);
    }

    private async Task<string> PutAsync(Tenant t, string run, string key, object value, string[]? tags = null, string? taskId = null)
    {
        var (status, entry, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key, value, tags, taskId });
        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), entry?.ToJsonString());
        Factory.Time.Advance(TimeSpan.FromMilliseconds(10));
        return entry.Str("id");
    }

    [Test]
    public async Task CreateRunData_ValidBody_Returns201Entry()
    {
        var (t, run, task) = await RunWithTaskAsync();
        var (status, entry, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data",
            new { taskId = task, key = "customer-data", value = new { customerId = "123" }, tags = new[] { "validated", "v1.0" }, metadata = new { m = 1 } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(entry.Str("key"), Is.EqualTo("customer-data"));
        Assert.That(entry.Str("taskId"), Is.EqualTo(task));
        Assert.That(entry.Str("runId"), Is.EqualTo(run));
        Assert.That(entry.Str("orgId"), Is.EqualTo(t.OrgId));
        Assert.That(entry!["value"]!["customerId"]!.GetValue<string>(), Is.EqualTo("123"));
        Assert.That(entry["tags"]!.AsArray().Select(x => x!.GetValue<string>()), Is.EqualTo(new[] { "validated", "v1.0" }));
    }

    [Test]
    public async Task CreateRunData_MissingKey_Returns400()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, body, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { value = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("key"));
    }

    [Test]
    public async Task CreateRunData_KeyTooLong_Returns400()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, _, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = new string('k', 256), value = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task CreateRunData_TaskOfAnotherRun_Returns400()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var other = await CreateRunAsync(t.Client);
        var foreignTask = await CreateTaskAsync(t.Client, other);
        var (status, body, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "k", value = 1, taskId = foreignTask });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0]!["field"]!.GetValue<string>(), Is.EqualTo("taskId"));
    }

    [Test]
    public async Task CreateRunData_UnknownRun_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/data", new { key = "k", value = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task CreateRunData_ReadOnlyKey_Returns403()
    {
        var t = await NewTenantAsync("runs:*", "rundata:read");
        var run = await CreateRunAsync(t.Client);
        var (status, _, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "k", value = 1 });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }

    [Test]
    public async Task GetRunData_SeveralEntries_ReturnsLatest()
    {
        var (t, run, _) = await RunWithTaskAsync();
        await PutAsync(t, run, "customer-data", new { v = 1 });
        var latest = await PutAsync(t, run, "customer-data", new { v = 2 });

        var (status, entry, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data/customer-data");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(entry.Str("id"), Is.EqualTo(latest));
        Assert.That(entry!["value"]!["v"]!.GetValue<int>(), Is.EqualTo(2));
    }

    [Test]
    public async Task GetRunData_UnknownKey_Returns404()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, body, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data/nothing-here");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(body.Str("error"), Is.EqualTo("Run data not found"));
    }

    [Test]
    public async Task ListRunData_Filters_MatchForemanReferenceQueries()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var c1 = await PutAsync(t, run, "customer-data", new { v = 1 }, ["validated", "v1.0"]);
        var c2 = await PutAsync(t, run, "customer-data", new { v = 2 }, ["validated"]);
        var prefs = await PutAsync(t, run, "customer-prefs", new { v = 3 }, ["v1.0"]);
        var order = await PutAsync(t, run, "order", new { v = 4 }, ["validated", "v1.0"]);

        async Task<string[]> Ids(string query)
        {
            var (status, page, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?{query}");
            Assert.That(status, Is.EqualTo(HttpStatusCode.OK), page?.ToJsonString());
            return page!["items"]!.AsArray().Select(x => x.Str("id")).ToArray();
        }

        Assert.That(await Ids(""), Is.EqualTo(new[] { order, prefs, c2 }), "latest per key by default, newest first");
        Assert.That((await Ids("key=customer-data&includeAll=true")).Length, Is.EqualTo(2));
        Assert.That(await Ids("tags=validated&tagMode=any"), Is.EqualTo(new[] { order, c2 }));
        // The latest entry per key is taken among the entries that match the filter.
        Assert.That(await Ids("tags=validated,v1.0&tagMode=all"), Is.EqualTo(new[] { order, c1 }));
        Assert.That(await Ids("keyStartsWith=customer-&tags=v1.0"), Is.EqualTo(new[] { prefs, c1 }));
        Assert.That(await Ids("keyStartsWith=customer-,ord&sortBy=key&sortOrder=asc"), Is.EqualTo(new[] { c2, prefs, order }));
        Assert.That(await Ids("limit=1&offset=1"), Is.EqualTo(new[] { prefs }));
    }

    [TestCase("tagMode=some")]
    [TestCase("includeAll=maybe")]
    [TestCase("sortBy=value")]
    [TestCase("limit=-3")]
    public async Task ListRunData_BadQuery_Returns400(string query)
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, _, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data?{query}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task ListRunData_UnknownRun_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/data");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task ChangeTags_AddAndRemove_UpdatesEntry()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var id = await PutAsync(t, run, "k", 1, ["a", "b"]);
        var (status, entry, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}/data/{id}/tags", new { add = new[] { "c" }, remove = new[] { "a" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(entry!["tags"]!.AsArray().Select(x => x!.GetValue<string>()), Is.EquivalentTo(new[] { "b", "c" }));
    }

    [Test]
    public async Task ChangeTags_UnknownEntry_Returns404()
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, _, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}/data/{Guid.NewGuid()}/tags", new { add = new[] { "c" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task DeleteRunData_ByKey_DeletesEveryEntryOfKey()
    {
        var (t, run, _) = await RunWithTaskAsync();
        await PutAsync(t, run, "k", 1);
        await PutAsync(t, run, "k", 2);
        await PutAsync(t, run, "other", 3);

        var (status, body, _) = await t.Client.DeleteJsonAsync($"/api/v1/runs/{run}/data?key=k");
        var (after, _, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data/k");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["deleted"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(after, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task DeleteRunData_ById_DeletesOneEntry()
    {
        var (t, run, _) = await RunWithTaskAsync();
        await PutAsync(t, run, "k", 1);
        var second = await PutAsync(t, run, "k", 2);

        var (status, body, _) = await t.Client.DeleteJsonAsync($"/api/v1/runs/{run}/data?id={second}");
        var (_, latest, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{run}/data/k");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["deleted"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(latest!["value"]!.GetValue<int>(), Is.EqualTo(1));
    }

    [TestCase("")]
    [TestCase("?key=k&id=01a20c10-694f-7e05-9a9f-569634082a49")]
    [TestCase("?id=nope")]
    public async Task DeleteRunData_NeitherBothOrBadId_Returns400(string query)
    {
        var (t, run, _) = await RunWithTaskAsync();
        var (status, body, _) = await t.Client.DeleteJsonAsync($"/api/v1/runs/{run}/data{query}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Is.Not.Empty);
    }

    [Test]
    public async Task DeleteRunData_UnknownRun_Returns404()
    {
        var t = await NewTenantAsync();
        var (status, _, _) = await t.Client.DeleteJsonAsync($"/api/v1/runs/{Guid.NewGuid()}/data?key=k");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
