namespace Orchestration.Exec.Tests;

/// <summary>
/// What the exec handler's tests share: one binary server for the fixture (a real Kestrel on 127.0.0.1) and a fresh
/// exec context (its own folders and handler) per test.
/// </summary>
public abstract class ExecHandlerFixture
{
    private protected TestBinaryServer Server { get; private set; } = null!;

    private protected ExecTestContext Exec { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartServer() => Server = await TestBinaryServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopServer() => await Server.DisposeAsync();

    [SetUp]
    public void CreateExecContext() => Exec = new ExecTestContext();

    [TearDown]
    public void DisposeExecContext() => Exec.Dispose();
}
