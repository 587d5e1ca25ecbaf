using System.Net;
using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;

namespace Orchestration.Dashboard.Tests;

public sealed class RunPageTests : BrowserTest
{
    private ILocator Node(string task) => Page.Locator($"svg.dag g[data-task='{task}']");

    [Test]
    public async Task RunPage_TaskCompletesWhileOpen_GraphNodeTurnsGreenWithoutReload()
    {
        var run = await Runs.CreateAsync("workflows", "live-graph", Runs.Task("extract", "gate"), Runs.Task("load", "quick", "extract"));
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Node("extract")).ToHaveAttributeAsync("data-status", "running");
        await Assertions.Expect(Node("load")).ToHaveAttributeAsync("data-status", "pending");
        await Assertions.Expect(Page.Locator("body")).ToHaveAttributeAsync("data-live-state", "open");
        await Page.EvaluateAsync("() => { window.notReloaded = true; }");

        Host.Open(run);

        await Assertions.Expect(Node("extract")).ToHaveAttributeAsync("data-status", "completed");
        await Assertions.Expect(Node("load")).ToHaveAttributeAsync("data-status", "completed");
        await Assertions.Expect(Node("load")).ToHaveClassAsync("node st-completed");
        await Assertions.Expect(Page.Locator("#run-status")).ToHaveTextAsync("completed");
        Assert.That(await Page.EvaluateAsync<bool>("() => window.notReloaded === true"), Is.True, "updated in place, not by a reload");
        Assert.That(await Node("load").Locator("rect").EvaluateAsync<string>("r => getComputedStyle(r).fill"), Is.EqualTo("rgb(218, 251, 225)"), "drawn green");
    }

    [Test]
    public async Task RunPage_TaskDetails_ShowInputOutputAndAttempts()
    {
        var run = await Runs.CreateAsync("workflows", "details", Runs.Task("only", "quick"));
        await Host.Client.WaitForRunAsync(Org.DefaultId, run);
        await SignInAsync();

        await Page.GotoAsync($"/dashboard/runs/{run}");
        var task = Page.Locator("details.task[data-task='only']");
        await task.Locator("summary").ClickAsync();

        await Assertions.Expect(task).ToContainTextAsync("\"step\": \"only\"");
        await Assertions.Expect(task).ToContainTextAsync("\"ok\": true");
        await Assertions.Expect(task.Locator("ol.timeline li")).ToHaveCountAsync(1);
        await Assertions.Expect(task.Locator("ol.timeline li")).ToContainTextAsync("completed");
    }

    [Test]
    public async Task Cancel_RunningRun_RunAndItsRunningTaskCancelled()
    {
        var run = await Runs.CreateAsync("workflows", "to-cancel", Runs.Task("wait", "gate"));
        await Runs.WaitForTaskAsync(run, "wait", TaskRunStatus.Running);
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs/{run}");

        await Page.ClickAsync("button:has-text('Cancel run')");

        await Assertions.Expect(Page.Locator("#run-status")).ToHaveTextAsync("cancelled");
        var stored = await Host.Client.WaitForRunAsync(Org.DefaultId, run);
        Assert.That(stored!.Status, Is.EqualTo(RunStatus.Cancelled));
        await Assertions.Expect(Page.Locator("button:has-text('Cancel run')")).ToHaveCountAsync(0);
    }

    [Test]
    public async Task Approve_TaskAwaitingApproval_TaskApprovedAndRunCompletesLive()
    {
        var run = await Runs.CreateAsync("formicary", "release", Runs.Task("build", "quick"), Runs.Task("sign-off", "approval", "build"), Runs.Task("ship", "quick", "sign-off"));
        await Runs.WaitForTaskAsync(run, "sign-off", TaskRunStatus.AwaitingApproval);
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Node("sign-off")).ToHaveAttributeAsync("data-status", "awaiting_approval");

        var task = Page.Locator("details.task[data-task='sign-off']");
        await task.Locator("input[name=comments]").FillAsync("looks good");
        await task.Locator("button[value=approve]").ClickAsync();

        await Assertions.Expect(Node("ship")).ToHaveAttributeAsync("data-status", "completed");
        await Assertions.Expect(Page.Locator("#run-status")).ToHaveTextAsync("completed");
        var signOff = (await Host.Client.Queries.GetRunTasksAsync(Org.DefaultId, run, CancellationToken.None)).Single(t => t.Name == "sign-off");
        Assert.That(signOff.Review, Is.Not.Null);
        Assert.That(signOff.Review!.Approved, Is.True);
        Assert.That(signOff.Review.Comments, Is.EqualTo("looks good"));
    }

    [Test]
    public async Task Cancel_KeyWithoutTheFamilysCancelPermission_NoButtonAndPostRefused403()
    {
        var run = await Runs.CreateAsync("workflows", "read-only", Runs.Task("wait", "gate"));
        var (_, key) = await Host.CreateKeyAsync("workflows:read");
        await SignInAsync(key);

        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Page.Locator("button:has-text('Cancel run')")).ToHaveCountAsync(0);
        var csrf = await Page.Locator("input[name=_csrf]").First.InputValueAsync();
        var response = await Page.APIRequest.PostAsync($"/dashboard/runs/{run}/cancel", new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf), MaxRedirects = 0 });

        Assert.That(response.Status, Is.EqualTo((int)HttpStatusCode.Forbidden));
        Assert.That(await response.TextAsync(), Does.Contain("\"error\"").And.Contain("workflows:write"));
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, run, CancellationToken.None))!.Status, Is.Not.EqualTo(RunStatus.Cancelled));
        Host.Open(run);
    }

    [Test]
    public async Task Cancel_WithoutCsrfToken_Refused403AndRunUntouched()
    {
        var run = await Runs.CreateAsync("workflows", "csrf", Runs.Task("wait", "gate"));
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs/{run}");

        var response = await Page.APIRequest.PostAsync($"/dashboard/runs/{run}/cancel", new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", "forged"), MaxRedirects = 0 });

        Assert.That(response.Status, Is.EqualTo((int)HttpStatusCode.Forbidden));
        Assert.That(await response.TextAsync(), Does.Contain("CSRF"));
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, run, CancellationToken.None))!.Status, Is.Not.EqualTo(RunStatus.Cancelled));
        Host.Open(run);
    }
}
