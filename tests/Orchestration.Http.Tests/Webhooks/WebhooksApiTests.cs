using System.Net;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Webhooks;

public sealed class WebhooksApiTests(ApiBackend backend) : ApiFixture(backend)
{
    protected override IReadOnlyDictionary<string, string?>? Settings => new Dictionary<string, string?>
    {
        ["Orchestration:WebhookDelivery:MaxEndpointsPerOrg"] = "2",
        ["Orchestration:WebhookDelivery:MaxEventsPerEndpoint"] = "3",
    };

    [Test]
    public async Task CreateWebhook_ValidBody_201WithSecretOnlyInTheCreateAnswer()
    {
        var tenant = await NewTenantAsync();

        var (status, created, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks",
            new { url = "https://example.com/hook", events = new[] { "workflow.completed", "workflow.failed" }, secret = "webhook_secret" });
        var (_, list, _) = await tenant.Client.GetJsonAsync("/api/v1/webhooks");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), created?.ToJsonString());
        Assert.That(created.Str("secret"), Is.EqualTo("webhook_secret"));
        Assert.That(created.Str("id"), Does.StartWith("wh_"));
        var listed = list!["webhooks"]!.AsArray().Single();
        Assert.That(listed.Str("id"), Is.EqualTo(created.Str("id")));
        Assert.That(listed!["events"]!.AsArray().Select(e => e!.GetValue<string>()), Is.EqualTo(new[] { "workflow.completed", "workflow.failed" }));
        Assert.That(listed.AsObject().ContainsKey("secret"), Is.False, "the secret is never returned after creation");
    }

    [Test]
    public async Task CreateWebhook_NoSecret_GeneratesStandardWebhooksSecret()
    {
        var tenant = await NewTenantAsync();

        var (status, created, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/hook", events = new[] { "*" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created));
        Assert.That(created.Str("secret"), Does.StartWith("whsec_"));
    }

    [TestCase("ftp://example.com/x", "url must be an absolute http or https URL")]
    [TestCase("http://127.0.0.1/x", "url targets a loopback address")]
    [TestCase("http://169.254.169.254/latest", "url targets a link-local or metadata address")]
    [TestCase("http://[fd00::1]/x", "url targets a unique-local (private) address")]
    public async Task CreateWebhook_RefusedUrl_400NamingIt(string url, string problem)
    {
        var tenant = await NewTenantAsync();

        var (status, error, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url, events = new[] { "workflow.completed" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task CreateWebhook_BadEventsOrSecret_400NamingTheField()
    {
        var tenant = await NewTenantAsync();

        var (_, none, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/x", events = Array.Empty<string>() });
        var (_, unknown, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/x", events = new[] { "workflow.exploded" } });
        var (_, many, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/x", events = new[] { "task.started", "task.failed", "task.completed", "task.retrying" } });
        var (_, secret, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/x", events = new[] { "task.failed" }, secret = "whsec_%%%" });

        Assert.That(none.Str("error"), Does.Contain("events must list at least one event"));
        Assert.That(unknown.Str("error"), Does.Contain("events unknown event 'workflow.exploded'"));
        Assert.That(many.Str("error"), Does.Contain("events must list at most 3 events"));
        Assert.That(secret.Str("error"), Does.Contain("secret must be base64 after whsec_"));
    }

    [Test]
    public async Task CreateWebhook_OrgAtItsCap_409NamingTheCap()
    {
        var tenant = await NewTenantAsync();
        for (var i = 0; i < 2; i++) await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = $"https://example.com/{i}", events = new[] { "*" } });

        var (status, error, _) = await tenant.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/3", events = new[] { "*" } });

        Assert.That(status, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Does.Contain("MaxEndpointsPerOrg"));
    }

    [Test]
    public async Task DeleteAndDeliveries_OtherOrgsEndpoint_404()
    {
        var owner = await NewTenantAsync();
        var other = await NewTenantAsync();
        var (_, created, _) = await owner.Client.PostJsonAsync("/api/v1/webhooks", new { url = "https://example.com/x", events = new[] { "*" } });
        var id = created.Str("id");

        var (deliveriesStatus, _, _) = await other.Client.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries");
        var (deleteStatus, _, _) = await other.Client.DeleteJsonAsync($"/api/v1/webhooks/{id}");
        var (ownDeliveries, body, _) = await owner.Client.GetJsonAsync($"/api/v1/webhooks/{id}/deliveries");
        var (ownDelete, _, _) = await owner.Client.DeleteJsonAsync($"/api/v1/webhooks/{id}");

        Assert.That(deliveriesStatus, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(deleteStatus, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(ownDeliveries, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body!["deliveries"]!.AsArray(), Is.Empty);
        Assert.That(ownDelete, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task Webhooks_KeyWithoutWebhooksPermission_403()
    {
        var tenant = await NewTenantAsync("runs:*");

        var (status, _, _) = await tenant.Client.GetJsonAsync("/api/v1/webhooks");

        Assert.That(status, Is.EqualTo(HttpStatusCode.Forbidden));
    }
}
