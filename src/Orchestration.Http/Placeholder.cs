namespace Orchestration.Http;

internal static class Placeholder;
