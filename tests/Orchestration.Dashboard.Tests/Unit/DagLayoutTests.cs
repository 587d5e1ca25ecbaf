using Orchestration.Domain;
using Orchestration.Http.Dashboard;

namespace Orchestration.Dashboard.Tests.Unit;

public sealed class DagLayoutTests
{
    private static TaskRun Task(string name, params string[] after) => new()
    {
        Id = Guid.NewGuid(), OrgId = "o", RunId = Guid.Empty, Name = name, Type = "t", Status = TaskRunStatus.Pending, Dependencies = after,
        RetryPolicy = new RetryPolicy(1, TimeSpan.Zero, TimeSpan.Zero, 1, 0), CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
    };

    [Test]
    public void Layers_Diamond_JoinSitsOneLayerAfterItsLongestBranch()
    {
        var tasks = new[] { Task("a"), Task("b", "a"), Task("c", "b"), Task("d", "a", "c") };

        var layers = DagSvg.Layers(tasks, tasks.ToDictionary(t => t.Name));

        Assert.That(tasks.Select(t => layers[t.Id]), Is.EqualTo(new[] { 0, 1, 2, 3 }));
    }

    [Test]
    public void Layers_CycleInStoredData_StopsInsteadOfLooping()
    {
        var tasks = new[] { Task("a", "b"), Task("b", "a") };

        var layers = DagSvg.Layers(tasks, tasks.ToDictionary(t => t.Name));

        Assert.That(layers.Values, Has.All.LessThan(tasks.Length));
    }

    [Test]
    public void Render_TaskNames_EncodedAndColouredByStatusClass()
    {
        var task = Task("<script>") with { Status = TaskRunStatus.Completed };

        var svg = DagSvg.Render([task]);

        Assert.That(svg, Does.Not.Contain("<script>"));
        Assert.That(svg, Does.Contain("&lt;script&gt;"));
        Assert.That(svg, Does.Contain("class=\"node st-completed\""));
        Assert.That(svg, Does.Not.Contain("style="), "no inline style: the CSP forbids it");
    }
}
