using Orchestration.Testing;

namespace Orchestration.EndToEnd.Tests;

/// <summary>Stops the throwaway PostgreSQL servers of this test process once every test has run.</summary>
[SetUpFixture]
public sealed class PostgresProcessCleanup
{
    [OneTimeTearDown]
    public void StopServers() => PostgresServer.StopAllOwned();
}
