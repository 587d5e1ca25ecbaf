using Orchestration.Testing;

namespace Orchestration.Storage.Tests;

/// <summary>Stops the throwaway PostgreSQL server of this test process once every test has run.</summary>
[SetUpFixture]
public sealed class PostgresProcessCleanup
{
    [OneTimeTearDown]
    public void StopServers() => PostgresServer.StopAllOwned();
}
