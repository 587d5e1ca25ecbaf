using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NUnit.Framework;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Exec;
using Orchestration.Hosting;
using Orchestration.Security;

namespace Orchestration.Exec.Tests;

/// <summary>The exec type through the real host, runtime and in-memory store.</summary>
[TestFixture]
[NonParallelizable]
public sealed class ExecRuntimeTests
{
    private TestBinaryServer _server = null!;
    private string _root = null!;

    [OneTimeSetUp]
    public async Task StartServer() => _server = await TestBinaryServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await _server.DisposeAsync();

    [SetUp]
    public void SetUp() => _root = Path.Combine(Path.GetTempPath(), "orchestration-exec-tests", Guid.NewGuid().ToString("N"));

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private IHost BuildHost(Action<ExecOptions>? configure = null, IDictionary<string, string?>? configuration = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (configuration is not null) builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddOrchestration(o => o.UseInMemory()).AddExecTaskHandler(e =>
        {
            e.CacheDirectory = Path.Combine(_root, "cache");
            e.WorkDirectoryRoot = Path.Combine(_root, "work");
            configure?.Invoke(e);
        });
        return builder.Build();
    }

    private ExecInput Input(byte[] binary, string? sha256 = null) => new()
    {
        BinaryUrl = _server.Serve($"/bin/{Guid.NewGuid():N}", binary).ToString(),
        BinarySha256 = sha256 ?? TestScripts.Sha256(binary),
        Arguments = ["one", "two words"],
        EnvVariables = new Dictionary<string, string> { ["WHO"] = "runtime" },
    };

    private static async Task<(Run Run, TaskRun Task)> RunToEndAsync(IHost host, TaskSpec task)
    {
        var client = host.Services.GetRequiredService<IOrchestrationClient>();
        var created = await client.CreateRunAsync(new RunSpec { Tasks = [task] });
        var run = await WaitWithDeadlineAsync(client, created.Run.Id);
        var tasks = await client.Queries.GetRunTasksAsync(Org.DefaultId, run.Id, CancellationToken.None);
        return (run, tasks.Single());
    }

    private static async Task<Run> WaitWithDeadlineAsync(IOrchestrationClient client, Guid runId)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var run = await client.WaitForRunAsync(Org.DefaultId, runId, cancellationToken: deadline.Token);
        Assert.That(run, Is.Not.Null);
        return run!;
    }

    [Test]
    public async Task ExecTask_ScriptSucceeds_RunCompletesWithCapturedOutput()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var script = TestScripts.Script("printf '%s|' \"$@\"; echo \"$WHO\"");

        var (run, task) = await RunToEndAsync(host, TaskSpec.Create("exec", Input(script)));
        await host.StopAsync();

        var output = JsonSerializer.Deserialize<ExecOutput>(task.OutputJson!, JsonDefaults.Options)!;
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Completed));
            Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Completed));
            Assert.That(output.Stdout, Is.EqualTo("one|two words|runtime\n"));
            Assert.That(output.ExitCode, Is.Zero);
            Assert.That(task.OutputJson, Does.Contain("\"exit_code\":0").And.Contain("\"stdout_truncated\":false"), "the job queue API's field names");
        });
    }

    [Test]
    public async Task ExecTasks_ManyConcurrent_AllCompleteAndSharedBinaryDownloadedOnce()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IOrchestrationClient>();
        var shared = TestScripts.Script("echo shared \"$1\"");
        var sharedUrl = _server.Serve($"/shared/{Guid.NewGuid():N}", shared);
        var tasks = new List<TaskSpec>();
        for (var i = 0; i < 6; i++)
        {
            var own = TestScripts.Script($"echo own {i}");
            tasks.Add(TaskSpec.Create("exec", new ExecInput { BinaryUrl = _server.Serve($"/own/{Guid.NewGuid():N}", own).ToString(), BinarySha256 = TestScripts.Sha256(own) }, $"own-{i}"));
            tasks.Add(TaskSpec.Create("exec", new ExecInput { BinaryUrl = sharedUrl.ToString(), BinarySha256 = TestScripts.Sha256(shared), Arguments = [$"{i}"] }, $"shared-{i}"));
        }

        var created = await client.CreateRunAsync(new RunSpec { Tasks = tasks });
        var run = await WaitWithDeadlineAsync(client, created.Run.Id);

        var finished = await client.Queries.GetRunTasksAsync(Org.DefaultId, run.Id, CancellationToken.None);
        await host.StopAsync();

        var stdout = finished.ToDictionary(t => t.Name, t => JsonSerializer.Deserialize<ExecOutput>(t.OutputJson!, JsonDefaults.Options)!.Stdout);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Completed));
            Assert.That(finished.Select(t => t.Status), Is.All.EqualTo(TaskRunStatus.Completed));
            for (var i = 0; i < 6; i++)
            {
                Assert.That(stdout[$"own-{i}"], Is.EqualTo($"own {i}\n"));
                Assert.That(stdout[$"shared-{i}"], Is.EqualTo($"shared {i}\n"));
            }

            Assert.That(_server.Hits(sharedUrl.AbsolutePath), Is.EqualTo(1), "concurrent tasks of one binary share one download");
        });
    }

    [Test]
    public async Task ExecTask_NonZeroExit_TaskFailsWithExitCodeAndStderr()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var script = TestScripts.Script("echo out; echo disk full >&2; exit 7");

        var (run, task) = await RunToEndAsync(host, TaskSpec.Create("exec", Input(script)) with { MaxRetries = 0 });
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(task.Status, Is.EqualTo(TaskRunStatus.Failed));
            Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Is.EqualTo("exit code 7: disk full"));
        });
    }

    [Test]
    public async Task ExecTask_NonZeroExit_ExitCodeStoredOnTaskAndExitCodeRouteTaken()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var client = host.Services.GetRequiredService<IOrchestrationClient>();
        var script = TestScripts.Script("exit 3");
        var created = await client.CreateRunAsync(new RunSpec
        {
            Tasks =
            [
                TaskSpec.Create("exec", Input(script), "probe") with { MaxRetries = 0 },
                TaskSpec.Create("exec", Input(TestScripts.Script("echo three")), "on-three") with { Routes = [new TaskRoute("probe", RouteOn.ExitCode, [3])] },
                TaskSpec.Create("exec", Input(TestScripts.Script("echo other")), "on-other") with { Routes = [new TaskRoute("probe", RouteOn.ExitCode, [1, 2])] },
            ],
        });

        var run = await WaitWithDeadlineAsync(client, created.Run.Id);
        var tasks = (await client.Queries.GetRunTasksAsync(Org.DefaultId, run.Id, CancellationToken.None)).ToDictionary(t => t.Name);
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(tasks["probe"].Status, Is.EqualTo(TaskRunStatus.Failed));
            Assert.That(tasks["probe"].ExitCode, Is.EqualTo(3), "the process's exit code reaches the task");
            Assert.That(tasks["on-three"].Status, Is.EqualTo(TaskRunStatus.Completed));
            Assert.That(tasks["on-three"].ExitCode, Is.Zero);
            Assert.That(tasks["on-other"].Status, Is.EqualTo(TaskRunStatus.Skipped));
            Assert.That(run.Status, Is.EqualTo(RunStatus.Failed), "the probe's failure was not allowed");
        });
    }

    [Test]
    public async Task ExecTask_EngineTaskTimeout_KillsProcessTreeAndFails()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var childPid = Path.Combine(_root, "child.pid");
        Directory.CreateDirectory(_root);
        var script = TestScripts.Script($"""
            sleep 300 &
            echo $! > '{childPid}'
            wait
            """);

        // Long enough for the shell to start, fork its child and write the child's pid on a loaded machine before the
        // engine's timeout ends the attempt: the assertion on the child needs that pid.
        var (run, task) = await RunToEndAsync(host, TaskSpec.Create("exec", Input(script)) with { MaxRetries = 0, Timeout = TimeSpan.FromSeconds(8) });
        await host.StopAsync();

        var pid = int.Parse(File.ReadAllText(childPid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Does.StartWith("timed out after"));
            Assert.That(ProcessProbe.WaitUntilGone(pid, TimeSpan.FromSeconds(15)), Is.True, $"the script's child {pid} must be killed too");
            Assert.That(Directory.GetFileSystemEntries(Path.Combine(_root, "work")), Is.Empty);
        });
    }

    [Test]
    public async Task ExecTask_Sha256Mismatch_FailsOnFirstAttemptWithoutRetry()
    {
        using var host = BuildHost(e => e.AllowPrivateNetworkTargets = true);
        await host.StartAsync();
        var script = TestScripts.Script("echo never");
        var wrong = new string('0', 64);

        var (run, task) = await RunToEndAsync(host, TaskSpec.Create("exec", Input(script, wrong)) with { MaxRetries = 3 });
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(task.Attempt, Is.EqualTo(1), "a hash mismatch is not retried");
            Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Is.EqualTo($"sha256 mismatch: expected {wrong}, got {TestScripts.Sha256(script)}"));
        });
    }

    [Test]
    public async Task ExecTask_GuardOnByDefault_LoopbackDownloadRefused()
    {
        using var host = BuildHost();
        await host.StartAsync();
        var hitsBefore = _server.TotalHits;

        var (run, task) = await RunToEndAsync(host, TaskSpec.Create("exec", Input(TestScripts.Script("echo never"))));
        await host.StopAsync();

        Assert.Multiple(() =>
        {
            Assert.That(run.Status, Is.EqualTo(RunStatus.Failed));
            Assert.That(task.Attempt, Is.EqualTo(1));
            Assert.That(JsonDefaults.ErrorMessage(task.ErrorJson), Does.StartWith("refused to connect to 127.0.0.1 (loopback address)"));
            Assert.That(_server.TotalHits, Is.EqualTo(hitsBefore));
        });
    }

    [TestCase("true", true)]
    [TestCase("True", true)]
    [TestCase("false", false)]
    [TestCase(null, false)]
    public void AddExecTaskHandler_ConfigurationKey_SetsAllowPrivateNetworkTargets(string? value, bool expected)
    {
        using var host = BuildHost(configuration: new Dictionary<string, string?> { [NetworkGuard.AllowPrivateNetworkTargetsKey] = value });

        var options = host.Services.GetRequiredService<ExecOptions>();

        Assert.That(options.AllowPrivateNetworkTargets, Is.EqualTo(expected));
    }

    [Test]
    public void AddExecTaskHandler_FileSchemeAllowed_ThrowsAtRegistration()
    {
        var services = new ServiceCollection();

        var ex = Assert.Throws<InvalidOperationException>(() => services.AddOrchestration(o => o.UseInMemory()).AddExecTaskHandler(e => e.AllowedSchemes.Add("file")));

        Assert.That(ex.Message, Does.Contain("AllowedSchemes may hold only http and https"));
    }
}
