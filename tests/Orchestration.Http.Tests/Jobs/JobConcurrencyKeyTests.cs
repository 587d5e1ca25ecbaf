using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;
using Orchestration.Storage;

namespace Orchestration.Http.Tests.Jobs;

/// <summary>The job queue API's <c>concurrency_key</c>: jobs sharing a key the host limits run at most the limit at once.</summary>
[TestFixtureSource(typeof(JobsBackends), nameof(JobsBackends.All))]
public sealed class JobConcurrencyKeyTests(ApiBackend backend)
{
    private const string Sha = JobsFixture.Sha;
    private ApiFactory _factory = null!;
    private HttpClient _admin = null!;

    [OneTimeSetUp]
    public void StartHost()
    {
        _factory = new ApiFactory(backend, new Dictionary<string, string?>
        {
            ["Orchestration:Engine:KeyLimits:0:Key"] = "customer:*",
            ["Orchestration:Engine:KeyLimits:0:MaxRunning"] = "1",
        });
        _admin = _factory.WithKey(ApiFactory.BootstrapKey);
    }

    [OneTimeTearDown]
    public async Task StopHost()
    {
        _admin.Dispose();
        await _factory.DisposeAsync();
    }

    [Test]
    public async Task Submit_TwoJobsOfOneLimitedKey_OnlyOneClaimable()
    {
        for (var i = 0; i < 2; i++)
        {
            var (status, body, _) = await _admin.PostJsonAsync("/api/v1/jobs",
                new { type = "export", binary_url = "https://example.com/b", binary_sha256 = Sha, concurrency_key = "customer:7" });
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        }

        var store = _factory.Services.GetRequiredService<IOrchestrationStore>();
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);

        Assert.That(claimed, Has.Count.EqualTo(1), "the key's limit is 1");
    }

    [Test]
    public async Task Submit_ConcurrencyKeyWithUnknownPlaceholder_Returns400NamingIt()
    {
        var (status, body, _) = await _admin.PostJsonAsync("/api/v1/jobs",
            new { type = "export", binary_url = "https://example.com/b", binary_sha256 = Sha, concurrency_key = "customer:{tenant}" });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain("concurrency_key"));
    }

    [Test]
    public async Task Submit_ConcurrencyLimitOnAKeyTheHostDoesNotLimit_EnforcedWithoutConfiguration()
    {
        for (var i = 0; i < 3; i++)
        {
            var (status, body, _) = await _admin.PostJsonAsync("/api/v1/jobs",
                new { type = "import", binary_url = "https://example.com/b", binary_sha256 = Sha, concurrency_key = "tenant:3", concurrency_limit = 2 });
            Assert.That(status, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        }

        var store = _factory.Services.GetRequiredService<IOrchestrationStore>();
        var claimed = await store.ClaimTasksAsync(new ClaimTasksParams { ExecutorId = "x", Max = 10, LeaseDuration = TimeSpan.FromMinutes(1) }, CancellationToken.None);

        Assert.That(claimed.Count(t => t.Name == "import"), Is.EqualTo(2), "the jobs' own limit is 2");
    }

    [TestCase(0, "tenant:4", "between 1 and 10000")]
    [TestCase(10_001, "tenant:4", "between 1 and 10000")]
    [TestCase(2, null, "needs concurrency_key")]
    public async Task Submit_BadConcurrencyLimit_Returns400NamingIt(int limit, string? key, string problem)
    {
        var (status, body, _) = await _admin.PostJsonAsync("/api/v1/jobs",
            new { type = "export", binary_url = "https://example.com/b", binary_sha256 = Sha, concurrency_key = key, concurrency_limit = limit });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(body.Str("error"), Does.Contain("concurrency_limit").And.Contain(problem));
    }
}
