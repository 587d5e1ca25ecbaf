namespace Orchestration.Http;

/// <summary>
/// Caps every family applies (<c>Orchestration:Limits</c>). One place so that every API family, present and future,
/// refuses the same oversized input with the same message; docs/security.md lists them. Over a cap is a 400 naming it.
/// </summary>
public sealed class LimitOptions
{
    /// <summary>
    /// Longest identifier in characters: task types and names, run-data keys and tag values, queue job ids, job types,
    /// idempotency keys, org and key names, permission names. Default 255.
    /// </summary>
    public int MaxIdentifierLength { get; set; } = 255;

    /// <summary>Most values in one list-valued field of a body (tags, permissions). Default 100.</summary>
    public int MaxListItems { get; set; } = 100;

    /// <summary>Most values in one list-valued query parameter (comma-separated or repeated). Default 100.</summary>
    public int MaxQueryListValues { get; set; } = 100;

    /// <summary>
    /// Budget in bytes of the stored payloads (input, output, error, metadata) one page of a run or task list may carry,
    /// applied by the store while it reads so a page costs bounded memory. A page stops before the item that would
    /// exceed it (the first item always fits, its oversized payloads replaced by a marker), and the envelope's
    /// <c>limit</c> is the number of items returned so clients page on. Default 4 MiB.
    /// </summary>
    public int MaxListResponseBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>
    /// Largest single payload shown inline in a list item; a larger one is replaced by a marker object
    /// (<c>{"omitted": true, "chars": N, "error": "..."}</c>, N its length in characters) and is read through the item's own GET. Default 256 KiB.
    /// </summary>
    public int MaxListPayloadBytes { get; set; } = 256 * 1024;

    /// <summary>Returns a message naming the first bad setting, or null.</summary>
    internal string? Validate()
    {
        if (MaxIdentifierLength < 1) return "Orchestration:Limits:MaxIdentifierLength must be at least 1.";
        if (MaxListItems < 1) return "Orchestration:Limits:MaxListItems must be at least 1.";
        if (MaxQueryListValues < 1) return "Orchestration:Limits:MaxQueryListValues must be at least 1.";
        if (MaxListResponseBytes < 1024) return "Orchestration:Limits:MaxListResponseBytes must be at least 1024.";
        if (MaxListPayloadBytes < 1 || MaxListPayloadBytes > MaxListResponseBytes)
            return "Orchestration:Limits:MaxListPayloadBytes must be between 1 and MaxListResponseBytes.";
        return null;
    }
}
