namespace Orchestration.Postgres;

internal static class Placeholder;
