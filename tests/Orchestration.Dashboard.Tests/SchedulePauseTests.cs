using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Dashboard.Tests;

public sealed class SchedulePauseTests : BrowserTest
{
    private static async Task<(IScheduleClient Schedules, string Name)> CreateWorkflowScheduleAsync()
    {
        var name = "hourly-" + Guid.NewGuid().ToString("N")[..8];
        var schedules = Host.Services.GetRequiredService<IScheduleClient>();
        await schedules.UpsertScheduleAsync(new ScheduleSpec
        {
            Family = "workflows", Name = name, Cron = "0 * * * *",
            Run = new RunSpec { Family = "workflows", Name = name, Tasks = [new TaskSpec { Name = "a", Type = "quick" }] },
        });
        return (schedules, name);
    }

    [Test]
    public async Task PauseThenResume_ScheduleWithoutDefinition_StoredStateFollowsTheButtons()
    {
        var (schedules, name) = await CreateWorkflowScheduleAsync();
        await SignInAsync();
        await Page.GotoAsync("/dashboard/definitions");
        var cell = Page.Locator($"td[data-schedule='workflows/{name}']");

        await cell.Locator("button:has-text('Pause')").ClickAsync();
        await Assertions.Expect(cell.Locator("button")).ToHaveTextAsync("Resume");
        var paused = (await schedules.GetScheduleAsync(Org.DefaultId, "workflows", name))!.Paused;
        await cell.Locator("button:has-text('Resume')").ClickAsync();
        await Assertions.Expect(cell.Locator("button")).ToHaveTextAsync("Pause");

        Assert.That(paused, Is.True);
        Assert.That((await schedules.GetScheduleAsync(Org.DefaultId, "workflows", name))!.Paused, Is.False);
    }

    [Test]
    public async Task Pause_KeyWithoutWritePermission_NoButtonAndPostRefused403()
    {
        var (schedules, name) = await CreateWorkflowScheduleAsync();
        var (_, key) = await Host.CreateKeyAsync("workflows:read");
        await SignInAsync(key);
        await Page.GotoAsync("/dashboard/definitions");
        await Assertions.Expect(Page.Locator($"td[data-schedule='workflows/{name}'] button")).ToHaveCountAsync(0);
        var csrf = await Page.Locator("input[name=_csrf]").First.InputValueAsync();

        var refused = await Page.APIRequest.PostAsync($"/dashboard/schedules/workflows/{name}/pause",
            new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf), MaxRedirects = 0 });
        var unknown = await Page.APIRequest.PostAsync("/dashboard/schedules/workflows/absent/pause",
            new APIRequestContextOptions { Form = Context.APIRequest.CreateFormData().Set("_csrf", csrf), MaxRedirects = 0 });
        var noToken = await Page.APIRequest.PostAsync($"/dashboard/schedules/workflows/{name}/pause", new APIRequestContextOptions { MaxRedirects = 0 });

        Assert.That(refused.Status, Is.EqualTo(403));
        Assert.That(await refused.TextAsync(), Does.Contain("workflows:write"));
        Assert.That(unknown.Status, Is.EqualTo(403), "the permission is checked before the schedule is looked up");
        Assert.That(noToken.Status, Is.EqualTo(403), "no CSRF token");
        Assert.That((await schedules.GetScheduleAsync(Org.DefaultId, "workflows", name))!.Paused, Is.False);
    }
}
