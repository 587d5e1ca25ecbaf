using Orchestration.Domain;
using Orchestration.Engine;

namespace Orchestration.Dashboard.Tests.Infrastructure;

/// <summary>Runs the browser tests look at, created through the engine client in the bootstrap key's org.</summary>
internal static class Runs
{
    public static async Task<Guid> CreateAsync(string family, string name, params TaskSpec[] tasks) =>
        (await Orchestration.Dashboard.Tests.BrowserFixture.Host.Client.CreateRunAsync(new RunSpec { OrgId = Org.DefaultId, Family = family, Name = name, Tasks = tasks })).Run.Id;

    public static TaskSpec Task(string name, string type, params string[] after) => new() { Name = name, Type = type, DependsOn = after, InputJson = "{\"step\":\"" + name + "\"}" };

    /// <summary>Waits for a state the engine reaches on its own; a deadline, never a sleep.</summary>
    public static async Task<TaskRun> WaitForTaskAsync(Guid runId, string name, TaskRunStatus status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var tasks = await Orchestration.Dashboard.Tests.BrowserFixture.Host.Client.Queries.GetRunTasksAsync(Org.DefaultId, runId, CancellationToken.None);
            var task = tasks.Single(t => t.Name == name);
            if (task.Status == status) return task;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Task {name} is {task.Status}, expected {status}.");
            // End-to-end: the worker runs on its own clock, so this polls with a deadline.
            await System.Threading.Tasks.Task.Delay(25);
        }
    }
}
