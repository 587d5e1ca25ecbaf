using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;

namespace Orchestration.Dashboard.Tests;

public sealed class BulkActionTests : BrowserTest
{
    [Test]
    public async Task BulkCancel_RunningRunsOfOneType_ConfirmationCountsThemAndOnlyThoseAreCancelled()
    {
        var type = "bulk-" + Guid.NewGuid().ToString("N")[..8];
        var first = await Runs.CreateAsync("workflows", type, Runs.Task("wait", "gate"));
        var second = await Runs.CreateAsync("workflows", type, Runs.Task("wait", "gate"));
        var otherType = await Runs.CreateAsync("workflows", type + "-keep", Runs.Task("wait", "gate"));
        await Runs.WaitForTaskAsync(first, "wait", TaskRunStatus.Running);
        await Runs.WaitForTaskAsync(second, "wait", TaskRunStatus.Running);
        await Runs.WaitForTaskAsync(otherType, "wait", TaskRunStatus.Running);
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs?family=workflows&status=running&type={type}");
        string? confirmation = null;
        Page.Dialog += (_, dialog) => confirmation = dialog.Message;

        await Page.ClickAsync(".bulk button");

        await Assertions.Expect(Page.Locator("#bulk-result")).ToHaveTextAsync("Cancelled 2 of 2 matching runs.");
        Assert.That(confirmation, Is.EqualTo("Cancel 2 runs matching these filters?"));
        foreach (var id in new[] { first, second })
            Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, id, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, otherType, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Running));
        Host.Open(otherType);
    }

    [Test]
    public async Task BulkCancel_KeyWithoutCancelPermission_NoBulkButtonAndPostRefused403()
    {
        var type = "bulk-ro-" + Guid.NewGuid().ToString("N")[..8];
        var run = await Runs.CreateAsync("workflows", type, Runs.Task("wait", "gate"));
        await Runs.WaitForTaskAsync(run, "wait", TaskRunStatus.Running);
        var (_, key) = await Host.CreateKeyAsync("workflows:read");
        await SignInAsync(key);
        await Page.GotoAsync($"/dashboard/runs?family=workflows&status=running&type={type}");
        await Assertions.Expect(Page.Locator(".bulk button")).ToHaveCountAsync(0);
        var csrf = await Page.Locator("input[name=_csrf]").First.InputValueAsync();

        var response = await Page.APIRequest.PostAsync("/dashboard/runs/bulk", new APIRequestContextOptions
        {
            Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf).Set("action", "cancel").Set("family", "workflows").Set("status", "running").Set("type", type),
            MaxRedirects = 0,
        });

        Assert.That(response.Status, Is.EqualTo(403));
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, run, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Running));
        Host.Open(run);
    }
}
