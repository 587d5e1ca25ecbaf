namespace Orchestration.Http.Formicary;

/// <summary>Formicary's user, token, worker, health and metrics endpoints, mounted with the rest of the Formicary API.</summary>
internal static class FormicaryAdminApi
{
    public static void Map(RouteGroupBuilder family)
    {
        UserEndpoints.Map(family);
        WorkerEndpoints.Map(family);
        FormicaryHealthEndpoints.Map(family);
    }
}
