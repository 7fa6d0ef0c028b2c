namespace Kernel.Tests.Infrastructure;

public sealed class ChildProcessTests
{
    [Fact]
    public void Run_EchoScenario_ReturnsItsOutput()
    {
        var (code, stdout, _) = ChildProcess.Run("echo", "hello", "child");
        Assert.Equal(0, code);
        Assert.Equal("hello child", stdout.Trim());
    }

    [Fact]
    public void Run_UnknownScenario_ExitsTwoAndListsScenarios()
    {
        var (code, _, stderr) = ChildProcess.Run("no-such-scenario");
        Assert.Equal(2, code);
        Assert.Contains("echo", stderr, StringComparison.Ordinal);
    }
}
