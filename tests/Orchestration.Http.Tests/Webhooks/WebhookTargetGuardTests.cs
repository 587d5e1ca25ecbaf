using System.Net;
using System.Net.Http;
using Orchestration.Http.Webhooks;

namespace Orchestration.Http.Tests.Webhooks;

public sealed class WebhookTargetGuardTests
{
    [TestCase("127.0.0.1")]
    [TestCase("127.10.0.1")]
    [TestCase("10.1.2.3")]
    [TestCase("172.16.0.1")]
    [TestCase("192.168.1.1")]
    [TestCase("169.254.169.254")]
    [TestCase("100.64.0.1")]
    [TestCase("0.0.0.0")]
    [TestCase("224.0.0.1")]
    [TestCase("255.255.255.255")]
    [TestCase("::1")]
    [TestCase("::")]
    [TestCase("fc00::1")]
    [TestCase("fd12:3456::1")]
    [TestCase("fe80::1")]
    [TestCase("ff02::1")]
    [TestCase("::ffff:127.0.0.1")]
    [TestCase("::ffff:10.0.0.1")]
    [TestCase("::ffff:169.254.169.254")]
    [TestCase("64:ff9b::a00:1")]
    public void Check_InternalAddress_Refused(string address) =>
        Assert.That(WebhookTargetGuard.Check(IPAddress.Parse(address)), Is.Not.Null);

    [TestCase("93.184.216.34")]
    [TestCase("8.8.8.8")]
    [TestCase("2606:2800:220:1:248:1893:25c8:1946")]
    [TestCase("::ffff:93.184.216.34")]
    public void Check_PublicAddress_Allowed(string address) =>
        Assert.That(WebhookTargetGuard.Check(IPAddress.Parse(address)), Is.Null);

    [TestCase("ftp://example.com/hook", "must be an absolute http or https URL")]
    [TestCase("/relative", "must be an absolute http or https URL")]
    [TestCase("https://user:pw@example.com/", "must not carry credentials")]
    [TestCase("http://127.0.0.1:8080/hook", "targets a loopback address")]
    [TestCase("http://[::1]/hook", "targets a loopback address")]
    [TestCase("http://localhost/hook", "targets a loopback address")]
    [TestCase("http://10.0.0.5/hook", "targets a private address")]
    [TestCase("http://metadata.google.internal/computeMetadata/v1/", "targets a metadata or local host name")]
    [TestCase("http://198.18.0.1/hook", "targets a benchmarking address")]
    public void UrlProblem_RefusedUrl_Named(string url, string problem) =>
        Assert.That(new WebhookTargetGuard(allowPrivateTargets: false).UrlProblem(url, 2048), Is.EqualTo(problem));

    [Test]
    public void UrlProblem_TooLong_NamesTheCap() =>
        Assert.That(new WebhookTargetGuard(false).UrlProblem("https://example.com/" + new string('a', 100), 50), Is.EqualTo("must be at most 50 characters"));

    [Test]
    public void UrlProblem_PrivateAllowedByOption_Accepted() =>
        Assert.That(new WebhookTargetGuard(allowPrivateTargets: true).UrlProblem("http://127.0.0.1:5000/hook", 2048), Is.Null);

    [Test]
    public void Send_NameResolvingToLoopback_RefusedAtConnect()
    {
        // A public-looking name whose DNS answer points inside (or rebinds to inside after a check): refused on the address.
        var guard = new WebhookTargetGuard(false, (_, _) => Task.FromResult(new[] { IPAddress.Parse("8.8.8.8"), IPAddress.Loopback }));
        using var client = new HttpClient(guard.CreateHandler());

        var ex = Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri("http://hooks.example.com/")));

        Assert.That(ex!.InnerException, Is.TypeOf<Orchestration.Security.NetworkTargetRefusedException>());
        Assert.That(ex.InnerException!.Message, Does.Contain("loopback"));
    }

    [TestCase("http://127.0.0.1:9/")]
    [TestCase("http://[::1]:9/")]
    [TestCase("http://10.0.0.1:9/")]
    [TestCase("http://169.254.169.254/latest/meta-data")]
    [TestCase("http://[fc00::1]:9/")]
    public void Send_LiteralInternalAddressByDefault_RefusedBeforeConnecting(string url)
    {
        using var client = new HttpClient(new WebhookTargetGuard(false).CreateHandler());

        var ex = Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(new Uri(url)));

        Assert.That(ex!.InnerException, Is.TypeOf<Orchestration.Security.NetworkTargetRefusedException>());
    }

    [Test]
    public void CreateHandler_Redirects_NotFollowed() =>
        Assert.That(new WebhookTargetGuard(false).CreateHandler().AllowAutoRedirect, Is.False);
}
