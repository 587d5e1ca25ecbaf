using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;

namespace Orchestration.Dashboard.Tests;

public sealed class RunsListTests : BrowserTest
{
    [Test]
    public async Task Filters_FamilyStatusAndType_ListOnlyMatchingRunsWithTheirCount()
    {
        var type = "filter-" + Guid.NewGuid().ToString("N")[..8];
        var done = await Runs.CreateAsync("workflows", type, Runs.Task("a", "quick"));
        var waiting = await Runs.CreateAsync("workflows", type, Runs.Task("a", "gate"));
        var otherType = await Runs.CreateAsync("workflows", type + "-other", Runs.Task("a", "quick"));
        var otherFamily = await Runs.CreateAsync("formicary", type, Runs.Task("a", "quick"));
        await Host.Client.WaitForRunAsync(Org.DefaultId, done);
        await Host.Client.WaitForRunAsync(Org.DefaultId, otherFamily);
        await SignInAsync();
        await Page.GotoAsync("/dashboard/runs");

        await Page.SelectOptionAsync("#filter-family", "workflows");
        await Page.SelectOptionAsync("#filter-status", "completed");
        await Page.FillAsync("#filter-type", type);
        await Page.ClickAsync("form.filters button[type=submit]");

        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("1 run");
        await Assertions.Expect(Page.Locator($"tr[data-run='{done}']")).ToHaveCountAsync(1);
        await Assertions.Expect(Page.Locator($"tr[data-run='{waiting}']")).ToHaveCountAsync(0);
        await Assertions.Expect(Page.Locator($"tr[data-run='{otherType}']")).ToHaveCountAsync(0);
        await Assertions.Expect(Page.Locator($"tr[data-run='{otherFamily}']")).ToHaveCountAsync(0);
        Assert.That(Page.Url, Does.Contain("status=completed").And.Contain("family=workflows"), "the filters are in the address, so a filtered list can be shared");
        Host.Open(waiting);
    }

    [Test]
    public async Task Filters_TimeRangeEndingBeforeTheRuns_ListsNone()
    {
        var type = "range-" + Guid.NewGuid().ToString("N")[..8];
        await Runs.CreateAsync("workflows", type, Runs.Task("a", "quick"));
        await SignInAsync();

        await Page.GotoAsync($"/dashboard/runs?type={type}&to=2020-01-01T00:00");
        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("0 runs");
        await Page.GotoAsync($"/dashboard/runs?type={type}&from=2020-01-01T00:00");
        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("1 run");
    }

    [Test]
    public async Task Filters_BadStatus_400NamingTheParameter()
    {
        await SignInAsync();

        var response = await Page.GotoAsync("/dashboard/runs?status=sideways");

        Assert.That(response!.Status, Is.EqualTo(400));
        Assert.That(await response.TextAsync(), Does.Contain("\"error\"").And.Contain("status"));
    }

    [Test]
    public async Task RunsList_KeyReadingOneFamily_SeesOnlyThatFamilysRuns()
    {
        var type = "scoped-" + Guid.NewGuid().ToString("N")[..8];
        var workflow = await Runs.CreateAsync("workflows", type, Runs.Task("a", "quick"));
        var formicary = await Runs.CreateAsync("formicary", type, Runs.Task("a", "quick"));
        var (_, key) = await Host.CreateKeyAsync("workflows:read");
        await SignInAsync(key);

        await Page.GotoAsync($"/dashboard/runs?type={type}");

        await Assertions.Expect(Page.Locator($"tr[data-run='{workflow}']")).ToHaveCountAsync(1);
        await Assertions.Expect(Page.Locator($"tr[data-run='{formicary}']")).ToHaveCountAsync(0);
        var other = await Page.GotoAsync($"/dashboard/runs/{formicary}");
        Assert.That(other!.Status, Is.EqualTo(404), "another family's run is not found, as over its API");
    }
}
