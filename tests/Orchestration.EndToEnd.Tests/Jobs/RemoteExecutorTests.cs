using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests.Jobs;

/// <summary>
/// The job queue API end to end: the sample host (SQLite) as a process, the sample executor as another process claiming over
/// HTTP with an API key, and test scripts served from 127.0.0.1.
/// </summary>
[NonParallelizable]
public sealed class RemoteExecutorTests
{
    private const string AdminKey = "e2e-jobs-bootstrap-admin-key-0123456789";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan JobDeadline = TimeSpan.FromSeconds(60);

    private TempDirectory _dir = null!;
    private BinaryServer _binaries = null!;
    private HostProcess _host = null!;
    private ExecutorProcess _executor = null!;
    private HttpClient _client = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = new TempDirectory();
        _binaries = new BinaryServer();
        _host = HostProcess.Start(new Dictionary<string, string>
        {
            ["Orchestration:Storage"] = "sqlite",
            ["ConnectionStrings:Orchestration"] = $"Data Source={Path.Combine(_dir.Path, "jobs.db")}",
            ["Orchestration:Auth:BootstrapApiKey"] = AdminKey,
            // Eight heartbeats (one a second) long: a live executor on a loaded machine keeps its job, a killed one's
            // job is reclaimed within seconds.
            ["Orchestration:Executors:HeartbeatTimeoutSeconds"] = "8",
            ["Orchestration:Maintenance:Interval"] = "00:00:00.500",
            ["Orchestration:RateLimits:PerKey:Limit"] = "100000",
        }, _dir.Path);
        await _host.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        _client = new HttpClient { BaseAddress = _host.BaseAddress };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        var executorDir = Directory.CreateDirectory(Path.Combine(_dir.Path, "executor-1")).FullName;
        _executor = ExecutorProcess.Start(_host.BaseAddress, AdminKey, "e2e-executor-1", executorDir);
    }

    [OneTimeTearDown]
    public void Stop()
    {
        _executor.Dispose();
        _client.Dispose();
        _host.Dispose();
        _binaries.Dispose();
        _dir.Dispose();
    }

    private async Task<string> SubmitAsync(string url, string sha, string[]? arguments = null, string priority = "foreground")
    {
        using var response = await _client.PostAsJsonAsync("/api/v1/jobs", new { type = "e2e", binary_url = url, binary_sha256 = sha, arguments = arguments ?? [], priority });
        var body = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), body?.ToJsonString());
        return body!["id"]!.GetValue<string>();
    }

    private async Task<JsonNode> WaitFinishedAsync(string id)
    {
        var deadline = DateTime.UtcNow + JobDeadline;
        while (true)
        {
            var job = (await _client.GetFromJsonAsync<JsonNode>($"/api/v1/jobs/{id}"))!;
            var status = job["status"]!.GetValue<string>();
            if (status is "completed" or "failed" or "cancelled") return job;
            if (DateTime.UtcNow > deadline) Assert.Fail($"job {id} still {status} after {JobDeadline}\nexecutor:\n{_executor.Output}\nhost:\n{_host.Output}");
            await Task.Delay(PollInterval);
        }
    }

    [Test]
    public async Task Executor_ScriptJob_CompletedWithStdoutAndArgumentsLiteral()
    {
        var marker = Path.Combine(_dir.Path, "injected-marker");
        var (url, sha) = _binaries.Script("echo.sh", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done");
        var id = await SubmitAsync(url, sha, ["; touch " + marker, "$(touch " + marker + ")", "`id`"]);

        var job = await WaitFinishedAsync(id);

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("completed"), job.ToJsonString());
        Assert.That(job["stdout"]!.GetValue<string>(), Is.EqualTo($"; touch {marker}\n$(touch {marker})\n`id`\n"));
        Assert.That(job["exit_code"]!.GetValue<int>(), Is.Zero);
        Assert.That(job["executor_id"]!.GetValue<string>(), Is.EqualTo("e2e-executor-1"));
        Assert.That(File.Exists(marker), Is.False, "no shell ever interpreted the arguments");
    }

    [Test]
    public async Task Executor_NonZeroExit_FailedWithStderr()
    {
        var (url, sha) = _binaries.Script("fail.sh", "echo broken >&2\nexit 3");
        var job = await WaitFinishedAsync(await SubmitAsync(url, sha));

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("failed"), job.ToJsonString());
        Assert.That(job["stderr"]!.GetValue<string>(), Does.Contain("broken"));
        Assert.That(job["exit_code"]!.GetValue<int>(), Is.EqualTo(3));
    }

    [Test]
    public async Task Executor_Sha256Mismatch_FailsAndNeverExecutes()
    {
        var marker = Path.Combine(_dir.Path, "sha-marker");
        var (url, _) = _binaries.Script("touch.sh", "touch " + marker);
        var job = await WaitFinishedAsync(await SubmitAsync(url, new string('0', 64)));

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("failed"), job.ToJsonString());
        Assert.That(job["error_message"]!.GetValue<string>(), Does.Contain("SHA-256").IgnoreCase.Or.Contain("sha256").IgnoreCase);
        Assert.That(File.Exists(marker), Is.False);
    }

    [TestCase("http://169.254.169.254/latest/meta-data")]
    [TestCase("http://10.0.0.1/binary")]
    public async Task Executor_SsrfTarget_RefusedAndFailed(string url)
    {
        var job = await WaitFinishedAsync(await SubmitAsync(url, new string('a', 64)));

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("failed"), job.ToJsonString());
        Assert.That(job["error_message"]!.GetValue<string>(), Does.Contain("refused").IgnoreCase.Or.Contain("not allowed").IgnoreCase);
    }

    [Test]
    public async Task Executor_OutputOver1MB_StoredCutTo1MB()
    {
        var (url, sha) = _binaries.Script("big.sh", "head -c 2000000 /dev/zero | tr '\\0' x");
        var job = await WaitFinishedAsync(await SubmitAsync(url, sha));

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("completed"), job.ToJsonString());
        Assert.That(job["stdout"]!.GetValue<string>(), Has.Length.EqualTo(1024 * 1024));
    }

    [Test]
    public async Task Executor_KilledMidJob_AnotherExecutorFinishesIt_LateCompleteRefused()
    {
        // A separate org, so the fixture's executor cannot take the job: claims only return the caller's org's jobs.
        var org = await PostAsync("/api/v1/admin/orgs", new { name = "handoff" });
        var key = await PostAsync("/api/v1/admin/api-keys", new { orgId = org["id"]!.GetValue<string>(), name = "executors", permissions = new[] { "jobs:*" } });
        using var orgClient = new HttpClient { BaseAddress = _host.BaseAddress };
        orgClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key["key"]!.GetValue<string>());
        var (url, sha) = _binaries.Script("slow.sh", "sleep 4\necho finished");
        using var submitted = await orgClient.PostAsJsonAsync("/api/v1/jobs", new { type = "slow", binary_url = url, binary_sha256 = sha, priority = "background" });
        var id = (await submitted.Content.ReadFromJsonAsync<JsonNode>())!["id"]!.GetValue<string>();

        var victim = ExecutorProcess.Start(_host.BaseAddress, key["key"]!.GetValue<string>(), "victim", Directory.CreateDirectory(Path.Combine(_dir.Path, "victim")).FullName);
        var deadline = DateTime.UtcNow + JobDeadline;
        while ((await orgClient.GetFromJsonAsync<JsonNode>($"/api/v1/jobs/{id}"))!["status"]!.GetValue<string>() != "running")
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("victim never claimed:\n" + victim.Output);
            await Task.Delay(PollInterval);
        }

        victim.Dispose();
        using var rescuer = ExecutorProcess.Start(_host.BaseAddress, key["key"]!.GetValue<string>(), "rescuer", Directory.CreateDirectory(Path.Combine(_dir.Path, "rescuer")).FullName);
        JsonNode job;
        deadline = DateTime.UtcNow + JobDeadline;
        while (true)
        {
            job = (await orgClient.GetFromJsonAsync<JsonNode>($"/api/v1/jobs/{id}"))!;
            if (job["status"]!.GetValue<string>() is "completed" or "failed") break;
            if (DateTime.UtcNow > deadline) Assert.Fail($"job not finished: {job.ToJsonString()}\n{rescuer.Output}");
            await Task.Delay(PollInterval);
        }

        using var late = await orgClient.PutAsJsonAsync($"/api/v1/jobs/{id}/complete", new { executor_id = "victim", stdout = "late", exit_code = 0 });
        var attempts = job["attempts"]!.AsArray();

        Assert.That(job["status"]!.GetValue<string>(), Is.EqualTo("completed"), job.ToJsonString());
        Assert.That(job["executor_id"]!.GetValue<string>(), Is.EqualTo("rescuer"));
        Assert.That(job["stdout"]!.GetValue<string>(), Is.EqualTo("finished\n"));
        // Guaranteed: the victim's attempt expired, and exactly one attempt completed, the rescuer's, last. A lease
        // that also expired under load in between is allowed (the job would just run again); a second completion is not.
        var outcomes = attempts.Select(a => (a!["executor_id"]!.GetValue<string>(), a["status"]!.GetValue<string>())).ToList();
        Assert.That(outcomes[0], Is.EqualTo(("victim", "lease_expired")), job.ToJsonString());
        Assert.That(outcomes[^1], Is.EqualTo(("rescuer", "completed")), job.ToJsonString());
        Assert.That(outcomes.SkipLast(1).Select(o => o.Item2), Is.All.EqualTo("lease_expired"), job.ToJsonString());
        Assert.That(late.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task Executor_RunningJobCancelled_BinaryKilledAndExecutorFreeForTheNextJob()
    {
        var pidFile = Path.Combine(_dir.Path, "never-exits.pid");
        var (url, sha) = _binaries.Script("never-exits.sh", "echo $$ > \"$1\"\nsleep 600\necho survived");
        var id = await SubmitAsync(url, sha, [pidFile]);
        var deadline = DateTime.UtcNow + JobDeadline;
        while (!File.Exists(pidFile) || (await File.ReadAllTextAsync(pidFile)).Trim().Length == 0)
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("the binary never started:\n" + _executor.Output);
            await Task.Delay(PollInterval);
        }

        var pid = (await File.ReadAllTextAsync(pidFile)).Trim();
        using var cancel = await _client.DeleteAsync($"/api/v1/jobs/{id}");
        Assert.That(cancel.StatusCode, Is.EqualTo(HttpStatusCode.NoContent), await cancel.Content.ReadAsStringAsync());

        // The executor hears of it on its next heartbeat (every second here) and kills the process tree.
        deadline = DateTime.UtcNow + JobDeadline;
        while (Directory.Exists($"/proc/{pid}"))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"process {pid} still alive after the cancel:\n" + _executor.Output);
            await Task.Delay(PollInterval);
        }

        var (nextUrl, nextSha) = _binaries.Script("after-cancel.sh", "echo next");
        var next = await WaitFinishedAsync(await SubmitAsync(nextUrl, nextSha));
        var cancelled = (await _client.GetFromJsonAsync<JsonNode>($"/api/v1/jobs/{id}"))!;

        Assert.That(next["status"]!.GetValue<string>(), Is.EqualTo("completed"), next.ToJsonString());
        Assert.That(cancelled["status"]!.GetValue<string>(), Is.EqualTo("cancelled"));
        Assert.That(_executor.Output, Does.Contain("heartbeat refused"));
    }

    private async Task<JsonNode> PostAsync(string path, object body)
    {
        using var response = await _client.PostAsJsonAsync(path, body);
        var json = await response.Content.ReadFromJsonAsync<JsonNode>();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Created), json?.ToJsonString());
        return json!;
    }

    [Test]
    public async Task Executor_CtrlC_StopsCleanly()
    {
        var dir = Directory.CreateDirectory(Path.Combine(_dir.Path, "executor-2")).FullName;
        using var second = ExecutorProcess.Start(_host.BaseAddress, AdminKey, "e2e-executor-2", dir);
        var deadline = DateTime.UtcNow + JobDeadline;
        while (!second.Output.Contains("polling", StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("executor did not start:\n" + second.Output);
            await Task.Delay(PollInterval);
        }

        var exit = await second.InterruptAsync(TimeSpan.FromSeconds(30));

        Assert.That(exit, Is.Zero, second.Output);
        Assert.That(second.Output, Does.Contain("stopped"));
    }
}
