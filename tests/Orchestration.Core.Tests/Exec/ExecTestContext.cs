using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orchestration.Domain;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Execution.Exec;
using Orchestration.Security;
using Orchestration.Storage.InMemory;

namespace Orchestration.Core.Tests.Exec;

/// <summary>A scratch directory with the exec handler wired to it, for driving the handler without the runtime.</summary>
internal sealed class ExecTestContext : IDisposable
{
    private readonly InMemoryStore _store = new(TimeProvider.System);
    private readonly ServiceProvider _services = new ServiceCollection().BuildServiceProvider();

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
        var client = new OrchestrationClient(_store, _store, Microsoft.Extensions.Options.Options.Create(new EngineOptions()));
        return new TaskContext(task, client, NullLogger.Instance, _services);
    }

    public void Dispose()
    {
        Cache.Dispose();
        _services.Dispose();
        _store.Dispose();
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
