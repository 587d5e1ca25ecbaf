using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orchestration.Artifacts;
using Orchestration.Storage;

namespace Orchestration.Hosting;

/// <summary>Turns artifacts on.</summary>
public static class ArtifactOrchestrationBuilderExtensions
{
    /// <summary>
    /// Adds artifacts: content in a <see cref="FileSystemArtifactStore"/> at <see cref="ArtifactOptions.RootPath"/> (unless
    /// the host registered its own <see cref="IArtifactStore"/> before this call), metadata in the engine's store,
    /// <see cref="IArtifactClient"/> for the HTTP layer, uploads from handlers through <c>TaskContext</c>, and the
    /// leader-only retention of <see cref="ArtifactOptions.RetentionTtl"/>. A bad setting throws here.
    /// </summary>
    public static OrchestrationBuilder AddArtifacts(this OrchestrationBuilder builder, Action<ArtifactOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(ArtifactOptions))) throw new InvalidOperationException("AddArtifacts was already called");
        var options = new ArtifactOptions();
        configure?.Invoke(options);
        if (options.Validate() is { } problem) throw new InvalidOperationException(problem);
        services.AddSingleton(options);
        services.TryAddSingleton<IArtifactStore>(_ => new FileSystemArtifactStore(options.RootPath));
        services.TryAddSingleton<IArtifactMetadataStore>(sp => sp.GetRequiredService<IOrchestrationStore>() as IArtifactMetadataStore
            ?? throw new InvalidOperationException("Artifacts need a store that keeps their metadata (IArtifactMetadataStore); the configured store does not. Register one before AddArtifacts."));
        services.TryAddSingleton<ArtifactClient>();
        services.TryAddSingleton<IArtifactClient>(sp => sp.GetRequiredService<ArtifactClient>());
        services.TryAddSingleton<IArtifactUploader, ClientArtifactUploader>();
        services.AddHostedService<ArtifactRetentionService>();
        return builder;
    }
}
