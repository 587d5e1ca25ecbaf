using System.Net;
using System.Text;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Hosting;

/// <summary>What only a durable store shows: the bootstrap key across restarts, and keys at rest.</summary>
public sealed class SqliteHostTests
{
    [Test]
    public async Task Bootstrap_SecondStartOnSameDatabase_PrintsNoKeyAndFirstKeyStillWorks()
    {
        var database = Guid.NewGuid().ToString("N");
        var noConfiguredKey = new Dictionary<string, string?> { ["Orchestration:Auth:BootstrapApiKey"] = "" };
        try
        {
            string key;
            await using (var first = new ApiFactory(ApiBackends.Sqlite, noConfiguredKey, databaseName: database))
            {
                using var anonymous = first.Anonymous();
                await anonymous.GetJsonAsync("/health");
                var line = first.Logs.Messages.Single(m => m.Contains("orch_", StringComparison.Ordinal));
                key = line[line.IndexOf("orch_", StringComparison.Ordinal)..].Trim();
            }

            await using var second = new ApiFactory(ApiBackends.Sqlite, noConfiguredKey, databaseName: database);
            using var admin = second.WithKey(key);
            var (status, _, _) = await admin.GetJsonAsync("/api/v1/admin/api-keys");

            Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
            Assert.That(second.Logs.Messages, Has.None.Contains("orch_"));
            var secret = key[(key.LastIndexOf('_') + 1)..];
            foreach (var file in new[] { "", "-wal" }.Select(s => ApiBackends.DatabasePath(database) + s).Where(File.Exists))
            {
                await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                using var reader = new StreamReader(stream, Encoding.Latin1);
                Assert.That(await reader.ReadToEndAsync(), Does.Not.Contain(secret), $"the key's secret is stored in {file}");
            }
        }
        finally
        {
            ApiBackends.Sqlite.Cleanup?.Invoke(database);
        }
    }
}
