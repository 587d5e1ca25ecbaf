using Orchestration.Hosting;

namespace Orchestration.Host;

internal static class DemoHandlers
{
    public static OrchestrationBuilder AddDemoHandlers(this OrchestrationBuilder builder) => builder;
}
