namespace Orchestration.Artifacts;

/// <summary>What an artifact's name, kind and tags may be. Names are metadata only (content keys are generated), but
/// they come back in <c>Content-Disposition</c> and in the files a client saves, so anything that could be a path is refused.</summary>
internal static class ArtifactNames
{
    public const int MaxNameLength = 255;
    public const int MaxLabelLength = 200;
    public const int MaxTags = 50;
    public const int MaxMetadataChars = 16 * 1024;

    public static string? NameProblem(string? name)
    {
        if (string.IsNullOrWhiteSpace(name)) return "is required";
        if (name.Length > MaxNameLength) return $"must be at most {MaxNameLength} characters";
        if (name is "." or "..") return "must be a file name, not a path";
        if (name.IndexOfAny(['/', '\\', ':']) >= 0) return "must be a file name: no '/', '\\' or ':'";
        if (name.Any(char.IsControl)) return "must not contain control characters";
        if (name.Contains("..", StringComparison.Ordinal)) return "must not contain '..'";
        return null;
    }

    public static string? LabelProblem(string? value)
    {
        if (value is null) return null;
        if (value.Length is 0 or > MaxLabelLength) return $"must be 1 to {MaxLabelLength} characters";
        return value.Any(char.IsControl) ? "must not contain control characters" : null;
    }
}
