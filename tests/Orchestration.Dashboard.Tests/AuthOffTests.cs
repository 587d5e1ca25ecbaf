using System.Net;
using Orchestration.Dashboard.Tests.Infrastructure;

namespace Orchestration.Dashboard.Tests;

/// <summary>Local development with auth off: no sign-in, a banner saying so, and CSRF still required on actions.</summary>
public sealed class AuthOffTests
{
    [Test]
    public async Task Pages_AuthOff_ServedWithoutSignInUnderABannerAndActionsStillNeedTheCsrfToken()
    {
        await using var host = await DashboardHost.StartAsync(authEnabled: false);
        using var http = host.Api();

        var page = await http.GetAsync("/dashboard/runs");
        var html = await page.Content.ReadAsStringAsync();
        var cookie = page.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("orch_dashboard=", StringComparison.Ordinal));
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/dashboard/runs/{Guid.NewGuid()}/cancel") { Content = new FormUrlEncodedContent([]) };
        post.Headers.Add("Cookie", cookie.Split(';')[0]);
        var refused = await http.SendAsync(post);

        Assert.That(page.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(html, Does.Contain("Authentication is off"));
        Assert.That(cookie.ToLowerInvariant(), Does.Contain("httponly").And.Contain("samesite=strict"));
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("CSRF"));
    }
}
