using System.Net;
using System.Text.Json.Nodes;
using Orchestration.Http.Tests.Infrastructure;

namespace Orchestration.Http.Tests.Formicary;

/// <summary><c>/api/jobs/definitions</c>: saving from JSON and YAML, versions, lookups, list envelope, delete, disable and enable.</summary>
public sealed class FormicaryDefinitionsTests(ApiBackend backend) : FormicaryFixture(backend)
{
    /// <summary>Shaped like Formicary's own documentation examples: a chain with artifacts, containers, variables and cleanup tasks.</summary>
    public const string DocsStyleYaml = """
        job_type: shell-build
        max_concurrency: 1
        tasks:
        - task_type: init
          method: SHELL
          script:
            - pwd
          artifacts:
            paths:
              - env.txt
          container:
            image: alpine
          on_completed: checkout
        - task_type: checkout
          method: SHELL
          script:
            - git checkout {{ .repo }}
          variables:
            repo: https://example.com/project.git
          on_completed: test
        - task_type: test
          method: SHELL
          allow_failure: true
          on_completed: notify
          script:
            - make test
        - task_type: notify
          method: SHELL
          always_run: true
          script:
            - echo notify
        """;

    /// <summary>A seed-style job: parameters in task fields, a timeout, retries and tags.</summary>
    public const string SeedStyleYaml = """
        # comments survive in raw_yaml
        job_type: greet
        description: "Greets someone"
        platform: linux
        tags: [demo, greeting]
        timeout: 5m
        retry: 2
        delay_between_retries: 10s
        tasks:
          - task_type: hello
            method: PROBE
            description: 'says {{.Greeting}}'
            on_completed: bye
          - task_type: bye
            method: PROBE
            timeout: 30s
            retry: 0
        """;

    [Test]
    public async Task SaveDefinition_NewJobTypeAsJson_201WithVersionOneAndEveryFieldKept()
    {
        var (_, client) = await NewTenantAsync();

        var saved = await SaveAsync(client, new
        {
            job_type = "etl", description = "nightly", platform = "linux", tags = new[] { "a", "b" }, timeout = "1h",
            tasks = new object[] { new { task_type = "extract", method = "PROBE", container = new { image = "alpine" } } },
        });

        Assert.That(Guid.TryParse(saved.Str("id"), out _), Is.True);
        Assert.That(saved["version"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(saved.Str("job_type"), Is.EqualTo("etl"));
        Assert.That(saved["disabled"]!.GetValue<bool>(), Is.False);
        Assert.That(saved["tags"]!.AsArray().Select(t => t!.GetValue<string>()), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(saved["tasks"]![0]!["container"]!.Str("image"), Is.EqualTo("alpine"), "fields the engine does not read are kept");
        Assert.That(saved["raw_yaml"], Is.Null);
        Assert.That(saved["created_at"], Is.Not.Null);
    }

    [Test]
    public async Task SaveDefinition_SameJobTypeAgain_200WithNextVersionAndOldVersionStillReadable()
    {
        var (_, client) = await NewTenantAsync();
        var first = await SaveAsync(client, ProbeJob("build", "compile"));

        var second = await SaveAsync(client, ProbeJob("build", "compile", "package"), HttpStatusCode.OK);

        Assert.That(second["version"]!.GetValue<int>(), Is.EqualTo(2));
        var (_, latest, _) = await client.GetJsonAsync("/api/jobs/definitions/build");
        Assert.That(latest.Str("id"), Is.EqualTo(second.Str("id")), "by job_type: the latest version");
        var (_, old, _) = await client.GetJsonAsync($"/api/jobs/definitions/{first.Str("id")}");
        Assert.That(old!["version"]!.GetValue<int>(), Is.EqualTo(1));
        Assert.That(old["tasks"]!.AsArray(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task SaveDefinition_DocsStyleYaml_RawYamlKeptVerbatimAndFieldsParsed()
    {
        var (_, client) = await NewTenantAsync();

        var (status, saved, text) = await PostYamlAsync(client, DocsStyleYaml);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), text);
        var (_, read, _) = await client.GetJsonAsync($"/api/jobs/definitions/{saved.Str("id")}");
        Assert.That(read.Str("raw_yaml"), Is.EqualTo(DocsStyleYaml));
        Assert.That(read.Str("job_type"), Is.EqualTo("shell-build"));
        Assert.That(read!["max_concurrency"]!.GetValue<int>(), Is.EqualTo(1), "plain scalars that read as numbers are numbers");
        var tasks = read["tasks"]!.AsArray();
        Assert.That(tasks.Select(t => t.Str("task_type")), Is.EqualTo(new[] { "init", "checkout", "test", "notify" }));
        Assert.That(tasks[2]!["allow_failure"]!.GetValue<bool>(), Is.True, "routing the engine has not wired yet is accepted and stored");
        Assert.That(tasks[1]!["script"]![0]!.GetValue<string>(), Is.EqualTo("git checkout {{ .repo }}"), "templates are stored unrendered");
        Assert.That(tasks[0]!["artifacts"]!["paths"]![0]!.GetValue<string>(), Is.EqualTo("env.txt"));
    }

    [Test]
    public async Task SaveDefinition_SeedStyleYaml_SameModelAsJsonWithDurationsAndTags()
    {
        var (_, client) = await NewTenantAsync();

        var (status, saved, text) = await PostYamlAsync(client, SeedStyleYaml);

        Assert.That(status, Is.EqualTo(HttpStatusCode.Created), text);
        Assert.That(saved.Str("raw_yaml"), Is.EqualTo(SeedStyleYaml));
        Assert.That(saved.Str("description"), Is.EqualTo("Greets someone"));
        Assert.That(saved.Str("timeout"), Is.EqualTo("5m"));
        Assert.That(saved!["retry"]!.GetValue<long>(), Is.EqualTo(2));
        var (_, list, _) = await client.GetJsonAsync("/api/jobs/definitions?tags=greeting&platform=linux");
        Assert.That(list!["records"]!.AsArray().Select(r => r.Str("job_type")), Is.EqualTo(new[] { "greet" }));
    }

    [TestCase("job_type: a\ntasks: &t [{task_type: x}]\nother: *t\n", "aliases")]
    [TestCase("job_type: !!binary aGVsbG8=\ntasks: [{task_type: x}]\n", "tags")]
    [TestCase("job_type: a\n<<: {x: 1}\ntasks: [{task_type: x}]\n", "merge keys")]
    [TestCase("job_type: a\ntasks: [{task_type: x}\n", "malformed YAML")]
    [TestCase("- just\n- a list\n", "must be a mapping")]
    [TestCase("job_type: a\njob_type: b\ntasks: [{task_type: x}]\n", "appears twice")]
    public async Task SaveDefinition_UnsafeOrMalformedYaml_400NamingTheProblem(string yaml, string problem)
    {
        var (_, client) = await NewTenantAsync();

        var (status, body, text) = await PostYamlAsync(client, yaml);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That(body.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task SaveDefinition_YamlNestedTooDeep_400()
    {
        var (_, client) = await NewTenantAsync();
        var yaml = "job_type: a\ntasks: [{task_type: x}]\nx: " + new string('[', 40) + new string(']', 40) + "\n";

        var (status, body, text) = await PostYamlAsync(client, yaml);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), text);
        Assert.That(body.Str("error"), Does.Contain("deeper than 32"));
    }

    [Test]
    public async Task SaveDefinition_YamlOverSizeCap_413()
    {
        var (_, client) = await NewTenantAsync();
        var yaml = "job_type: a\ntasks: [{task_type: x}]\ndescription: " + new string('x', 300 * 1024) + "\n";

        var (status, body, text) = await PostYamlAsync(client, yaml);

        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge), text);
        Assert.That(body.Str("error"), Does.Contain("at most 262144 bytes"));
    }

    [TestCase("""{"tasks":[{"task_type":"a"}]}""", "job_type is required")]
    [TestCase("""{"job_type":"j","tasks":[]}""", "tasks must list at least one task")]
    [TestCase("""{"job_type":"j","tasks":[{"task_type":"a"},{"task_type":"a"}]}""", "tasks[1].task_type")]
    [TestCase("""{"job_type":"j","tasks":[{"task_type":"a","on_completed":"nope"}]}""", "tasks[0].on_completed names no task")]
    [TestCase("""{"job_type":"j","timeout":"soon","tasks":[{"task_type":"a"}]}""", "timeout")]
    [TestCase("""{"job_type":"j","retry":-1,"tasks":[{"task_type":"a"}]}""", "retry must be an integer between 0 and 100")]
    [TestCase("""{"job_type":"j","tasks":[{"task_type":"a","script":"echo"}]}""", "tasks[0].script must be a list of strings")]
    [TestCase("""{"job_type":5,"tasks":[{"task_type":"a"}]}""", "job_type must be a string")]
    public async Task SaveDefinition_InvalidJson_400NamingTheField(string body, string problem)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.PostJsonAsync("/api/jobs/definitions", body);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest), error?.ToJsonString());
        Assert.That(error.Str("error"), Does.Contain(problem));
    }

    [Test]
    public async Task ListDefinitions_FiltersAndPages_FormicaryEnvelopeWithLatestVersions()
    {
        var (_, client) = await NewTenantAsync();
        foreach (var name in new[] { "c", "a", "b" }) await SaveAsync(client, ProbeJob(name, "t"));
        await SaveAsync(client, ProbeJob("a", "t", "u"), HttpStatusCode.OK);

        var (status, page, _) = await client.GetJsonAsync("/api/jobs/definitions?page=1&page_size=2");
        var (_, byType, _) = await client.GetJsonAsync("/api/jobs/definitions?job_type=a");
        var (_, formicaryName, _) = await client.GetJsonAsync("/api/jobs/definitions?pageSize=1");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(page!["records"]!.AsArray().Select(r => r.Str("job_type")), Is.EqualTo(new[] { "c" }), "page counts from 0, ordered by job_type");
        Assert.That((page["total_records"]!.GetValue<int>(), page["page"]!.GetValue<int>(), page["page_size"]!.GetValue<int>(), page["total_pages"]!.GetValue<int>()),
            Is.EqualTo((3, 1, 2, 2)));
        var a = byType!["records"]!.AsArray().Single();
        Assert.That(a!["version"]!.GetValue<int>(), Is.EqualTo(2));
        Assert.That(formicaryName!["page_size"]!.GetValue<int>(), Is.EqualTo(1), "Formicary's own pageSize is read too");
    }

    [TestCase("page=-1", "page")]
    [TestCase("page=x", "page")]
    [TestCase("page_size=0", "page_size")]
    public async Task ListDefinitions_BadPaging_400NamingTheParameter(string query, string field)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.GetJsonAsync("/api/jobs/definitions?" + query);

        Assert.That(status, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(error.Str("error"), Does.Contain(field));
    }

    [Test]
    public async Task ListDefinitions_PageSizeOverCap_ClampedTo100()
    {
        var (_, client) = await NewTenantAsync();

        var (_, page, _) = await client.GetJsonAsync("/api/jobs/definitions?page_size=5000");

        Assert.That(page!["page_size"]!.GetValue<int>(), Is.EqualTo(100));
        Assert.That(page["total_pages"]!.GetValue<int>(), Is.Zero);
    }

    [Test]
    public async Task DeleteDefinition_ById_200EmptyAndEveryVersionGone()
    {
        var (_, client) = await NewTenantAsync();
        var first = await SaveAsync(client, ProbeJob("gone", "t"));
        var second = await SaveAsync(client, ProbeJob("gone", "t"), HttpStatusCode.OK);

        var (status, _, response) = await client.DeleteJsonAsync($"/api/jobs/definitions/{second.Str("id")}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.Empty);
        var (oldVersion, _, _) = await client.GetJsonAsync($"/api/jobs/definitions/{first.Str("id")}");
        var (again, error, _) = await client.DeleteJsonAsync($"/api/jobs/definitions/{second.Str("id")}");
        Assert.That((oldVersion, again), Is.EqualTo((HttpStatusCode.NotFound, HttpStatusCode.NotFound)));
        Assert.That(error.Str("error"), Is.EqualTo("Job definition not found"));
    }

    [Test]
    public async Task DisableDefinition_ThenSubmit_409UntilEnabled()
    {
        var (_, client) = await NewTenantAsync();
        var saved = await SaveAsync(client, ProbeJob("switch", "t"));

        var (disable, _, disableResponse) = await client.SendAsync(HttpMethod.Post, $"/api/jobs/definitions/{saved.Str("id")}/disable");
        var (refused, error, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "switch" });
        var (_, read, _) = await client.GetJsonAsync("/api/jobs/definitions/switch");
        var (enable, _, _) = await client.SendAsync(HttpMethod.Post, "/api/jobs/definitions/switch/enable");
        var (accepted, _, _) = await client.PostJsonAsync("/api/jobs/requests", new { job_type = "switch" });

        Assert.That(disable, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await disableResponse.Content.ReadAsStringAsync(), Is.Empty);
        Assert.That(refused, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(error.Str("error"), Does.Contain("'switch' is disabled"));
        Assert.That(read!["disabled"]!.GetValue<bool>(), Is.True);
        Assert.That((enable, accepted), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.Created)));
    }

    [TestCase("GET", "")]
    [TestCase("DELETE", "")]
    [TestCase("POST", "/disable")]
    [TestCase("POST", "/enable")]
    public async Task DefinitionPaths_UnknownIdOrJobType_404(string method, string suffix)
    {
        var (_, client) = await NewTenantAsync();

        var (status, error, _) = await client.SendAsync(new HttpMethod(method), $"/api/jobs/definitions/{Guid.NewGuid()}{suffix}");

        Assert.That(status, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(error.Str("error"), Is.EqualTo("Job definition not found"));
    }

    [Test]
    public async Task DefinitionPaths_AnotherOrgsDefinition_404AndNotListed()
    {
        var (_, owner) = await NewTenantAsync();
        var (_, other) = await NewTenantAsync();
        var saved = await SaveAsync(owner, ProbeJob("private", "t"));
        var id = saved.Str("id");

        var (get, _, _) = await other.GetJsonAsync($"/api/jobs/definitions/{id}");
        var (byType, _, _) = await other.GetJsonAsync("/api/jobs/definitions/private");
        var (disable, _, _) = await other.SendAsync(HttpMethod.Post, $"/api/jobs/definitions/{id}/disable");
        var (delete, _, _) = await other.DeleteJsonAsync($"/api/jobs/definitions/{id}");
        var (submit, _, _) = await other.PostJsonAsync("/api/jobs/requests", new { job_type = "private" });
        var (_, list, _) = await other.GetJsonAsync("/api/jobs/definitions");

        Assert.That(new[] { get, byType, disable, delete, submit }, Is.All.EqualTo(HttpStatusCode.NotFound));
        Assert.That(list!["total_records"]!.GetValue<int>(), Is.Zero);
        var (_, mine, _) = await owner.GetJsonAsync($"/api/jobs/definitions/{id}");
        Assert.That(mine!["disabled"]!.GetValue<bool>(), Is.False);
    }

    [Test]
    public async Task DefinitionPaths_KeyWithoutThePermission_403()
    {
        var (orgId, client) = await NewTenantAsync();
        var saved = await SaveAsync(client, ProbeJob("guarded", "t"));
        var viewer = await KeyAsync(orgId, ["JobDefinition:View", "JobDefinition:Query"]);

        var (create, _, _) = await viewer.PostJsonAsync("/api/jobs/definitions", ProbeJob("x", "t"));
        var (delete, _, _) = await viewer.DeleteJsonAsync($"/api/jobs/definitions/{saved.Str("id")}");
        var (disable, _, _) = await viewer.SendAsync(HttpMethod.Post, $"/api/jobs/definitions/{saved.Str("id")}/disable");
        var (enable, error, _) = await viewer.SendAsync(HttpMethod.Post, $"/api/jobs/definitions/{saved.Str("id")}/enable");
        var (get, _, _) = await viewer.GetJsonAsync($"/api/jobs/definitions/{saved.Str("id")}");
        var (list, _, _) = await viewer.GetJsonAsync("/api/jobs/definitions");

        Assert.That(new[] { create, delete, disable, enable }, Is.All.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(error.Str("error"), Does.Contain("JobDefinition:Enable"));
        Assert.That((get, list), Is.EqualTo((HttpStatusCode.OK, HttpStatusCode.OK)));
    }

    [Test]
    public async Task DefinitionPaths_FamilyWildcard_GrantsEveryDefinitionAction()
    {
        var (orgId, _) = await NewTenantAsync();
        var key = await KeyAsync(orgId, ["JobDefinition:*"]);

        var saved = await SaveAsync(key, ProbeJob("wild", "t"));
        var (disable, _, _) = await key.SendAsync(HttpMethod.Post, $"/api/jobs/definitions/{saved.Str("id")}/disable");
        var (submit, _, _) = await key.PostJsonAsync("/api/jobs/requests", new { job_type = "wild" });

        Assert.That(disable, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(submit, Is.EqualTo(HttpStatusCode.Forbidden), "JobDefinition:* grants nothing of JobRequest");
    }
}
