using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;
using Orchestration.Engine;
using Orchestration.Execution;
using Orchestration.Exec;

namespace Orchestration.Exec.Tests;

[TestFixture]
[NonParallelizable]
public sealed class ExecTaskHandlerTests : ExecHandlerFixture
{
    private ExecInput Input(byte[] binary, string? sha256 = null, IReadOnlyList<string>? arguments = null, IReadOnlyDictionary<string, string>? env = null, double? timeoutSeconds = null)
    {
        var url = Server.Serve($"/bin/{Guid.NewGuid():N}", binary);
        return new ExecInput
        {
            BinaryUrl = url.ToString(),
            BinarySha256 = sha256 ?? TestScripts.Sha256(binary),
            Arguments = arguments,
            EnvVariables = env,
            TimeoutSeconds = timeoutSeconds,
        };
    }

    [Test]
    public async Task HandleAsync_ScriptPrintsText_ReturnsStdoutStderrAndExitCodeZero()
    {
        var output = await Exec.RunAsync(Input(TestScripts.Script("echo hello from exec; echo warning >&2")));

        Assert.Multiple(() =>
        {
            Assert.That(output.Stdout, Is.EqualTo("hello from exec\n"));
            Assert.That(output.Stderr, Is.EqualTo("warning\n"));
            Assert.That(output.ExitCode, Is.Zero);
            Assert.That(output.StdoutTruncated, Is.False);
            Assert.That(output.StderrTruncated, Is.False);
            Assert.That(Exec.WorkDirectories(), Is.Empty, "the per-attempt work directory is removed afterwards");
        });
    }

    [Test]
    public void HandleAsync_NonZeroExit_FailsRetryableWithExitCodeStderrAndCapturedOutput()
    {
        var input = Input(TestScripts.Script("echo partial; echo something broke >&2; exit 3"));

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(input));

        var partial = JsonSerializer.Deserialize<ExecOutput>(ex.OutputJson!, JsonDefaults.Options)!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Is.EqualTo("exit code 3: something broke"));
            Assert.That(ex.Retryable, Is.True);
            Assert.That(partial.ExitCode, Is.EqualTo(3));
            Assert.That(partial.Stdout, Is.EqualTo("partial\n"));
            Assert.That(partial.Stderr, Is.EqualTo("something broke\n"));
            Assert.That(Exec.WorkDirectories(), Is.Empty);
        });
    }

    [Test]
    public void HandleAsync_Sha256Mismatch_FailsPermanentlyNeverExecutesAndDeletesDownload()
    {
        var marker = Exec.Marker("executed");
        var binary = TestScripts.Script($"touch '{marker}'");
        var actual = TestScripts.Sha256(binary);
        var expected = TestScripts.Sha256(TestScripts.Script("echo something else"));

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(Input(binary, sha256: expected.ToUpperInvariant())));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Is.EqualTo($"sha256 mismatch: expected {expected}, got {actual}"));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(File.Exists(marker), Is.False, "the binary must never run");
            Assert.That(Exec.CacheFiles(), Is.Empty, "neither the download nor a cache entry is left behind");
            Assert.That(Exec.WorkDirectories(), Is.Empty, "no work directory is created for a binary that failed verification");
        });
    }

    [Test]
    public async Task HandleAsync_ShellMetacharacterArguments_ReachBinaryLiterally()
    {
        var marker = Exec.Marker("injected");
        string[] arguments =
        [
            $"; touch '{marker}'",
            $"$(touch '{marker}')",
            $"`touch '{marker}'`",
            $"&& touch {marker}",
            $"| touch {marker}",
            "a b  c",
            "",
            "*",
            "'single' \"double\"",
            "$HOME",
            "line1\nline2",
        ];
        var script = TestScripts.Script("for a in \"$@\"; do printf '[%s]\\n' \"$a\"; done");

        var output = await Exec.RunAsync(Input(script, arguments: arguments));

        Assert.Multiple(() =>
        {
            Assert.That(output.Stdout, Is.EqualTo(string.Concat(arguments.Select(a => $"[{a}]\n"))));
            Assert.That(File.Exists(marker), Is.False, "no argument may be interpreted by a shell");
        });
    }

    [Test]
    public async Task HandleAsync_EnvVariables_ReachBinaryOnTopOfCleanBase()
    {
        const string hostOnly = "ORCHESTRATION_EXEC_TEST_HOST_SECRET";
        Environment.SetEnvironmentVariable(hostOnly, "must-not-leak");
        try
        {
            var env = new Dictionary<string, string> { ["GREETING"] = "hi there; $(not expanded)", ["LANG"] = "en_US.UTF-8" };
            var script = TestScripts.Script($"printf '%s|%s|%s|%s|%s\\n' \"$GREETING\" \"${{{hostOnly}-unset}}\" \"$LANG\" \"$HOME\" \"$(pwd)\"; env | wc -l >&2");

            var output = await Exec.RunAsync(Input(script, env: env));

            var parts = output.Stdout.TrimEnd('\n').Split('|');
            Assert.Multiple(() =>
            {
                Assert.That(parts[0], Is.EqualTo("hi there; $(not expanded)"));
                Assert.That(parts[1], Is.EqualTo("unset"), "the host's environment is not inherited");
                Assert.That(parts[2], Is.EqualTo("en_US.UTF-8"), "job variables override the base");
                Assert.That(parts[3], Is.EqualTo(parts[4]), "HOME is the fresh working directory");
                Assert.That(parts[4], Does.StartWith(Exec.Options.WorkDirectoryRoot));
            });
        }
        finally
        {
            Environment.SetEnvironmentVariable(hostOnly, null);
        }
    }

    [Test]
    public async Task HandleAsync_OutputOverOneMegabyte_TruncatedAndChildNotBlocked()
    {
        var finished = Exec.Marker("finished");
        var script = TestScripts.Script($"""
            head -c 3000000 /dev/zero | tr '\0' 'a'
            head -c 2000000 /dev/zero | tr '\0' 'b' >&2
            touch '{finished}'
            """);

        var output = await Exec.RunAsync(Input(script));

        Assert.Multiple(() =>
        {
            Assert.That(ExecOptions.DefaultMaxOutputBytes, Is.EqualTo(1_048_576));
            Assert.That(output.Stdout, Has.Length.EqualTo(1_048_576));
            Assert.That(output.Stdout.All(c => c == 'a'), Is.True);
            Assert.That(output.StdoutTruncated, Is.True);
            Assert.That(output.Stderr, Has.Length.EqualTo(1_048_576));
            Assert.That(output.StderrTruncated, Is.True);
            Assert.That(File.Exists(finished), Is.True, "the child wrote everything and ran on");
            Assert.That(output.ExitCode, Is.Zero);
        });
    }

    [Test]
    public void HandleAsync_Timeout_KillsProcessTreeAndFailsRetryable()
    {
        var childPid = Exec.Marker("child.pid");
        var script = TestScripts.Script($"""
            sleep 300 &
            echo $! > '{childPid}'
            echo started
            wait
            """);
        var clock = Stopwatch.StartNew();

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(Input(script, timeoutSeconds: 2)));

        var pid = int.Parse(File.ReadAllText(childPid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var partial = JsonSerializer.Deserialize<ExecOutput>(ex.OutputJson!, JsonDefaults.Options)!;
        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.StartWith("timed out after 2 s"));
            Assert.That(ex.Retryable, Is.True);
            Assert.That(partial.Stdout, Is.EqualTo("started\n"));
            Assert.That(partial.ExitCode, Is.Null);
            Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
            Assert.That(ProcessProbe.WaitUntilGone(pid, TimeSpan.FromSeconds(15)), Is.True, $"the script's child {pid} must be killed too");
            Assert.That(Exec.WorkDirectories(), Is.Empty);
        });
    }

    [Test]
    public async Task HandleAsync_Cancelled_KillsProcessTreeAndThrowsOperationCanceled()
    {
        var childPid = Exec.Marker("child.pid");
        var script = TestScripts.Script($"""
            sleep 300 &
            echo $! > '{childPid}.tmp'
            mv '{childPid}.tmp' '{childPid}'
            wait
            """);
        using var cancel = new CancellationTokenSource();

        var run = Exec.RunAsync(Input(script), cancel.Token);
        Assert.That(await ProcessProbe.WaitForFileAsync(childPid, TimeSpan.FromSeconds(30)), Is.True, "the script started its child");
        await cancel.CancelAsync();

        Assert.CatchAsync<OperationCanceledException>(() => run);
        var pid = int.Parse(File.ReadAllText(childPid).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.Multiple(() =>
        {
            Assert.That(ProcessProbe.WaitUntilGone(pid, TimeSpan.FromSeconds(15)), Is.True, $"the script's child {pid} must be killed too");
            Assert.That(Exec.WorkDirectories(), Is.Empty);
        });
    }

    [Test]
    public async Task HandleAsync_BackgroundChildKeepsPipesOpen_ReturnsAfterDrainTimeout()
    {
        Exec.Options.OutputDrainTimeout = TimeSpan.FromMilliseconds(500);
        var childPid = Exec.Marker("child.pid");
        // The background sleep inherits stdout and keeps it open after the script exits.
        var script = TestScripts.Script($"""
            sleep 300 &
            echo $! > '{childPid}'
            echo parent done
            """);
        try
        {
            // The bound is what the test proves: far above the 500 ms drain timeout (a loaded machine), far below the
            // 300 s the open pipe would otherwise hold the handler.
            var output = await Exec.RunAsync(Input(script)).WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Multiple(() =>
            {
                Assert.That(output.ExitCode, Is.Zero);
                Assert.That(output.Stdout, Is.EqualTo("parent done\n"));
            });
        }
        finally
        {
            // The leftover was started by this test's script: end it by its id.
            if (File.Exists(childPid) && int.TryParse(File.ReadAllText(childPid).Trim(), out var pid))
            {
                try
                {
                    using var leftover = Process.GetProcessById(pid);
                    leftover.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
    }

    [Test]
    public async Task HandleAsync_SameBinaryTwice_DownloadsOnce()
    {
        var binary = TestScripts.Script("echo cached");
        var input = Input(binary);
        var path = new Uri(input.BinaryUrl!).AbsolutePath;

        var first = await Exec.RunAsync(input);
        var second = await Exec.RunAsync(input);

        Assert.Multiple(() =>
        {
            Assert.That(first.Stdout, Is.EqualTo("cached\n"));
            Assert.That(second.Stdout, Is.EqualTo("cached\n"));
            Assert.That(Server.Hits(path), Is.EqualTo(1));
            Assert.That(Exec.CacheFiles().Select(Path.GetFileName), Is.EqualTo(new[] { TestScripts.Sha256(binary) }));
        });
    }

    [Test]
    public async Task HandleAsync_CachedBinaryTampered_DownloadsAgainAndRunsTheVerifiedOne()
    {
        var binary = TestScripts.Script("echo genuine");
        var input = Input(binary);
        var path = new Uri(input.BinaryUrl!).AbsolutePath;
        await Exec.RunAsync(input);
        await File.WriteAllBytesAsync(Path.Combine(Exec.Options.CacheDirectory, input.BinarySha256!), TestScripts.Script("echo tampered"));

        var output = await Exec.RunAsync(input);

        Assert.Multiple(() =>
        {
            Assert.That(output.Stdout, Is.EqualTo("genuine\n"));
            Assert.That(Server.Hits(path), Is.EqualTo(2));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void HandleAsync_BinaryOverSizeLimit_FailsPermanentlyAndLeavesNothing(bool chunked)
    {
        Exec.Options.MaxBinaryBytes = 100_000;
        var binary = TestScripts.Script("# " + new string('x', 200_000));
        var url = Server.Serve($"/big/{Guid.NewGuid():N}", binary, chunked);

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(new ExecInput { BinaryUrl = url.ToString(), BinarySha256 = TestScripts.Sha256(binary) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("larger than the limit of 100000 bytes"));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(Exec.CacheFiles(), Is.Empty);
        });
    }

    [TestCase("file:///bin/sh", "scheme 'file' is not allowed")]
    [TestCase("ftp://127.0.0.1/bin", "scheme 'ftp' is not allowed")]
    [TestCase("/etc/passwd", "scheme 'file' is not allowed")]
    [TestCase("not a url", "not an absolute URL")]
    [TestCase("", "binary_url is required")]
    public void HandleAsync_UnsupportedUrl_FailsPermanently(string url, string expected)
    {
        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(new ExecInput { BinaryUrl = url, BinarySha256 = new string('a', 64) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain(expected));
            Assert.That(ex.Retryable, Is.False);
        });
    }

    [TestCase(null)]
    [TestCase("abc")]
    [TestCase("gggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggggg")]
    public void HandleAsync_MalformedSha256_FailsPermanentlyWithoutDownloading(string? sha256)
    {
        var hitsBefore = Server.TotalHits;

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(Input(TestScripts.Script("echo x")) with { BinarySha256 = sha256 }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("binary_sha256 must be 64 hexadecimal digits"));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(Server.TotalHits, Is.EqualTo(hitsBefore));
        });
    }

    [TestCase("A=B")]
    [TestCase("")]
    public void HandleAsync_InvalidEnvironmentName_FailsPermanently(string name)
    {
        var input = Input(TestScripts.Script("echo x"), env: new Dictionary<string, string> { [name] = "v" });

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(input));

        Assert.That(ex.Retryable, Is.False);
    }

    [TestCase(404, false)]
    [TestCase(403, false)]
    [TestCase(500, true)]
    [TestCase(503, true)]
    public void HandleAsync_HttpErrorStatus_FailsWithRetryabilityByStatus(int status, bool retryable)
    {
        var url = Server.Status($"/status/{Guid.NewGuid():N}", status);

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(new ExecInput { BinaryUrl = url + "?token=secret", BinarySha256 = new string('a', 64) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain($"HTTP {status}"));
            Assert.That(ex.Message, Does.Not.Contain("secret"), "query strings may carry credentials and stay out of errors");
            Assert.That(ex.Retryable, Is.EqualTo(retryable));
        });
    }

    [Test]
    public void HandleAsync_DownloadStalls_FailsRetryableAfterDownloadTimeout()
    {
        Exec.Options.DownloadTimeout = TimeSpan.FromMilliseconds(500);
        var url = Server.Stall($"/stall/{Guid.NewGuid():N}");

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(new ExecInput { BinaryUrl = url.ToString(), BinarySha256 = new string('a', 64) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("timed out after"));
            Assert.That(ex.Retryable, Is.True);
            Assert.That(Exec.CacheFiles(), Is.Empty, "the partial download is deleted");
        });
    }

    [Test]
    public async Task HandleAsync_RedirectedDownload_FollowsAndRuns()
    {
        var binary = TestScripts.Script("echo redirected");
        var target = Server.Serve($"/bin/{Guid.NewGuid():N}", binary);
        var hop2 = Server.Redirect($"/r2/{Guid.NewGuid():N}", target.AbsolutePath, 307);
        var hop1 = Server.Redirect($"/r1/{Guid.NewGuid():N}", hop2.ToString(), 301);

        var output = await Exec.RunAsync(new ExecInput { BinaryUrl = hop1.ToString(), BinarySha256 = TestScripts.Sha256(binary) });

        Assert.That(output.Stdout, Is.EqualTo("redirected\n"));
    }

    [Test]
    public void HandleAsync_TooManyRedirects_FailsPermanently()
    {
        var loop = $"/loop/{Guid.NewGuid():N}";
        Server.Redirect(loop, loop);

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(new ExecInput { BinaryUrl = new Uri(Server.BaseAddress, loop).ToString(), BinarySha256 = new string('a', 64) }));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.Contain("more than 5 redirects"));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(Server.Hits(loop), Is.EqualTo(6));
        });
    }

    [Test]
    public void HandleAsync_BinaryCannotStart_FailsPermanently()
    {
        var binary = "#!/nonexistent/interpreter\n"u8.ToArray();

        var ex = Assert.ThrowsAsync<TaskFailedException>(() => Exec.RunAsync(Input(binary)));

        Assert.Multiple(() =>
        {
            Assert.That(ex.Message, Does.StartWith("the binary could not be started"));
            Assert.That(ex.Retryable, Is.False);
            Assert.That(Exec.WorkDirectories(), Is.Empty);
        });
    }
}
