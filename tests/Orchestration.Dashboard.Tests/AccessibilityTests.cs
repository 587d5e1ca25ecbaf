using Deque.AxeCore.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;

namespace Orchestration.Dashboard.Tests;

public sealed class AccessibilityTests : BrowserTest
{
    [Test]
    public async Task Axe_EveryPage_NoSeriousOrCriticalViolations()
    {
        var run = await Runs.CreateAsync("formicary", "a11y", Runs.Task("build", "quick"), Runs.Task("sign-off", "approval", "build"));
        await Runs.WaitForTaskAsync(run, "sign-off", TaskRunStatus.AwaitingApproval);
        await Page.GotoAsync("/dashboard/sign-in");
        var problems = new List<string>();
        await CheckAsync("sign-in", problems);
        await SignInAsync();
        foreach (var path in new[] { "/dashboard/", "/dashboard/runs", $"/dashboard/runs/{run}" })
        {
            await Page.GotoAsync(path);
            await CheckAsync(path, problems);
        }

        Assert.That(problems, Is.Empty);
    }

    private async Task CheckAsync(string page, List<string> problems)
    {
        var result = await Page.RunAxe();
        problems.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{page}: {v.Id} ({v.Impact}) {v.Help} at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}"));
    }
}
