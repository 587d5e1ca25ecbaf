using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Foreman;

/// <summary>The page sizes the Foreman API answers: the default when none is asked for, and the clamp above its maximum.</summary>
public sealed class ForemanPagingTests(ApiBackend backend) : ApiFixture(backend)
{
    [TestCase("/api/v1/runs", 20)]
    [TestCase("/api/v1/runs?limit=500", 100)]
    [TestCase("/api/v1/tasks", 20)]
    [TestCase("/api/v1/tasks?limit=500", 100)]
    [TestCase("/api/v1/runs/{run}/data", 100)]
    [TestCase("/api/v1/runs/{run}/data?limit=500", 100)]
    public async Task List_LimitAbsentOrAboveMaximum_EnvelopeStatesTheLimitApplied(string url, int applied)
    {
        var t = await NewTenantAsync();
        var run = await CreateRunAsync(t.Client);

        var (status, page, _) = await t.Client.GetJsonAsync(url.Replace("{run}", run, StringComparison.Ordinal));

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), page?.ToJsonString());
        Assert.That(page!["limit"]!.GetValue<int>(), Is.EqualTo(applied));
        Assert.That(page["pagination"]!["limit"]!.GetValue<int>(), Is.EqualTo(applied));
    }
}
