using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Hosting;
using Orchestration.Storage;

namespace Orchestration.Core.Tests.Execution;

public sealed class SearchIndexServiceTests
{
    [Test]
    public async Task StartAsync_SearchableInputFieldsSet_StoreFindsDeclaredFieldAndRefusesOthers()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddOrchestration(o =>
        {
            o.UseInMemory();
            o.SearchableInputFields = ["customer", "customer"];
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IOrchestrationClient>();
        var run = (await client.CreateRunAsync(new RunSpec { OrgId = Org.DefaultId, InputJson = """{"customer":"acme","region":"eu"}""", Tasks = [new TaskSpec { Type = "t" }] })).Run.Id;
        var service = provider.GetServices<IHostedService>().OfType<SearchIndexService>().Single();

        await service.StartAsync(CancellationToken.None);
        await service.ExecuteTask!;

        var queries = provider.GetRequiredService<IOrchestrationQueries>();
        var found = await queries.ListRunsAsync(new RunQuery { OrgId = Org.DefaultId, InputField = "customer", InputValue = "acme" }, CancellationToken.None);
        Assert.That(found.Items.Select(r => r.Id), Is.EqualTo(new[] { run }));
        var refused = Assert.ThrowsAsync<UndeclaredSearchFieldException>(() =>
            queries.ListRunsAsync(new RunQuery { OrgId = Org.DefaultId, InputField = "region", InputValue = "eu" }, CancellationToken.None));
        Assert.That(refused!.Declared, Is.EqualTo(new[] { "customer" }), "a field listed twice is declared once");
        await service.StopAsync(CancellationToken.None);
    }

    [Test]
    public void AddOrchestration_SearchableInputFieldWithADot_ThrowsNamingIt()
    {
        var services = new ServiceCollection();

        var error = Assert.Throws<InvalidOperationException>(() => services.AddOrchestration(o =>
        {
            o.UseInMemory();
            o.SearchableInputFields = ["customer.id"];
        }));

        Assert.That(error!.Message, Does.Contain("'customer.id'"));
    }
}
