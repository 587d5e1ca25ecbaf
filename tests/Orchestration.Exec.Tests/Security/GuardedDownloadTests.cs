using System.Net;
using NUnit.Framework;
using Orchestration.Exec.Tests;
using Orchestration.Execution;
using Orchestration.Exec;
using Orchestration.Security;

namespace Orchestration.Exec.Tests.Security;

/// <summary>The exec download with the guard ON: private targets are refused, directly, through DNS and through redirects.</summary>
[TestFixture]
[NonParallelizable]
public sealed class GuardedDownloadTests
{
    private TestBinaryServer _server = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await TestBinaryServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    private static ExecTestContext GuardOn(params string[] allowedNetworks) => new(o =>
    {
        o.AllowPrivateNetworkTargets = false;
        foreach (var n in allowedNetworks) o.AllowedNetworks.Add(IPNetwork.Parse(n));
    });

    [TestCase("http://127.0.0.1:{port}/bin", "loopback")]
    [TestCase("http://127.0.0.2:{port}/bin", "loopback")]
    [TestCase("http://localhost:{port}/bin", "local host name")]
    [TestCase("http://[::1]:{port}/bin", "loopback")]
    [TestCase("http://[::ffff:127.0.0.1]:{port}/bin", "loopback")]
    [TestCase("http://2130706433:{port}/bin", "loopback")]
    [TestCase("http://0x7f000001:{port}/bin", "loopback")]
    [TestCase("http://127.1:{port}/bin", "loopback")]
    [TestCase("http://10.0.0.1/bin", "private")]
    [TestCase("http://172.16.0.1/bin", "private")]
    [TestCase("http://192.168.1.1/bin", "private")]
    [TestCase("http://169.254.169.254/latest/meta-data/", "metadata")]
    [TestCase("http://[fd00:ec2::254]/latest/meta-data/", "unique-local")]
    [TestCase("http://metadata.google.internal/computeMetadata/v1/", "metadata")]
    [TestCase("http://100.100.100.200/latest/meta-data/", "carrier-grade NAT")]
    [TestCase("http://0.0.0.0:{port}/bin", "unspecified")]
    public void HandleAsync_PrivateTarget_RefusedPermanentlyAndNothingRuns(string template, string reason)
    {
        using var exec = GuardOn();
        var marker = exec.Marker("executed");
        var binary = TestScripts.Script($"touch '{marker}'");
        _server.Serve("/bin", binary);
        var hitsBefore = _server.TotalHits;
        var url = template.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => exec.RunAsync(new ExecInput { BinaryUrl = url, BinarySha256 = TestScripts.Sha256(binary) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.StartWith("refused to connect to"));
            Assert.That(ex.Message, Does.Contain(reason));
            Assert.That(ex.Message, Does.Contain(NetworkGuard.AllowPrivateNetworkTargetsKey));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(_server.TotalHits, Is.EqualTo(hitsBefore), "the server is never contacted");
            Assert.That(File.Exists(marker), Is.False);
            Assert.That(exec.CacheFiles(), Is.Empty);
        });
    }

    [TestCase("http://127.0.0.2:{port}/bin", "loopback")]
    [TestCase("http://[::1]:{port}/bin", "loopback")]
    [TestCase("http://localhost:{port}/bin", "local host name")]
    [TestCase("http://169.254.169.254/latest/meta-data/", "metadata")]
    [TestCase("http://10.1.2.3/bin", "private")]
    [TestCase("http://metadata.google.internal/", "metadata")]
    [TestCase("file:///etc/passwd", "scheme 'file' is not allowed")]
    public void HandleAsync_RedirectFromAllowedHostToPrivateTarget_Refused(string template, string reason)
    {
        // 127.0.0.1 stands in for an allowed public host: it is explicitly exempt, every other private target is not.
        using var exec = GuardOn("127.0.0.1/32");
        var marker = exec.Marker("executed");
        var binary = TestScripts.Script($"touch '{marker}'");
        _server.Serve("/bin", binary);
        var start = $"/start/{Guid.NewGuid():N}";
        var target = template.Replace("{port}", _server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        _server.Redirect(start, target);
        var binHitsBefore = _server.Hits("/bin");

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => exec.RunAsync(new ExecInput
        {
            BinaryUrl = new Uri(_server.BaseAddress, start).ToString(),
            BinarySha256 = TestScripts.Sha256(binary),
        }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(reason));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(_server.Hits(start), Is.EqualTo(1), "the allowed host was reached");
            Assert.That(_server.Hits("/bin"), Is.EqualTo(binHitsBefore), "the redirect target was not");
            Assert.That(File.Exists(marker), Is.False);
        });
    }

    [Test]
    public async Task HandleAsync_AllowedNetworkTarget_DownloadsAndRuns()
    {
        using var exec = GuardOn("127.0.0.1/32");
        var binary = TestScripts.Script("echo allowed");
        var url = _server.Serve($"/bin/{Guid.NewGuid():N}", binary);

        var output = await exec.RunAsync(new ExecInput { BinaryUrl = url.ToString(), BinarySha256 = TestScripts.Sha256(binary) });

        Assert.That(output.Stdout, Is.EqualTo("allowed\n"));
    }

    [TestCase("127.0.0.1")]
    [TestCase("10.9.8.7")]
    [TestCase("169.254.169.254")]
    [TestCase("93.184.216.34,127.0.0.1")]
    [TestCase("2606:4700:4700::1111,::ffff:127.0.0.1")]
    public void Connect_NameResolvingToPrivateAddress_Refused(string answers)
    {
        var connector = new GuardedConnector(allowPrivate: false, resolve: StubDns("binaries.example", answers.Split(',')));
        using var http = new HttpClient(connector.CreateHandler());
        var hitsBefore = _server.TotalHits;

        var ex = Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://binaries.example:{_server.Port}/bin")));

        Assert.Multiple(() =>
        {
            Assert.That(ex.InnerException, Is.InstanceOf<NetworkTargetRefusedException>());
            Assert.That(ex.InnerException!.Message, Does.StartWith("refused to connect to binaries.example"));
            Assert.That(_server.TotalHits, Is.EqualTo(hitsBefore));
        });
    }

    [Test]
    public async Task Connect_GuardOff_ConnectsToTheResolvedAddress()
    {
        // binaries.example does not exist in DNS: reaching the server proves the connector used its own answer.
        var connector = new GuardedConnector(allowPrivate: true, resolve: StubDns("binaries.example", ["127.0.0.1"]));
        using var http = new HttpClient(connector.CreateHandler());
        _server.Serve("/resolved", "ok"u8.ToArray());

        var body = await http.GetStringAsync(new Uri($"http://binaries.example:{_server.Port}/resolved"));

        Assert.That(body, Is.EqualTo("ok"));
    }

    [Test]
    public void CreateHandler_Always_DisablesAutomaticRedirectsAndProxies()
    {
        using var handler = new GuardedConnector(allowPrivate: false).CreateHandler();

        Assert.Multiple(() =>
        {
            Assert.That(handler.AllowAutoRedirect, Is.False);
            Assert.That(handler.UseProxy, Is.False);
            Assert.That(handler.ConnectCallback, Is.Not.Null);
        });
    }

    private static Func<string, CancellationToken, Task<IPAddress[]>> StubDns(string name, string[] answers) =>
        (host, _) => host == name
            ? Task.FromResult(answers.Select(IPAddress.Parse).ToArray())
            : Task.FromException<IPAddress[]>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.HostNotFound));
}
