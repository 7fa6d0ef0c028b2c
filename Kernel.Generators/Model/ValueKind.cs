namespace Kernel.Generators.Model;

/// <summary>The member types the generator understands (keys, aggregates, CSV/JSON columns).</summary>
internal enum ValueKind
{
    Unsupported = 0,
    Boolean,
    Char,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    DateTime,
    DateTimeOffset,
    Enum,
}
