using Orchestration.Testing;

namespace Orchestration.Benchmarks.Tests;

/// <summary>Stops the throwaway PostgreSQL server, if this test run started one, once every fixture is done.</summary>
[SetUpFixture]
public sealed class PostgresProcessCleanup
{
    [OneTimeTearDown]
    public void StopServers() => PostgresServer.StopAllOwned();
}
