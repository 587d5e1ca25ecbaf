using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Exec;
using Orchestration.Security;
using Orchestration.Hosting;

namespace Orchestration.Exec.Tests;

/// <summary>A scratch directory with the exec handler wired to it, for driving the handler without the runtime.</summary>
internal sealed class ExecTestContext : IDisposable
{
    // A whole in-memory engine through the public entry point, as a remote executor hosting the handler builds one.
    private readonly ServiceProvider _services = NewEngine();

    public ExecTestContext(Action<ExecOptions>? configure = null, GuardedConnector? connector = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "orchestration-exec-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        Options = new ExecOptions
        {
            CacheDirectory = Path.Combine(Root, "cache"),
            WorkDirectoryRoot = Path.Combine(Root, "work"),
            AllowPrivateNetworkTargets = true,
        };
        configure?.Invoke(Options);
        Cache = new BinaryCache(Options, connector ?? new GuardedConnector(Options.AllowPrivateNetworkTargets, [.. Options.AllowedNetworks]), TimeProvider.System, NullLogger<BinaryCache>.Instance);
        Handler = new ExecTaskHandler(Cache, new ProcessRunner(Options, TimeProvider.System, NullLogger<ProcessRunner>.Instance), Options, NullLogger<ExecTaskHandler>.Instance);
    }

    public string Root { get; }

    public ExecOptions Options { get; }

    public BinaryCache Cache { get; }

    public ExecTaskHandler Handler { get; }

    /// <summary>A path under the scratch directory that no script touches unless the test expects it to.</summary>
    public string Marker(string name) => Path.Combine(Root, name);

    public string[] CacheFiles() => Directory.Exists(Options.CacheDirectory) ? Directory.GetFiles(Options.CacheDirectory) : [];

    public string[] WorkDirectories() => Directory.Exists(Options.WorkDirectoryRoot) ? Directory.GetFileSystemEntries(Options.WorkDirectoryRoot) : [];

    public Task<ExecOutput> RunAsync(ExecInput input, CancellationToken cancellationToken = default) =>
        Handler.HandleAsync(input, NewContext(), cancellationToken);

    public TaskContext NewContext()
    {
        var now = DateTimeOffset.UtcNow;
        var task = new TaskRun
        {
            Id = Guid.NewGuid(),
            OrgId = Org.DefaultId,
            RunId = Guid.NewGuid(),
            Name = "exec",
            Type = "exec",
            Status = TaskRunStatus.Running,
            RetryPolicy = RetryPolicy.Default,
            Attempt = 1,
            CreatedAt = now,
            UpdatedAt = now,
        };
        return new TaskContext(task, _services.GetRequiredService<IOrchestrationClient>(), NullLogger.Instance, _services);
    }

    private static ServiceProvider NewEngine()
    {
        var services = new ServiceCollection();
        services.AddOrchestration(o => o.UseInMemory());
        return services.BuildServiceProvider();
    }

    public void Dispose()
    {
        Cache.Dispose();
        _services.Dispose();
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover scratch directory in /tmp does not affect other tests.
        }
    }
}
