namespace Orchestration.Postgres;

// The run list's tag, data-key and input filters, read from run_terms (migration 0021), which triggers keep in step.
public sealed partial class PostgresStore
{
    // EXISTS rather than IN: the planner then chooses per term between walking the runs in list order and probing the
    // term's primary key (a common term), and reading the term's rows first (a rare one).
    private const string SearchClause =
        "AND (@tag::text IS NULL OR EXISTS (SELECT 1 FROM {s}.run_terms st WHERE st.org_id = r.org_id AND st.kind = 't' AND st.name = @tag AND st.value = '' AND st.run_id = r.id)) "
        + "AND (@dataKey::text IS NULL OR EXISTS (SELECT 1 FROM {s}.run_terms sk WHERE sk.org_id = r.org_id AND sk.kind = 'k' AND sk.name = @dataKey AND sk.value = '' AND sk.run_id = r.id)) "
        + "AND (@inputField::text IS NULL OR EXISTS (SELECT 1 FROM {s}.run_terms si WHERE si.org_id = r.org_id AND si.kind = 'i' AND si.name = @inputField AND si.value = @inputValue AND si.run_id = r.id)) ";
}
