using System.Net;
using Orchestration.Testing;

namespace Orchestration.Http.Tests.Hosting;

/// <summary>The sample host as a real process behind Kestrel: what the server itself adds, and how a failed start ends.</summary>
public sealed class SampleHostProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Test]
    public async Task SampleHost_BadDatabasePath_ExitsWithCode1AndClearMessage()
    {
        using var dir = new TempDirectory();
        using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = $"Data Source={Path.Combine(dir.Path, "no-such-dir", "x.db")}",
        }, dir.Path);

        var exit = await host.WaitForExitAsync(StartTimeout);

        Assert.That(exit, Is.EqualTo(1), host.Output);
        Assert.That(host.Output, Does.Contain("Orchestration host failed to start").And.Contain("cannot open the SQLite database"));
    }

    [Test]
    public async Task SampleHost_Responses_NoServerHeaderAndJsonErrorsOnEveryPath()
    {
        using var dir = new TempDirectory();
        using var host = HostProcess.Start(new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = $"Data Source={Path.Combine(dir.Path, "h.db")}",
            ["Orchestration:Auth:BootstrapApiKey"] = "process-test-bootstrap-key-0123456789abcdef",
        }, dir.Path);
        await host.WaitHealthyAsync(StartTimeout);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };

        using var health = await http.GetAsync(new Uri("/health", UriKind.Relative));
        using var unknown = await http.GetAsync(new Uri("/no-such-page", UriKind.Relative));
        using var wrongMethod = await http.DeleteAsync(new Uri("/health", UriKind.Relative));
        using var longUrl = await http.GetAsync(new Uri("/api/v1/runs?x=" + new string('a', 5000), UriKind.Relative));
        using var bigHeaders = new HttpRequestMessage(HttpMethod.Get, "/api/v1/runs");
        bigHeaders.Headers.Add("X-Padding", new string('b', 20_000));
        using var headers = await http.SendAsync(bigHeaders);

        Assert.That(health.Headers.Contains("Server"), Is.False, "no Server header");
        foreach (var (response, status) in new[] { (unknown, 404), (wrongMethod, 405), (longUrl, 414), (headers, 431) })
        {
            Assert.That((int)response.StatusCode, Is.EqualTo(status));
            Assert.That(response.Headers.Contains("Server"), Is.False, "no Server header");
            Assert.That(await response.Content.ReadAsStringAsync(), Does.StartWith("{\"error\":"), $"{status} is JSON");
        }
    }
}
