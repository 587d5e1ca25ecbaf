namespace Orchestration.Http.Platform;

// The task-carried concurrency limit as every family takes it (concurrency_limit, Foreman's concurrencyLimit): checked on
// the wire so a bad value is a 4xx naming the family's own field, before the engine sees it.
internal static class ConcurrencyLimitWire
{
    public const int Max = 10_000;

    // Null when the limit is absent or valid, else what is wrong with it (keyField: the family's name for the key).
    public static string? Problem(int? limit, string? key, string keyField) => limit switch
    {
        null => null,
        < 1 or > Max => $"must be between 1 and {Max}",
        _ when string.IsNullOrEmpty(key) => $"needs {keyField}",
        _ => null,
    };
}
