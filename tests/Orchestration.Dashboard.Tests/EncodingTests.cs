using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Engine;

namespace Orchestration.Dashboard.Tests;

public sealed class EncodingTests : BrowserTest
{
    [Test]
    public async Task RunPage_HostileNamesAndInput_ShownAsTextNeverAsMarkup()
    {
        const string hostile = "<img src=x id=injected onerror=\"window.pwned=1\">";
        var run = await Runs.CreateAsync("workflows", hostile,
            new TaskSpec { Name = "t<b id=bold>", Type = "quick", InputJson = "{\"html\":\"</pre><script id=injected2>window.pwned=2</script>\"}" });
        await Host.Client.WaitForRunAsync(Orchestration.Domain.Org.DefaultId, run);
        await SignInAsync();

        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Page.GotoAsync($"/dashboard/runs?type={Uri.EscapeDataString(hostile)}");

        await Assertions.Expect(Page.Locator("table.runs")).ToContainTextAsync(hostile);
        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Page.Locator("h1")).ToContainTextAsync(hostile);
        await Assertions.Expect(Page.Locator("#injected, #injected2, #bold")).ToHaveCountAsync(0);
        Assert.That(await Page.EvaluateAsync<bool>("() => window.pwned === undefined"), Is.True, "no injected handler or script ran");
    }
}
