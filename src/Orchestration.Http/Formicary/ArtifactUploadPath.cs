namespace Orchestration.Http.Formicary;

/// <summary>
/// Uploads that may exceed the API's general body limit: <c>POST …/artifacts</c> (the Formicary API's upload and the task
/// protocol's). The error middleware runs before routing, so it recognises them by path and leaves the limit to the
/// endpoint, which sets the artifact size limit on Kestrel before it reads a byte.
/// </summary>
internal static class ArtifactUploadPath
{
    public static bool IsUpload(HttpRequest request) =>
        HttpMethods.IsPost(request.Method) && request.Path.Value is { } path && path.TrimEnd('/').EndsWith("/artifacts", StringComparison.OrdinalIgnoreCase);
}
