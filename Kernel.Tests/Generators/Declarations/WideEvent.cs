namespace Kernel.Tests.Generators.Declarations;

/// <summary>
/// An event with 70 members, more than one 64-bit mask of members read: the JSON-lines reader must
/// report a missing member at index 64 or above as it does one below.
/// </summary>
[StreamEvent]
public partial struct WideEvent
{
    public long M00;
    public long M01;
    public long M02;
    public long M03;
    public long M04;
    public long M05;
    public long M06;
    public long M07;
    public long M08;
    public long M09;
    public long M10;
    public long M11;
    public long M12;
    public long M13;
    public long M14;
    public long M15;
    public long M16;
    public long M17;
    public long M18;
    public long M19;
    public long M20;
    public long M21;
    public long M22;
    public long M23;
    public long M24;
    public long M25;
    public long M26;
    public long M27;
    public long M28;
    public long M29;
    public long M30;
    public long M31;
    public long M32;
    public long M33;
    public long M34;
    public long M35;
    public long M36;
    public long M37;
    public long M38;
    public long M39;
    public long M40;
    public long M41;
    public long M42;
    public long M43;
    public long M44;
    public long M45;
    public long M46;
    public long M47;
    public long M48;
    public long M49;
    public long M50;
    public long M51;
    public long M52;
    public long M53;
    public long M54;
    public long M55;
    public long M56;
    public long M57;
    public long M58;
    public long M59;
    public long M60;
    public long M61;
    public long M62;
    public long M63;
    public long M64;
    public long M65;
    public long M66;
    public long M67;
    public long M68;
    public long M69;
}
