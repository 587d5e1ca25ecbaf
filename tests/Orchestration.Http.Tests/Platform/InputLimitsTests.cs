using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Platform;

/// <summary>Identifier lengths and list-valued body fields are capped; over a cap is a 400 naming it.</summary>
public sealed class InputLimitsTests(ApiBackend backend) : ApiFixture(backend)
{
    private static readonly string TooLong = new('x', 256);

    [Test]
    public async Task CreateTask_TypeOverMaxIdentifierLength_Returns400NamingTheCap()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = TooLong });
        var (okStatus, _, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = TooLong[..255] });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0].Str("field"), Is.EqualTo("type"));
        Assert.That(body.Str("error"), Does.Contain("at most 255 characters").And.Contain("MaxIdentifierLength"));
        Assert.That(okStatus, Is.EqualTo(HttpStatusCode.Created));
    }

    [Test]
    public async Task UpdateTask_QueueJobIdOverMaxIdentifierLength_Returns400()
    {
        var t = await NewTenantAsync();
        var task = await CreateTaskAsync(t.Client, await CreateRunAsync(t.Client));
        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{task}", new { queueJobId = TooLong });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0].Str("field"), Is.EqualTo("queueJobId"));
    }

    [Test]
    public async Task CreateRunData_KeyOrTagOverCaps_Returns400NamingTheField()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (longKey, keyBody, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = TooLong, value = 1 });
        var (longTag, tagBody, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "k", value = 1, tags = new[] { TooLong } });
        var (manyTags, manyBody, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data",
            new { key = "k", value = 1, tags = Enumerable.Range(0, 101).Select(i => $"t{i}").ToArray() });
        var (nulTag, _, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "k", value = 1, tags = new[] { "a\0b" } });

        Assert.That(longKey, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(keyBody!["details"]![0].Str("field"), Is.EqualTo("key"));
        Assert.That(longTag, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(tagBody!["details"]![0].Str("field"), Is.EqualTo("tags"));
        Assert.That(manyTags, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(manyBody.Str("error"), Does.Contain("at most 100 values").And.Contain("MaxListItems"));
        Assert.That(nulTag, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task ChangeRunDataTags_TagOverMaxIdentifierLength_Returns400()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var (_, entry, _) = await t.Client.PostJsonAsync($"/api/v1/runs/{run}/data", new { key = "k", value = 1 });
        var (status, body, _) = await t.Client.PatchJsonAsync($"/api/v1/runs/{run}/data/{entry.Str("id")}/tags", new { add = new[] { TooLong } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body!["details"]![0].Str("field"), Is.EqualTo("add"));
    }

    [Test]
    public async Task SubmitJob_TypeOverMaxIdentifierLength_Returns400NamingTheCap()
    {
        var t = await NewTenantAsync();
        var (status, body, _) = await t.Client.PostJsonAsync("/api/v1/jobs", new
        {
            type = TooLong,
            binary_url = "https://example.com/bin",
            binary_sha256 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            priority = "background",
        });
        var (listStatus, _, _) = await t.Client.GetJsonAsync("/api/v1/jobs?type=" + TooLong);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain("MaxIdentifierLength"));
        Assert.That(listStatus, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [TestCase("/api/v1/runs")]
    [TestCase("/api/v1/tasks")]
    [TestCase("/api/v1/jobs")]
    public async Task List_QueryParameterWithMoreThanMaxQueryListValues_Returns400NamingTheCap(string path)
    {
        var t = await NewTenantAsync();
        var repeated = path + "?" + string.Join("&", Enumerable.Repeat("status=pending", 101));
        var commas = path + "?status=" + string.Join(",", Enumerable.Repeat("pending", 101));

        var (status, body, _) = await t.Client.GetJsonAsync(repeated);
        var (commaStatus, commaBody, _) = await t.Client.GetJsonAsync(commas);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), body?.ToJsonString());
        Assert.That(body.Str("error"), Does.Contain("status").And.Contain("MaxQueryListValues"));
        Assert.That(commaStatus, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(commaBody.Str("error"), Does.Contain("MaxQueryListValues"));
    }

    [Test]
    public async Task CreateApiKey_NameOrPermissionsOverCaps_Returns400()
    {
        var t = await NewTenantAsync();
        var (longName, _, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = t.OrgId, name = TooLong, permissions = new[] { "*" } });
        var (manyPermissions, body, _) = await Admin.PostJsonAsync("/api/v1/admin/api-keys",
            new { orgId = t.OrgId, name = "k", permissions = Enumerable.Repeat("runs:read", 101).ToArray() });
        var (longOrg, _, _) = await Admin.PostJsonAsync("/api/v1/admin/orgs", new { name = TooLong });

        Assert.That(longName, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(manyPermissions, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain("MaxListItems"));
        Assert.That(longOrg, Is.EqualTo(HttpStatusCode.BadRequest));
    }
}

/// <summary>A list page of runs or tasks stays within its byte budget whatever the stored payloads are.</summary>
public sealed class ListBudgetTests(ApiBackend backend) : ApiFixture(backend)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Orchestration:Limits:MaxListResponseBytes"] = "4096",
        ["Orchestration:Limits:MaxListPayloadBytes"] = "1024",
    };

    [Test]
    public async Task ListRuns_PayloadsOverTheBudget_ShortensThePageAndSaysSoInLimit()
    {
        var t = await NewTenantAsync();
        // Each run costs about 1.4 KB of the 4 KB budget: two fit, the third does not.
        for (var i = 0; i < 5; i++) await CreateRunAsync(t.Client, new { pad = new string('p', 900) });

        var (status, page, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=100&sortOrder=asc");
        var (nextStatus, next, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=100&sortOrder=asc&offset=2");
        var (lastStatus, last, _) = await t.Client.GetJsonAsync("/api/v1/runs?limit=100&sortOrder=asc&offset=4");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page!["items"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(page["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page["total"]!.GetValue<int>(), Is.EqualTo(5));
        // The real Foreman server's envelope says the same as the reference's.
        Assert.That(page["data"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(page["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page["pagination"]!["total"]!.GetValue<int>(), Is.EqualTo(5));
        Assert.That(nextStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(next!["items"]!.AsArray(), Has.Count.EqualTo(2));
        // The last page is short because the rows ran out, not the budget: its limit is the one applied.
        Assert.That(lastStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(last!["items"]!.AsArray(), Has.Count.EqualTo(1));
        Assert.That(last["limit"]!.GetValue<int>(), Is.EqualTo(100));
        Assert.That(last["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(100));
    }

    [Test]
    public async Task ListRuns_PayloadOverMaxListPayloadBytes_IsReplacedByMarkerAndReadableById()
    {
        var t = await NewTenantAsync();
        var big = await CreateRunAsync(t.Client, new { pad = new string('p', 5000) });

        var (status, page, _) = await t.Client.GetJsonAsync("/api/v1/runs");
        var (oneStatus, one, _) = await t.Client.GetJsonAsync($"/api/v1/runs/{big}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        var input = page!["items"]![0]!["inputData"]!;
        Assert.That(input["omitted"]!.GetValue<bool>(), Is.True);
        Assert.That(input["chars"]!.GetValue<long>(), Is.GreaterThan(5000));
        Assert.That(input.Str("error"), Does.Contain("MaxListPayloadBytes"));
        Assert.That(oneStatus, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(one!["inputData"]!["pad"]!.GetValue<string>(), Has.Length.EqualTo(5000));
    }

    [Test]
    public async Task ListTasks_PayloadsOverTheBudget_ShortensThePage()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        for (var i = 0; i < 4; i++)
        {
            var (s, task, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "t", inputData = new { pad = new string('p', 900) } });
            Assert.That(s, Is.EqualTo(HttpStatusCode.Created), task?.ToJsonString());
        }

        var (status, page, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}&limit=100");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page!["items"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(page["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page["total"]!.GetValue<int>(), Is.EqualTo(4));
        Assert.That(page["data"]!.AsArray(), Has.Count.EqualTo(2));
        Assert.That(page["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(2));
    }

    [Test]
    public async Task ListTasks_SortedByStartedAtOverTheBudget_ShortensThePageInSortOrder()
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var (s, task, _) = await t.Client.PostJsonAsync("/api/v1/tasks", new { runId = run, type = "t", inputData = new { pad = new string('p', 900) } });
            Assert.That(s, Is.EqualTo(HttpStatusCode.Created), task?.ToJsonString());
            ids.Add(task.Str("id"));
        }

        // Started in reverse creation order, so started_at ascending is the reverse of the default order.
        for (var i = ids.Count - 1; i >= 0; i--)
        {
            Factory.Time.Advance(TimeSpan.FromSeconds(1));
            var (s, body, _) = await t.Client.PatchJsonAsync($"/api/v1/tasks/{ids[i]}", new { status = "running" });
            Assert.That(s, Is.EqualTo(HttpStatusCode.OK), body?.ToJsonString());
        }

        var (status, page, _) = await t.Client.GetJsonAsync($"/api/v1/tasks?runId={run}&limit=100&sortBy=started_at&sortOrder=asc");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), page?.ToJsonString());
        Assert.That(page!["items"]!.AsArray().Select(x => x.Str("id")), Is.EqualTo(new[] { ids[3], ids[2] }));
        Assert.That(page["limit"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(page["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(2));
    }
}
