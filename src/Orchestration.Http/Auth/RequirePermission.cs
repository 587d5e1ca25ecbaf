namespace Orchestration.Http.Auth;

/// <summary>Endpoint metadata: the permission a caller needs. Endpoints without it are refused (fail closed).</summary>
/// <param name="Permission">The permission name.</param>
public sealed record PermissionMetadata(string Permission);

/// <summary>Declares an endpoint's permission.</summary>
public static class PermissionEndpointExtensions
{
    /// <summary>Callers need <paramref name="permission"/>; others get 403.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, string permission) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new PermissionMetadata(permission));
}
