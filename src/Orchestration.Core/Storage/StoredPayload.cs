using System.Globalization;
using Orchestration.Domain;

namespace Orchestration.Storage;

/// <summary>
/// How list queries bound what they load: a payload (input, output, error, metadata) longer than
/// <see cref="RunQuery.MaxPayloadChars"/> comes back as <see cref="Omitted"/> text, and a page stops once its payloads
/// reach <see cref="RunQuery.PayloadBudgetChars"/>. Every store applies the same rules, so a list costs a bounded amount
/// of memory whatever was stored.
/// </summary>
public static class StoredPayload
{
    /// <summary>Starts the text that replaces an omitted payload. Not JSON, so no stored payload can look like it.</summary>
    public const string OmittedPrefix = "#omitted:";

    /// <summary>The text a store returns instead of a payload of <paramref name="chars"/> characters.</summary>
    public static string Omitted(long chars) => OmittedPrefix + chars.ToString(CultureInfo.InvariantCulture);

    /// <summary>True when <paramref name="text"/> stands for an omitted payload; <paramref name="chars"/> is its length.</summary>
    public static bool TryGetOmitted(string? text, out long chars)
    {
        chars = 0;
        return text is not null && text.StartsWith(OmittedPrefix, StringComparison.Ordinal)
            && long.TryParse(text.AsSpan(OmittedPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out chars);
    }

    /// <summary><paramref name="text"/>, or its <see cref="Omitted"/> stand-in when longer than <paramref name="maxChars"/>.</summary>
    public static string? Cap(string? text, int? maxChars) =>
        text is not null && maxChars is { } max && text.Length > max ? Omitted(text.Length) : text;

    /// <summary>What a run's payloads count against a page budget.</summary>
    public static long Cost(Run run) => Length(run.InputJson) + Length(run.OutputJson) + Length(run.ErrorJson) + Length(run.MetadataJson);

    /// <summary>What a task's payloads count against a page budget.</summary>
    public static long Cost(TaskRun task) => Length(task.InputJson) + Length(task.OutputJson) + Length(task.ErrorJson) + Length(task.MetadataJson);

    /// <summary>
    /// A predicate for reading a page row by row: true while the row fits <paramref name="budgetChars"/> (the first row
    /// always does, so paging moves on); the reader stops at the first false. Null budget takes every row.
    /// </summary>
    public static Func<T, bool> Budget<T>(long? budgetChars, Func<T, long> cost)
    {
        if (budgetChars is not { } budget) return static _ => true;
        long spent = 0;
        var first = true;
        return row =>
        {
            spent += cost(row);
            var fits = first || spent <= budget;
            first = false;
            return fits;
        };
    }

    private static long Length(string? text) => text?.Length ?? 0;
}
