using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Orchestration.Domain;
using Orchestration.Storage;

namespace Orchestration.Dashboard.Tests;

public sealed class DefinitionTests : BrowserTest
{
    [Test]
    public async Task DisableThenEnable_Definition_StoredFlagFollowsTheButtons()
    {
        var name = "nightly-" + Guid.NewGuid().ToString("N")[..8];
        var store = Host.Services.GetRequiredService<IDefinitionStore>();
        await store.SaveDefinitionAsync(new SaveDefinitionParams
        {
            Id = Guid.NewGuid().ToString("N"), OrgId = Org.DefaultId, Name = name, DocumentJson = "{\"job_type\":\"" + name + "\",\"tasks\":[]}", CreatedAt = DateTimeOffset.UtcNow,
        }, CancellationToken.None);
        await SignInAsync();
        await Page.GotoAsync("/dashboard/definitions");
        var cell = Page.Locator($"td[data-definition='{name}']");

        await cell.Locator("button:has-text('Disable')").ClickAsync();
        await Assertions.Expect(cell.Locator("button")).ToHaveTextAsync("Enable");
        var disabled = (await store.GetDefinitionByNameAsync(Org.DefaultId, name, null, CancellationToken.None))!.Disabled;
        await cell.Locator("button:has-text('Enable')").ClickAsync();
        await Assertions.Expect(cell.Locator("button")).ToHaveTextAsync("Disable");

        Assert.That(disabled, Is.True);
        Assert.That((await store.GetDefinitionByNameAsync(Org.DefaultId, name, null, CancellationToken.None))!.Disabled, Is.False);
    }
}
