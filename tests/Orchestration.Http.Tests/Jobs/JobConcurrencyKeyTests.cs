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
}
