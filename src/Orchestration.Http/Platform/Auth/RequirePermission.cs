namespace Orchestration.Http.Platform.Auth;

/// <summary>Endpoint metadata: the permission a caller needs. Endpoints without it are refused (fail closed).</summary>
/// <param name="Permission">The permission name.</param>
internal sealed record PermissionMetadata(string Permission)
{
    /// <summary>The permission name meaning "any authenticated caller, whatever it holds".</summary>
    public const string AnyCaller = "";
}

/// <summary>Declares an endpoint's permission.</summary>
public static class PermissionEndpointExtensions
{
    /// <summary>Callers need <paramref name="permission"/>; others get 403.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PermissionMetadata(permission));

    /// <summary>Any authenticated caller may call it (a valid key or token); anonymous callers get 401.</summary>
    public static TBuilder RequireAuthenticatedCaller<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PermissionMetadata(PermissionMetadata.AnyCaller));
}
