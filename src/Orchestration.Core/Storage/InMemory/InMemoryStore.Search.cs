namespace Orchestration.Storage.InMemory;

// The run list's tag, data-key and input filters, by the rule the SQL stores index (RunSearch). Nothing is indexed: a
// search scans, so a newly declared field finds older runs at once and the backfill has nothing to do.
public sealed partial class InMemoryStore : IRunSearchIndex
{
    private IReadOnlyList<string> _searchFields = [];

    /// <inheritdoc />
    public Task<SearchFieldsDeclared> DeclareSearchFieldsAsync(DeclareSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var fields = SearchFields.Validate(parameters.Fields);
        lock (_gate)
        {
            var before = _searchFields;
            _searchFields = fields;
            return Task.FromResult(new SearchFieldsDeclared(
                [.. fields.Except(before, StringComparer.Ordinal)], [.. before.Except(fields, StringComparer.Ordinal)]));
        }
    }

    /// <inheritdoc />
    public Task<SearchBackfillProgress> BackfillSearchFieldsAsync(BackfillSearchFieldsParams parameters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentOutOfRangeException.ThrowIfLessThan(parameters.MaxRuns, 1);
        return Task.FromResult(new SearchBackfillProgress(0, []));
    }

    // Called under _gate.
    private void CheckSearchFields(RunQuery query)
    {
        if (query.InputField is { } field && !_searchFields.Contains(field, StringComparer.Ordinal))
            throw new UndeclaredSearchFieldException(field, _searchFields.ToList());
    }

    private static bool MatchesSearch(RunState run, RunQuery query)
    {
        if ((query.Tag is not null || query.DataKey is not null) && !RunSearch.DataMatches(run.Data, query)) return false;
        if (query is not { InputField: { } field, InputValue: { } value }) return true;
        return RunSearch.InputMatches(run.Run.InputJson, field, value) || run.Tasks.Any(t => RunSearch.InputMatches(t.Task.InputJson, field, value));
    }
}
