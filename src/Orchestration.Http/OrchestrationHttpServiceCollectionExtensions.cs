using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orchestration.Engine;
using Orchestration.Http.Platform.Auth;
using Orchestration.Http.Platform.Errors;
using Orchestration.Http.Platform;
using Orchestration.Http.Platform.RateLimiting;

namespace Orchestration.Http;

/// <summary>Registers the HTTP platform.</summary>
public static class OrchestrationHttpServiceCollectionExtensions
{
    /// <summary>
    /// Adds auth, rate limiting, error handling and bootstrap of the first admin key. Settings are read from the
    /// <c>Orchestration</c> section of <paramref name="configuration"/> (when given), then <paramref name="configure"/>
    /// runs; they are validated when the host starts. Call after <c>AddOrchestration</c>; mount the endpoints with
    /// <c>app.MapOrchestrationApi()</c>.
    /// </summary>
    public static IServiceCollection AddOrchestrationHttp(this IServiceCollection services, IConfiguration? configuration = null, Action<OrchestrationHttpOptions>? configure = null)
    {
        // Applies to whatever OpenAPI documents the host adds (AddOpenApi), so they declare the bearer scheme and tag every family.
        services.ConfigureAll<Microsoft.AspNetCore.OpenApi.OpenApiOptions>(Platform.OpenApi.OpenApiConventions.Apply);
        var options = services.AddOptions<OrchestrationHttpOptions>();
        if (configuration is not null) options.Bind(configuration.GetSection("Orchestration"));
        if (configure is not null) options.Configure(configure);
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrchestrationHttpOptions>, HttpOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IApiKeyVerifier, Sha256ApiKeyVerifier>();
        services.TryAddSingleton<CallerAuthenticator>();
        services.TryAddSingleton<HostJwt>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OrchestrationHttpOptions>, HostJwtOptionsValidator>());
        // Every built-in store keeps users; a host's custom store that does not gets them per process.
        services.TryAddSingleton<Storage.IUserStore>(sp =>
            sp.GetRequiredService<Storage.IOrchestrationStore>() as Storage.IUserStore ?? new Storage.InMemory.InMemoryStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ApiRateLimiter>();
        services.TryAddSingleton<ApiPlatformFilter>();
        services.TryAddSingleton<OrchestrationHttpMarker>();
        // Every built-in store registers its own registry; a host's custom store that keeps none gets one per process.
        services.TryAddSingleton<Storage.IExecutorRegistry>(sp =>
            sp.GetRequiredService<Storage.IOrchestrationStore>() as Storage.IExecutorRegistry ?? new Storage.InMemory.InMemoryStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<Executors.ExecutorTracker>();
        // Every built-in store keeps webhooks; a host's custom store that does not gets them per process.
        services.TryAddSingleton<Storage.IDefinitionStore>(sp =>
            sp.GetRequiredService<Storage.IOrchestrationStore>() as Storage.IDefinitionStore ?? new Storage.InMemory.InMemoryStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<Storage.IWebhookStore>(sp =>
            sp.GetRequiredService<Storage.IOrchestrationStore>() as Storage.IWebhookStore ?? new Storage.InMemory.InMemoryStore(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new Webhooks.WebhookTargetGuard(sp.GetRequiredService<IOptions<OrchestrationHttpOptions>>().Value.WebhookDelivery.AllowPrivateTargets));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IScheduledRunFactory, Formicary.FormicaryScheduledRunFactory>());
        services.TryAddSingleton<Platform.Metrics.PrometheusExporter>();
        services.TryAddSingleton<Platform.Metrics.StorageGrowthReader>();
        services.TryAddSingleton<Platform.Metrics.QueueDepthGauge>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IStartupFilter, ApiErrorStartupFilter>());
        services.AddHostedService<ApiKeyBootstrapper>();
        services.AddHostedService<Executors.ExecutorRegistryWriter>();
        services.TryAddSingleton<Webhooks.WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<Webhooks.WebhookDispatcher>());
        return services;
    }

    private sealed class HttpOptionsValidator(IServiceProvider services) : IValidateOptions<OrchestrationHttpOptions>
    {
        public ValidateOptionsResult Validate(string? name, OrchestrationHttpOptions options) =>
            (options.Validate() ?? JwtSchemeProblem(options.Auth)) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;

        /// <summary>
        /// A scheme name without a registered handler would make every JWT-shaped request fail inside ASP.NET Core's
        /// authentication; refusing to start names the setting instead.
        /// </summary>
        private string? JwtSchemeProblem(AuthOptions auth)
        {
            if (!auth.Enabled || string.IsNullOrEmpty(auth.JwtScheme)) return null;
            var schemes = services.GetService<IAuthenticationSchemeProvider>();
            // The default provider answers synchronously from its dictionary.
            var scheme = schemes?.GetSchemeAsync(auth.JwtScheme).GetAwaiter().GetResult();
            return scheme is null
                ? $"Orchestration:Auth:JwtScheme is '{auth.JwtScheme}', but no authentication scheme of that name is registered. Register it (e.g. builder.Services.AddAuthentication().AddJwtBearer(\"{auth.JwtScheme}\", ...)) or remove the setting."
                : null;
        }
    }
}

/// <summary>Present once <c>AddOrchestrationHttp</c> ran; the Map methods check for it.</summary>
internal sealed class OrchestrationHttpMarker;
