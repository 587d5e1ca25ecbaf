namespace Orchestration.Sqlite;

internal static class Placeholder;
