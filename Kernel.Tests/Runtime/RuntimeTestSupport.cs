using System.Collections.Concurrent;
using Kernel.Ring;
using Microsoft.Extensions.Logging;

namespace Kernel.Tests.Runtime;

/// <summary>A 24-byte event for runtime tests.</summary>
internal struct Tick
{
    public long Number;
    public long Value;
    public long TimestampMs;

    public Tick(long number)
    {
        Number = number;
        Value = number * 10;
        TimestampMs = 1_700_000_000_000 + number;
    }
}

/// <summary>Records entries (kind, value, event number) as they arrive; thread-safe to read after the kernel stopped.</summary>
internal sealed class TickRecorder : IBatchHandler<Tick>
{
    public readonly List<(EntryKind Kind, long Value, long Number)> Entries = [];

    /// <summary>Runs at the start of each batch, on the handler's thread.</summary>
    public Action<long, int>? OnBatchStart { get; set; }

    public void OnBatch(ReadOnlySpan<RingEntry<Tick>> entries, long firstSequence)
    {
        OnBatchStart?.Invoke(firstSequence, entries.Length);
        foreach (ref readonly var e in entries)
            Entries.Add((e.Kind, e.Value, e.Event.Number));
    }

    public long[] EventNumbers() => Entries.Where(e => e.Kind == EntryKind.Event).Select(e => e.Number).ToArray();
}

/// <summary>Collects log records in memory.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory, ILogger
{
    public readonly ConcurrentQueue<(LogLevel Level, EventId Id, string Message, Exception? Exception)> Records = new();

    public ILogger CreateLogger(string categoryName) => this;
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Records.Enqueue((logLevel, eventId, formatter(state, exception), exception));
}

internal static class RuntimeTestSupport
{
    /// <summary>A hang detector, not a speed check: far above any healthy run on a starved 2-core machine.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);
}
