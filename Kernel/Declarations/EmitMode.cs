namespace Kernel;

/// <summary>When a windowed aggregation emits its rows.</summary>
public enum EmitMode
{
    /// <summary>
    /// One row per window, once the watermark passes <c>end − 1 + AllowedLateness</c>; never revised.
    /// The default.
    /// </summary>
    Final = 0,

    /// <summary>A row when the watermark reaches <c>end − 1</c>, then a revision per allowed-late event.</summary>
    OnWindowClose = 1,

    /// <summary>The current partial rows every interval (micro-batch).</summary>
    Periodic = 2,

    /// <summary>A row on every update (live).</summary>
    EveryUpdate = 3,
}
