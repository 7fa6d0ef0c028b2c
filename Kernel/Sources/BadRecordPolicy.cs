namespace Kernel.Sources;

/// <summary>What a source does with a record it cannot frame or parse.</summary>
public enum BadRecordPolicy
{
    /// <summary>Stop the source with a <see cref="BadRecordException"/> naming the record.</summary>
    Fail = 0,

    /// <summary>Skip the record and count it (<see cref="SourceProgress.BadRecords"/>).</summary>
    SkipAndCount = 1,

    /// <summary>
    /// Skip and count the record, and append its raw bytes to the dead-letter file
    /// (<see cref="SourceOptions.DeadLetterPath"/>) after a comment line naming the error and position.
    /// </summary>
    DeadLetter = 2,
}
