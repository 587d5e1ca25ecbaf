using Microsoft.Playwright;
using Orchestration.Dashboard.Tests.Infrastructure;
using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Dashboard.Tests;

public sealed class RunSearchTests : BrowserTest
{
    private static async Task<Guid> CreateWithInputAsync(string type, string customer, string taskType = "quick") =>
        (await Host.Client.CreateRunAsync(new RunSpec
        {
            OrgId = Org.DefaultId, Family = "workflows", Name = type,
            Tasks = [new TaskSpec { Name = "a", Type = taskType, InputJson = "{\"customer\":\"" + customer + "\"}" }],
        })).Run.Id;

    [Test]
    public async Task Filters_TagKeyAndInput_ListOnlyRunsCarryingThem()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var acme = await CreateWithInputAsync("search", "acme-" + marker);
        var globex = await CreateWithInputAsync("search", "globex-" + marker);
        await Host.Client.PutRunDataAsync(Org.DefaultId, globex, new RunDataSpec { Key = "report-" + marker, ValueJson = "1", Tags = ["release-" + marker] });
        await SignInAsync();
        await Page.GotoAsync("/dashboard/runs");

        await Page.FillAsync("#filter-input", "customer=acme-" + marker);
        await Page.ClickAsync("form.filters button[type=submit]");
        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("1 run");
        await Assertions.Expect(Page.Locator($"tr[data-run='{acme}']")).ToHaveCountAsync(1);

        await Page.GotoAsync($"/dashboard/runs?tag=release-{marker}");
        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("1 run");
        await Assertions.Expect(Page.Locator($"tr[data-run='{globex}']")).ToHaveCountAsync(1);
        await Assertions.Expect(Page.Locator("#filter-tag")).ToHaveValueAsync("release-" + marker);

        await Page.GotoAsync($"/dashboard/runs?key=report-{marker}&input=customer%3Dacme-{marker}");
        await Assertions.Expect(Page.Locator("#run-count")).ToHaveTextAsync("0 runs");
    }

    [Test]
    public async Task Filters_InputWithoutField_400NamingInput()
    {
        await SignInAsync();

        var response = await Page.GotoAsync("/dashboard/runs?input=acme");

        Assert.That(response!.Status, Is.EqualTo(400));
        Assert.That(await response.TextAsync(), Does.Contain("\"error\"").And.Contain("input"));
    }

    [Test]
    public async Task Filters_UndeclaredInputField_400NamingItAndTheDeclaredOnes()
    {
        await SignInAsync();

        var response = await Page.GotoAsync("/dashboard/runs?input=region%3Deu");

        Assert.That(response!.Status, Is.EqualTo(400));
        using var body = System.Text.Json.JsonDocument.Parse(await response.TextAsync());
        Assert.That(body.RootElement.GetProperty("error").GetString(), Does.Contain("field 'region' is not searchable").And.Contain("declared input fields: customer"));
    }

    [Test]
    public async Task BulkCancel_ByInputValue_CancelsOnlyRunsWithThatInput()
    {
        var marker = Guid.NewGuid().ToString("N")[..8];
        var match = await CreateWithInputAsync("bulk-search", "acme-" + marker, "gate");
        var other = await CreateWithInputAsync("bulk-search", "globex-" + marker, "gate");
        await Runs.WaitForTaskAsync(match, "a", TaskRunStatus.Running);
        await Runs.WaitForTaskAsync(other, "a", TaskRunStatus.Running);
        await SignInAsync();
        await Page.GotoAsync($"/dashboard/runs?family=workflows&status=running&input=customer%3Dacme-{marker}");

        await Page.ClickAsync(".bulk button");

        await Assertions.Expect(Page.Locator("#bulk-result")).ToHaveTextAsync("Cancelled 1 of 1 matching runs.");
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, match, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Cancelled));
        Assert.That((await Host.Client.Queries.GetRunAsync(Org.DefaultId, other, CancellationToken.None))!.Status, Is.EqualTo(RunStatus.Running));
        Host.Open(other);
    }
}
