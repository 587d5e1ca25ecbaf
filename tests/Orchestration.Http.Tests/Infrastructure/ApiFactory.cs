using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Orchestration.Http.Tests.Infrastructure;

/// <summary>The sample host in memory, with a fake clock, a known bootstrap key and limits high enough not to interfere.</summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    public const string BootstrapKey = "test-bootstrap-admin-key-0123456789abcdef";

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;
    private readonly ApiBackend _backend;
    private readonly string _environment;
    private readonly string _databaseName;
    private readonly bool _ownsDatabase;

    public ApiFactory(ApiBackend backend, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null, string environment = "Testing", string? databaseName = null)
    {
        _ownsDatabase = databaseName is null;
        _databaseName = databaseName ?? Guid.NewGuid().ToString("N");
        _environment = environment;
        ArtifactRoot = Path.Combine(Path.GetTempPath(), "orchestration-artifacts-" + _databaseName);
        _settings = new Dictionary<string, string?>
        {
            ["Orchestration:Auth:BootstrapApiKey"] = BootstrapKey,
            ["Orchestration:RateLimits:PerKey:Limit"] = "100000",
            ["Orchestration:RateLimits:PerIp:Limit"] = "100000",
            // In-process hosts print no banner: a generated key goes to the log, where these tests read it.
            ["Orchestration:Banner"] = "false",
            // Artifact content of this host only, removed with it.
            ["Orchestration:Artifacts:RootPath"] = ArtifactRoot,
        };
        _backend = backend;
        foreach (var (k, v) in backend.Settings(_databaseName)) _settings[k] = v;
        if (settings is not null)
            foreach (var (k, v) in settings) _settings[k] = v;
        _services = services;
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public CapturingLoggerProvider Logs { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        builder.UseEnvironment(_environment);
        builder.ConfigureLogging(l => l.AddProvider(Logs));
        builder.ConfigureTestServices(services =>
        {
            services.AddSingleton<TimeProvider>(Time);
            _backend.Services?.Invoke(services);
            _services?.Invoke(services);
        });
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing && _ownsDatabase) _backend.Cleanup?.Invoke(_databaseName);
        if (disposing) RemoveArtifacts();
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase) _backend.Cleanup?.Invoke(_databaseName);
        RemoveArtifacts();
    }

    /// <summary>Where this host keeps artifact content.</summary>
    public string ArtifactRoot { get; }

    private void RemoveArtifacts()
    {
        if (Directory.Exists(ArtifactRoot)) Directory.Delete(ArtifactRoot, recursive: true);
    }

    /// <summary>A client without credentials.</summary>
    public HttpClient Anonymous() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

    /// <summary>A client sending <paramref name="key"/> as bearer token.</summary>
    public HttpClient WithKey(string key)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

/// <summary>Keeps every log message, so tests can read what the host printed (the generated bootstrap key).</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<string> _messages = [];

    public IReadOnlyList<string> Messages
    {
        get
        {
            lock (_messages) return _messages.ToList();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._messages) owner._messages.Add(formatter(state, exception));
        }
    }
}
