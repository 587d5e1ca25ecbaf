namespace Orchestration.Storage.InMemory;

// The run list's tag, data-key and input filters, by the rule the SQL stores index (RunSearch).
public sealed partial class InMemoryStore
{
    private static bool MatchesSearch(RunState run, RunQuery query)
    {
        if ((query.Tag is not null || query.DataKey is not null) && !RunSearch.DataMatches(run.Data, query)) return false;
        if (query is not { InputField: { } field, InputValue: { } value }) return true;
        return RunSearch.InputMatches(run.Run.InputJson, field, value) || run.Tasks.Any(t => RunSearch.InputMatches(t.Task.InputJson, field, value));
    }
}
