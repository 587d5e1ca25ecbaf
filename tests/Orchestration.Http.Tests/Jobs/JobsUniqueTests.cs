using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Jobs;

public sealed class JobsUniqueTests(ApiBackend backend) : JobsFixture(backend)
{
    private static object UniqueJob(string key, string? onDuplicate = null, int? windowSeconds = null, string type = "report") => new
    {
        type,
        binary_url = "https://example.com/binary",
        binary_sha256 = Sha,
        unique_key = key,
        unique_window_seconds = windowSeconds,
        on_duplicate = onDuplicate,
    };

    [Test]
    public async Task Submit_UniqueKeyHeldByPendingJob_Returns200WithExistingJob()
    {
        var t = await NewTenantAsync();
        var (s1, first, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("nightly"));

        var (s2, second, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("nightly"));

        Assert.That((s1, s2), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.OK)), second?.ToJsonString());
        Assert.That(second.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(second.Str("status"), Is.EqualTo("pending"));
    }

    [Test]
    public async Task Submit_UniqueKeyConflictMode_Returns409NamingKeyAndJob()
    {
        var t = await NewTenantAsync();
        var (_, first, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("nightly"));

        var (status, error, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("nightly", onDuplicate: "conflict"));

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Does.Contain("nightly").And.Contain(first.Str("id")));
        Assert.That(error!["context"]!["job_id"]!.GetValue<string>(), Is.EqualTo(first.Str("id")));
        Assert.That(error["context"]!["unique_key"]!.GetValue<string>(), Is.EqualTo("nightly"));
    }

    [Test]
    public async Task Submit_UniqueWindowAfterCancel_BlocksThenAllows()
    {
        var t = await NewTenantAsync();
        var (_, first, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("digest", windowSeconds: 600));
        var (cancel, _, _) = await t.Client.DeleteJsonAsync($"/api/v1/jobs/{first.Str("id")}");
        Assert.That(cancel, Is.EqualTo(HttpStatusCode.NoContent));

        Factory.Time.Advance(TimeSpan.FromSeconds(599));
        var (within, withinJob, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("digest", windowSeconds: 600));
        Factory.Time.Advance(TimeSpan.FromSeconds(1));
        var (after, afterJob, _) = await t.Client.PostJsonAsync("/api/v1/jobs", UniqueJob("digest", windowSeconds: 600));

        Assert.That(within, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(withinJob.Str("id"), Is.EqualTo(first.Str("id")));
        Assert.That(withinJob.Str("status"), Is.EqualTo("cancelled"));
        Assert.That(after, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(afterJob.Str("id"), Is.Not.EqualTo(first.Str("id")));
    }

    [Test]
    public async Task BulkSubmit_RepeatedUniqueKey_OneJobAndConflictAnsweredInPlace()
    {
        var t = await NewTenantAsync();

        var (status, items, _) = await t.Client.PostJsonAsync("/api/v1/jobs/bulk", new[] { UniqueJob("batch"), UniqueJob("batch"), UniqueJob("batch", onDuplicate: "conflict") });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), items?.ToJsonString());
        var first = items![0].Str("id");
        Assert.That(items[1].Str("id"), Is.EqualTo(first));
        Assert.That(items[2].Str("status"), Is.EqualTo("rejected"));
        Assert.That(items[2].Str("error"), Does.Contain("batch").And.Contain(first));
    }

    [Test]
    public async Task Submit_UniqueScopeType_OtherTypeNotBlocked()
    {
        var t = await NewTenantAsync();
        object Scoped(string type) => new { type, binary_url = "https://example.com/binary", binary_sha256 = Sha, unique_key = "k", unique_scope = "type" };

        var (s1, _, _) = await t.Client.PostJsonAsync("/api/v1/jobs", Scoped("a"));
        var (s2, _, _) = await t.Client.PostJsonAsync("/api/v1/jobs", Scoped("b"));
        var (s3, _, _) = await t.Client.PostJsonAsync("/api/v1/jobs", Scoped("a"));
        var (bad, badBody, _) = await t.Client.PostJsonAsync("/api/v1/jobs", new { type = "a", binary_url = "https://example.com/binary", binary_sha256 = Sha, unique_key = "k", unique_scope = "name" });

        Assert.That((s1, s2, s3), Is.EqualTo((HttpStatusCode.Created, HttpStatusCode.Created, HttpStatusCode.OK)));
        Assert.That(bad, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(badBody!["context"]!["field"]!.GetValue<string>(), Is.EqualTo("unique_scope"));
    }
}
