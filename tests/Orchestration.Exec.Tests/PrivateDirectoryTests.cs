using System.Runtime.Versioning;
using NUnit.Framework;
using Orchestration.Exec;

namespace Orchestration.Exec.Tests;

[TestFixture]
[UnsupportedOSPlatform("windows")]
public sealed class PrivateDirectoryTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp()
    {
        _root = Path.Combine(Path.GetTempPath(), "orchestration-exec-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public void Ensure_MissingDirectory_CreatedOwnerOnly()
    {
        var path = Path.Combine(_root, "new", "cache");

        PrivateDirectory.Ensure(path);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public void Ensure_ExistingWorldWritableDirectory_TightenedToOwnerOnly()
    {
        var path = Path.Combine(_root, "shared");
        Directory.CreateDirectory(path);
        File.SetUnixFileMode(path, (UnixFileMode)0b111_111_111);

        PrivateDirectory.Ensure(path);

        Assert.That(File.GetUnixFileMode(path), Is.EqualTo(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute));
    }

    [Test]
    public void Ensure_SymbolicLink_Refused()
    {
        var target = Path.Combine(_root, "elsewhere");
        Directory.CreateDirectory(target);
        var link = Path.Combine(_root, "link");
        Directory.CreateSymbolicLink(link, target);

        var ex = Assert.Throws<InvalidOperationException>(() => PrivateDirectory.Ensure(link));

        Assert.That(ex.Message, Does.Contain("symbolic link"));
    }
}
