using Microsoft.Extensions.Logging;

namespace Kernel.Runtime;

/// <summary>The kernel's log messages, defined once (no formatting cost unless the level is enabled).</summary>
internal static class KernelLog
{
    private static readonly Action<ILogger, string, string, long, long, Exception?> s_handlerFailedHalting =
        LoggerMessage.Define<string, string, long, long>(LogLevel.Error, new EventId(1, "HandlerFailedHalting"),
            "Kernel {Kernel}: handler {Handler} failed on entries {FirstSequence}..{LastSequence}; the kernel halts");

    private static readonly Action<ILogger, string, string, long, long, Exception?> s_handlerFailedContinuing =
        LoggerMessage.Define<string, string, long, long>(LogLevel.Error, new EventId(2, "HandlerFailedContinuing"),
            "Kernel {Kernel}: handler {Handler} failed on entries {FirstSequence}..{LastSequence}; the batch is skipped and the kernel goes on");

    private static readonly Action<ILogger, string, int, int, Exception?> s_started =
        LoggerMessage.Define<string, int, int>(LogLevel.Information, new EventId(3, "Started"),
            "Kernel {Kernel} started: {Handlers} handlers over a ring of {RingSize} slots");

    private static readonly Action<ILogger, string, long, Exception?> s_stopped =
        LoggerMessage.Define<string, long>(LogLevel.Information, new EventId(4, "Stopped"),
            "Kernel {Kernel} stopped after {Events} events");

    private static readonly Action<ILogger, string, Exception?> s_halted =
        LoggerMessage.Define<string>(LogLevel.Warning, new EventId(5, "Halted"),
            "Kernel {Kernel} halted before draining (stop was cancelled)");

    public static void HandlerFailed(ILogger logger, string kernel, string handler, long first, long last, bool halting, Exception ex)
    {
        if (halting)
            s_handlerFailedHalting(logger, kernel, handler, first, last, ex);
        else
            s_handlerFailedContinuing(logger, kernel, handler, first, last, ex);
    }

    public static void Started(ILogger logger, string kernel, int handlers, int ringSize) => s_started(logger, kernel, handlers, ringSize, null);

    public static void Stopped(ILogger logger, string kernel, long events) => s_stopped(logger, kernel, events, null);

    public static void Halted(ILogger logger, string kernel) => s_halted(logger, kernel, null);
}
