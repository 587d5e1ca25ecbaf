using System.Net;
using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;

namespace Orchestration.Dashboard.Tests;

public sealed class SignInTests : BrowserTest
{
    [Test]
    public async Task SignIn_ValidKey_OverviewShownWithHttpOnlyStrictSessionCookieNotHoldingTheKey()
    {
        await SignInAsync();

        await Assertions.Expect(Page.Locator("h1")).ToHaveTextAsync("Overview");
        var cookie = (await Context.CookiesAsync()).Single(c => c.Name == "orch_dashboard");
        Assert.That(cookie.HttpOnly, Is.True);
        Assert.That(cookie.SameSite, Is.EqualTo(SameSiteAttribute.Strict));
        Assert.That(cookie.Value, Does.Not.Contain(DashboardHost.BootstrapKey), "the cookie holds an opaque session id, never the key");
        var storage = await Page.EvaluateAsync<string>("() => JSON.stringify(localStorage) + JSON.stringify(sessionStorage)");
        Assert.That(storage, Does.Not.Contain(DashboardHost.BootstrapKey));
        Assert.That(await Page.ContentAsync(), Does.Not.Contain(DashboardHost.BootstrapKey), "the key never comes back in a page");
    }

    [Test]
    public async Task SignIn_WrongKey_RefusedWithReasonAndNoSession()
    {
        await Page.GotoAsync("/dashboard/sign-in");
        await Page.FillAsync("#key", "orch_0000000000000001_notarealsecretnotarealsecretnotareal");
        await Page.ClickAsync("button[type=submit]");

        await Assertions.Expect(Page.Locator(".notice")).ToContainTextAsync("Sign-in refused");
        Assert.That((await Context.CookiesAsync()).Any(c => c.Name == "orch_dashboard"), Is.False);
    }

    [Test]
    public async Task Pages_NotSignedIn_RedirectToSignIn()
    {
        await Page.GotoAsync("/dashboard/runs");

        await Assertions.Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dashboard/sign-in"));
    }

    [Test]
    public async Task Pages_Responses_CarryStrictContentSecurityPolicy()
    {
        await SignInAsync();
        var response = await Page.GotoAsync("/dashboard/runs");

        var csp = (await response!.AllHeadersAsync())["content-security-policy"];
        Assert.That(csp, Does.Contain("default-src 'self'").And.Contain("script-src 'self'").And.Contain("style-src 'self'").And.Contain("frame-ancestors 'none'"));
        Assert.That(csp, Does.Not.Contain("unsafe-inline"));
    }

    [Test]
    public async Task Session_KeyRevokedAfterSignIn_NextPageSendsBackToSignIn()
    {
        var (id, key) = await Host.CreateKeyAsync("workflows:read");
        await SignInAsync(key);

        await Host.RevokeKeyAsync(id);
        await Page.GotoAsync("/dashboard/runs");

        await Assertions.Expect(Page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/dashboard/sign-in"));
        await Assertions.Expect(Page.Locator(".notice")).ToContainTextAsync("revoked");
    }

    [Test]
    public async Task SignOut_AfterSignIn_SessionEndsOnTheServer()
    {
        await SignInAsync();
        var session = (await Context.CookiesAsync()).Single(c => c.Name == "orch_dashboard").Value;

        await Page.ClickAsync("header button:has-text('Sign out')");
        await Page.WaitForURLAsync("**/dashboard/sign-in");

        using var http = Host.Api();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dashboard/runs?fragment=1");
        request.Headers.Add("Cookie", "orch_dashboard=" + session);
        Assert.That((await http.SendAsync(request)).StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized), "the old cookie no longer opens a session");
    }
}
