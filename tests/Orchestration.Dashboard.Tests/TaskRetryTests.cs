using System.Net;
using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;

namespace Orchestration.Dashboard.Tests;

public sealed class TaskRetryTests : BrowserTest
{
    private ILocator Node(string task) => Page.Locator($"svg.dag g[data-task='{task}']");

    private ILocator RetryButton(string task) => Page.Locator($"details.task[data-task='{task}'] button:has-text('Retry task')");

    [Test]
    public async Task RetryTask_FailedTaskOfFailedRun_TaskAndRunTurnCompletedLive()
    {
        var run = await Runs.CreateAsync("formicary", "flaky-build", Runs.Task("build", "flaky"), Runs.Task("ship", "quick", "build"));
        await Runs.WaitForTaskAsync(run, "build", TaskRunStatus.Failed);
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Page.Locator("#run-status")).ToHaveTextAsync("failed");
        await Assertions.Expect(Node("ship")).ToHaveAttributeAsync("data-status", "skipped");
        await Assertions.Expect(RetryButton("ship")).ToHaveCountAsync(0);

        await RetryButton("build").ClickAsync();

        await Assertions.Expect(Node("build")).ToHaveAttributeAsync("data-status", "completed");
        await Assertions.Expect(Node("ship")).ToHaveAttributeAsync("data-status", "completed");
        await Assertions.Expect(Page.Locator("#run-status")).ToHaveTextAsync("completed");
        await Assertions.Expect(RetryButton("build")).ToHaveCountAsync(0);
        var build = (await Host.Client.Queries.GetRunTasksAsync(Org.DefaultId, run, CancellationToken.None)).Single(t => t.Name == "build");
        Assert.That(await Host.Client.Queries.GetAttemptsAsync(Org.DefaultId, build.Id, CancellationToken.None), Has.Count.EqualTo(2), "the failed attempt stays as history");

        var csrf = await Page.Locator("input[name=_csrf]").First.InputValueAsync();
        var again = await Page.APIRequest.PostAsync($"/dashboard/runs/{run}/tasks/{build.Id}/retry",
            new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf), MaxRedirects = 0 });
        Assert.That(again.Status, Is.EqualTo((int)HttpStatusCode.Conflict), "a completed task is not retried");
        Assert.That(await again.TextAsync(), Does.Contain("\"error\"").And.Contain("it is completed, and only a failed task can be retried"));
    }

    [Test]
    public async Task RetryTask_KeyWithoutTheFamilysRestartPermission_NoButtonAndPostRefused403()
    {
        var run = await Runs.CreateAsync("formicary", "flaky-read-only", Runs.Task("build", "flaky"));
        await Runs.WaitForTaskAsync(run, "build", TaskRunStatus.Failed);
        var (_, key) = await Host.CreateKeyAsync("JobRequest:View");
        await SignInAsync(key);

        await Page.GotoAsync($"/dashboard/runs/{run}");
        await Assertions.Expect(Node("build")).ToHaveAttributeAsync("data-status", "failed");
        await Assertions.Expect(RetryButton("build")).ToHaveCountAsync(0);
        var build = (await Host.Client.Queries.GetRunTasksAsync(Org.DefaultId, run, CancellationToken.None)).Single();
        var csrf = await Page.Locator("input[name=_csrf]").First.InputValueAsync();
        var response = await Page.APIRequest.PostAsync($"/dashboard/runs/{run}/tasks/{build.Id}/retry",
            new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf), MaxRedirects = 0 });

        Assert.That(response.Status, Is.EqualTo((int)HttpStatusCode.Forbidden));
        Assert.That(await response.TextAsync(), Does.Contain("\"error\"").And.Contain("JobRequest:Restart"));
        Assert.That((await Host.Client.Queries.GetTaskAsync(Org.DefaultId, build.Id, CancellationToken.None))!.Status, Is.EqualTo(TaskRunStatus.Failed));
    }
}
