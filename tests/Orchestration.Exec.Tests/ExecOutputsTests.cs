using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orchestration.Artifacts;
using Orchestration.Domain;
using Orchestration.Execution;

namespace Orchestration.Exec.Tests;

/// <summary>Files an exec program leaves in <c>$ORCHESTRATION_OUTPUTS_DIR</c> become artifacts of its task.</summary>
[NonParallelizable]
public sealed class ExecOutputsTests : ExecHandlerFixture
{
    private Task<ExecOutput> RunAsync(string script, RecordingUploader uploader)
    {
        var binary = TestScripts.Script(script);
        var input = new ExecInput { BinaryUrl = Server.Serve($"/bin/{Guid.NewGuid():N}", binary).ToString(), BinarySha256 = TestScripts.Sha256(binary) };
        var inner = Exec.NewContext();
        var services = new ServiceCollection().AddSingleton<IArtifactUploader>(uploader).BuildServiceProvider();
        var context = new TaskContext(inner.Task, inner.Services.GetRequiredService<Orchestration.Engine.IOrchestrationClient>(), NullLogger.Instance, services);
        return Exec.Handler.HandleAsync(input, context, CancellationToken.None);
    }

    [Test]
    public async Task HandleAsync_ProgramWritesOutputs_EachFileUploadedAsAnArtifactOfTheTask()
    {
        var uploader = new RecordingUploader();

        await RunAsync("""printf 'report' > "$ORCHESTRATION_OUTPUTS_DIR/report.txt"; printf 'bin' > "$ORCHESTRATION_OUTPUTS_DIR/app.bin" """, uploader);

        Assert.That(uploader.Uploads.Select(u => (u.Name, u.Content)), Is.EqualTo(new[] { ("app.bin", "bin"), ("report.txt", "report") }));
        Assert.That(uploader.Uploads.Select(u => u.TaskType).Distinct(), Is.EqualTo(new[] { "exec" }));
    }

    [Test]
    public void HandleAsync_TooManyOutputFiles_FailsPermanentlyUploadingNothing()
    {
        var uploader = new RecordingUploader();

        var e = Assert.ThrowsAsync<TaskFailedException>(() => RunAsync(
            $"""for i in $(seq 1 {ExecTaskHandler.MaxOutputFiles + 1}); do : > "$ORCHESTRATION_OUTPUTS_DIR/f$i"; done""", uploader));

        Assert.That(e!.Retryable, Is.False);
        Assert.That(e.Message, Does.Contain("outputs folder"));
        Assert.That(uploader.Uploads, Is.Empty);
    }

    private sealed class RecordingUploader : IArtifactUploader
    {
        public List<(string Name, string? TaskType, string Content)> Uploads { get; } = [];

        public async Task<Artifact> UploadAsync(TaskRun task, ArtifactUpload upload, Stream content, CancellationToken cancellationToken)
        {
            using var reader = new StreamReader(content, Encoding.UTF8);
            Uploads.Add((upload.Name, upload.TaskType, await reader.ReadToEndAsync(cancellationToken)));
            return new Artifact { Id = Guid.NewGuid().ToString(), OrgId = upload.OrgId, Name = upload.Name, Sha256 = "", ContentLength = 0, StorageKey = "k", CreatedAt = DateTimeOffset.UtcNow };
        }
    }
}
