using System.Text.RegularExpressions;

namespace Orchestration.Storage;

/// <summary>
/// The input fields a store indexes for <see cref="RunQuery.InputField"/>. Only declared fields are indexed, so a host
/// that searches no input pays nothing on its enqueue path; a search on a field that is not declared is refused with
/// <see cref="UndeclaredSearchFieldException"/>. The host declares the list at start-up from
/// <c>OrchestrationOptions.SearchableInputFields</c>; a field declared later is indexed for existing runs by
/// <see cref="BackfillSearchFieldsAsync"/>.
/// </summary>
public interface IRunSearchIndex
{
    /// <summary>
    /// Makes <see cref="DeclareSearchFieldsParams.Fields"/> the declared list, atomically: new fields are indexed for every
    /// run written from now on and wait for the backfill for older runs; fields no longer listed stop being indexed and
    /// their terms are deleted. Unchanged fields keep their terms and backfill progress.
    /// </summary>
    Task<SearchFieldsDeclared> DeclareSearchFieldsAsync(DeclareSearchFieldsParams parameters, CancellationToken cancellationToken);

    /// <summary>
    /// Indexes one batch of older runs (at most <see cref="BackfillSearchFieldsParams.MaxRuns"/>) for the declared fields
    /// whose backfill is not finished, and records how far it got in the same transaction, so a restart resumes there.
    /// </summary>
    Task<SearchBackfillProgress> BackfillSearchFieldsAsync(BackfillSearchFieldsParams parameters, CancellationToken cancellationToken);
}

/// <summary>The input fields to index, as the host declares them.</summary>
/// <param name="Fields">Top-level input field names; see <see cref="SearchFields.Validate"/> for the rule.</param>
public sealed record DeclareSearchFieldsParams(IReadOnlyList<string> Fields);

/// <summary>What a declaration changed.</summary>
/// <param name="Added">Fields newly declared: indexed for new runs now, for older runs once backfilled.</param>
/// <param name="Removed">Fields no longer declared, whose terms were deleted.</param>
public sealed record SearchFieldsDeclared(IReadOnlyList<string> Added, IReadOnlyList<string> Removed);

/// <summary>One backfill batch's size.</summary>
/// <param name="MaxRuns">At most this many runs (with their tasks) are read in the batch.</param>
public sealed record BackfillSearchFieldsParams(int MaxRuns);

/// <summary>What one backfill batch did.</summary>
/// <param name="RunsRead">Runs read in this batch.</param>
/// <param name="Pending">Declared fields whose backfill is still unfinished after this batch; empty when done.</param>
public sealed record SearchBackfillProgress(int RunsRead, IReadOnlyList<string> Pending);

/// <summary>A search named an input field that is not declared searchable.</summary>
public sealed class UndeclaredSearchFieldException : ArgumentException
{
    /// <summary>Names the field and lists the declared ones.</summary>
    public UndeclaredSearchFieldException(string field, IReadOnlyCollection<string> declared)
        : base(declared.Count == 0
            ? $"Input field '{field}' is not searchable: no input field is declared (SearchableInputFields)."
            : $"Input field '{field}' is not searchable: the declared input fields are {string.Join(", ", declared.Order(StringComparer.Ordinal))}.")
    {
        Field = field;
        Declared = [.. declared.Order(StringComparer.Ordinal)];
    }

    /// <summary>The field searched.</summary>
    public string Field { get; }

    /// <summary>The declared fields, sorted.</summary>
    public IReadOnlyList<string> Declared { get; }
}

/// <summary>The rule for declared search fields, shared by every store.</summary>
public static partial class SearchFields
{
    /// <summary>
    /// Checks a declaration and returns its fields without duplicates, sorted. A name is 1 to
    /// <see cref="RunQuery.MaxInputFieldChars"/> characters of letters, digits, '_' and '-' (so it can be used in a JSON path
    /// and a trigger without quoting).
    /// </summary>
    /// <exception cref="ArgumentException">A name breaks the rule; the message names it.</exception>
    public static IReadOnlyList<string> Validate(IEnumerable<string> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var list = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var field in fields)
        {
            if (field is null || field.Length > RunQuery.MaxInputFieldChars || !Name().IsMatch(field))
                throw new ArgumentException($"Orchestration: searchable input field '{field}' must be 1 to {RunQuery.MaxInputFieldChars} letters, digits, '_' or '-'.", nameof(fields));
            list.Add(field);
        }

        return [.. list];
    }

    [GeneratedRegex("^[A-Za-z0-9_-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex Name();
}
