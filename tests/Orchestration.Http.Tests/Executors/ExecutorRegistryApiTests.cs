using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Executors;

/// <summary>
/// <c>GET /api/v1/admin/executors</c> reads the executor registry from the store: two hosts on one database agree,
/// and a host started later (a restart) still lists what the executors did before.
/// </summary>
[TestFixtureSource(typeof(ApiBackends), nameof(ApiBackends.All))]
public sealed class ExecutorRegistryApiTests(ApiBackend backend)
{
    [Test]
    public async Task Executors_SecondHostAndRestartedHost_SeeLastHeartbeatAndCompletedCount()
    {
        var name = Guid.NewGuid().ToString("N");
        try
        {
            await using var first = new ApiFactory(backend, databaseName: name);
            var connection = first.Services.GetRequiredService<IConfiguration>()["ConnectionStrings:Orchestration"];
            var shared = new Dictionary<string, string?> { ["ConnectionStrings:Orchestration"] = connection };
            using var admin = first.WithKey(ApiFactory.BootstrapKey);
            var (_, org, _) = await admin.PostJsonAsync("/api/v1/admin/orgs", new { name = "registry" });
            var (_, key, _) = await admin.PostJsonAsync("/api/v1/admin/api-keys", new { orgId = org.Str("id"), name = "ops", permissions = new[] { "*", "admin" } });

            using (var onFirst = first.WithKey(key.Str("key")))
            {
                var (_, job, _) = await onFirst.PostJsonAsync("/api/v1/jobs", new { type = "t", binary_url = "https://example.com/b", binary_sha256 = JobsFixture.Sha });
                await onFirst.PostJsonAsync("/api/v1/jobs/claim", new { executor_id = "worker-1", executor_ip = "10.0.0.1" });
                var (done, _, _) = await onFirst.SendAsync(HttpMethod.Put, $"/api/v1/jobs/{job.Str("id")}/complete", new { executor_id = "worker-1", exit_code = 0 });
                Assert.That(done, Is.EqualTo(HttpStatusCode.NoContent));
                // The first host's own admin view flushes its buffered calls; its writer would within a second anyway.
                var (_, own, _) = await onFirst.GetJsonAsync("/api/v1/admin/executors");
                Assert.That(own![0]!["jobs_completed"]!.GetValue<int>(), Is.EqualTo(1));
            }

            await using (var second = new ApiFactory(backend, shared, databaseName: name))
            {
                using var onSecond = second.WithKey(key.Str("key"));
                var (status, list, _) = await onSecond.GetJsonAsync("/api/v1/admin/executors");

                Assert.That(status, Is.EqualTo(HttpStatusCode.OK), list?.ToJsonString());
                Assert.That(list!.AsArray().Select(e => e.Str("executor_id")), Is.EqualTo(new[] { "worker-1" }));
                Assert.That(list[0]!["jobs_completed"]!.GetValue<int>(), Is.EqualTo(1));
                Assert.That(list[0]!["last_heartbeat"], Is.Not.Null);
            }

            await first.DisposeAsync();
            await using var restarted = new ApiFactory(backend, shared, databaseName: name);
            using var onRestarted = restarted.WithKey(key.Str("key"));
            var (_, after, _) = await onRestarted.GetJsonAsync("/api/v1/admin/executors");

            Assert.That(after!.AsArray().Select(e => e.Str("executor_id")), Is.EqualTo(new[] { "worker-1" }));
            Assert.That(after[0]!["jobs_completed"]!.GetValue<int>(), Is.EqualTo(1));
        }
        finally
        {
            backend.Cleanup?.Invoke(name);
        }
    }
}
