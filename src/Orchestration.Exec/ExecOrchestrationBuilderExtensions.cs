using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orchestration.Hosting;
using Orchestration.Security;

namespace Orchestration.Exec;

/// <summary>Registers the built-in <c>exec</c> task type.</summary>
public static class ExecOrchestrationBuilderExtensions
{
    /// <summary>
    /// Adds the <c>exec</c> task type: download a binary, verify its SHA-256, run it without a shell, capture its
    /// output. Options are validated here; a bad setting throws at once. Private network targets are refused unless
    /// <see cref="ExecOptions.AllowPrivateNetworkTargets"/> is set or configuration key
    /// <c>Orchestration:Security:AllowPrivateNetworkTargets</c> is <c>true</c> (either one turns the guard off).
    /// </summary>
    /// <param name="builder">The builder returned by <c>AddOrchestration</c>.</param>
    /// <param name="configure">Changes the defaults of <see cref="ExecOptions"/>.</param>
    public static OrchestrationBuilder AddExecTaskHandler(this OrchestrationBuilder builder, Action<ExecOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new ExecOptions();
        configure?.Invoke(options);
        if (options.Validate() is { } problem) throw new InvalidOperationException(problem);

        var services = builder.Services;
        services.TryAddSingleton(sp =>
        {
            var configured = sp.GetService<IConfiguration>()?[NetworkGuard.AllowPrivateNetworkTargetsKey];
            if (bool.TryParse(configured, out var allow) && allow) options.AllowPrivateNetworkTargets = true;
            return options;
        });
        services.TryAddSingleton(sp => CreateCache(sp.GetRequiredService<ExecOptions>(), sp));
        services.TryAddSingleton(sp => new ProcessRunner(
            sp.GetRequiredService<ExecOptions>(),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            LoggerFor<ProcessRunner>(sp)));
        services.TryAddScoped(sp => new ExecTaskHandler(
            sp.GetRequiredService<BinaryCache>(),
            sp.GetRequiredService<ProcessRunner>(),
            sp.GetRequiredService<ExecOptions>(),
            LoggerFor<ExecTaskHandler>(sp)));
        return builder.AddTaskHandler<ExecTaskHandler>(ExecTaskHandler.TaskType);
    }

    private static BinaryCache CreateCache(ExecOptions options, IServiceProvider sp) =>
        new(options,
            new GuardedConnector(options.AllowPrivateNetworkTargets, [.. options.AllowedNetworks]),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            LoggerFor<BinaryCache>(sp));

    // Hosts without logging still get a working handler.
    private static ILogger<T> LoggerFor<T>(IServiceProvider sp) =>
        sp.GetService<ILogger<T>>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<T>.Instance;
}
