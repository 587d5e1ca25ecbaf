namespace Orchestration.Testing;

internal static class Placeholder;
